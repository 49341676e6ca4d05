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
from sklearn.inspection import permutation_importance


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
    result = permutation_importance(pipeline, x, y, n_repeats=5, random_state=seed)
    order = np.argsort(result.importances_mean)
    figure, axes = plt.subplots(figsize=(6, 0.4 * len(feature_columns) + 1.5))
    axes.barh(np.array(feature_columns)[order], result.importances_mean[order],
              xerr=result.importances_std[order])
    axes.set_xlabel("drop in score when shuffled (held-out rows)")
    axes.set_title("Feature importance")
    figure.tight_layout()
    return figure
