"""The point-in-time join, as pure functions over DataFrames (DuckDB in-process).

For each spine row (keys k, time t) the join takes the feature row with the same keys
whose event time is the greatest with ``t - ttl <= event time <= t``; ties go to the
greatest created time, then to the row stored last. Without such a row the features are
null. Every spine row is kept, in order, duplicates included. Times are compared in UTC
at microsecond precision (naive means UTC). The result is checked before it is returned:
a feature value from after ``t``, older than the ttl or created after the as-of cutoff
raises :class:`PointInTimeError`. Inputs are never mutated.

How: one of two plans (the second in two forms), all exact, chosen by how many (spine
row, feature row) pairs share a key inside a ttl-wide time bucket (the spine side covers
its own bucket and the one before); the count is estimated from every spine row and a
sample of about 20,000 feature rows (scaled by the share drawn; every row when there
are no more), taking times as spread uniformly over the spine's span.

- Few pairs per spine row (sparse entities): a hash join on the keys and the bucket,
  filtered to the window, keeping the best candidate per spine row. Nothing is sorted
  globally, but the candidates grow with the square of an entity's rows in a window.
- Many (dense or skewed entities, long ttls): when the feature rows far outnumber the
  spine's, those outside every spine row's two buckets are dropped first (a semi join on
  keys and bucket); then an ``ASOF JOIN`` on the keys takes, per spine row, the greatest
  (event time, created time known, created time, stored position) at or below (its time,
  +infinity): the latest event time at or before the row, ties to the latest created
  time (unknown last), then to the row stored last.
  A match older than the ttl is dropped. Cost: a sort of the rows, n log n.

See benchmarks/pit_join.py for the plans measured against each other and DuckDB's
other formulations, by shape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from mmp.errors import DataError, PointInTimeError

ROW = "__mmp_row"
TIME = "__mmp_time"
EVENT_TIME = "__mmp_event_time"
CREATED_TIME = "__mmp_created_time"
ORDER = "__mmp_order"
BUCKET = "__mmp_bucket"
SPINE = "__mmp_spine"
FEATURE_ROWS = "__mmp_feature_rows"


@dataclass(frozen=True)
class PreparedSpine:
    """The spine's keys and UTC times with each row's position; what backends join on."""

    frame: pd.DataFrame
    keys: tuple[str, ...]
    timestamp_column: str


@dataclass(frozen=True)
class RowSource:
    """Feature rows registered on a DuckDB connection, and what their columns mean."""

    relation: str
    keys: tuple[str, ...]
    event_timestamp: str
    created_timestamp: str
    order: str
    features: tuple[str, ...]


def join_point_in_time(
    spine: pd.DataFrame, feature_rows: pd.DataFrame, *, keys: Sequence[str],
    ttl: dt.timedelta, created_before: dt.datetime | str | None = None,
    timestamp_column: str = "event_timestamp", event_timestamp: str = "event_timestamp",
    created_timestamp: str = "created_timestamp", features: Sequence[str] | None = None,
    view: str = "feature rows",
) -> pd.DataFrame:
    """The spine with ``features`` (default: every other column) joined point-in-time."""
    require_ttl(ttl, view)
    prepared = prepare_spine(spine, keys, timestamp_column)
    features = _feature_columns(feature_rows, keys, event_timestamp, created_timestamp,
                                features, f"the {view}")
    cutoff = utc_timestamp(created_before)
    rows = feature_rows.copy(deep=False)
    rows[ORDER] = np.arange(len(rows))
    source = RowSource(FEATURE_ROWS, tuple(keys), event_timestamp, created_timestamp, ORDER,
                       tuple(features))
    with duckdb_connection() as con:
        con.register(FEATURE_ROWS, rows)
        matched = match_rows(con, prepared, source, ttl=ttl, created_before=cutoff, view=view)
    verify_point_in_time(prepared, matched, view=view, ttl=ttl, created_before=cutoff)
    return attach_features(spine, matched, features, view=view)


def join_latest_value(
    spine: pd.DataFrame, feature_rows: pd.DataFrame, *, keys: Sequence[str],
    timestamp_column: str = "event_timestamp", event_timestamp: str = "event_timestamp",
    created_timestamp: str = "created_timestamp", features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The naive join: each key's latest row, whatever the spine row's time (it leaks).

    The reference a point-in-time join is measured against (benchmarks, leakage canary);
    mmp never uses it to build a training set.
    """
    prepared = prepare_spine(spine, keys, timestamp_column)
    features = _feature_columns(feature_rows, keys, event_timestamp, created_timestamp,
                                features, "the feature rows")
    source = RowSource(FEATURE_ROWS, tuple(keys), event_timestamp, created_timestamp, "",
                       tuple(features))
    with duckdb_connection() as con:
        con.register(FEATURE_ROWS, feature_rows)
        matched = match_latest(con, prepared, source)
    return attach_features(spine, matched, features, view="feature rows")


