"""The rows a model sees: the template rendered, the warehouse queried, features joined.

Training, reproduction and batch inference all build their rows here, so a model is
scored, and retrained, on rows made exactly as the rows it was trained on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mmp.pipelines.augment import augment_rows, augmenter
from mmp.pipelines.loading import build_query, check_rows, load_frame, no_rows
from mmp.settings.config import EnvConfig
from mmp.settings.recipe import Recipe
from mmp.settings.secrets import mask_uri
from mmp.sql.template import Query
from mmp.sql.warehouse import Warehouse, open_warehouse


@dataclass(frozen=True)
class ModelRows:
    """Loaded and augmented rows, and how they were made."""

    frame: pd.DataFrame
    #: The typed parameter values the template was rendered with.
    values: dict[str, Any]
    #: The feature references joined, and the ttl of each view (seconds).
    refs: list[str]
    ttl_seconds: dict[str, float]
    #: The warehouse the rows came from, credentials masked.
    source: str


@dataclass(frozen=True)
class RowQuery:
    """A template rendered for some parameters, and the warehouse it runs in."""

    warehouse: Warehouse
    query: Query
    values: dict[str, Any]
    source: str


def row_query(config: EnvConfig, recipe: Recipe, template_text: str, template_name: str,
              supplied: Mapping[str, Any], *, with_target: bool) -> RowQuery:
    """Render ``template_text`` with ``supplied`` for the environment's warehouse.

    ``with_target`` decides ``include_target`` (a caller cannot override it).
    """
    warehouse = open_warehouse(config)
    query, values = build_query(recipe.model.loader, template_text,
                                {**supplied, "include_target": with_target},
                                dialect=warehouse.dialect, template_name=template_name)
    return RowQuery(warehouse, query, values, mask_uri(warehouse.describe()))


def model_rows(config: EnvConfig, recipe: Recipe, template_text: str, template_name: str,
               supplied: Mapping[str, Any], *, with_target: bool,
               feature_refs: Sequence[str], created_before: dt.datetime | None = None,
               ttl_seconds: Mapping[str, float] | None = None,
               progress: Callable[[str], None] | None = None) -> ModelRows:
    """Render ``template_text`` with ``supplied``, load its rows, join ``feature_refs``.

    ``created_before`` and ``ttl_seconds`` replay an as-of cutoff and recorded ttls.
    """
    say = progress or (lambda _message: None)
    interface = recipe.model.loader.data_interface
    rows = row_query(config, recipe, template_text, template_name, supplied,
                     with_target=with_target)
    say(f"loading rows from {rows.source}")
    frame = load_frame(rows.warehouse, rows.query, interface, with_target=with_target,
                       template_name=template_name)
    augmented = augment_rows(frame, feature_refs, config, interface,
                             created_before=created_before, ttl_seconds=ttl_seconds,
                             progress=say)
    return ModelRows(augmented.frame, rows.values, augmented.refs, augmented.ttl_seconds,
                     rows.source)


@dataclass(frozen=True)
class RowChunks:
    """Rows to score, streamed from the warehouse a chunk at a time with their features."""

    #: The typed parameter values the template was rendered with.
    values: dict[str, Any]
    #: How many rows the query selects (counted before streaming).
    total: int
    #: Consecutive chunks of at most the requested size, features joined.
    chunks: Iterator[pd.DataFrame]


@contextlib.contextmanager
def model_row_chunks(config: EnvConfig, recipe: Recipe, template_text: str,
                     template_name: str, supplied: Mapping[str, Any], *, chunk_rows: int,
                     feature_refs: Sequence[str],
                     ttl_seconds: Mapping[str, float] | None = None,
                     progress: Callable[[str], None] | None = None) -> Iterator[RowChunks]:
    """:func:`model_rows` without the target, in chunks: memory holds one chunk at a time.

    Each chunk is joined to its features on its own, which gives the rows a whole-frame
    join would (a row's features depend on that row alone). The warehouse session stays
    open until the ``with`` block ends.
    """
    say = progress or (lambda _message: None)
    interface = recipe.model.loader.data_interface
    rows = row_query(config, recipe, template_text, template_name, supplied,
                     with_target=False)
    say(f"counting rows in {rows.source}")
    total = rows.warehouse.count(rows.query)
    if total == 0:
        raise no_rows(rows.query, template_name)
    join = augmenter(feature_refs, config, interface, ttl_seconds=ttl_seconds, progress=say)
    with rows.warehouse.stream(rows.query, chunk_rows) as frames:
        chunks = (join(check_rows(frame, interface, with_target=False,
                                  template_name=template_name)).frame for frame in frames)
        yield RowChunks(rows.values, total, chunks)
