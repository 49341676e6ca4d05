"""Steps about environments: local versus real services, and services that do not answer."""

from __future__ import annotations

from unittest import mock

import pandas as pd
from behave import given, register_type, then, when
from parse_type import TypeBuilder

from mmp.featurestore.registry import FeatureRepository
from mmp.pipelines.batch import batch_inference
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.train import train
from mmp.settings import load_config, load_settings
from steps.support.cli import run_cli
from steps.support.fixtures import EXAMPLE_RECIPE, FEATURES_RECIPE, PROJECT_ROOT, scenario_environ
from steps.support.outcomes import attempt, expect_equal, require_refusal

#: A port nothing listens on (discard); the password must never reach a message.
CLOSED_PORT = 9
SECRET = "s3cret-do-not-print"
CLOSED = {
    "MLflow tracking server": {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{CLOSED_PORT}"},
    "PostgreSQL warehouse": {
        "MLFLOW_TRACKING_URI": "sqlite:///{workspace}/mlruns/mlflow.db",
        "MMP_PG_DSN": f"postgresql://mmp:{SECRET}@127.0.0.1:{CLOSED_PORT}/mmp"},
    "Redis online store": {"MMP_REDIS_URL": f"redis://127.0.0.1:{CLOSED_PORT}/0"},
}
register_type(Recipe=TypeBuilder.make_enum({
    "the session-outcome recipe": EXAMPLE_RECIPE,
    "the session-outcome recipe with point-in-time features": FEATURES_RECIPE}))


def _environ(context, env: str, folder: str, extra: dict[str, str] | None = None
             ) -> dict[str, str]:
    workspace = context.workspace / folder
    return {**scenario_environ(context, workspace), "APP_ENV": env,
            **{k: v.format(workspace=workspace) for k, v in (extra or {}).items()}}


def _config(context, env: str, folder: str, extra: dict[str, str] | None = None):
    return load_config(env, environ=_environ(context, env, folder, extra),
                       directory=PROJECT_ROOT / "config")


@given("both environments hold the same {rows:d} synthetic sessions and their feature views")
def step_both_environments_seeded(context, rows):
    context.envs = {env: _config(context, env, env) for env in ("local", "dev")}
    for config in context.envs.values():
        seed_warehouse(config, rows, config.test_mode.seed)
        FeatureRepository(config).apply()


@given("the real-services environment with its {service} at a closed port")
def step_service_at_closed_port(context, service):
    context.environ = _environ(context, "dev", "dev", CLOSED[service])
    context.config_env = _config(context, "dev", "dev", CLOSED[service])


@when("the data scientist trains {recipe:Recipe} on {start} to {end} and scores {later} to "
      "{last} in each environment")
def step_train_and_score_everywhere(context, recipe, start, end, later, last):
    context.outcomes = {}
    for env, config in context.envs.items():
        trained = train(load_settings(recipe, config=config),
                        {"start_date": start, "end_date": end})
        scored = batch_inference(config, trained.run_id,
                                 {"start_date": later, "end_date": last},
                                 context.workspace / f"{env}.parquet")
        context.outcomes[env] = (trained.metrics, pd.read_parquet(scored.path))


@when("the data scientist trains the example recipe there")
def step_train_there(context):
    attempt(context, lambda: train(load_settings(EXAMPLE_RECIPE, config=context.config_env)))


@when('the data scientist scores a window with run "{run_id}" there')
def step_score_there(context, run_id):
    attempt(context, lambda: batch_inference(context.config_env, run_id, {}))


@when("the operator starts serving the model with user and product features there")
def step_serve_there(context):
    """``mmp serve`` for the cached feature model, read from the store that holds it; the
    server itself never starts here: reaching it would mean the refusal did not happen."""
    environ = {**context.environ, "MLFLOW_TRACKING_URI": context.model.config.tracking_uri}
    started = AssertionError("mmp serve started the server instead of refusing")
    with mock.patch("uvicorn.run", side_effect=started):
        context.cli = run_cli(["serve", "--model-uri", context.model.run_id], environ)


@then("both environments report the same metrics")
def step_same_metrics(context):
    expect_equal("metrics (local vs dev)", context.outcomes["local"][0],
                 context.outcomes["dev"][0])


@then("both environments give identical predictions for every session")
def step_identical_predictions(context):
    local, dev = context.outcomes["local"][1], context.outcomes["dev"][1]
    assert len(local) > 0, "the local run scored no sessions"
    pd.testing.assert_frame_equal(local, dev, check_exact=True)


@then('scoring is refused because "{reason}"')
def step_scoring_refused(context, reason):
    require_refusal(context, reason)


@then('the refusal says to "{fix}" or to run with "{alternative}"')
def step_refusal_names_fix(context, fix, alternative):
    error = require_refusal(context)
    assert fix in (error.hint or "") and alternative in (error.hint or ""), (
        f"the hint does not name {fix!r} and {alternative!r}: {error.hint!r}")


@then("the refusal does not contain the database password")
def step_refusal_without_password(context):
    error = require_refusal(context)
    text = f"{error} {error.hint}"
    assert SECRET not in text, f"the password leaked into: {text}"
