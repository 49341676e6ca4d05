"""Augmentation: the one step that joins feature-store features to loaded rows.

Training and batch inference both call :func:`augment_rows`, so the features a model is
scored with are joined exactly as the features it was trained with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from mmp.featurestore.refs import parse_refs
from mmp.featurestore.registry import FeatureRepository
from mmp.featurestore.retrieval import feature_join
from mmp.settings.config import EnvConfig
from mmp.settings.recipe import DataInterface


@dataclass(frozen=True)
class Augmented:
    """Rows with their features, and the references and ttls they were joined with."""

    frame: pd.DataFrame
    refs: list[str] = field(default_factory=list)
    ttl_seconds: dict[str, float] = field(default_factory=dict)


def augment_rows(frame: pd.DataFrame, refs: Sequence[str], config: EnvConfig,
                 interface: DataInterface, *, created_before: dt.datetime | None = None,
                 ttl_seconds: Mapping[str, float] | None = None,
                 progress: Callable[[str], None] | None = None) -> Augmented:
    """``frame`` with the features ``refs`` name joined point-in-time at each row's time.

    Without references the rows pass through unchanged. ``created_before`` rebuilds a
    training set as it was known then; ``ttl_seconds`` replays the ttls an artifact records.
    """
    return augmenter(refs, config, interface, created_before=created_before,
                     ttl_seconds=ttl_seconds, progress=progress)(frame)


def augmenter(refs: Sequence[str], config: EnvConfig, interface: DataInterface, *,
              created_before: dt.datetime | None = None,
              ttl_seconds: Mapping[str, float] | None = None,
              progress: Callable[[str], None] | None = None,
              ) -> Callable[[pd.DataFrame], Augmented]:
    """:func:`augment_rows` for many frames (chunks of one spine): the registry is read once."""
    if not refs:
        return Augmented
    parsed = parse_refs(refs)
    say = progress or (lambda _message: None)
    say(f"joining {len(parsed)} features point-in-time: {', '.join(map(str, parsed))}")
    join = feature_join(FeatureRepository(config), parsed,
                        timestamp_column=interface.timestamp_column,
                        created_before=created_before, ttl_seconds=ttl_seconds)
    names = [str(r) for r in parsed]
    ttls = {view.name: view.ttl.total_seconds() for view in join.views}
    return lambda frame: Augmented(join(frame), names, ttls)
