"""Feature views over the Spark warehouse's tables, as Feast ``SparkSource``s.

Nothing is copied out: each view's source names its Spark table, Feast's Spark offline
store reads it there through mmp's session (materialization,
:mod:`mmp.featurestore.spark_offline`), and historical retrieval runs inside Spark
(:class:`mmp.featurestore.spark_join.SparkPointInTimeJoin` reads a ``SparkSource``'s table).
Selected by ``feature_store.offline_store: spark``
(:func:`mmp.featurestore.stores.offline_sources`).
"""

from __future__ import annotations

import warnings
from typing import Any

from mmp.errors import FeatureStoreError
from mmp.featurestore.definitions import FeatureDefinitions, ViewDef
from mmp.featurestore.stores import OfflineSources
from mmp.settings.config import EnvConfig
from mmp.sql.warehouse import Warehouse


class SparkTables(OfflineSources):
    """Each view reads its table where it lives, in the Spark catalog."""

    def __init__(self, config: EnvConfig) -> None:
        self.config = config

    def feast_config(self) -> Any:
        """Feast's Spark offline store, reading through the Spark warehouse's session (the
        ``spark_conf`` is what Feast would start a session with; it never has to)."""
        from mmp.featurestore.spark_offline import SparkTablesOfflineStoreConfig

        settings = self.config.spark
        return SparkTablesOfflineStoreConfig.of(self.config, {
            "spark.master": settings.master, "spark.sql.session.timeZone": "UTC",
            "spark.sql.warehouse.dir": str(self.config.spark_warehouse_dir), **settings.conf})

    def publish(self, definitions: FeatureDefinitions, warehouse: Warehouse) -> dict[str, int]:
        """Count each view's rows where they are, in the catalog (nothing is exported)."""
        spark = getattr(warehouse, "spark", None)
        if spark is None:
            raise FeatureStoreError(f"feature views over Spark tables need the Spark "
                                    f"warehouse, not {warehouse.describe()}",
                                    hint="run with APP_ENV=spark")
        return {view.source: spark.table(view.source).count()
                for view in definitions.feature_views.values()}

    def source(self, name: str, view: ViewDef) -> Any:
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
            SparkSource,
        )

        with warnings.catch_warnings():  # "experimental feature in alpha development"
            warnings.simplefilter("ignore", RuntimeWarning)
            return SparkSource(name=f"{name}_source", table=view.source,
                               timestamp_field=view.timestamp_field,
                               created_timestamp_column=view.created_timestamp_column)
