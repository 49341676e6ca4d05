"""Training schema capture and drift detection against it."""

from mmp.schema.capture import ColumnSchema, TrainingSchema, capture_schema
from mmp.schema.validate import (
    ConformedFrame,
    SchemaProblem,
    SchemaReport,
    conform_frame,
    validate_frame,
)

__all__ = [
    "ColumnSchema", "ConformedFrame", "SchemaProblem", "SchemaReport", "TrainingSchema",
    "capture_schema", "conform_frame", "validate_frame",
]
