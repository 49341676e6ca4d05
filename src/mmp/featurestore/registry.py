"""An environment's Feast feature repository: apply definitions, materialize, resolve views.

The Feast registry is a file, ``<workspace>/feature_repo/registry.db``, in every
environment. Where the rows live is the config's choice (:mod:`mmp.featurestore.stores`):
locally each view's offline source is a parquet file exported from the warehouse
(``feature_repo/data/``) and the online store a SQLite file beside the registry; in dev
the views read their PostgreSQL warehouse tables in place and the online store is Redis.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mmp.errors import FeatureStoreError, ServiceUnavailableError
from mmp.featurestore.definitions import FeatureDefinitions, feast_objects, load_definitions
from mmp.featurestore.join import require_ttl
from mmp.featurestore.refs import FeatureRef
from mmp.featurestore.stores import offline_sources, online_store
from mmp.settings.config import EnvConfig
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
    source: Any  # the Feast DataSource the registry names (FileSource, PostgreSQLSource...)

    def __post_init__(self) -> None:
        # a recorded ttl (an artifact's) may be anything; every backend joins a request
        require_ttl(self.ttl, self.name)

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
        self._store: Any = None
        self.root = config.feature_repo_path
        self.registry_path = self.root / "registry.db"
        self.offline = offline_sources(config, self.root / "data", feast_offline_store)
        self.online = online_store(config, self.root)

    @property
    def definitions(self) -> FeatureDefinitions:
        if self._definitions is None:
            self._definitions = load_definitions(self.config.feature_definitions_path,
                                                 os.environ)
        return self._definitions

    def apply(self, warehouse: Warehouse | None = None) -> dict[str, int]:
        """Publish every view's warehouse table to its source (locally: export it), then
        register the definitions; row counts by table."""
        counts = self.offline.publish(self.definitions, warehouse or open_warehouse(self.config))
        sources = {name: self.offline.source(name, view)
                   for name, view in self.definitions.feature_views.items()}
        store = self.store(must_exist=False)
        stale = [v for v in store.list_feature_views() if v.name not in sources]
        store.apply(feast_objects(self.definitions, sources), objects_to_delete=stale,
                    partial=False)
        return counts

    def materialize(self, start: dt.datetime | None = None,
                    end: dt.datetime | None = None) -> list[str]:
        """Load the latest value per entity in [start, end) into the online store."""
        store = self.store()
        self.require_online()
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

        self.root.mkdir(parents=True, exist_ok=True)
        config = RepoConfig(
            project=self.config.feature_store.project, provider="local",
            registry=str(self.registry_path), repo_path=self.root,
            online_store=self.online.feast_config(),
            offline_store=self.offline.feast_config(),
            entity_key_serialization_version=3,
        )
        self._store = FeatureStore(config=config)
        return self._store

    def reconnect(self) -> None:
        """Drop the cached Feast store so the next call opens fresh connections."""
        self._store = None

    def online_location(self) -> str:
        """Where the online store lives, for messages (never with credentials)."""
        return self.online.location()

    def probe_online(self) -> str | None:
        """None when the online store answers within its timeout, else the reason."""
        return self.online.probe()

    def require_online(self) -> None:
        """Refuse, naming the store and the fix, unless the online store answers."""
        reason = self.online.probe()
        if reason is not None:
            raise ServiceUnavailableError(
                self.online.service, self.online_location(), reason, hint=self.online.hint)
