"""The Spark warehouse: Spark SQL over Parquet tables in a Spark catalog.

Each table is a Parquet folder ``<warehouse_dir>/<table>/`` (``spark.sql.warehouse.dir``
under the workspace by default), registered in the session's catalog under its name when
the warehouse is opened, so a new process (every ``mmp`` command starts its own local
Spark) sees the tables the last ``mmp seed`` wrote. A cluster with a shared Hive metastore
would keep that registration itself (``spark.sql.catalogImplementation: hive`` in
``warehouse.spark.conf``).

Queries are the guarded templates rendered for the ``spark`` dialect: one read-only
SELECT whose values are Spark SQL named parameters (``:start_date``), passed beside the
text as ``spark.sql(sql, args=...)``. Spark SQL has no read-only session; the guard's
single-SELECT check is what keeps a query from writing.

Rows come back to the driver only through :meth:`fetch` (training), bounded by
``warehouse.spark.collect_max_rows``; batch inference keeps them in Spark
(:meth:`frame`). Timestamps compare and come back in UTC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pyspark.errors import PySparkException

from mmp.errors import DataError
from mmp.settings.config import EnvConfig
from mmp.spark_session import spark_session
from mmp.sql.template import Query, quote_identifier
from mmp.sql.warehouse import Warehouse, count_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class SparkWarehouse(Warehouse):
    """Spark SQL over the Parquet tables of one warehouse folder."""

    dialect = "spark"
    driver_error = PySparkException

    def __init__(self, config: EnvConfig) -> None:
        self.config = config
        self.folder = config.spark_warehouse_dir
        self.collect_max_rows = config.spark.collect_max_rows
        self._session: SparkSession | None = None

    def describe(self) -> str:
        return f"spark:{self.config.spark.master} ({self.folder})"

    @property
    def spark(self) -> SparkSession:
        """The session, with this folder's tables registered in its catalog."""
        if self._session is None:
            self._session = spark_session(self.config)
            self._register(self._session)
        return self._session

    def tables(self) -> list[str]:
        """The tables the folder holds (one Parquet folder each)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_dir() and not p.name.startswith((".", "_")))

    def frame(self, query: Query) -> DataFrame:
        """The query as a Spark DataFrame (lazy: nothing runs until it is used)."""
        spark = self.spark
        if not self.tables():
            raise DataError(f"no tables in the Spark warehouse at {self.folder}",
                            hint="seed it with `APP_ENV=spark mmp seed`")
        with self._failures():
            return spark.sql(query.sql, args=dict(query.params))

    def fetch(self, query: Query) -> pd.DataFrame:
        """Every row on the driver; refused beyond ``collect_max_rows``."""
        with self._failures():
            frame = self.frame(query).limit(self.collect_max_rows + 1).toPandas()
        if len(frame) > self.collect_max_rows:
            raise DataError(
                f"the query selects more than {self.collect_max_rows} rows, the most the "
                "Spark environment collects to one machine (warehouse.spark.collect_max_rows)",
                hint="narrow the date window, sample in the template (TABLESAMPLE "
                     "(10 PERCENT)), or raise warehouse.spark.collect_max_rows if the driver "
                     "has the memory; batch inference has no such bound")
        return local_frame(frame)

    def count(self, query: Query) -> int:
        with self._failures():
            return int(self.spark.sql(count_sql(query.sql), args=dict(query.params))
                       .collect()[0][0])

    @contextlib.contextmanager
    def stream(self, query: Query, rows: int) -> Iterator[Iterator[pd.DataFrame]]:
        """Frames of ``rows`` rows, one Spark partition at a time on the driver."""
        data = self.frame(query)
        yield self._frames(data, rows)

    def _frames(self, data: DataFrame, rows: int) -> Iterator[pd.DataFrame]:
        columns = data.columns
        held: list[Any] = []
        with self._failures():
            for row in data.toLocalIterator(prefetchPartitions=True):
                held.append(tuple(row))
                if len(held) == rows:
                    yield local_frame(pd.DataFrame.from_records(held, columns=columns))
                    held = []
        if held:
            yield local_frame(pd.DataFrame.from_records(held, columns=columns))

    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Write every table to a staging folder, then swap the folders in.

        A failure while writing leaves the warehouse as it was; the swap itself is one
        rename per table.
        """
        spark = spark_session(self.config)
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".staging-{os.getpid()}"
        trash = self.folder / f".replaced-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with self._failures():
                for name, frame in tables.items():
                    spark.createDataFrame(frame).write.parquet(str(staging / name))
            trash.mkdir(exist_ok=True)
            for name in tables:
                if (self.folder / name).exists():
                    os.replace(self.folder / name, trash / name)
                os.replace(staging / name, self.folder / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(trash, ignore_errors=True)
        self._session = spark
        self._register(spark)

    def _register(self, spark: SparkSession) -> None:
        """Name each table of the folder in the session's catalog (external Parquet)."""
        for name in self.tables():
            table = quote_identifier(name, "spark")
            location = str(self.folder / name).replace("\\", "\\\\").replace("'", "\\'")
            with self._failures():
                spark.sql(f"DROP TABLE IF EXISTS {table}")
                spark.sql(f"CREATE TABLE {table} USING parquet LOCATION '{location}'")


def local_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A collected frame with the dtypes the other warehouses give (times as naive UTC µs)."""
    for name in frame.columns:
        if frame[name].dtype.kind == "M":
            frame[name] = frame[name].astype("datetime64[us]")
    return frame


def table_path(config: EnvConfig, name: str) -> Path:
    """The Parquet folder of table ``name``."""
    return config.spark_warehouse_dir / name
