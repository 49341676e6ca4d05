"""An environment's Feast feature repository: apply definitions, materialize, resolve views.

Locally everything lives under ``<workspace>/feature_repo``: the Feast registry
(``registry.db``), the SQLite online store (``online_store.db``) and each view's offline
source, a parquet file exported from the warehouse table the view names (``data/``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mmp.errors import FeatureStoreError
from mmp.featurestore.definitions import FeatureDefinitions, feast_objects, load_definitions
from mmp.featurestore.refs import FeatureRef
from mmp.settings.config import EnvConfig
from mmp.sql.template import Query
from mmp.sql.warehouse import Warehouse, open_warehouse

#: Materialization starts here unless told otherwise: every row is a candidate.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ViewRequest:
    """One feature view as a retrieval backend needs it, read from the Feast registry."""

    name: str
    join_keys: tuple[str, ...]
    ttl: dt.timedelta
    features: tuple[str, ...]
    source: Any  # the Feast DataSource the registry names (a FileSource locally)

    @property
    def timestamp_field(self) -> str:
        return self.source.timestamp_field

    @property
    def created_timestamp_column(self) -> str:
        return self.source.created_timestamp_column


class FeatureRepository:
    """The Feast registry, online store and offline sources of one environment."""

    def __init__(self, config: EnvConfig, definitions: FeatureDefinitions | None = None, *,
                 feast_offline_store: str = "file") -> None:
        self.config = config
        self._definitions = definitions
        self.feast_offline_store = feast_offline_store
        self._store: Any = None
        self.root = config.feature_repo_path
        self.registry_path = self.root / "registry.db"
        self.online_path = self.root / "online_store.db"
        self.data_dir = self.root / "data"

    @property
    def definitions(self) -> FeatureDefinitions:
        if self._definitions is None:
            self._definitions = load_definitions(self.config.feature_definitions_path,
                                                 os.environ)
        return self._definitions

    def apply(self, warehouse: Warehouse | None = None) -> dict[str, int]:
        """Export every view's table from the warehouse, then register the definitions."""
        counts = self.export(warehouse or open_warehouse(self.config))
        sources = {name: self.source_path(view.source)
                   for name, view in self.definitions.feature_views.items()}
        store = self.store(must_exist=False)
        stale = [v for v in store.list_feature_views() if v.name not in sources]
        store.apply(feast_objects(self.definitions, sources), objects_to_delete=stale,
                    partial=False)
        return counts

    def export(self, warehouse: Warehouse) -> dict[str, int]:
        """Write each view's warehouse table to its parquet source, atomically; row counts."""
        counts = {}
        for view in self.definitions.feature_views.values():
            frame = warehouse.fetch(Query(f'SELECT * FROM "{view.source}"',
                                          dialect=warehouse.dialect))
            path = self.source_path(view.source)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            counts[view.source] = len(frame)
        return counts

    def materialize(self, start: dt.datetime | None = None,
                    end: dt.datetime | None = None) -> list[str]:
        """Load the latest value per entity in [start, end) into the online store."""
        store = self.store()
        with contextlib.redirect_stdout(io.StringIO()):  # Feast prints progress bars
            store.materialize(start_date=start or EARLIEST,
                              end_date=end or dt.datetime.now(dt.UTC))
        return [v.name for v in store.list_feature_views()]

    def view_requests(self, refs: Sequence[FeatureRef],
                      ttl_seconds: Mapping[str, float] | None = None) -> list[ViewRequest]:
        """The registered views the references name, in first-mention order.

        ``ttl_seconds`` (view -> seconds, as an artifact records them) overrides the
        registry's ttl so a trained model is always joined as it was trained.
        """
        from feast.errors import FeatureViewNotFoundException

        store = self.store()
        wanted: dict[str, list[str]] = {}
        for ref in refs:
            wanted.setdefault(ref.view, []).append(ref.feature)
        requests = []
        for name, features in wanted.items():
            try:
                view = store.get_feature_view(name)
            except FeatureViewNotFoundException:
                raise FeatureStoreError(
                    f"feature view {name!r} is not in the registry at {self.registry_path}",
                    hint="define it in the feature definitions and run `mmp features apply`",
                ) from None
            known = [f.name for f in view.features]
            unknown = [f for f in features if f not in known]
            if unknown:
                raise FeatureStoreError(
                    f"feature view {name!r} has no feature {unknown[0]!r}",
                    hint=f"features of {name}: {', '.join(known)}")
            ttl = dt.timedelta(seconds=(ttl_seconds or {}).get(name, view.ttl.total_seconds()))
            requests.append(ViewRequest(name, tuple(view.join_keys), ttl, tuple(features),
                                        view.batch_source))
        return requests

    def feast_reference(self, spine: pd.DataFrame, refs: Sequence[FeatureRef]) -> pd.DataFrame:
        """Feast's own ``get_historical_features`` over this registry: the reference mmp's
        join is compared with (the file offline store may drop and reorder rows)."""
        job = self.store().get_historical_features(entity_df=spine,
                                                   features=[str(r) for r in refs])
        return job.to_df()

    def store(self, must_exist: bool = True) -> Any:
        """The Feast ``FeatureStore`` of this repository (imports Feast on first use)."""
        if self._store is not None:
            return self._store
        if must_exist and not self.registry_path.is_file():
            raise FeatureStoreError(f"no feature registry at {self.registry_path}",
                                    hint="run `mmp features apply` first")
        os.environ.setdefault("FEAST_USAGE", "False")
        from feast import FeatureStore, RepoConfig
        from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig

        self.root.mkdir(parents=True, exist_ok=True)
        config = RepoConfig(
            project=self.config.feature_store.project, provider="local",
            registry=str(self.registry_path), repo_path=self.root,
            online_store=SqliteOnlineStoreConfig(path=str(self.online_path)),
            offline_store={"type": self.feast_offline_store},
            entity_key_serialization_version=3,
        )
        self._store = FeatureStore(config=config)
        return self._store

    def source_path(self, table: str) -> Path:
        return self.data_dir / f"{table}.parquet"