def match_latest(con: duckdb.DuckDBPyConnection, spine: PreparedSpine,
                 source: RowSource) -> pd.DataFrame:
    """Each spine row's key's latest feature row, shaped like :func:`match_rows`'s answer.

    The latest event time per key, then one row with that time (any, on a tie), joined to
    every spine row with the key: the fastest form measured (benchmarks/pit_join.py).
    """
    con.register(SPINE, spine.frame)
    keys = [_quote(k) for k in source.keys]
    event = _ts(source.event_timestamp)
    features = ", ".join(f"f.{_quote(c)}" for c in source.features)
    sql = f"""
        WITH newest AS (SELECT {", ".join(keys)}, max({event}) AS {EVENT_TIME}
                        FROM {source.relation} GROUP BY {", ".join(keys)}),
        latest AS (
            SELECT {", ".join(f"f.{k}" for k in keys)}, newest.{EVENT_TIME},
                   {_ts(source.created_timestamp)} AS {CREATED_TIME}, {features}
            FROM {source.relation} f JOIN newest
                ON {" AND ".join(f"f.{k} = newest.{k}" for k in keys)}
                AND {_ts(source.event_timestamp, "f")} = newest.{EVENT_TIME}
            QUALIFY row_number() OVER (PARTITION BY {", ".join(f"f.{k}" for k in keys)}) = 1)
        SELECT s.{ROW}, latest.* EXCLUDE ({", ".join(keys)})
        FROM {SPINE} s JOIN latest USING ({", ".join(keys)})"""
    return con.execute(sql).df()


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB database (opening one costs ~15 ms, a connection to
    it ~0.03 ms)."""
    return duckdb.connect()


@contextlib.contextmanager
def duckdb_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A new connection to the process's in-memory DuckDB database, comparing times in UTC.

    What it registers is its own (no other connection sees it) and is freed when it closes.
    """
    con = _database().cursor()
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def prepare_spine(spine: pd.DataFrame, keys: Sequence[str],
                  timestamp_column: str) -> PreparedSpine:
    """Keys, UTC times and row positions; refuses a missing column, key or time."""
    _require_columns(spine, [*keys, timestamp_column], "the spine")
    times = utc_times(spine[timestamp_column], timestamp_column)
    frame = pd.DataFrame({k: spine[k].to_numpy() for k in keys})
    frame[TIME] = times
    frame[ROW] = np.arange(len(frame), dtype="int64")
    for column in [timestamp_column, *keys]:
        values = frame[TIME] if column == timestamp_column else frame[column]
        if values.isna().any():
            position = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise DataError(
                f"spine row {position + 1} ({_describe_keys(frame, keys, position)}) has no "
                f"{column!r}; every row needs its keys and a time to join features as of it",
                hint="drop or fill the rows without a value before joining features")
    return PreparedSpine(frame, tuple(keys), timestamp_column)


def require_ttl(ttl: dt.timedelta, view: str) -> None:
    """Refuse a ttl of zero or less: no value could be fresh (Feast reads 0 as "never
    expires"; mmp's definitions refuse it, and so does every join)."""
    if ttl <= dt.timedelta(0):
        raise DataError(f"feature view {view!r} has a ttl of {ttl}: the ttl must be longer "
                        "than zero", hint="give the view a ttl such as 7d, 36h or 90s")


