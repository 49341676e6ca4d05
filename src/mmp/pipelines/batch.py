"""Batch inference: the artifact's own template, new params, one atomic parquet file."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mmp.artifact.store import ModelStore
from mmp.pipelines.augment import augment_rows
from mmp.pipelines.loading import build_query, load_frame
from mmp.schema import conform_frame
from mmp.settings.config import EnvConfig
from mmp.sql.warehouse import open_warehouse

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    path: Path
    rows: int
    entities: int


def batch_inference(config: EnvConfig, run_id: str, supplied: Mapping[str, Any],
                    out: Path | None = None, progress: Progress | None = None) -> BatchResult:
    """Score the rows the stored template selects for ``supplied``; write them atomically."""
    say = progress or (lambda _msg: None)
    store = ModelStore(config)
    store.check()
    metadata = store.load_metadata(run_id)
    interface = metadata.data_interface
    warehouse = open_warehouse(config)
    query, values = build_query(metadata.recipe.model.loader, metadata.template_text,
                                {**supplied, "include_target": False},
                                dialect=warehouse.dialect, template_name=metadata.template_name)
    say(f"loading rows from {warehouse.describe()}")
    frame = load_frame(warehouse, query, interface, with_target=False,
                       template_name=metadata.template_name)
    frame = augment_rows(frame, metadata.feature_refs, config, interface,
                         ttl_seconds=metadata.feature_ttl_seconds, progress=say).frame
    conformed = conform_frame(metadata.training_schema, frame)  # drift: SchemaDriftError
    say(f"scoring {len(frame)} rows with run {run_id}")
    model = store.load_model(run_id)
    scored = model.predict(conformed.frame[metadata.feature_columns])
    result = pd.concat([frame[interface.key_columns].reset_index(drop=True),
                        scored.reset_index(drop=True)], axis=1)
    path = out or default_output(config, run_id, values)
    write_parquet_atomically(result, path)
    entities = len(frame[interface.entity_columns].drop_duplicates())
    return BatchResult(run_id=run_id, path=path, rows=len(result), entities=entities)


def default_output(config: EnvConfig, run_id: str, values: Mapping[str, Any]) -> Path:
    window = "_".join(str(values[k]) for k in ("start_date", "end_date") if k in values)
    return config.workspace / "predictions" / run_id / f"{window or 'all'}.parquet"


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file beside ``path`` and rename it: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
