"""The FastAPI serving app for mmp models (arrives with the real-time serving issue)."""
