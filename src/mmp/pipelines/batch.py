"""Batch inference: the artifact's own template, new params, one atomic parquet file.

Rows stream from the warehouse in bounded chunks; each chunk is joined to its features,
checked, scored and appended to a temporary file beside the destination, so memory holds
one chunk whatever the number of rows. The file is renamed over the destination only when
every chunk succeeded: a failure, or a killed process, leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mmp.artifact import registry
from mmp.artifact.metadata import ArtifactMetadata
from mmp.artifact.pyfunc import FLOAT_LIMIT, score, unscorable
from mmp.artifact.registry import LoadedModel
from mmp.artifact.store import ModelStore
from mmp.errors import DataError, SchemaDriftError
from mmp.pipelines.rows import model_row_chunks
from mmp.schema import conform_frame
from mmp.settings.config import EnvConfig
from mmp.sql.template import quote_identifier

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    path: Path
    rows: int
    entities: int


def batch_inference(config: EnvConfig, model_uri: str, supplied: Mapping[str, Any],
                    out: Path | None = None, progress: Progress | None = None, *,
                    chunk_rows: int | None = None) -> BatchResult:
    """Score the rows the stored template selects for ``supplied``; write them atomically.

    ``model_uri`` is a run id or any model URI ``registry.resolve`` accepts, including
    ``models:/NAME@ALIAS`` and the folder of a downloaded model.

    ``chunk_rows`` (default: ``batch.chunk_rows`` of the config) bounds how many rows are
    checked, scored and written at a time; progress reports rows done out of the total.

    In the Spark environment the rows never leave Spark: they are joined, scored on the
    executors and written as partitioned Parquet (:mod:`mmp.pipelines.spark_batch`).
    """
    if config.warehouse.kind == "spark":
        from mmp.pipelines.spark_batch import spark_batch_inference

        return spark_batch_inference(config, model_uri, supplied, out, progress)
    say = progress or (lambda _msg: None)
    size = chunk_rows or config.batch.chunk_rows
    store = ModelStore.checked(config)
    model = registry.load(store, model_uri)
    metadata, run_id = model.metadata, model.ref.run_id
    with model_row_chunks(config, metadata.recipe, metadata.template_text,
                          metadata.template_name, supplied, chunk_rows=size,
                          feature_refs=metadata.feature_refs,
                          ttl_seconds=metadata.feature_ttl_seconds, progress=say) as rows:
        path = Path(out or default_output(config, run_id, rows.values))
        total, done = rows.total, 0
        say(f"scoring {total} rows with run {run_id}, {size} at a time")
        with atomic_parquet(path) as sink:
            for chunk in rows.chunks:
                sink.write(score_chunk(model, metadata, chunk, first=done, total=total,
                                       path=path))
                done += len(chunk)
                say(f"scored {done}/{total} rows")
    entities = count_distinct(path, metadata.data_interface.entity_columns)
    return BatchResult(run_id=run_id, path=path, rows=done, entities=entities)


def count_distinct(path: Path, columns: Sequence[str]) -> int:
    """How many distinct combinations of ``columns`` a parquet file holds (out of core)."""
    names = ", ".join(quote_identifier(c, "duckdb") for c in columns)
    with duckdb.connect() as con:
        return con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {names} "
                           "FROM read_parquet(?))", [str(path)]).fetchone()[0]


def score_chunk(model: LoadedModel, metadata: ArtifactMetadata, chunk: pd.DataFrame, *,
                first: int, total: int, path: Path) -> pd.DataFrame:
    """The key columns and predictions of one chunk; drift names the chunk's rows."""
    try:
        conformed = conform_frame(metadata.training_schema, chunk)
    except SchemaDriftError as exc:
        drift = SchemaDriftError(exc.report, f"rows {first + 1}-{first + len(chunk)} of "
                                             f"{total}: {exc.message}")
        drift.hint = f"nothing was written to {path}; {exc.hint}"
        raise drift from None
    broken = unscorable(conformed.frame, metadata.feature_columns)
    if broken is not None:
        column, at = broken
        raise DataError(
            f"rows {first + 1}-{first + len(chunk)} of {total}: row {first + at + 1} holds "
            f"{conformed.frame[column].iloc[at]} in {column!r}, which the model cannot score "
            f"(numbers must be finite and within +-{FLOAT_LIMIT:.2e})",
            hint=f"nothing was written to {path}; correct or filter that value in the "
                 "warehouse")
    scored = score(model.pipeline, metadata, conformed.frame)
    keys = chunk[metadata.data_interface.key_columns].reset_index(drop=True)
    return pd.concat([keys, scored.reset_index(drop=True)], axis=1)


def default_output(config: EnvConfig, run_id: str, values: Mapping[str, Any]) -> Path:
    window = "_".join(str(values[k]) for k in ("start_date", "end_date") if k in values)
    return config.workspace / "predictions" / run_id / f"{window or 'all'}.parquet"


class ParquetSink:
    """Appends frames with the first frame's columns and types to one parquet file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self._writer is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self._writer = pq.ParquetWriter(self.path, table.schema)
        else:
            table = pa.Table.from_pandas(frame, schema=self._writer.schema,
                                         preserve_index=False)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextlib.contextmanager
def atomic_parquet(path: Path) -> Iterator[ParquetSink]:
    """A sink whose file replaces ``path`` only if the block ends without an error.

    The rows go to ``.<name>.<pid>.tmp`` beside ``path``, flushed to disk before the
    rename; on any error the temporary file is removed and ``path`` is untouched. Partial
    files that killed processes left beside ``path`` are swept first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sink = ParquetSink(tmp)
    try:
        yield sink
        sink.close()
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        sink.close()
        tmp.unlink(missing_ok=True)


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` in one piece: readers never see half a file."""
    with atomic_parquet(path) as sink:
        sink.write(frame)


def remove_stale_partials(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` whose writing process no longer runs."""
    removed = []
    for candidate in Path(path).parent.glob(f".{glob.escape(Path(path).name)}.*.tmp"):
        pid = candidate.name[len(Path(path).name) + 2:-len(".tmp")]
        if pid.isdigit() and not _process_alive(int(pid)):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        pass
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
