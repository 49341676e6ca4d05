"""A scenario's small feature store: views and rows from Gherkin tables, then the real path.

Tables name users (Ada, Bob) and UTC times; :func:`table_frame` turns any of them into a
typed frame. :class:`FeatureLab` writes the rows into the scenario's warehouse, applies
the views to a Feast registry in its workspace and joins through ``retrieve_features``,
exactly as training does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import parse

from mmp.featurestore.definitions import FeatureDefinitions
from mmp.featurestore.join import (
    FEATURE_ROWS,
    PreparedSpine,
    RowSource,
    duckdb_connection,
    join_point_in_time,
    match_latest,
)
from mmp.featurestore.refs import parse_refs
from mmp.featurestore.registry import FeatureRepository, ViewRequest
from mmp.featurestore.retrieval import HistoricalRetrieval, retrieve_features
from mmp.settings import EnvConfig
from mmp.sql.warehouse import open_warehouse

#: Gherkin headings and the columns they become.
COLUMNS = {"user": "user", "user number": "user", "time": "event_timestamp",
           "event time": "event_timestamp", "created time": "created_timestamp"}
TIMES = ("event_timestamp", "created_timestamp")
#: Headings of columns that hold text (besides "user"); "user number" holds numbers.
TEXT_HEADINGS = ("tier",)
TIME_PATTERN = (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"
                r"(?:Z| UTC| ?[+-]\d{2}:\d{2}| [A-Z][A-Za-z_]+/[A-Za-z_]+)?")
_ZONE_NAME = re.compile(r"^(?P<time>\S+ \S+) (?P<zone>[A-Z][A-Za-z_]+/[A-Za-z_]+)$")


@parse.with_pattern(TIME_PATTERN)
def utc_time(text: str) -> pd.Timestamp | None:
    """The ``UtcTime`` step parameter type: :func:`parse_time`."""
    return parse_time(text)


def parse_time(text: str) -> pd.Timestamp | None:
    """``2024-03-01 09:00:00`` (naive: UTC), ``... UTC``, ``...Z``, ``... +01:00`` or
    ``... Europe/Paris``; blank is None."""
    text = text.strip()
    if not text:
        return None
    named = _ZONE_NAME.match(text)
    if named:
        return pd.Timestamp(named["time"]).tz_localize(named["zone"])
    return pd.Timestamp(text.replace(" UTC", "+00:00"))


def table_frame(table) -> pd.DataFrame:
    """A Gherkin table as a typed frame: users as text, times as timestamps (a time column
    holding something else stays text, as written), the rest as numbers; a blank cell is a
    missing value."""
    columns = {}
    for heading in table.headings:
        name = COLUMNS.get(heading, heading)
        cells = [row[heading].strip() for row in table]
        if name in TIMES and not all(not c or re.fullmatch(TIME_PATTERN, c) for c in cells):
            columns[name] = pd.Series(cells, dtype=object)  # as written: not all are times
        elif name in TIMES:
            columns[name] = pd.Series([parse_time(c) for c in cells], dtype=object)
            columns[name] = _one_dtype(columns[name])
        elif heading == "user" or heading in TEXT_HEADINGS:
            columns[name] = pd.Series([c or None for c in cells], dtype=object)
        else:
            numbers = pd.to_numeric(pd.Series([c or None for c in cells], dtype=object))
            columns[name] = numbers
    return pd.DataFrame(columns)


def _one_dtype(times: pd.Series) -> pd.Series:
    """Times with one zone (or none) as a datetime column; a mix stays as objects."""
    zones = {str(t.tzinfo) for t in times if t is not None}
    return times if len(zones) > 1 else pd.to_datetime(times)


@dataclass
class FeatureLab:
    """Views, recorded rows and sessions of one scenario."""

    config: EnvConfig
    #: Each view's features (the first is "its feature") and ttl.
    views: dict[str, tuple[tuple[str, ...], dt.timedelta]] = field(default_factory=dict)
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    sessions: pd.DataFrame | None = None
    backend: HistoricalRetrieval | None = None
    #: The environment as the data scientist joins in it, when not as the tables' owner.
    reader: EnvConfig | None = None
    _repository: FeatureRepository | None = None

    def define(self, view: str, features: tuple[str, ...], ttl: dt.timedelta) -> None:
        self.views[view] = (features, ttl)

    def feature(self, view: str) -> str:
        """The view's (first) feature."""
        return self.views[view][0][0]

    def record(self, view: str, rows: pd.DataFrame) -> None:
        """Rows of a view; without a created time a row was written at its event time."""
        if "created_timestamp" not in rows:
            rows = rows.assign(created_timestamp=rows["event_timestamp"])
        self.rows[view] = rows

    def definitions(self) -> FeatureDefinitions:
        views = {}
        for view, (features, ttl) in self.views.items():
            table = self.table(view)
            kinds = {f: {"i": "int64", "u": "int64", "O": "string"}.get(table[f].dtype.kind,
                                                                       "float64")
                     for f in features}
            views[view] = {"entities": ["user"], "source": view, "ttl": ttl,
                           "features": kinds}
        return FeatureDefinitions.model_validate({
            "entities": {"user": {"join_key": "user", "type": "string"}},
            "feature_views": views})

    def table(self, view: str) -> pd.DataFrame:
        """The view's recorded rows, or an empty table of the same shape."""
        if view in self.rows:
            return self.rows[view]
        empty = pd.Series([], dtype="datetime64[us]")
        return pd.DataFrame({"user": pd.Series([], dtype=object), "event_timestamp": empty,
                             "created_timestamp": empty,
                             **{f: pd.Series([], dtype="float64") for f in self.views[view][0]}})

    def repository(self) -> FeatureRepository:
        """Write the rows to the warehouse and apply the views, as `mmp features apply` does
        (once: a scenario records everything before it joins)."""
        if self._repository is not None:
            return self._repository
        open_warehouse(self.config).replace_tables({v: self.table(v) for v in self.views})
        repository = FeatureRepository(self.reader or self.config, self.definitions())
        repository.apply()
        self._repository = repository
        return repository

    def enrich_in_memory(self, refs: str,
                         created_before: pd.Timestamp | None = None) -> pd.DataFrame:
        """The same join as a pure function over the recorded tables, view after view."""
        frame = self.sessions
        for ref in parse_refs(names(refs)):
            frame = join_point_in_time(frame, self.rows[ref.view], keys=["user"],
                                       ttl=self.views[ref.view][1], features=[ref.feature],
                                       view=ref.view, created_before=created_before)
        return frame

    def enrich(self, refs: str, created_before: pd.Timestamp | None = None) -> pd.DataFrame:
        frame, _ = retrieve_features(self.repository(), self.sessions, parse_refs(names(refs)),
                                     timestamp_column="event_timestamp",
                                     created_before=created_before, backend=self.backend)
        return frame


