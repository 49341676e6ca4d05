"""Feast's Spark offline store, reading the warehouse through mmp's own Spark session.

Feast's ``SparkOfflineStore`` takes the process's active Spark session, or starts a bare
one from its ``spark_conf``. A bare session knows none of the warehouse's tables: every
mmp process names them in its session catalog when it opens the Spark warehouse
(:class:`mmp.sql.spark.SparkWarehouse`), so ``mmp features materialize``, which opens no
warehouse, failed in a new process with ``TABLE_OR_VIEW_NOT_FOUND``. This store opens the
warehouse before Feast reads (mmp's session, in UTC, with its tables registered), refuses a
view whose table the warehouse does not hold, and puts back the one session setting Feast
changes (``spark.sql.parser.quotedRegexColumnNames``), so the process's later queries are
parsed as before. Feast finds the store by its config's class (``...Config`` dropped).

Feast's local materialization engine asks for every row of the window
(``pull_all_from_table_or_query``) and keeps each entity's latest on the driver; with
``materialization_config.pull_latest_features`` it would ask Spark for the latest rows
only (``pull_latest_from_table_or_query``). Both go through this store.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from feast.infra.offline_stores.contrib.spark_offline_store.spark import (
    SparkOfflineStore,
    SparkOfflineStoreConfig,
)
from pydantic import PrivateAttr, StrictStr

from mmp.errors import FeatureStoreError
from mmp.settings.config import EnvConfig
from mmp.sql.spark import SparkWarehouse

#: The session setting Feast turns on whenever it takes a session.
REGEX_NAMES = "spark.sql.parser.quotedRegexColumnNames"

# Feast warns that its Spark support is in alpha on every source it reads and every pull;
# mmp pins Feast and covers what it uses with scenarios, so the lines only hide the output.
warnings.filterwarnings("ignore", r"The spark (data source API|offline store) is an "
                                  r"experimental feature", RuntimeWarning)


class SparkTablesOfflineStoreConfig(SparkOfflineStoreConfig):
    """Feast's Spark offline store config, with the mmp environment whose warehouse it reads."""

    type: StrictStr = "mmp.featurestore.spark_offline.SparkTablesOfflineStore"
    _env: EnvConfig | None = PrivateAttr(None)

    @classmethod
    def of(cls, config: EnvConfig, spark_conf: dict[str, str]) -> SparkTablesOfflineStoreConfig:
        store = cls(spark_conf=spark_conf)
        store._env = config
        return store


class SparkTablesOfflineStore(SparkOfflineStore):
    """Materialization (Feast's pulls) through the Spark warehouse's session."""

    @staticmethod
    def pull_latest_from_table_or_query(config: Any, data_source: Any, *args: Any,
                                        **kwargs: Any) -> Any:
        with _warehouse_session(config, data_source):
            return SparkOfflineStore.pull_latest_from_table_or_query(config, data_source,
                                                                     *args, **kwargs)

    @staticmethod
    def pull_all_from_table_or_query(config: Any, data_source: Any, *args: Any,
                                     **kwargs: Any) -> Any:
        with _warehouse_session(config, data_source):
            return SparkOfflineStore.pull_all_from_table_or_query(config, data_source,
                                                                  *args, **kwargs)


@contextlib.contextmanager
def _warehouse_session(config: Any, data_source: Any) -> Iterator[None]:
    """Open the warehouse (its tables registered) for ``data_source``; afterwards put back
    the setting Feast changes."""
    env = getattr(config.offline_store, "_env", None)
    if env is None:
        raise FeatureStoreError("the Spark offline store was built without its mmp environment",
                                hint="build it with SparkTables(config).feast_config()")
    warehouse = SparkWarehouse(env)
    spark = warehouse.spark
    table = getattr(data_source, "table", None)
    if table and table not in warehouse.tables():
        raise FeatureStoreError(
            f"the table {table!r} of feature source {data_source.name!r} is not in the Spark "
            f"warehouse at {warehouse.folder}",
            hint="seed it (APP_ENV=spark mmp seed) and run `mmp features apply` again")
    before = spark.conf.get(REGEX_NAMES, None)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(REGEX_NAMES)
        else:
            spark.conf.set(REGEX_NAMES, before)
