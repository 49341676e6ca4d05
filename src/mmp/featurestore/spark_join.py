"""The point-in-time join inside Spark, partitioned by entity, in n log n.

The rule is the local engine's (:mod:`mmp.featurestore.join`): for a spine row (keys k,
time t) a view's features come from the row with keys k whose event time is the greatest
with ``t - ttl <= event time <= t``; a tie goes to the greatest created time (unknown
last), then to the row stored last; with an as-of cutoff, rows created after it do not
exist. No such row gives nulls. Every spine row is kept, in order.

How, with no all-pairs join: the feature rows and the spine rows are put in one relation
and shuffled by the keys (each entity's rows meet in one partition); within an entity they
are sorted by (time, feature rows before spine rows, created time known, created time,
stored position), so the best candidate of a spine row is the last feature row before it.
A window ``last(row, ignorenulls)`` from the partition's start carries that row forward
to every spine row; one older than the ttl is dropped. Shuffle: every spine and feature
row once, by key; sort: n log n within each entity. An entity with very many rows is one
large partition (it is sorted, not paired).

"Stored last" is the row's position in its Parquet files (file name, then row index in
the file), the order in which ``mmp seed`` wrote them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mmp.errors import DataError, FeatureStoreError
from mmp.featurestore.join import CREATED_TIME, EVENT_TIME, ORDER, ROW, TIME, PreparedSpine
from mmp.featurestore.registry import ViewRequest
from mmp.featurestore.retrieval import HistoricalRetrieval
from mmp.settings.config import EnvConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KIND = "__mmp_kind"
KNOWN = "__mmp_created_known"
CREATED = "__mmp_created_or_epoch"
PICK = "__mmp_pick"
FILE = "__mmp_file"
FILE_ROW = "__mmp_file_row"


def match_in_spark(spine: DataFrame, rows: DataFrame, *, keys: Sequence[str],
                   event_timestamp: str, created_timestamp: str, order: Sequence[str],
                   features: Sequence[str], ttl: dt.timedelta,
                   created_before: pd.Timestamp | None) -> DataFrame:
    """For each spine row (``keys``, ``TIME``, ``ROW``) with a qualifying feature row, that
    row: ``ROW``, ``EVENT_TIME``, ``CREATED_TIME`` and ``features`` (a lazy DataFrame).

    ``order`` are columns of ``rows`` that sort them in the order they are stored.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    event = F.col(event_timestamp).cast("timestamp")
    created = F.col(created_timestamp).cast("timestamp")
    candidates = rows.where(event.isNotNull())
    if created_before is not None:
        candidates = candidates.where(created <= F.lit(created_before.to_pydatetime()))
    feature_side = candidates.select(
        *[F.col(k) for k in keys], event.alias(TIME), F.lit(0).alias(KIND),
        created.isNotNull().alias(KNOWN),
        F.coalesce(created, F.lit(dt.datetime(1970, 1, 1))).alias(CREATED),
        *[F.col(c).alias(f"{ORDER}{i}") for i, c in enumerate(order)],
        F.struct(event.alias(EVENT_TIME), created.alias(CREATED_TIME),
                 *[F.col(f) for f in features]).alias(PICK),
        F.lit(None).cast("long").alias(ROW))
    pick_type = feature_side.schema[PICK].dataType
    key_types = {k: rows.schema[k].dataType for k in keys}
    spine_side = spine.select(
        *[F.col(k).cast(key_types[k]).alias(k) for k in keys],
        F.col(TIME).cast("timestamp").alias(TIME), F.lit(1).alias(KIND),
        F.lit(True).alias(KNOWN), F.lit(None).cast("timestamp").alias(CREATED),
        *[F.lit(None).cast(rows.schema[c].dataType).alias(f"{ORDER}{i}")
          for i, c in enumerate(order)],
        F.lit(None).cast(pick_type).alias(PICK),
        F.col(ROW).cast("long").alias(ROW))
    before = (Window.partitionBy(*keys)
              .orderBy(TIME, KIND, KNOWN, CREATED, *[f"{ORDER}{i}" for i in range(len(order))])
              .rowsBetween(Window.unboundedPreceding, Window.currentRow))
    carried = (feature_side.unionByName(spine_side)
               .withColumn(PICK, F.last(PICK, ignorenulls=True).over(before))
               .where(F.col(KIND) == 1))
    ttl_us = int(ttl / dt.timedelta(microseconds=1))
    fresh = F.unix_micros(F.col(TIME)) - F.unix_micros(F.col(f"{PICK}.{EVENT_TIME}"))
    return (carried.where(F.col(PICK).isNotNull() & (fresh <= ttl_us))
            .select(ROW, f"{PICK}.*"))


def stored_rows(spark: SparkSession, view: ViewRequest) -> DataFrame:
    """A view's feature rows as Spark reads them, with their stored position
    (:data:`STORED_ORDER`: file name, row index in the file).

    The source is the Spark table a ``SparkSource`` names, or the Parquet file or folder a
    ``FileSource`` names.
    """
    from pyspark.sql import functions as F

    source = view.source
    table, path = getattr(source, "table", None), getattr(source, "path", None)
    if table:
        frame = spark.table(table)
    elif path and Path(path).exists():
        frame = spark.read.parquet(str(path))
    else:
        raise FeatureStoreError(f"the source of feature view {view.name!r} is neither a Spark "
                                f"table nor a Parquet file: {table or path or source}",
                                hint="run `mmp features apply` in this environment")
    return (frame.withColumn(FILE, F.col("_metadata.file_name"))
            .withColumn(FILE_ROW, F.col("_metadata.row_index")))


#: The columns :func:`stored_rows` adds, which sort rows as they are stored.
STORED_ORDER = (FILE, FILE_ROW)


class SparkPointInTimeJoin(HistoricalRetrieval):
    """Historical retrieval in Spark: the spine goes to Spark, only chosen rows come back."""

    name = "spark"

    def __init__(self, config: EnvConfig) -> None:
        self.config = config

    @property
    def spark(self) -> SparkSession:
        from mmp.sql.spark import SparkWarehouse

        return SparkWarehouse(self.config).spark

    def match(self, spine: PreparedSpine, view: ViewRequest, *,
              created_before: pd.Timestamp | None) -> pd.DataFrame:
        from pyspark.errors import PySparkException

        spark = self.spark
        columns = [*view.join_keys, TIME, ROW]
        try:
            rows = stored_rows(spark, view)
            matched = match_in_spark(
                spark.createDataFrame(spine.frame[columns]), rows, keys=view.join_keys,
                event_timestamp=view.timestamp_field,
                created_timestamp=view.created_timestamp_column, order=STORED_ORDER,
                features=view.features, ttl=view.ttl, created_before=created_before)
            frame = matched.toPandas()
        except PySparkException as exc:
            raise DataError(
                f"the point-in-time join of feature view {view.name!r} failed in Spark: "
                f"{str(exc).strip().splitlines()[0]}",
                hint=f"the rows' key columns ({', '.join(view.join_keys)}) must hold the "
                     "same type of value as the view's join keys") from None
        for name in (EVENT_TIME, CREATED_TIME):
            frame[name] = frame[name].astype("datetime64[us]")
        return frame
