"""The MLflow pyfunc wrapper around the fitted scikit-learn pipeline."""

from __future__ import annotations

import json
from typing import Any

import joblib
import mlflow.pyfunc
import numpy as np
import pandas as pd

from mmp.artifact.metadata import ArtifactMetadata

#: scikit-learn's tree ensembles compute in float32: a larger number cannot be scored.
FLOAT_LIMIT = float(np.finfo(np.float32).max)


class MmpModel(mlflow.pyfunc.PythonModel):
    """Predicts from the model's input columns; loads the pipeline and metadata lazily."""

    def load_context(self, context: Any) -> None:
        self.pipeline_ = joblib.load(context.artifacts["pipeline"])
        with open(context.artifacts["metadata"], encoding="utf-8") as fh:
            self.metadata_ = ArtifactMetadata.model_validate(json.load(fh))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        # MLflow's enforcement hands zone-aware inputs over as naive UTC: restore the zone
        model_input = self.metadata_.training_schema.from_mlflow_input(model_input)
        return score(self.pipeline_, self.metadata_, model_input)


def score(pipeline: Any, metadata: ArtifactMetadata, frame: pd.DataFrame) -> pd.DataFrame:
    """Predictions (and the positive-class probability for classifiers) for each row.

    A classifier is asked once, for probabilities; its prediction is the most probable
    class (what scikit-learn's tree ensembles and linear models predict), which halves the
    cost of a request.
    """
    features = frame[metadata.feature_columns]
    if metadata.task_type == "classification" and hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(features)
        out = pd.DataFrame({"prediction": pipeline.classes_[proba.argmax(axis=1)]},
                           index=frame.index)
        out["probability"] = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
        return out
    return pd.DataFrame({"prediction": pipeline.predict(features)}, index=frame.index)


def unscorable(frame: pd.DataFrame, columns: list[str]) -> tuple[str, int] | None:
    """The first number no model can score (infinite, or beyond :data:`FLOAT_LIMIT`):
    its column and row position; nulls are fine (they are imputed)."""
    for column in columns:
        series = frame[column]
        if not pd.api.types.is_float_dtype(series.dtype):
            continue
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            broken = np.abs(values) > FLOAT_LIMIT
        if broken.any():
            return column, int(np.flatnonzero(broken)[0])
    return None
