"""The rows a model sees: the template rendered, the warehouse queried, features joined.

Training, reproduction and batch inference all build their rows here, so a model is
scored, and retrained, on rows made exactly as the rows it was trained on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mmp.pipelines.augment import augment_rows
from mmp.pipelines.loading import build_query, load_frame
from mmp.settings.config import EnvConfig
from mmp.settings.recipe import Recipe
from mmp.settings.secrets import mask_uri
from mmp.sql.warehouse import open_warehouse


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


def model_rows(config: EnvConfig, recipe: Recipe, template_text: str, template_name: str,
               supplied: Mapping[str, Any], *, with_target: bool,
               feature_refs: Sequence[str], created_before: dt.datetime | None = None,
               ttl_seconds: Mapping[str, float] | None = None,
               progress: Callable[[str], None] | None = None) -> ModelRows:
    """Render ``template_text`` with ``supplied``, load its rows, join ``feature_refs``.

    ``with_target`` decides ``include_target`` (a caller cannot override it);
    ``created_before`` and ``ttl_seconds`` replay an as-of cutoff and recorded ttls.
    """
    say = progress or (lambda _message: None)
    interface = recipe.model.loader.data_interface
    warehouse = open_warehouse(config)
    query, values = build_query(recipe.model.loader, template_text,
                                {**supplied, "include_target": with_target},
                                dialect=warehouse.dialect, template_name=template_name)
    source = mask_uri(warehouse.describe())
    say(f"loading rows from {source}")
    frame = load_frame(warehouse, query, interface, with_target=with_target,
                       template_name=template_name)
    augmented = augment_rows(frame, feature_refs, config, interface,
                             created_before=created_before, ttl_seconds=ttl_seconds,
                             progress=say)
    return ModelRows(augmented.frame, values, augmented.refs, augmented.ttl_seconds, source)