def utc_times(values: pd.Series, column: str) -> np.ndarray:
    """Times as naive UTC microseconds: naive means UTC, zoned values are converted."""
    try:
        converted = pd.to_datetime(values, utc=True, format="ISO8601", cache=False)
    except (ValueError, TypeError) as exc:
        raise DataError(f"column {column!r} does not hold times: {str(exc).splitlines()[0]}",
                        hint="give times as timestamps or ISO 8601 text") from None
    return converted.dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def utc_timestamp(value: dt.datetime | str | None) -> pd.Timestamp | None:
    """One time as a naive UTC timestamp (naive means UTC), or None."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def match_rows(con: duckdb.DuckDBPyConnection, spine: PreparedSpine, source: RowSource, *,
               ttl: dt.timedelta, created_before: pd.Timestamp | None,
               view: str) -> pd.DataFrame:
    """For each spine row with a qualifying feature row, that row (``ROW`` = spine position)."""
    con.register(SPINE, spine.frame)
    params = [created_before.to_pydatetime()] if created_before is not None else []
    try:
        plan = choose_plan(con, source, ttl, spine)
        sql = point_in_time_sql(source, ttl, created_before is not None, plan=plan)
        return con.execute(sql, params).df()
    except duckdb.Error as exc:
        raise DataError(
            f"the point-in-time join of feature view {view!r} failed: "
            f"{str(exc).strip().splitlines()[0]}",
            hint=f"the spine's key columns ({', '.join(source.keys)}) must hold the same "
                 "type of value as the view's join keys") from None


#: Above this many estimated candidate pairs per spine row the ASOF plan is cheaper than
#: the hash plan (measured, 100k x 1M rows: hash is ~0.8x ASOF at 10-15 pairs per row,
#: ~1.25-1.6x at 31-33; benchmarks/pit_join.py --shapes).
ASOF_ABOVE_PAIRS_PER_ROW = 20.0
#: The estimate counts about this many feature rows (whole vectors of rows drawn at random,
#: the count scaled by the share drawn), or every row when there are no more.
SAMPLE_ROWS = 20_000
#: The ASOF plan first drops feature rows outside the spine's buckets only when they are
#: this many times the spine rows (measured: with as many as the spine, pruning cost 1.35x).
PRUNE_ABOVE_ROWS_PER_SPINE_ROW = 4.0
PLANS = ("hash", "asof", "asof_all")


def _width_us(ttl: dt.timedelta) -> int:
    """The ttl in microseconds (a timedelta's unit, so at least 1 for a ttl over zero)."""
    return int(ttl / dt.timedelta(microseconds=1))


def estimated_pairs(con: duckdb.DuckDBPyConnection, source: RowSource, ttl: dt.timedelta,
                    span: np.timedelta64) -> tuple[float, int]:
    """Candidate pairs the hash plan would make, and the feature rows: per spine row, its
    key's feature rows (counted in a sample of whole vectors of rows, scaled by the share
    of rows drawn, or all of them when there are few), times the chance that one falls in
    the row's two buckets, taking feature times as spread uniformly over the spine's
    ``span`` (an over-estimate when they spread wider)."""
    [total] = con.execute(f"SELECT count(*) FROM {source.relation}").fetchone()
    percent = 100 * SAMPLE_ROWS / total if total > SAMPLE_ROWS else None
    pairs, sampled = _pair_count(con, source, percent)
    share = min(1.0, 2 * _width_us(ttl) / max(int(span / np.timedelta64(1, "us")), 1))
    return pairs * total / max(sampled, 1) * share, total


def _pair_count(con: duckdb.DuckDBPyConnection, source: RowSource,
                percent: float | None) -> tuple[int, int]:
    """(Spine row, feature row) pairs sharing a key, and the feature rows counted: all of
    them, or ``percent`` of them in whole vectors of rows."""
    keys = ", ".join(_quote(k) for k in source.keys)
    sample = "" if percent is None else f"USING SAMPLE {percent} PERCENT (system, 42)"
    return con.execute(f"""
        WITH fk AS (SELECT {keys}, count(*) AS n
                    FROM (SELECT {keys} FROM {source.relation} {sample}) GROUP BY ALL)
        SELECT (SELECT coalesce(sum(fk.n), 0) FROM {SPINE} JOIN fk USING ({keys})),
               coalesce(sum(n), 0)
        FROM fk""").fetchone()


def choose_plan(con: duckdb.DuckDBPyConnection, source: RowSource, ttl: dt.timedelta,
                spine: PreparedSpine) -> str:
    """``"hash"`` when few candidate pairs per spine row are expected; else ``"asof"``
    (pruned to the spine's buckets) when the feature rows outnumber the spine's by
    :data:`PRUNE_ABOVE_ROWS_PER_SPINE_ROW`, ``"asof_all"`` when they do not."""
    times = spine.frame[TIME].to_numpy()
    rows = len(times)
    if not rows:
        return "hash"  # nothing to join: no estimate needed
    pairs, feature_rows = estimated_pairs(con, source, ttl, times.max() - times.min())
    if pairs <= ASOF_ABOVE_PAIRS_PER_ROW * rows:
        return "hash"
    return "asof" if feature_rows > PRUNE_ABOVE_ROWS_PER_SPINE_ROW * rows else "asof_all"


def point_in_time_sql(source: RowSource, ttl: dt.timedelta, with_cutoff: bool, *,
                      plan: str = "asof") -> str:
    """The DuckDB query behind :func:`match_rows` (one bind variable: the cutoff, if any)."""
    if plan in ("asof", "asof_all"):
        return _asof_sql(source, ttl, with_cutoff, prune=plan == "asof")
    width = _width_us(ttl)
    keys = [_quote(k) for k in source.keys]
    features = [_quote(f) for f in source.features]
    event, created = _ts(source.event_timestamp), _ts(source.created_timestamp)
    cutoff = f"AND {created} <= ?" if with_cutoff else ""
    key_match = " AND ".join(f"f.{k} = s.{k}" for k in keys)
    return f"""
        WITH s AS (
            SELECT {", ".join(keys)}, {TIME}, {ROW},
                   epoch_us({TIME}) // {width} - shifts.{BUCKET}_back AS {BUCKET}
            FROM {SPINE}, (VALUES (0), (1)) AS shifts({BUCKET}_back)),
        f AS (
            SELECT {", ".join(keys)}, {", ".join(features)}, {event} AS {EVENT_TIME},
                   {created} AS {CREATED_TIME}, {_quote(source.order)} AS {ORDER},
                   epoch_us({event}) // {width} AS {BUCKET}
            FROM {source.relation}
            WHERE {event} IS NOT NULL {cutoff})
        SELECT s.{ROW}, f.{EVENT_TIME}, f.{CREATED_TIME}, {", ".join(f"f.{c}" for c in features)}
        FROM s JOIN f ON {key_match} AND f.{BUCKET} = s.{BUCKET}
            AND f.{EVENT_TIME} <= s.{TIME}
            AND f.{EVENT_TIME} >= s.{TIME} - to_microseconds({width})
        QUALIFY row_number() OVER (PARTITION BY s.{ROW} ORDER BY f.{EVENT_TIME} DESC,
            f.{CREATED_TIME} DESC NULLS LAST, f.{ORDER} DESC) = 1
    """


def _asof_sql(source: RowSource, ttl: dt.timedelta, with_cutoff: bool, prune: bool) -> str:
    """The ASOF plan: (with ``prune``, only rows in some spine row's two buckets), then one
    ordered merge per key."""
    width = _width_us(ttl)
    keys = [_quote(k) for k in source.keys]
    features = [_quote(f) for f in source.features]
    event, created = _ts(source.event_timestamp, "r"), _ts(source.created_timestamp, "r")
    cutoff = f"AND {created} <= ?" if with_cutoff else ""
    semi = (f"""SEMI JOIN b ON {" AND ".join(f"r.{k} = b.{k}" for k in keys)}
                AND epoch_us({event}) // {width} = b.{BUCKET}""" if prune else "")
    return f"""
        WITH b AS (
            SELECT {", ".join(keys)}, epoch_us({TIME}) // {width} - shifts.{BUCKET}_back
                AS {BUCKET}
            FROM {SPINE}, (VALUES (0), (1)) AS shifts({BUCKET}_back)),
        f AS (
            SELECT {", ".join(f"r.{k}" for k in keys)}, {", ".join(f"r.{c}" for c in features)},
                   {event} AS {EVENT_TIME}, {created} AS {CREATED_TIME},
                   struct_pack(e := {event}, known := {created} IS NOT NULL,
                               c := coalesce({created}, TIMESTAMP 'epoch'),
                               o := CAST(r.{_quote(source.order)} AS BIGINT)) AS {ORDER}
            FROM {source.relation} r {semi}
            WHERE {event} IS NOT NULL {cutoff}),
        s AS (
            SELECT {", ".join(keys)}, {TIME}, {ROW},
                   struct_pack(e := {TIME}, known := true, c := TIMESTAMP 'infinity',
                               o := CAST(9223372036854775807 AS BIGINT)) AS {ORDER}
            FROM {SPINE})
        SELECT s.{ROW}, f.{EVENT_TIME}, f.{CREATED_TIME}, {", ".join(f"f.{c}" for c in features)}
        FROM s ASOF JOIN f ON {" AND ".join(f"f.{k} = s.{k}" for k in keys)}
            AND s.{ORDER} >= f.{ORDER}
        WHERE f.{EVENT_TIME} >= s.{TIME} - to_microseconds({width})
    """


def verify_point_in_time(spine: PreparedSpine, matched: pd.DataFrame, *, view: str,
                         ttl: dt.timedelta, created_before: pd.Timestamp | None) -> None:
    """Refuse a join result that breaks the rule, naming the view and the first spine row."""
    rows = matched[ROW].to_numpy()
    times = spine.frame[TIME].to_numpy()[rows]
    event = pd.to_datetime(matched[EVENT_TIME], cache=False).to_numpy()
    created = pd.to_datetime(matched[CREATED_TIME], cache=False).to_numpy()
    checks = [
        (event > times, "a feature value from after the row's time"),
        (event < times - np.timedelta64(ttl), f"a feature value older than the ttl ({ttl})"),
        (pd.Series(rows).duplicated().to_numpy(), "two feature rows for one spine row"),
    ]
    if created_before is not None:
        checks.append((~(created <= np.datetime64(created_before)),
                       f"a feature row created after the as-of cutoff {created_before}"))
    for broken, what in checks:
        if broken.any():
            at = int(np.flatnonzero(broken)[0])
            row = int(rows[at])
            raise PointInTimeError(
                f"point-in-time violation in feature view {view!r}: spine row {row + 1} "
                f"({_describe_keys(spine.frame, spine.keys, row)}, time "
                f"{pd.Timestamp(times[at])}) got {what} (event time {pd.Timestamp(event[at])}, "
                f"created {pd.Timestamp(created[at])}); nothing was returned",
                hint="the retrieval backend broke the point-in-time rule; report it with "
                     "this message")


def attach_features(spine: pd.DataFrame, matched: pd.DataFrame, features: Sequence[str], *,
                    view: str) -> pd.DataFrame:
    """A new frame: the spine as given plus ``features`` aligned to its rows (numbers as float)."""
    clash = [f for f in features if f in spine.columns]
    if clash:
        raise DataError(f"feature {clash[0]!r} of view {view!r} would overwrite a column of "
                        "the same name", hint="rename the column, or request another feature")
    rows = matched[ROW].to_numpy()
    result = spine.copy(deep=False)
    for name in features:
        column = matched[name]
        if ptypes.is_numeric_dtype(column.dtype) and not ptypes.is_bool_dtype(column.dtype):
            values = np.full(len(spine), np.nan)
            values[rows] = column.to_numpy(dtype="float64", na_value=np.nan)
        else:
            values = column.set_axis(rows).reindex(pd.RangeIndex(len(spine))).to_numpy()
        result[name] = values
    return result


def _feature_columns(rows: pd.DataFrame, keys: Sequence[str], event: str, created: str,
                     features: Sequence[str] | None, what: str) -> list[str]:
    """The requested features (default: every column without a role), all present."""
    roles = {*keys, event, created}
    features = list(features or [c for c in rows.columns if c not in roles])
    _require_columns(rows, [*keys, event, created, *features], what)
    return features


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: no column {missing[0]!r} "
                        f"(columns: {', '.join(map(str, frame.columns))})",
                        hint="name the key, time and feature columns as the view defines them")


def _describe_keys(frame: pd.DataFrame, keys: Sequence[str], position: int) -> str:
    return ", ".join(f"{k}={frame[k].iloc[position]}" for k in keys)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ts(column: str, table: str | None = None) -> str:
    """A time column as a UTC TIMESTAMP (zoned values convert; the session zone is UTC)."""
    return f"CAST({table + '.' if table else ''}{_quote(column)} AS TIMESTAMP)"
