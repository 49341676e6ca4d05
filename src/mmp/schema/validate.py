"""Holding inference data to a model's training schema.

One compatibility matrix (docs/schema.md) decides, column by column, whether new data
still means what the training data meant. Every problem is collected into one report;
errors refuse the data, warnings let it through and are logged. The checks are
vectorised: a column costs a few array reductions, never a Python loop over rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from pydantic import BaseModel, ConfigDict, computed_field

from mmp.errors import SchemaDriftError
from mmp.schema.capture import ColumnSchema, TrainingSchema, value_kind

logger = logging.getLogger(__name__)

Severity = Literal["error", "warning"]
Rule = Literal[
    "empty-frame", "duplicate-column", "missing-column", "extra-column",
    "incompatible-type", "fractional-value", "out-of-range", "timezone-converted",
    "unexpected-null", "non-finite", "unseen-category",
]
#: The value kinds each logical type accepts (see the matrix in docs/schema.md).
_ACCEPTS = {
    "integer": {"integer", "float"}, "float": {"integer", "float"}, "boolean": {"boolean"},
    "datetime": {"datetime"}, "string": {"string"}, "categorical": {"string"},
}
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu",
              "Etc/Zulu", "GMT", "Etc/GMT", "tzutc()", "UTC+00:00"}
_EXAMPLES = 5


class SchemaProblem(BaseModel):
    """One broken rule: where, what training expected, what arrived, and what to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None
    rule: Rule
    severity: Severity
    expected: str
    actual: str
    rows: int | None = None
    examples: list[str] = []
    message: str

    def __str__(self) -> str:
        where = repr(self.column) if self.column is not None else "the data"
        return f"{where}: expected {self.expected}, got {self.actual} ({self.rule}): " \
               f"{self.message}"


