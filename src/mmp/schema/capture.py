"""Capturing the schema of a model's inputs at training time."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import BaseModel, ConfigDict

LogicalType = Literal["integer", "float", "boolean", "string", "categorical", "datetime"]
Role = Literal["entity", "timestamp", "target", "feature"]

#: Text columns with at most this many distinct values are categorical.
MAX_CATEGORIES = 50


class ColumnSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    logical_type: LogicalType
    dtype: str
    role: Role
    nullable: bool
    categories: list[str] | None = None
    timezone: str | None = None


class TrainingSchema(BaseModel):
    """The columns a model was trained on, in order, with their roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[ColumnSchema]

    @property
    def inputs(self) -> list[ColumnSchema]:
        return [c for c in self.columns if c.role == "feature"]

    def column(self, name: str) -> ColumnSchema | None:
        return next((c for c in self.columns if c.name == name), None)


def logical_type(series: pd.Series) -> LogicalType:
    """The logical type a pandas column holds."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if series.nunique(dropna=True) <= MAX_CATEGORIES:
        return "categorical"
    return "string"


def capture_schema(frame: pd.DataFrame, roles: dict[str, Role]) -> TrainingSchema:
    """Describe every column of ``frame`` that has a role, in the frame's order."""
    columns = []
    for name in frame.columns:
        if name not in roles:
            continue
        series = frame[name]
        kind = logical_type(series)
        categories = None
        if kind == "categorical":
            categories = sorted(str(v) for v in series.dropna().unique())
        timezone = None
        if kind == "datetime":
            tz = getattr(series.dtype, "tz", None)
            timezone = str(tz) if tz is not None else None
        columns.append(ColumnSchema(
            name=name, logical_type=kind, dtype=str(series.dtype), role=roles[name],
            nullable=bool(series.isna().any()), categories=categories, timezone=timezone,
        ))
    return TrainingSchema(columns=columns)
