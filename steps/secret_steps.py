"""Steps about secrets: a password in the environment never reaches a model or its run."""

from __future__ import annotations

import re

from behave import given, then, when

from mmp.artifact import registry
from mmp.artifact.store import ModelStore
from mmp.settings import load_config
from steps.support.cli import run_cli
from steps.support.fixtures import EXAMPLE_RECIPE, PROJECT_ROOT
from steps.support.models import cli_environ
from steps.support.outcomes import expect_equal
from steps.support.run_contents import run_contents, with_password

#: The DSN a password is given with when the environment's config names none (local).
OTHER_DSN = "postgresql://mmp@127.0.0.1:5432/mmp"


@given('the database password "{password}" is set in the environment the pipeline runs in')
def step_password_in_environment(context, password):
    """Every variable that carries a credential: the warehouse and admin DSNs (read as
    the warehouse in dev) and MLflow's own tracking credentials."""
    context.password = password
    config = context.config_env
    admin = config.services.postgres_admin_dsn if config.services else OTHER_DSN
    context.secret_environ = {
        **cli_environ(context, context.workspace),
        "MMP_PG_DSN": with_password(config.warehouse.dsn or OTHER_DSN, password),
        "MMP_PG_ADMIN_DSN": with_password(admin, password),
        "MLFLOW_TRACKING_USERNAME": "mmp", "MLFLOW_TRACKING_PASSWORD": password,
        "MMP_REDIS_URL": f"redis://:{password}@127.0.0.1:6379/0",
    }
    context.secret_config = load_config(context.env_name, environ=context.secret_environ,
                                        directory=PROJECT_ROOT / "config")


@when("the data scientist trains the example recipe from the command line")
def step_train_from_cli(context):
    context.cli = run_cli(["train", "--recipe", str(EXAMPLE_RECIPE), "--param",
                           "start_date=2024-01-01", "--param", "end_date=2024-01-21"],
                          context.secret_environ)
    match = re.search(r"run_id: ([0-9a-f]{32})", context.cli.stdout)
    assert context.cli.exit_code == 0 and match, (
        f"training failed ({context.cli.exit_code}):\n{context.cli.stdout}\n{context.cli.stderr}")
    context.trained_run = match[1]


@then("the password appears in no file, param, tag or recorded fact of the model and its "
      "run, nor in what training printed")
def step_password_nowhere(context):
    places = run_contents(context.secret_config, context.trained_run)
    places["training output"] = (context.cli.stdout + context.cli.stderr).encode()
    searched = {"file model/model/artifacts/metadata.json", "file model/model/MLmodel",
                "param recipe", "mmp inspect"}
    assert searched <= set(places), f"not searched: {sorted(searched - set(places))}"
    leaks = sorted(where for where, content in places.items()
                   if context.password.encode() in content)
    assert not leaks, f"the password is in {len(leaks)} of {len(places)} places: {leaks}"


@then("the model names the warehouse it read, with any password masked")
def step_source_masked(context):
    config = context.secret_config
    _, metadata = registry.read_metadata(ModelStore(config), context.trained_run)
    expected = (with_password(config.warehouse_dsn, "***") if config.warehouse.kind ==
                "postgres" else f"duckdb:{config.warehouse_path}")
    expect_equal("the warehouse the model names", expected, metadata.source)
