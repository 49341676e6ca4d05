"""Training: recipe -> rows -> split -> fit -> evaluate -> self-describing MLflow run.

Two halves, each a function of its own: :func:`training_frame` builds the rows (render,
load, augment) and :func:`fit_and_evaluate` fits and scores on a split of them. ``mmp
reproduce`` calls both with what the artifact recorded instead of the recipe file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

import mmp
from mmp.artifact.metadata import (
    ArtifactMetadata,
    fingerprint,
    git_commit,
    json_params,
    package_versions,
    utc_now,
)
from mmp.artifact.store import ModelStore
from mmp.errors import DataError
from mmp.pipelines.rows import ModelRows, model_rows
from mmp.schema import capture_schema
from mmp.settings.config import EnvConfig
from mmp.settings.recipe import Recipe, Settings
from mmp.training.evaluation import evaluate
from mmp.training.factory import build_estimator
from mmp.training.plots import evaluation_figures
from mmp.training.preprocessing import build_pipeline
from mmp.training.split import split_frame

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    metrics: dict[str, float]
    rows: int
    feature_columns: list[str]
    tracking_uri: str


@dataclass(frozen=True)
class Fitted:
    """A fitted pipeline, the split it was fitted and evaluated on, and its metrics."""

    pipeline: Pipeline
    train_rows: pd.DataFrame
    test_rows: pd.DataFrame
    metrics: dict[str, float]


def feature_columns(recipe: Recipe, frame: pd.DataFrame) -> list[str]:
    """The model's inputs: the recipe's list, or every loaded column without a role."""
    interface = recipe.model.loader.data_interface
    roles = {*interface.key_columns, interface.target_column}
    if recipe.model.features is not None:
        missing = [c for c in recipe.model.features if c not in frame.columns]
        if missing:
            raise DataError(f"feature column {missing[0]!r} was not loaded",
                            hint="select it in the SQL template or remove it from "
                                 "model.features")
        return list(recipe.model.features)
    columns = [c for c in frame.columns if c not in roles]
    if not columns:
        raise DataError("the loaded rows have no feature columns besides the data interface's",
                        hint="select at least one feature column in the SQL template")
    return columns


def recipe_estimator(recipe: Recipe, config: EnvConfig) -> BaseEstimator:
    """The recipe's unfitted model, seeded with the recipe's seed (allowlist checked)."""
    return build_estimator(recipe.model.class_path, recipe.model.hyperparameters,
                           config.models.allowlist, seed=recipe.seed)


def feature_cutoff(recipe: Recipe, now: dt.datetime) -> dt.datetime | None:
    """The as-of cutoff of the feature join: the recipe's ``created_before``, else ``now``
    (a row created later did not exist yet); None when the recipe joins no features."""
    augmenter = recipe.model.augmenter
    if not augmenter.features:
        return None
    return augmenter.created_before or now


def training_frame(config: EnvConfig, recipe: Recipe, template_text: str,
                   template_name: str, supplied: Mapping[str, Any], *,
                   feature_refs: Sequence[str], created_before: dt.datetime | None,
                   ttl_seconds: Mapping[str, float] | None = None,
                   progress: Progress | None = None) -> ModelRows:
    """The labelled rows a model learns from: rendered, loaded, augmented, target checked."""
    rows = model_rows(config, recipe, template_text, template_name, supplied,
                      with_target=True, feature_refs=feature_refs,
                      created_before=created_before, ttl_seconds=ttl_seconds,
                      progress=progress)
    interface = recipe.model.loader.data_interface
    _check_target(rows.frame, interface.target_column, interface.task_type)
    return rows


def split_rows(recipe: Recipe, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) as the recipe's split and seed make them."""
    interface = recipe.model.loader.data_interface
    return split_frame(
        frame, method=recipe.model.split.method, test_size=recipe.model.split.test_size,
        timestamp_column=interface.timestamp_column, seed=recipe.seed,
        stratify=interface.target_column if interface.task_type == "classification" else None)


def fit_and_evaluate(recipe: Recipe, estimator: BaseEstimator, train_rows: pd.DataFrame,
                     test_rows: pd.DataFrame, columns: list[str]) -> Fitted:
    """Fit preprocessing and ``estimator`` on ``train_rows``; evaluate on ``test_rows``."""
    interface = recipe.model.loader.data_interface
    target = interface.target_column
    pipeline = build_pipeline(train_rows, columns, estimator)
    pipeline.fit(train_rows[columns], train_rows[target])
    proba = pipeline.predict_proba(test_rows[columns]) if hasattr(pipeline, "predict_proba") \
        else None
    metrics = evaluate(interface.task_type, test_rows[target],
                       pipeline.predict(test_rows[columns]), proba, train_rows[target])
    return Fitted(pipeline, train_rows, test_rows, metrics)


