"""Pictures of a trained model for the MLflow run: errors, ranking quality, importances."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers or in CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics
from sklearn.base import is_classifier

#: Shuffles per input column for the importance picture.
IMPORTANCE_REPEATS = 5
#: Rows scored in one call while measuring importances (bounds the memory it takes).
IMPORTANCE_BATCH_ROWS = 200_000


def evaluation_figures(task: str, pipeline: Any, test: pd.DataFrame, target: str,
                       feature_columns: list[str], seed: int) -> dict[str, Figure]:
    """``{file name: figure}``: confusion matrix and ROC curve, or residuals; importances."""
    x, y = test[feature_columns], test[target]
    predicted = pipeline.predict(x)
    figures: dict[str, Figure] = {}
    if task == "classification":
        figures["confusion_matrix.png"] = _titled(metrics.ConfusionMatrixDisplay.from_predictions(
            y, predicted, colorbar=False), "Confusion matrix (held-out rows)")
        if hasattr(pipeline, "predict_proba") and y.nunique() == 2:
            figures["roc_curve.png"] = _titled(metrics.RocCurveDisplay.from_predictions(
                y, pipeline.predict_proba(x)[:, 1], name="model", plot_chance_level=True),
                "ROC curve (held-out rows)")
    else:
        figures["residuals.png"] = _titled(metrics.PredictionErrorDisplay.from_predictions(
            y, predicted, kind="residual_vs_predicted"), "Residuals (held-out rows)")
    figures["feature_importance.png"] = _importance_figure(pipeline, x, y, feature_columns,
                                                           seed)
    return figures


def _titled(display: Any, title: str) -> Figure:
    display.ax_.set_title(title)
    display.figure_.tight_layout()
    return display.figure_


def _importance_figure(pipeline: Any, x: pd.DataFrame, y: pd.Series,
                       feature_columns: list[str], seed: int) -> Figure:
    """Permutation importance on held-out rows, per input column (model-agnostic)."""
    drops = permutation_drops(pipeline, x, y, IMPORTANCE_REPEATS, seed)
    mean, std = drops.mean(axis=1), drops.std(axis=1)
    order = np.argsort(mean)
    figure, axes = plt.subplots(figsize=(6, 0.4 * len(feature_columns) + 1.5))
    axes.barh(np.array(feature_columns)[order], mean[order], xerr=std[order])
    axes.set_xlabel("drop in score when shuffled (held-out rows)")
    axes.set_title("Feature importance")
    figure.tight_layout()
    return figure


def permutation_drops(pipeline: Any, x: pd.DataFrame, y: pd.Series, repeats: int,
                      seed: int) -> np.ndarray:
    """Permutation importance as sklearn's ``permutation_importance`` defines it (the drop
    in the model's own score, accuracy or R², when one column is shuffled), one row per
    column and one value per shuffle, with the shuffled copies scored together in a few
    large calls instead of one call per shuffle (a forest's per-call cost dominated)."""
    score = metrics.accuracy_score if is_classifier(pipeline) else metrics.r2_score
    baseline = score(y, pipeline.predict(x))
    rng = np.random.default_rng(seed)
    copies = [(column, repeat) for column in range(x.shape[1]) for repeat in range(repeats)]
    per_call = max(1, IMPORTANCE_BATCH_ROWS // max(len(x), 1))
    drops = np.empty((x.shape[1], repeats))
    for start in range(0, len(copies), per_call):
        batch = copies[start:start + per_call]
        shuffled = pd.concat([_shuffled(x, column, rng) for column, _ in batch],
                             ignore_index=True)
        predicted = pipeline.predict(shuffled)
        for i, (column, repeat) in enumerate(batch):
            drops[column, repeat] = baseline - score(y, predicted[i * len(x):(i + 1) * len(x)])
    return drops


def _shuffled(x: pd.DataFrame, column: int, rng: np.random.Generator) -> pd.DataFrame:
    """``x`` with one column's values shuffled (dtype kept, as sklearn shuffles them)."""
    copy, name = x.copy(), x.columns[column]
    copy[name] = x[name].iloc[rng.permutation(len(x))].set_axis(x.index)
    return copy
