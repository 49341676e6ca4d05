"""Evaluation metrics per task, and the naive baseline a model must beat."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics


def evaluate(task: str, y_true: pd.Series, y_pred: np.ndarray,
             y_proba: np.ndarray | None, y_train: pd.Series) -> dict[str, float]:
    """Metrics on held-out rows, with the majority-class (or mean) baseline beside them."""
    if task == "classification":
        majority = y_train.mode().iloc[0]
        result = {
            "accuracy": metrics.accuracy_score(y_true, y_pred),
            "f1": metrics.f1_score(y_true, y_pred, average="binary" if y_true.nunique() <= 2
                                   else "macro", zero_division=0),
            "baseline_accuracy": float((y_true == majority).mean()),
        }
        if y_proba is not None and y_true.nunique() == 2:
            result["roc_auc"] = metrics.roc_auc_score(y_true, y_proba[:, 1])
        return {k: round(float(v), 6) for k, v in result.items()}
    baseline = np.full(len(y_true), float(y_train.mean()))
    result = {
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "mae": metrics.mean_absolute_error(y_true, y_pred),
        "r2": metrics.r2_score(y_true, y_pred),
        "baseline_rmse": float(np.sqrt(metrics.mean_squared_error(y_true, baseline))),
    }
    return {k: round(float(v), 6) for k, v in result.items()}
