"""Batch inference in Spark: rows, features and scores stay on the executors.

The artifact's own template is rendered for the ``spark`` dialect and run as a Spark
DataFrame; each feature view is joined point-in-time inside Spark
(:func:`mmp.featurestore.spark_join.match_in_spark`); ``mapInPandas`` then hands each
executor's Arrow batches to the same code local batch inference runs on a chunk
(:func:`mmp.pipelines.batch.score_chunk`: schema check, scorable numbers, the model's
predictions), after the same point-in-time check (:func:`verify_point_in_time`) on the
batch's matches. Nothing but counts and a small sample comes back to the driver.

The predictions are written as Parquet partitioned by the date of each row's time into
``.<name>.<pid>.tmp/`` beside the destination, which is renamed over the destination only
when the whole job succeeded: a failed task fails the job, the temporary folder is
removed and the destination is left as it was. Progress: the tasks done of each stage.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmp.artifact import registry
from mmp.artifact.metadata import ArtifactMetadata
from mmp.artifact.registry import LoadedModel
from mmp.artifact.store import ModelStore
from mmp.errors import DataError
from mmp.featurestore.join import (
    CREATED_TIME,
    EVENT_TIME,
    ROW,
    TIME,
    PreparedSpine,
    verify_point_in_time,
)
from mmp.featurestore.refs import parse_refs
from mmp.featurestore.registry import FeatureRepository, ViewRequest
from mmp.featurestore.spark_join import STORED_ORDER, match_in_spark, stored_rows
from mmp.pipelines.batch import BatchResult, _process_alive, default_output, score_chunk
from mmp.pipelines.loading import check_rows, no_rows
from mmp.pipelines.rows import row_query
from mmp.settings.config import EnvConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The partition column of the written predictions: the date (UTC) of each row's time.
PARTITION = "date"
SAMPLE_ROWS = 20


def spark_batch_inference(config: EnvConfig, model_uri: str, supplied: Mapping[str, Any],
                          out: Path | None = None,
                          progress: Callable[[str], None] | None = None) -> BatchResult:
    """Score in Spark the rows the stored template selects for ``supplied``; write them
    as partitioned Parquet atomically."""
    say = progress or (lambda _msg: None)
    store = ModelStore.checked(config)
    model = registry.load(store, model_uri)
    metadata, run_id = model.metadata, model.ref.run_id
    interface = metadata.data_interface
    rows = row_query(config, metadata.recipe, metadata.template_text, metadata.template_name,
                     supplied, with_target=False)
    spark: SparkSession = rows.warehouse.spark  # type: ignore[attr-defined]
    data = rows.warehouse.frame(rows.query)  # type: ignore[attr-defined]
    check_rows(data.limit(0).toPandas(), interface, with_target=False,
               template_name=metadata.template_name)
    say(f"counting rows in {rows.source}")
    total = data.count()
    if total == 0:
        raise no_rows(rows.query, metadata.template_name)
    views = (FeatureRepository(config).view_requests(parse_refs(metadata.feature_refs),
                                                     metadata.feature_ttl_seconds)
             if metadata.feature_refs else [])
    spine = with_features(spark, data, views, interface.timestamp_column)
    path = Path(out or default_output(config, run_id, rows.values))
    scorer = functools.partial(score_batches, model, metadata, views, total=total, path=path)
    sample = pd.concat(list(scorer(iter([spine.limit(SAMPLE_ROWS).toPandas()]))))
    schema = spark.createDataFrame(sample).schema
    say(f"scoring {total} rows with run {run_id} on the executors "
        f"({spark.sparkContext.master})")
    ts = interface.timestamp_column
    scored = (spine.orderBy(ROW).mapInPandas(scorer, schema).drop(ROW)
              .withColumn(PARTITION, _date(ts))
              .withColumn(ts, _naive_utc(ts)))
    with atomic_folder(path) as tmp, _stage_progress(spark, say):
        try:
            scored.write.partitionBy(PARTITION).parquet(str(tmp))
        except Exception as exc:  # a task failed: py4j or a PythonException from a worker
            raise executor_error(exc, path) from None
    entities = (spark.read.parquet(str(path)).select(*interface.entity_columns)
                .distinct().count())
    say(f"scored {total}/{total} rows")
    return BatchResult(run_id=run_id, path=path, rows=total, entities=entities)


def with_features(spark: SparkSession, data: DataFrame, views: Sequence[ViewRequest],
                  timestamp_column: str) -> DataFrame:
    """``data`` with a row id, its UTC time and each view's features joined point-in-time
    (and the chosen rows' event and created times, checked on the executors)."""
    from pyspark.sql import functions as F

    # The row ids are fixed once (a local checkpoint, kept by the executors): recomputing
    # monotonically_increasing_id after the query's sort could number rows differently on
    # the two sides of a join. (On a cluster that may lose executors, checkpoint() to
    # reliable storage instead.)
    spine = (data.withColumn(ROW, F.monotonically_increasing_id())
             .withColumn(TIME, F.col(timestamp_column).cast("timestamp")))
    spine = spine.localCheckpoint(eager=True)
    for index, view in enumerate(views):
        missing = [k for k in view.join_keys if k not in data.columns]
        if missing:
            raise DataError(f"the rows have no column {missing[0]!r}, the join key of "
                            f"feature view {view.name!r}",
                            hint="select that column in the SQL template")
        matched = match_in_spark(
            spine.select(*view.join_keys, TIME, ROW), stored_rows(spark, view),
            keys=view.join_keys, event_timestamp=view.timestamp_field,
            created_timestamp=view.created_timestamp_column, order=STORED_ORDER,
            features=view.features, ttl=view.ttl, created_before=None)
        matched = (matched.withColumnRenamed(EVENT_TIME, f"{EVENT_TIME}{index}")
                   .withColumnRenamed(CREATED_TIME, f"{CREATED_TIME}{index}"))
        spine = spine.join(matched, ROW, "left")
    return spine


def score_batches(model: LoadedModel, metadata: ArtifactMetadata, views: Sequence[ViewRequest],
                  batches: Iterator[pd.DataFrame], *, total: int,
                  path: Path) -> Iterator[pd.DataFrame]:
    """On an executor: check each batch's feature matches, score it, keep keys and scores."""
    keys = metadata.data_interface.key_columns
    for batch in batches:
        batch = batch.reset_index(drop=True)
        for index, view in enumerate(views):
            _verify(batch, view, index, metadata.data_interface.timestamp_column)
            for name in view.features:
                column = batch[name]
                if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
                        column):
                    batch[name] = column.astype("float64")
        batch = batch.drop(columns=[TIME, *[f"{c}{i}" for i in range(len(views))
                                            for c in (EVENT_TIME, CREATED_TIME)]])
        times = batch[metadata.data_interface.timestamp_column]
        if times.dtype.kind == "M":
            batch[metadata.data_interface.timestamp_column] = times.astype("datetime64[us]")
        first = int(batch[ROW].min()) if len(batch) else 0
        scored = score_chunk(model, metadata, batch.drop(columns=[ROW]), first=first,
                             total=total, path=path)
        scored[ROW] = batch[ROW].to_numpy()
        yield scored[[*keys, *[c for c in scored.columns if c not in (*keys, ROW)], ROW]]


