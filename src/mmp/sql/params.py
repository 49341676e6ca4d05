"""Typed template parameters: declaration, coercion and refusal of anything undeclared."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from mmp.errors import ParamError
from mmp.settings.recipe import ParamSpec

#: Parameters every loader may use without declaring them (the plan's standard names).
STANDARD_PARAMS: dict[str, ParamSpec] = {
    "start_date": ParamSpec(type="date", description="first day of the window (inclusive)"),
    "end_date": ParamSpec(type="date", description="day after the window (exclusive)"),
    "target_date": ParamSpec(type="date", description="the day predictions are made for"),
    "period": ParamSpec(type="string", max_length=32, description="a named period"),
    "include_target": ParamSpec(type="bool", default=True,
                                description="select the target column (false at inference)"),
}

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def declared_params(declared: Mapping[str, ParamSpec]) -> dict[str, ParamSpec]:
    """The standard params overlaid with a loader's declarations (types may be inherited)."""
    specs = dict(STANDARD_PARAMS)
    for name, spec in declared.items():
        base = specs.get(name)
        if spec.type is None:
            if base is None:
                raise ParamError("declared without a type", param=name,
                                 hint="give it a type: date, datetime, int, float, bool, "
                                      "string or enum")
            spec = base.model_copy(update=spec.model_dump(exclude_unset=True))
        specs[name] = spec
    return specs


def resolve_params(
    declared: Mapping[str, ParamSpec], supplied: Mapping[str, Any]
) -> dict[str, Any]:
    """Coerce supplied values over declared defaults; refuse undeclared names and bad types."""
    specs = declared_params(declared)
    unknown = sorted(set(supplied) - set(specs))
    if unknown:
        raise ParamError(
            "is not declared for this loader", param=unknown[0],
            hint="allowed parameters: " + ", ".join(sorted(specs)),
        )
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        raw = supplied.get(name, spec.default)
        if raw is None:
            continue
        values[name] = coerce(name, spec, raw)
    return values


def coerce(name: str, spec: ParamSpec, raw: Any) -> Any:
    """One value converted to its declared type, or a ParamError saying why not."""
    kind = spec.type
    try:
        if kind == "date":
            value: Any = _to_date(raw)
        elif kind == "datetime":
            value = _to_datetime(raw)
        elif kind == "int":
            value = _to_int(raw)
        elif kind == "float":
            value = _to_float(raw)
        elif kind == "bool":
            value = _to_bool(raw)
        elif kind == "enum":
            value = _to_enum(raw, spec.values or [])
        else:
            value = _to_string(raw, spec)
    except (TypeError, ValueError) as exc:
        raise ParamError(f"{raw!r} is not a valid {kind}: {exc}", param=name,
                         hint=_example(kind, spec)) from None
    return value


def _to_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise ValueError("expected a date without a time")
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError("expected YYYY-MM-DD")
    return dt.date.fromisoformat(raw)


def _to_datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    else:
        raise ValueError("expected an ISO 8601 timestamp")
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("a boolean is not an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw.strip()):
        return int(raw)
    raise ValueError("expected a whole number")


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(raw, int | float) or (isinstance(raw, str) and _NUMBER.fullmatch(raw.strip())):
        value = float(raw)
    else:
        raise ValueError("expected a number")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError("expected true or false")


def _to_enum(raw: Any, allowed: list[Any]) -> Any:
    for value in allowed:
        if raw == value or (isinstance(raw, str) and raw == str(value)):
            return value
    raise ValueError("expected one of " + ", ".join(repr(v) for v in allowed))


def _to_string(raw: Any, spec: ParamSpec) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected text")
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise ValueError(f"longer than {spec.max_length} characters")
    if spec.pattern is not None and not re.fullmatch(spec.pattern, raw):
        raise ValueError(f"does not match the pattern {spec.pattern}")
    return raw


def _example(kind: str | None, spec: ParamSpec) -> str:
    examples = {
        "date": "write a calendar date such as 2024-01-31",
        "datetime": "write an ISO timestamp such as 2024-01-31T12:00:00Z",
        "int": "write a whole number such as 42",
        "float": "write a number such as 12.5",
        "bool": "write true or false",
        "enum": "choose one of: " + ", ".join(str(v) for v in spec.values or []),
    }
    return examples.get(kind or "", "write plain text within the declared limits")