class LatestValueRetrieval(HistoricalRetrieval):
    """A backend broken on purpose: each user's latest value, whatever the session's time
    (over the scenario's recorded rows, wherever the environment stores them)."""

    name = "latest-value (broken on purpose)"

    def __init__(self, rows: dict[str, pd.DataFrame]) -> None:
        self.rows = rows

    def match(self, spine: PreparedSpine, view: ViewRequest, *,
              created_before: pd.Timestamp | None) -> pd.DataFrame:
        with duckdb_connection() as con:
            con.register(FEATURE_ROWS, self.rows[view.name])
            return match_latest(con, spine, RowSource(
                FEATURE_ROWS, view.join_keys, view.timestamp_field,
                view.created_timestamp_column, "", view.features))


def rows_at_one_moment(count: int, user: str, time: pd.Timestamp, feature: str, *,
                       created_apart: bool) -> pd.DataFrame:
    """``count`` rows of one user at one event time, value n for the n-th created (stored
    in a shuffled order, created n minutes after the event) or the n-th stored (all created
    at the event time)."""
    ranks = np.arange(1, count + 1)
    if created_apart:
        ranks = np.random.default_rng(7).permutation(ranks)
    created = time + pd.to_timedelta(ranks if created_apart else 0, unit="min")
    return pd.DataFrame({"user": [user] * count, "event_timestamp": [time] * count,
                         "created_timestamp": created, feature: ranks.astype("int64")})


def lab_of(context) -> FeatureLab:
    """The scenario's lab, created on first use."""
    if getattr(context, "feature_lab", None) is None:
        context.feature_lab = FeatureLab(context.config_env)
    return context.feature_lab


def names(text: str) -> list[str]:
    """``"a, b and c"`` -> ``["a", "b", "c"]``."""
    return [n.strip() for n in re.split(r",|\band\b", text) if n.strip()]


def table_differences(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """Row-by-row differences over the expected table's columns, naming row and column."""
    if len(expected) != len(actual):
        return [f"{len(actual)} rows instead of {len(expected)}:\n{actual.to_string()}"]
    problems = []
    for column in expected.columns:
        for row, (want, got) in enumerate(zip(expected[column], actual[column], strict=True)):
            if not _same(want, got):
                who = actual["user"].iloc[row] if "user" in actual else row + 1
                problems.append(f"row {row + 1} ({who}), {column}: expected {want}, got {got}")
    return problems


def _same(want: object, got: object) -> bool:
    if pd.isna(want) or pd.isna(got):
        return bool(pd.isna(want) and pd.isna(got))
    if isinstance(want, pd.Timestamp):
        return _utc(want) == _utc(pd.Timestamp(got))
    return bool(np.isclose(float(want), float(got))) if isinstance(want, int | float | np.number) \
        else want == got


def _utc(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