def _verify(batch: pd.DataFrame, view: ViewRequest, index: int, timestamp_column: str) -> None:
    """The local engine's point-in-time check on one batch's matches of ``view``."""
    event = batch[f"{EVENT_TIME}{index}"]
    chosen = np.flatnonzero(event.notna().to_numpy())
    frame = batch[list(view.join_keys)].copy()
    frame[TIME] = batch[TIME].astype("datetime64[us]").to_numpy()
    frame[ROW] = np.arange(len(batch), dtype="int64")
    matched = pd.DataFrame({ROW: chosen, EVENT_TIME: event.to_numpy()[chosen],
                            CREATED_TIME: batch[f"{CREATED_TIME}{index}"].to_numpy()[chosen]})
    verify_point_in_time(PreparedSpine(frame, view.join_keys, timestamp_column), matched,
                         view=view.name, ttl=view.ttl, created_before=None)


def _date(column: str) -> Any:
    from pyspark.sql import functions as F

    return F.to_date(F.col(column)).cast("string")


def _naive_utc(column: str) -> Any:
    """Times written as naive UTC, as local batch inference writes them."""
    from pyspark.sql import functions as F

    return F.col(column).cast("timestamp_ntz")


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """A temporary folder beside ``path`` that replaces it only if the block succeeds.

    On any error the folder is removed and ``path`` is untouched; folders that killed
    processes left beside ``path`` are swept first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        pid = stale.name[len(path.name) + 2:-len(".tmp")]
        if pid.isdigit() and not _process_alive(int(pid)):
            _remove(stale)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    _remove(tmp)
    try:
        yield tmp
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


_MMP_ERROR = re.compile(r"mmp\.errors\.\w+: (.+)")


def executor_error(exc: BaseException, path: Path) -> DataError:
    """A failed Spark job as one message: the mmp error a task raised, if it was one."""
    text = str(exc)
    found = _MMP_ERROR.findall(text)
    reason = found[-1] if found else (text.strip().splitlines() or [type(exc).__name__])[0]
    return DataError(f"scoring failed on an executor: {reason}",
                     hint=f"nothing was written to {path}; fix the rows named above in the "
                          "warehouse (or retrain on data with the new schema) and score again")


@contextlib.contextmanager
def _stage_progress(spark: SparkSession, say: Callable[[str], None],
                    every: float = 2.0) -> Iterator[None]:
    """Report the finished tasks of each running stage every ``every`` seconds."""
    tracker = spark.sparkContext.statusTracker()
    done = threading.Event()

    def watch() -> None:
        shown: dict[int, int] = {}
        while not done.wait(every):
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None and shown.get(stage_id) != info.numCompletedTasks:
                    shown[stage_id] = info.numCompletedTasks
                    say(f"stage {stage_id}: {info.numCompletedTasks}/{info.numTasks} tasks done")

    thread = threading.Thread(target=watch, name="mmp-spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=every + 1)
