"""Historical retrieval: one interface, one class per backend, selected by config."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
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
                                hint="select the entity key column in the SQL template")
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


#: Backends by ``feature_store.offline_store``.
BACKENDS: dict[str, type[HistoricalRetrieval]] = {"duckdb": DuckDBRetrieval}


def retrieval_backend(config: EnvConfig) -> HistoricalRetrieval:
    return BACKENDS[config.feature_store.offline_store]()


def retrieve_features(
    repository: FeatureRepository, spine: pd.DataFrame, refs: Sequence[FeatureRef], *,
    timestamp_column: str, created_before: dt.datetime | str | None = None,
    ttl_seconds: Mapping[str, float] | None = None,
    backend: HistoricalRetrieval | None = None,
) -> tuple[pd.DataFrame, list[ViewRequest]]:
    """The spine with the referenced features joined point-in-time, and the views used.

    The one path from a spine to features: training, batch inference and
    ``mmp features retrieve`` all come through here.
    """
    views = repository.view_requests(refs, ttl_seconds)
    backend = backend or retrieval_backend(repository.config)
    frame = backend.retrieve(spine, views, timestamp_column=timestamp_column,
                             created_before=created_before)
    return frame, views
