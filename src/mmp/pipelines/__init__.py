"""End-to-end jobs: training, batch inference and the demo."""
