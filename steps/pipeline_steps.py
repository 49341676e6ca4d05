"""Steps about training and batch inference: the pipeline a data scientist runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
from behave import given, then, when
from mlflow.tracking import MlflowClient

from mmp.artifact.store import ModelStore
from mmp.featurestore.definitions import parse_duration
from mmp.pipelines.batch import batch_inference
from mmp.pipelines.train import train
from mmp.settings import load_settings
from mmp.synthetic import generate
from steps.support.fixtures import CACHED_MODEL_ROWS, EXAMPLE_RECIPE, FEATURES_RECIPE, TrainedModel
from steps.support.outcomes import attempt, expect_equal, require_refusal, require_success
from steps.support.tables import require_table


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _window(start: str, end: str) -> dict[str, str]:
    return {"start_date": start, "end_date": end}


def _count_runs(config) -> int:
    client = MlflowClient(config.tracking_uri)
    experiment = client.get_experiment_by_name(config.mlflow.experiment)
    return 0 if experiment is None else len(client.search_runs([experiment.experiment_id]))


def _use_recipe(context, recipe) -> None:
    context.settings = load_settings(recipe, config=context.config_env)
    context.runs_before = _count_runs(context.config_env)


@given("the example session-outcome recipe")
def step_example_recipe(context):
    _use_recipe(context, EXAMPLE_RECIPE)


@when("the data scientist trains it on sessions from {start} to {end}")
def step_train_on_window(context, start, end):
    attempt(context, lambda: train(context.settings, _window(start, end)))


@when("the data scientist scores sessions from {start} to {end} with the trained model")
def step_score_window(context, start, end):
    context.window = (pd.Timestamp(start), pd.Timestamp(end))
    out = context.workspace / "predictions.parquet"
    attempt(context, lambda: batch_inference(context.model.config, context.model.run_id,
                                             _window(start, end), out))


@when("someone opens the trained model's artifact from its run id alone")
def step_open_artifact(context):
    attempt(context, lambda: ModelStore(context.model.config).load_metadata(
        context.model.run_id))


@when("a fresh Python process loads the trained model from its run id with MLflow")
def step_fresh_process_loads_model(context):
    code = (
        "import json, sys, mlflow, pandas as pd\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "row = pd.DataFrame([{'device': 'desktop', 'session_duration': 420.0,"
        " 'page_views': 7}])\n"
        "print(json.dumps(model.predict(row).to_dict(orient='records')))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": context.model.config.tracking_uri}
    context.process = subprocess.run(
        [sys.executable, "-c", code, f"runs:/{context.model.run_id}/model"],
        capture_output=True, text=True, env=env, cwd=context.workspace, timeout=120)


@then("the training run reports accuracy, roc_auc and f1")
def step_run_reports_metrics(context):
    run = MlflowClient(context.config_env.tracking_uri).get_run(require_success(context).run_id)
    missing = {"accuracy", "roc_auc", "f1"} - set(run.data.metrics)
    assert not missing, f"the run lacks the metrics {sorted(missing)}: {run.data.metrics}"


@then("the model beats the majority-class baseline on held-out sessions")
def step_beats_baseline(context):
    metrics = require_success(context).metrics
    assert metrics["accuracy"] > metrics["baseline_accuracy"], (
        f"accuracy {metrics['accuracy']:.3f} does not beat the majority-class baseline "
        f"{metrics['baseline_accuracy']:.3f}")
    assert metrics["roc_auc"] > 0.6, f"roc_auc {metrics['roc_auc']:.3f} is close to chance"


@then('the model learned from the features "{features}"')
def step_learned_from_features(context, features):
    expect_equal("model inputs", _names(features), require_success(context).feature_columns)


@then('training is refused because "{reason}"')
def step_training_refused(context, reason):
    require_refusal(context, reason)


@then("no training run was logged")
def step_no_run_logged(context):
    expect_equal("runs in the tracking store", context.runs_before,
                 _count_runs(context.config_env))


@then("every session of that window has a prediction and a probability")
def step_every_session_scored(context):
    result = require_success(context)
    scored = pd.read_parquet(result.path)
    sessions = generate(CACHED_MODEL_ROWS, seed=context.model.config.test_mode.seed)["sessions"]
    start, end = context.window
    expected = sessions[(sessions.event_timestamp >= start) & (sessions.event_timestamp < end)]
    keys = ["user_id", "product_id", "event_timestamp"]
    expect_equal("scored sessions", expected[keys].values.tolist(),
                 scored[keys].values.tolist())
    assert scored["prediction"].isin([0, 1]).all(), "a prediction is not a class label"
    assert scored["probability"].between(0, 1).all(), "a probability lies outside [0, 1]"
    context.expected_sessions = expected


@then("the predictions cover every user and product of that window")
def step_predictions_cover_entities(context):
    scored = pd.read_parquet(require_success(context).path)
    for column in ("user_id", "product_id"):
        missing = set(context.expected_sessions[column]) - set(scored[column])
        assert not missing, f"no prediction for {column} {sorted(missing)}"


@then('it names the recipe "{recipe}" and its SQL template "{template}"')
def step_artifact_names_recipe(context, recipe, template):
    metadata = require_success(context)
    expect_equal("recipe", recipe, metadata.recipe.name)
    expect_equal("template", template, metadata.template_name)
    assert "FROM sessions" in metadata.template_text, "the template text is not stored"


@then("it records the training window from {start} to {end}")
def step_artifact_records_window(context, start, end):
    params = require_success(context).params
    expect_equal("training window", _window(start, end),
                 {k: params.get(k) for k in ("start_date", "end_date")})


@then('it records the schema of the model inputs "{features}"')
def step_artifact_records_schema(context, features):
    schema = require_success(context).training_schema
    expect_equal("schema inputs", _names(features), [c.name for c in schema.inputs])


@then("it records a fingerprint of the training data")
def step_artifact_records_fingerprint(context):
    fingerprint = require_success(context).fingerprint
    expect_equal("fingerprinted rows", context.model.result.rows, fingerprint.rows)
    assert len(fingerprint.sha256) == 64, f"not a sha256 digest: {fingerprint.sha256!r}"


@then("it predicts an outcome for a session it is given")
def step_fresh_process_predicts(context):
    process = context.process
    assert process.returncode == 0, f"the process failed:\n{process.stderr[-2000:]}"
    records = json.loads(process.stdout.strip().splitlines()[-1])
    assert len(records) == 1 and records[0]["prediction"] in (0, 1), records
    assert 0.0 <= records[0]["probability"] <= 1.0, records


@given("the example session-outcome recipe with point-in-time user and product features")
def step_example_recipe_with_features(context):
    _use_recipe(context, FEATURES_RECIPE)


@given("a model trained on it from {start} to {end}")
def step_model_trained_on_window(context, start, end):
    context.model = TrainedModel(context.config_env, train(context.settings, _window(start, end)))


@then("its artifact records each feature with its view's ttl:")
def step_artifact_records_feature_ttls(context):
    metadata = ModelStore(context.model.config).load_metadata(context.model.run_id)
    expected = {row["feature"]: parse_duration(row["ttl"]).total_seconds()
                for row in require_table(context, "feature", "ttl")}
    actual = {ref: metadata.feature_ttl_seconds.get(ref.split(":")[0])
              for ref in metadata.feature_refs}
    expect_equal("feature references and their ttls (seconds)", expected, actual)
