"""Training schema capture and drift detection against it.

The drift checks (``mmp.schema.validate``) load pandas, so they are imported on first use:
reading a model's schema from its metadata needs neither.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mmp.schema.capture import ColumnSchema, TrainingSchema, capture_schema

if TYPE_CHECKING:
    from mmp.schema.validate import (
        ConformedFrame,
        SchemaProblem,
        SchemaReport,
        conform_frame,
        validate_frame,
    )

_VALIDATE = {"ConformedFrame", "SchemaProblem", "SchemaReport", "conform_frame",
             "validate_frame"}

__all__ = [
    "ColumnSchema", "ConformedFrame", "SchemaProblem", "SchemaReport", "TrainingSchema",
    "capture_schema", "conform_frame", "validate_frame",
]


def __getattr__(name: str) -> Any:
    if name in _VALIDATE:
        return getattr(importlib.import_module("mmp.schema.validate"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
