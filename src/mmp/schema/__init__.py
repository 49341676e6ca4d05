"""Training schema capture (and, with validation, drift detection)."""

from mmp.schema.capture import ColumnSchema, TrainingSchema, capture_schema

__all__ = ["ColumnSchema", "TrainingSchema", "capture_schema"]