class SchemaReport(BaseModel):
    """Every problem found in one frame, in the training schema's column order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    problems: list[SchemaProblem]

    @computed_field
    @property
    def valid(self) -> bool:
        return not self.errors

    @computed_field
    @property
    def error_count(self) -> int:
        return len(self.errors)

    @computed_field
    @property
    def warning_count(self) -> int:
        return len(self.warnings)

    @property
    def errors(self) -> list[SchemaProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[SchemaProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_json(self) -> str:
        """The report as JSON, verdict first."""
        data = self.model_dump(mode="json")
        order = ("valid", "error_count", "warning_count", "rows", "problems")
        return json.dumps({key: data[key] for key in order}, indent=2)

    def __str__(self) -> str:
        errors = self.errors
        return f"{len(errors)} error(s)" + "".join(f"; {e}" for e in errors)


class ConformedFrame(NamedTuple):
    """Data fit for the model: training column order and dtypes, extras dropped."""

    frame: pd.DataFrame
    report: SchemaReport


def validate_frame(schema: TrainingSchema, frame: pd.DataFrame) -> SchemaReport:
    """Check ``frame`` against ``schema``; every problem is in the report, nothing raises."""
    return _check_frame(schema, frame)[0]


def conform_frame(schema: TrainingSchema, frame: pd.DataFrame) -> ConformedFrame:
    """``frame`` as the model must receive it, or :class:`SchemaDriftError` with the report.

    Columns come in training order with the dtype the model was trained on (safe
    widenings are cast); extra columns are dropped; warnings are logged and returned.
    The input frame is never modified.
    """
    report, columns = _check_frame(schema, frame)
    if not report.valid:
        raise SchemaDriftError(report)
    for problem in report.warnings:
        logger.warning("schema: %s", problem)
    return ConformedFrame(pd.DataFrame(columns, index=frame.index, copy=False), report)


def _check_frame(schema: TrainingSchema,
                 frame: pd.DataFrame) -> tuple[SchemaReport, dict[str, pd.Series]]:
    """The report, and the acceptable columns in training order and model dtype."""
    problems: list[SchemaProblem] = []
    if len(frame) == 0:
        problems.append(_problem(None, "empty-frame", "at least one row", "no rows",
                                 "send at least one row to score"))
    names = frame.columns
    duplicated = set() if names.is_unique else set(names[names.duplicated()])
    for name in sorted(duplicated, key=str):
        count = int((names == name).sum())
        problems.append(_problem(name, "duplicate-column", "one column",
                                 f"{count} columns", "give every column a distinct name"))
    known = set()
    columns: dict[str, pd.Series] = {}
    for column in schema.columns:
        if column.role == "target":
            continue
        known.add(column.name)
        if column.name in duplicated:
            continue
        if column.name not in names:
            if column.role == "feature":
                problems.append(_problem(column.name, "missing-column", _expected(column),
                                         "absent", "add the column: the model needs it"))
            continue
        found, series = _check_column(column, frame[column.name])
        problems.extend(found)
        if series is not None:
            columns[column.name] = series
    for name in names:
        if name not in known and name not in duplicated:
            target = schema.column(name) is not None  # the only known column left over
            why = "is the model's target" if target else "is not a model input"
            problems.append(_problem(name, "extra-column", "not an input",
                                     _actual(frame[name]), f"dropped: it {why}", "warning"))
    return SchemaReport(rows=len(frame), problems=problems), columns


def _check_column(column: ColumnSchema,
                  series: pd.Series) -> tuple[list[SchemaProblem], pd.Series | None]:
    """The problems of one column and, when it is acceptable, the column in model dtype."""
    if column.logical_type == "categorical" and _is_text(series.dtype):
        categories = frozenset(column.categories or ())
        if ptypes.is_object_dtype(series.dtype) and categories.issuperset(series.to_numpy()):
            return [], series  # the common case: one hash lookup per row, in C, no copies
        inside = series.isin(categories).to_numpy()
        if inside.all():
            return [], _cast(series, column.model_dtype)
        return _check_categories(column, series, inside)
    kind = value_kind(series)
    if kind not in _ACCEPTS[column.logical_type] and series.isna().all():
        kind = "null"  # nothing but missing values (NaN, NaT): no type to judge
    if kind != "null" and kind not in _ACCEPTS[column.logical_type]:
        return [_problem(column.name, "incompatible-type", _expected(column),
                         _actual(series, kind), _never_converted(column, kind))], None
    if ptypes.is_object_dtype(series.dtype) and kind in ("integer", "float"):
        series = pd.to_numeric(series)
    problems = _check_values(column, series, kind)
    if any(p.severity == "error" for p in problems):
        return problems, None
    if column.logical_type == "datetime" and kind == "datetime":
        converted, warning = _conform_times(column, series)
        return [*problems, *warning], converted
    return problems, _cast(series, column.model_dtype)


def _check_values(column: ColumnSchema, series: pd.Series, kind: str) -> list[SchemaProblem]:
    """Rules about the values of a column whose kind is compatible."""
    problems = []
    if kind in ("integer", "float"):
        numbers, missing, infinite = _numbers(series)
        if infinite and not column.infinite:
            problems.append(_problem(
                column.name, "non-finite", "finite numbers",
                f"{infinite} of {len(series)} rows infinite",
                "replace infinite values: training never had one", rows=infinite))
        if column.logical_type == "integer":
            present = numbers[np.isfinite(numbers)] if missing or infinite else numbers
            problems.extend(_check_whole(column, present) if present.dtype.kind == "f"
                            else _check_range(column, present))
    else:
        missing = int(series.isna().sum())
    if missing and not column.nullable:
        problems.append(_unexpected_null(column, missing, len(series)))
    return problems


def _conform_times(column: ColumnSchema,
                   series: pd.Series) -> tuple[pd.Series, list[SchemaProblem]]:
    """Timestamps as the model saw them in training, and a warning if their zone changed.

    Naive means UTC (as everywhere in mmp): naive and UTC timestamps are one zone written
    two ways and pass silently. Timestamps in another zone are the same instants, converted
    to training's zone with a ``timezone-converted`` warning.
    """
    mixed = ptypes.is_object_dtype(series.dtype)
    if mixed:  # Python datetimes: one zone becomes a dtype; several are read as UTC
        try:
            series = pd.to_datetime(series)
        except (ValueError, TypeError):
            series = pd.to_datetime(series, utc=True)
        else:
            mixed = False
    zone = getattr(series.dtype, "tz", None)
    trained = _zone(column.timezone) or "UTC"
    arriving = _zone(zone) or "UTC"
    problems = []
    if mixed or arriving != trained:
        what = "several time zones" if mixed else arriving
        problems.append(_problem(
            column.name, "timezone-converted", _expected(column), f"datetime ({what})",
            f"converted to {column.timezone or 'UTC'}: the same instants, but check the "
            f"source, which now writes {what} where training had {trained}", "warning",
            rows=len(series)))
    target = column.model_dtype
    if str(series.dtype) == target or (zone is None and "," not in target):
        return _cast(series, target), problems  # training's encoding: no conversion
    utc = series.dt.tz_localize("UTC") if zone is None else series.dt.tz_convert("UTC")
    if "," in target:
        converted = utc.dt.tz_convert(column.timezone or "UTC")
    else:
        converted = utc.dt.tz_localize(None)
    return _cast(converted, target), problems


def _check_categories(column: ColumnSchema, series: pd.Series,
                      inside: np.ndarray) -> tuple[list[SchemaProblem], pd.Series | None]:
    """The slow path of a text column: some values are missing, unseen or not text."""
    kind = value_kind(series)
    if kind not in ("string", "null"):
        return [_problem(column.name, "incompatible-type", _expected(column),
                         _actual(series, kind), _never_converted(column, kind))], None
    missing_mask = series.isna().to_numpy()
    problems = []
    unseen = series[~inside & ~missing_mask]
    if len(unseen):
        values = sorted(map(str, unseen.unique()))
        problems.append(_problem(
            column.name, "unseen-category", "one of " + ", ".join(column.categories or []),
            ", ".join(values[:_EXAMPLES]),
            "the model never saw these categories and treats them as none of its own",
            "warning", rows=len(unseen), examples=values[:_EXAMPLES]))
    missing = int(missing_mask.sum())
    if missing and not column.nullable:
        return [*problems, _unexpected_null(column, missing, len(series))], None
    return problems, _cast(series, column.model_dtype)


def _unexpected_null(column: ColumnSchema, missing: int, rows: int) -> SchemaProblem:
    return _problem(column.name, "unexpected-null", "no missing values",
                    f"{missing} of {rows} rows missing", "fill or drop those rows: training "
                    "never had a missing value here", rows=missing)


def _check_whole(column: ColumnSchema, numbers: np.ndarray) -> list[SchemaProblem]:
    """Floats may enter an integer column only as whole numbers that fit it."""
    fractional = numbers[numbers != np.trunc(numbers)]
    if len(fractional):
        examples = [repr(float(v)) for v in fractional[:_EXAMPLES]]
        return [_problem(column.name, "fractional-value", _expected(column),
                         f"float ({numbers.dtype}) with fractional values",
                         "send whole numbers: rounding would change what the model sees",
                         rows=len(fractional), examples=examples)]
    return _check_range(column, numbers)


def _check_range(column: ColumnSchema, numbers: np.ndarray) -> list[SchemaProblem]:
    target = np.dtype(column.model_dtype)
    if target.kind not in "iu" or not len(numbers) or np.can_cast(numbers.dtype, target):
        return []
    limits = np.iinfo(target)
    outside = numbers[(numbers < limits.min) | (numbers > limits.max)]
    if not len(outside):
        return []
    top, bottom = outside.max().item(), outside.min().item()
    return [_problem(column.name, "out-of-range", _expected(column),
                     f"values up to {top}" if top > limits.max else f"values down to {bottom}",
                     f"send values between {limits.min} and {limits.max}",
                     rows=len(outside), examples=[repr(v.item()) for v in outside[:_EXAMPLES]])]


def _numbers(series: pd.Series) -> tuple[np.ndarray, int, int]:
    """The values as a NumPy array (NaN where missing), the missing and the infinite count."""
    if isinstance(series.dtype, np.dtype):
        numbers = series.to_numpy()
        if numbers.dtype.kind != "f" or np.isfinite(numbers.sum()):
            return numbers, 0, 0  # one reduction proves there is no NaN and no inf
    elif not series.hasnans:
        numbers = series.to_numpy(dtype=series.dtype.numpy_dtype)
    else:
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    if numbers.dtype.kind != "f":
        return numbers, 0, 0
    return numbers, int(np.isnan(numbers).sum()), int(np.isinf(numbers).sum())


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    if series.dtype == dtype:
        return series
    if isinstance(series.dtype, pd.StringDtype):  # pd.NA is not a missing value to NumPy
        return series.astype(object).where(series.notna(), None)
    return series.astype(dtype)


def _is_text(dtype: object) -> bool:
    return ptypes.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype | pd.CategoricalDtype)


def _zone(tz: object) -> str | None:
    """One name per time zone: UTC for its aliases, ``UTC+01:00`` for a fixed offset."""
    if tz is None:
        return None
    offset = tz.utcoffset(None) if isinstance(tz, dt.tzinfo) else None
    if offset is None:  # a named zone (or a name read back from the schema)
        return "UTC" if str(tz) in _UTC_NAMES else str(tz)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}" if minutes else "UTC"


def _expected(column: ColumnSchema) -> str:
    if column.logical_type == "datetime":
        return f"datetime ({column.timezone or 'UTC'})"
    if column.logical_type in ("integer", "float"):
        dtype = column.model_dtype if column.dtype == "object" else column.dtype
        return f"{column.logical_type} ({dtype})"
    return column.logical_type


def _actual(series: pd.Series, kind: str | None = None) -> str:
    kind = kind or value_kind(series)
    if kind == "datetime" and ptypes.is_datetime64_any_dtype(series.dtype):
        zone = _zone(getattr(series.dtype, "tz", None))
        return f"datetime ({zone})" if zone else "datetime (naive, read as UTC)"
    return f"{kind} ({series.dtype})"


def _never_converted(column: ColumnSchema, kind: str) -> str:
    """What to do when a column arrives as a kind its logical type never accepts."""
    expected = column.logical_type
    if expected in ("integer", "float"):
        what = "text" if kind == "string" else f"{kind} values"
        return f"send numbers, not {what}: mmp never converts them into numbers"
    if expected == "boolean":
        return "send true/false values: mmp never reads numbers or text as booleans"
    if expected == "datetime":
        return "send timestamps: mmp never parses text or numbers into timestamps"
    return f"send text: mmp never turns {kind} values into {expected} labels"


def _problem(column: object, rule: Rule, expected: str, actual: str, message: str,
             severity: Severity = "error", *, rows: int | None = None,
             examples: list[str] | None = None) -> SchemaProblem:
    return SchemaProblem(column=None if column is None else str(column), rule=rule,
                         severity=severity, expected=expected, actual=actual, rows=rows,
                         examples=examples or [], message=message)
