"""Scoring request instances: online features, schema validation, then the model.

Serving calls this with the instances of one request; the same schema rules as batch
inference apply (``conform_frame``), so a frame the API accepts is one batch would accept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from mmp.artifact.pyfunc import score
from mmp.artifact.registry import LoadedModel
from mmp.schema.validate import conform_frame

#: Looks up feature values for entity rows: (rows with entity keys, refs) -> feature frame.
FeatureLookup = Callable[[pd.DataFrame, list[str]], pd.DataFrame]


@dataclass(frozen=True)
class ScoredInstances:
    predictions: pd.DataFrame
    warnings: list[str]


def score_instances(model: LoadedModel, records: list[dict],
                    lookup: FeatureLookup | None = None) -> ScoredInstances:
    """Predictions for ``records`` (entity keys and request-time features)."""
    frame = pd.DataFrame.from_records(records)
    refs = model.metadata.feature_refs
    if refs:
        if lookup is None:
            raise ValueError("this model needs online features but no lookup was given")
        features = lookup(frame, refs)
        frame = pd.concat([frame.reset_index(drop=True), features.reset_index(drop=True)],
                          axis=1)
    conformed = conform_frame(model.metadata.training_schema, frame)
    predictions = score(model.pipeline, model.metadata, conformed.frame)
    return ScoredInstances(predictions, [str(p) for p in conformed.report.warnings])
