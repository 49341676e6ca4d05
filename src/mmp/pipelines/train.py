"""Training: recipe -> rows -> split -> fit -> evaluate -> self-describing MLflow run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.api import types as ptypes

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
from mmp.pipelines.augment import augment_rows
from mmp.pipelines.loading import build_query, load_frame
from mmp.schema import capture_schema
from mmp.settings.recipe import Recipe, Settings
from mmp.sql.warehouse import open_warehouse
from mmp.training.evaluation import evaluate
from mmp.training.factory import build_estimator
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


def train(settings: Settings, supplied: Mapping[str, Any] | None = None,
          progress: Progress | None = None) -> TrainResult:
    """Train the recipe's model on the warehouse rows its template selects; log one run."""
    say = progress or (lambda _msg: None)
    recipe, config = settings.recipe, settings.config
    interface = recipe.model.loader.data_interface
    estimator = build_estimator(recipe.model.class_path, recipe.model.hyperparameters,
                                config.models.allowlist, seed=recipe.seed)
    store = ModelStore(config)
    store.check()
    warehouse = open_warehouse(config)
    supplied = {"include_target": True, **(supplied or {})}
    query, values = build_query(recipe.model.loader, settings.template_text, supplied,
                                dialect=warehouse.dialect,
                                template_name=settings.template_path.name)
    say(f"loading rows from {warehouse.describe()}")
    frame = load_frame(warehouse, query, interface, with_target=True,
                       template_name=settings.template_path.name)
    augmenter = recipe.model.augmenter
    augmented = augment_rows(frame, augmenter.features, config, interface,
                             created_before=augmenter.created_before, progress=say)
    frame = augmented.frame
    _check_target(frame, interface.target_column, interface.task_type)
    columns = feature_columns(recipe, frame)
    say(f"training {recipe.model.class_path.rsplit('.', 1)[-1]} on {len(frame)} rows")
    train_rows, test_rows = split_frame(
        frame, method=recipe.model.split.method, test_size=recipe.model.split.test_size,
        timestamp_column=interface.timestamp_column, seed=recipe.seed,
        stratify=interface.target_column if interface.task_type == "classification" else None)
    target = interface.target_column
    pipeline = build_pipeline(train_rows, columns, estimator)
    pipeline.fit(train_rows[columns], train_rows[target])
    proba = pipeline.predict_proba(test_rows[columns]) if hasattr(pipeline, "predict_proba") \
        else None
    metrics = evaluate(interface.task_type, test_rows[target],
                       pipeline.predict(test_rows[columns]), proba, train_rows[target])
    roles = {c: "entity" for c in interface.entity_columns}
    roles |= {interface.timestamp_column: "timestamp", target: "target"}
    roles |= {c: "feature" for c in columns}
    metadata = ArtifactMetadata(
        mmp_version=mmp.__version__, recipe=recipe,
        template_name=settings.template_path.name, template_text=settings.template_text,
        params=json_params(values), feature_columns=columns, feature_refs=augmented.refs,
        feature_ttl_seconds=augmented.ttl_seconds,
        training_schema=capture_schema(frame, roles),
        fingerprint=fingerprint(frame, interface.timestamp_column), metrics=metrics,
        package_versions=package_versions(), git_commit=git_commit(settings.recipe_path.parent),
        trained_at=utc_now(), environment=config.env,
    )
    say("logging the model to MLflow")
    run_id = store.log_training(
        pipeline=pipeline, metadata=metadata, example=train_rows[columns].head(5),
        params=_run_params(recipe, values, len(train_rows), len(test_rows)),
        requirements=[f"{k}=={v}" for k, v in metadata.package_versions.items()],
    )
    return TrainResult(run_id=run_id, metrics=metrics, rows=len(frame),
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