def train(settings: Settings, supplied: Mapping[str, Any] | None = None,
          progress: Progress | None = None) -> TrainResult:
    """Train the recipe's model on the warehouse rows its template selects; log one run."""
    say = progress or (lambda _msg: None)
    recipe, config = settings.recipe, settings.config
    interface = recipe.model.loader.data_interface
    estimator = recipe_estimator(recipe, config)
    store = ModelStore.checked(config)
    cutoff = feature_cutoff(recipe, dt.datetime.now(dt.UTC))
    rows = training_frame(config, recipe, settings.template_text, settings.template_path.name,
                          supplied or {}, feature_refs=recipe.model.augmenter.features,
                          created_before=cutoff, progress=say)
    frame = rows.frame
    columns = feature_columns(recipe, frame)
    say(f"training {recipe.model.class_path.rsplit('.', 1)[-1]} on {len(frame)} rows")
    train_rows, test_rows = split_rows(recipe, frame)
    fitted = fit_and_evaluate(recipe, estimator, train_rows, test_rows, columns)
    target = interface.target_column
    roles = {c: "entity" for c in interface.entity_columns}
    roles |= {interface.timestamp_column: "timestamp", target: "target"}
    roles |= {c: "feature" for c in columns}
    metadata = ArtifactMetadata(
        mmp_version=mmp.__version__, recipe=recipe,
        template_name=settings.template_path.name, template_text=settings.template_text,
        params=json_params(rows.values), feature_columns=columns, feature_refs=rows.refs,
        feature_ttl_seconds=rows.ttl_seconds,
        training_schema=capture_schema(frame, roles),
        fingerprint=fingerprint(frame, interface.timestamp_column), metrics=fitted.metrics,
        package_versions=package_versions(), git_commit=git_commit(settings.recipe_path.parent),
        trained_at=utc_now(), environment=config.env,
        features_as_of=cutoff.isoformat() if cutoff else None,
        evaluation=fingerprint(test_rows, interface.timestamp_column), source=rows.source,
    )
    say("drawing the evaluation pictures and logging the model to MLflow")
    figures = evaluation_figures(interface.task_type, fitted.pipeline, test_rows, target,
                                 columns, recipe.seed)
    run_id = store.log_training(
        pipeline=fitted.pipeline, metadata=metadata, example=train_rows[columns].head(5),
        params=_run_params(recipe, rows.values, len(train_rows), len(test_rows)),
        requirements=[f"{k}=={v}" for k, v in metadata.package_versions.items()],
        figures=figures,
    )
    return TrainResult(run_id=run_id, metrics=fitted.metrics, rows=len(frame),
                       feature_columns=columns, tracking_uri=config.tracking_uri)


def _check_target(frame: pd.DataFrame, target: str, task: str) -> None:
    series = frame[target]
    if series.isna().any():
        raise DataError(f"target column {target!r} has {int(series.isna().sum())} empty values",
                        hint="filter rows without a label in the SQL template")
    if task == "classification" and series.nunique() < 2:
        raise DataError(f"target column {target!r} has a single class; nothing to learn",
                        hint="widen the date window so both classes appear")
    if task == "regression" and not ptypes.is_numeric_dtype(series):
        raise DataError(f"target column {target!r} is not numeric; regression needs numbers",
                        hint="use task_type: classification, or select a numeric target")


def _run_params(recipe: Recipe, values: Mapping[str, Any], n_train: int,
                n_test: int) -> dict[str, Any]:
    """What MLflow shows as run params: recipe choices and the loader's values, no config."""
    params: dict[str, Any] = {
        "recipe": recipe.name, "model.class_path": recipe.model.class_path,
        "split.method": recipe.model.split.method, "split.test_size": recipe.model.split.test_size,
        "seed": recipe.seed, "rows.train": n_train, "rows.test": n_test,
    }
    params |= {f"hp.{k}": v for k, v in recipe.model.hyperparameters.items()}
    params |= {f"param.{k}": v for k, v in json_params(dict(values)).items()}
    return params
