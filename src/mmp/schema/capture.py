"""Capturing the schema of a model's columns at training time.

The schema records, per column, its role, its logical type (with the categories or the
time zone that type needs), whether training saw missing or infinite values, and the
pandas dtype it had. Validation (``mmp.schema.validate``) holds inference data to it, and
the MLflow signature is derived from it, so both describe the same contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from mmp.errors import DataError

if TYPE_CHECKING:  # pandas loads where frames are handled: `mmp render-sql` needs none
    import pandas as pd
    from mlflow.types import Schema

LogicalType = Literal["integer", "float", "boolean", "string", "categorical", "datetime"]
Role = Literal["entity", "timestamp", "target", "feature"]

#: Text columns with at most this many distinct values are categorical.
MAX_CATEGORIES = 50

#: What ``pandas.api.types.infer_dtype`` says about an object column, in mmp's words.
_OBJECT_KINDS = {
    "string": "string", "empty": "null", "integer": "integer", "floating": "float",
    "mixed-integer-float": "float", "decimal": "float", "boolean": "boolean",
    "datetime": "datetime", "datetime64": "datetime",
}
_NUMPY_INTEGERS = {f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)}
#: MLflow's type for each numeric dtype the model receives (``ColumnSchema.model_dtype``).
_MLFLOW_NUMBERS = {
    "int8": "integer", "int16": "integer", "int32": "integer", "uint8": "integer",
    "uint16": "integer", "int64": "long", "uint32": "long", "uint64": "long",
    "float32": "float", "float64": "double",
}


class ColumnSchema(BaseModel):
    """One column as training saw it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Role
    logical_type: LogicalType
    dtype: str
    nullable: bool
    infinite: bool
    categories: list[str] | None = None
    #: The zone of a datetime column's instants: naive timestamps are UTC (docs/schema.md),
    #: so only schemas written before mmp recorded that hold None here. ``dtype`` says
    #: whether the column was zone-aware.
    timezone: str | None = None

    @property
    def model_dtype(self) -> str:
        """The dtype this column has when it reaches the model at inference.

        The training dtype, except where MLflow's signature cannot carry it: an integer
        column that had missing values travels as float64 (NaN marks a missing value), a
        boolean one as object, and text always as object.
        """
        kind, dtype = self.logical_type, self.dtype.lower()
        if kind == "integer":
            if self.nullable:
                return "float64"
            return dtype if dtype in _NUMPY_INTEGERS else "int64"
        if kind == "float":
            return "float32" if dtype == "float32" else "float64"
        if kind == "boolean":
            return "object" if self.nullable else "bool"
        if kind == "datetime":  # training's unit, and its zone only if it was zone-aware
            unit, _, zone = self.dtype.removeprefix("datetime64[").rstrip("]").partition(",")
            if not self.dtype.startswith("datetime64["):
                unit, zone = "ns", ""
            return f"datetime64[{unit}, {self.timezone or 'UTC'}]" if zone.strip() \
                else f"datetime64[{unit}]"
        return "object"

    @property
    def mlflow_type(self) -> str:
        """The MLflow column type that describes :attr:`model_dtype`."""
        if self.logical_type in ("integer", "float"):
            return _MLFLOW_NUMBERS[self.model_dtype]
        return {"boolean": "boolean", "datetime": "datetime"}.get(self.logical_type, "string")


class TrainingSchema(BaseModel):
    """The columns a model was trained on, in order, with their roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[ColumnSchema]

    @property
    def inputs(self) -> list[ColumnSchema]:
        """The model's inputs: the feature columns (never the target)."""
        return [c for c in self.columns if c.role == "feature"]

    def column(self, name: str) -> ColumnSchema | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_mlflow(self) -> Schema:
        """The inputs as an MLflow schema, for the model's signature."""
        from mlflow.types import ColSpec, Schema

        return Schema([ColSpec(c.mlflow_type, c.name) for c in self.inputs])

    def to_mlflow_example(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame``'s rows as MLflow's input example can hold them: MLflow's ``datetime``
        has no time zone and its enforcement refuses zone-aware values, so zone-aware
        inputs become naive UTC (naive means UTC; mmp's own checks convert them back)."""
        aware = [c.name for c in self.inputs if c.logical_type == "datetime"
                 and c.name in frame.columns and getattr(frame[c.name].dtype, "tz", None)]
        return frame.assign(**{name: frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
                               for name in aware})

    def from_mlflow_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The inverse of :meth:`to_mlflow_example` for what MLflow's enforcement passes
        to the model: naive timestamps (UTC) of a zone-aware input back in training's zone."""
        naive = [c for c in self.inputs if c.logical_type == "datetime" and c.name in frame
                 and "," in c.model_dtype and frame[c.name].dtype.kind == "M"
                 and getattr(frame[c.name].dtype, "tz", None) is None]
        return frame.assign(**{c.name: frame[c.name].dt.tz_localize("UTC").dt.tz_convert(
            c.timezone or "UTC") for c in naive})


def value_kind(series: pd.Series) -> str:
    """What a column's values are: integer, float, boolean, string, datetime, null (all
    missing) or, for anything else, the name of what it holds (``mixed``, ``decimal``...).

    Only an object column is scanned; every other answer comes from the dtype.
    """
    import pandas as pd
    from pandas.api import types as ptypes

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return value_kind(pd.Series(dtype.categories)) if len(dtype.categories) else "null"
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if ptypes.is_object_dtype(dtype):
        inferred = ptypes.infer_dtype(series, skipna=True)
        return _OBJECT_KINDS.get(inferred, inferred)
    return str(dtype)


def logical_type(series: pd.Series) -> LogicalType:
    """The logical type a training column holds; text with few values is categorical."""
    import pandas as pd

    kind = value_kind(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if kind == "string":
        return "categorical" if series.nunique(dropna=True) <= MAX_CATEGORIES else "string"
    if kind in ("integer", "float", "boolean", "datetime"):
        return kind  # type: ignore[return-value]
    what = "only missing values" if kind == "null" else f"{kind} values"
    raise DataError(f"training column {series.name!r} holds {what}; mmp cannot describe "
                    "its type", hint="cast it in the SQL template to a number, text, "
                    "boolean or timestamp, or leave it out of the model")


def capture_schema(frame: pd.DataFrame, roles: dict[str, Role]) -> TrainingSchema:
    """Describe every column of ``frame`` that has a role, in the frame's order."""
    import numpy as np
    import pandas as pd
    from pandas.api import types as ptypes

    columns = []
    for name in frame.columns:
        if name not in roles:
            continue
        series = frame[name]
        kind = logical_type(series)
        if kind == "datetime" and ptypes.is_object_dtype(series.dtype):
            series = pd.to_datetime(series)
        categories = timezone = None
        if kind == "categorical":
            categories = sorted(str(v) for v in series.dropna().unique())
        if kind == "datetime":  # naive means UTC: the zone is recorded either way
            tz = getattr(series.dtype, "tz", None)
            timezone = str(tz) if tz is not None else "UTC"
        infinite = False
        if kind == "float":
            infinite = bool(np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).any())
        columns.append(ColumnSchema(
            name=name, role=roles[name], logical_type=kind, dtype=str(series.dtype),
            nullable=bool(series.isna().any()), infinite=infinite, categories=categories,
            timezone=timezone,
        ))
    return TrainingSchema(columns=columns)
