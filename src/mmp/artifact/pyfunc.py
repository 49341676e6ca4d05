"""The MLflow pyfunc wrapper around the fitted scikit-learn pipeline."""

from __future__ import annotations

import json
from typing import Any

import joblib
import mlflow.pyfunc
import pandas as pd

from mmp.artifact.metadata import ArtifactMetadata


class MmpModel(mlflow.pyfunc.PythonModel):
    """Predicts from the model's input columns; loads the pipeline and metadata lazily."""

    def load_context(self, context: Any) -> None:
        self.pipeline_ = joblib.load(context.artifacts["pipeline"])
        with open(context.artifacts["metadata"], encoding="utf-8") as fh:
            self.metadata_ = ArtifactMetadata.model_validate(json.load(fh))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
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
