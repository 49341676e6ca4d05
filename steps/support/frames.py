"""Frames for scenarios: sessions from the generator, and columns typed in Gherkin.

A typed column is written ``kind: value, value`` (``int32: 4, 6``, ``UTC times: 2024-03-01 08:00``)
and a table heading ``name (kind)``. Kinds: int32, int64, Int64 (integers that may be
missing), float32, float64, bool, text, category, ``naive times`` and ``<time zone> times``;
``untyped numbers`` are held as Python objects (as JSON readers leave them) and ``zoned
times`` carry each its own zone (``2024-03-02 09:30 Europe/Paris``).
``null`` is a missing value; floats also take ``NaN``, ``inf`` and ``-inf``.
"""

from __future__ import annotations

import re

import pandas as pd

from mmp.synthetic import generate

KINDS = ("int32", "int64", "Int64", "float32", "float64", "bool", "text", "category",
         "naive times", "<time zone> times", "untyped numbers", "zoned times")
_HEADING = re.compile(r"^(?P<name>[^(]+?)\s*\((?P<kind>[^)]+)\)$")


def new_sessions(names: list[str], rows: int = 3) -> pd.DataFrame:
    """Synthetic sessions with ``names`` as columns, in order and with repeats; a name the
    generator does not know becomes a text column."""
    sessions = generate(20, seed=7)["sessions"].head(rows)
    return pd.concat([sessions[n] if n in sessions else pd.Series(["search"] * rows, name=n)
                      for n in names], axis=1)


def typed_values(kind: str, cells: list[str]) -> pd.Series:
    """The cells as a column of ``kind``."""
    values: list[str | None] = [None if c == "null" else c for c in cells]
    if kind == "zoned times":
        pairs = [v.rsplit(" ", 1) for v in cells]
        return pd.Series([pd.Timestamp(time, tz=zone) for time, zone in pairs], dtype=object)
    if kind == "untyped numbers":
        numbers = [v if v is None else float(v) if "." in v else int(v) for v in values]
        return pd.Series(numbers, dtype=object)
    if kind.endswith(" times"):
        times = pd.to_datetime(values)
        zone = kind.removesuffix(" times")
        return pd.Series(times if zone == "naive" else times.tz_localize(zone))
    if kind == "Int64":  # pandas' integer column that can hold missing values
        return pd.Series([None if v is None else int(v) for v in values], dtype="Int64")
    if kind in ("int32", "int64"):
        assert None not in values, f"{kind} cannot hold null; write the column as float64"
        return pd.Series([int(v) for v in cells], dtype=kind)
    if kind in ("float32", "float64"):
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype=kind)
    if kind == "bool":
        assert set(cells) <= {"true", "false"}, f"booleans are true or false, not {cells}"
        return pd.Series([c == "true" for c in cells], dtype=bool)
    if kind in ("text", "category"):
        return pd.Series(values, dtype=object if kind == "text" else "category")
    raise AssertionError(f"unknown column kind {kind!r}; use one of: {', '.join(KINDS)}")


def typed_column(spec: str, name: str) -> pd.Series:
    """``"int32: 4, 6"`` as a column called ``name``."""
    kind, sep, values = spec.partition(": ")  # a zone such as UTC+05:30 holds a colon
    assert sep, f"write typed values as 'kind: value, value', not {spec!r}"
    return typed_values(kind.strip(), [v.strip() for v in values.split(",")]).rename(name)


def typed_frame(table) -> pd.DataFrame:
    """A Gherkin table whose headings are ``name (kind)`` as a frame."""
    columns = []
    for heading in table.headings:
        match = _HEADING.match(heading)
        assert match, f"write the heading {heading!r} as 'name (kind)', e.g. 'page_views (int64)'"
        cells = [row[heading] for row in table]
        columns.append(typed_values(match["kind"], cells).rename(match["name"]))
    return pd.concat(columns, axis=1)
