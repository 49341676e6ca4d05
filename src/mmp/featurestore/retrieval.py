"""Historical retrieval: one interface, one class per backend, selected by config.

``feature_store.offline_store`` picks the backend from :data:`BACKENDS`: ``duckdb``
(local: in-process DuckDB over the parquet files ``mmp features apply`` exports) or
``postgres`` (dev: the join runs inside PostgreSQL, where the tables live; see
:mod:`mmp.featurestore.postgres_join`). Every backend is held to the same rule by
:meth:`HistoricalRetrieval.retrieve`, which checks each answer before using it.

Plugging in a warehouse that outgrows one machine (Feast's Spark, BigQuery or Snowflake
offline stores) takes three pieces, none of them outside this package:

1. an :class:`~mmp.featurestore.stores.OfflineSources` whose ``source`` registers each view
   over its table as that store's Feast source (``SparkSource``, ``BigQuerySource``,
   ``SnowflakeSource``) and whose ``feast_config`` is the store's Feast config, so the
   registry describes the views and ``mmp features materialize`` works through Feast;
2. a :class:`HistoricalRetrieval` subclass whose ``match`` sends the spine's keys, times and
   positions to the engine (a temporary table or a staged file) and runs the query of
   :func:`mmp.featurestore.postgres_join.point_in_time_sql` in its dialect: a join on the
   keys and the time window, then the top row per spine position by event time, created
   time and a stable row order; it returns only the chosen rows;
3. an entry in :data:`BACKENDS` and the name in ``FeatureStoreConfig.offline_store``.

Feast's own ``get_historical_features`` is not used as a backend: depending on the store
it drops spine rows, merges duplicates or loses their order (``benchmarks/pit_join.py``).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mmp.errors import DataError, FeatureStoreError
from mmp.featurestore.join import (
    FEATURE_ROWS,
    PreparedSpine,
    RowSource,
    attach_features,
    duckdb_connection,
    match_rows,
    prepare_spine,
    utc_timestamp,
    verify_point_in_time,
)
from mmp.featurestore.refs import FeatureRef
from mmp.featurestore.registry import FeatureRepository, ViewRequest
from mmp.settings.config import EnvConfig


class HistoricalRetrieval(ABC):
    """Joins feature values to the rows of a spine as they were known at each row's time.

    The rule every backend keeps: for a spine row with keys k and time t, a view's
    features come from the row with keys k whose event time is the greatest with
    ``t - ttl <= event time <= t``; a tie goes to the greatest created time, then to the
    row stored last. No such row gives nulls. With ``created_before``, rows created after
    it do not exist (a training set is rebuilt as it was known then). Every spine row is
    returned, in order, duplicates included, with the spine's own columns untouched.
    Times compare in UTC (naive means UTC); a spine row without a time or key is refused.

    Backends implement :meth:`match` only; :meth:`retrieve` checks each backend's answer
    against the rule and refuses a result that breaks it, whichever backend produced it.
    """

    name: str

    def retrieve(self, spine: pd.DataFrame, views: Sequence[ViewRequest], *,
                 timestamp_column: str,
                 created_before: dt.datetime | str | None = None) -> pd.DataFrame:
        """A new frame: ``spine`` plus every requested feature, row for row."""
        keys: list[str] = []
        for view in views:
            missing = [k for k in view.join_keys if k not in spine.columns]
            if missing:
                raise DataError(f"the rows have no column {missing[0]!r}, the join key of "
                                f"feature view {view.name!r}",
                                hint="give the rows that column: select it in the SQL "
                                     "template, or add it to the spine file")
            keys += [k for k in view.join_keys if k not in keys]
        prepared = prepare_spine(spine, keys, timestamp_column)
        cutoff = utc_timestamp(created_before)
        result = spine
        for view in views:
            matched = self.match(prepared, view, created_before=cutoff)
            verify_point_in_time(prepared, matched, view=view.name, ttl=view.ttl,
                                 created_before=cutoff)
            result = attach_features(result, matched, view.features, view=view.name)
        return result

    @abstractmethod
    def match(self, spine: PreparedSpine, view: ViewRequest, *,
              created_before: pd.Timestamp | None) -> pd.DataFrame:
        """The qualifying feature row of each spine row that has one, in any order.

        Columns: ``join.ROW`` (the spine row's position), ``join.EVENT_TIME`` and
        ``join.CREATED_TIME`` of the chosen row, then the view's requested features.
        """


class DuckDBRetrieval(HistoricalRetrieval):
    """In-process DuckDB over the parquet file a view's FileSource names (local default)."""

    name = "duckdb"

    def match(self, spine: PreparedSpine, view: ViewRequest, *,
              created_before: pd.Timestamp | None) -> pd.DataFrame:
        path = Path(getattr(view.source, "path", "") or "")
        if not path.is_file():
            raise FeatureStoreError(
                f"the source of feature view {view.name!r} is not a parquet file: "
                f"{path if path.name else type(view.source).__name__}",
                hint="run `mmp features apply` to export it from the warehouse")
        source = RowSource(FEATURE_ROWS, view.join_keys, view.timestamp_field,
                           view.created_timestamp_column, "file_row_number", view.features)
        with duckdb_connection() as con:
            con.read_parquet(str(path), file_row_number=True).create_view(FEATURE_ROWS)
            return match_rows(con, spine, source, ttl=view.ttl, created_before=created_before,
                              view=view.name)


def _postgres(config: EnvConfig) -> HistoricalRetrieval:
    from mmp.featurestore.postgres_join import PostgresPointInTimeJoin

    return PostgresPointInTimeJoin(config.warehouse_dsn, config.warehouse.connect_timeout_seconds)


def _spark(config: EnvConfig) -> HistoricalRetrieval:
    from mmp.featurestore.spark_join import SparkPointInTimeJoin

    return SparkPointInTimeJoin(config)


#: Backends by ``feature_store.offline_store``: each builds its retrieval from the config.
BACKENDS: dict[str, Callable[[EnvConfig], HistoricalRetrieval]] = {
    "duckdb": lambda _config: DuckDBRetrieval(),
    "postgres": _postgres,
    "spark": _spark,
}


def retrieval_backend(config: EnvConfig) -> HistoricalRetrieval:
    return BACKENDS[config.feature_store.offline_store](config)


@dataclass(frozen=True)
class FeatureJoin:
    """The views some references need and the backend joining them, looked up once.

    Call it with a spine; chunks of one spine can be joined one at a time, since each
    row's features depend on that row alone.
    """

    views: list[ViewRequest]
    backend: HistoricalRetrieval
    timestamp_column: str
    created_before: dt.datetime | str | None = None

    def __call__(self, spine: pd.DataFrame) -> pd.DataFrame:
        return self.backend.retrieve(spine, self.views, timestamp_column=self.timestamp_column,
                                     created_before=self.created_before)


def feature_join(
    repository: FeatureRepository, refs: Sequence[FeatureRef], *, timestamp_column: str,
    created_before: dt.datetime | str | None = None,
    ttl_seconds: Mapping[str, float] | None = None,
    backend: HistoricalRetrieval | None = None,
) -> FeatureJoin:
    """The join of ``refs`` point-in-time: the one path from a spine to features.

    Training, batch inference and ``mmp features retrieve`` all come through here.
    """
    return FeatureJoin(repository.view_requests(refs, ttl_seconds),
                       backend or retrieval_backend(repository.config), timestamp_column,
                       created_before)


def retrieve_features(
    repository: FeatureRepository, spine: pd.DataFrame, refs: Sequence[FeatureRef], *,
    timestamp_column: str, created_before: dt.datetime | str | None = None,
    ttl_seconds: Mapping[str, float] | None = None,
    backend: HistoricalRetrieval | None = None,
) -> tuple[pd.DataFrame, list[ViewRequest]]:
    """The spine with the referenced features joined point-in-time, and the views used."""
    join = feature_join(repository, refs, timestamp_column=timestamp_column,
                        created_before=created_before, ttl_seconds=ttl_seconds, backend=backend)
    return join(spine), join.views
