"""mmp: a recipe-driven ML pipeline (safe SQL loading, point-in-time features,
self-describing MLflow artifacts, batch inference and online serving)."""

__version__ = "0.1.0"
