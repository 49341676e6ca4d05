"""Steps about recipes and environment config: loading, refusing, merging."""

from __future__ import annotations

import shutil

import yaml
from behave import given, then, when

from mmp.settings import load_config, load_settings
from steps.support.fixtures import EXAMPLE_RECIPE, PROJECT_ROOT
from steps.support.outcomes import attempt, expect_equal, require_refusal, require_success
from steps.support.tables import require_table

INTERFACE = ("model", "loader", "data_interface")


def _example_recipe() -> dict:
    return yaml.safe_load(EXAMPLE_RECIPE.read_text())


def _write_recipe(context, data: dict | None = None, text: str | None = None) -> None:
    """Write a recipe beside a copy of the example SQL templates, in the workspace."""
    folder = context.workspace / "recipes"
    shutil.copytree(EXAMPLE_RECIPE.parent / "sql", folder / "sql", dirs_exist_ok=True)
    context.recipe_path = folder / "recipe.yaml"
    context.recipe_path.write_text(text if text is not None else yaml.safe_dump(data))


def _node(data: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        data = data[key]
    return data


@given('the example recipe without its data-interface field "{field}"')
def step_example_recipe_without_field(context, field):
    data = _example_recipe()
    del _node(data, INTERFACE)[field]
    _write_recipe(context, data)


@given('the example recipe with its data-interface field "{field}" set to {value}')
def step_example_recipe_with_field(context, field, value):
    data = _example_recipe()
    _node(data, INTERFACE)[field] = yaml.safe_load(value)
    _write_recipe(context, data)


@given('the example recipe with the extra field "{path}" set to {value}')
def step_example_recipe_with_extra_field(context, path, value):
    data = _example_recipe()
    *parents, leaf = path.split(".")
    _node(data, tuple(parents))[leaf] = yaml.safe_load(value)
    _write_recipe(context, data)


@given('the example recipe with its loader template set to "{template}"')
def step_example_recipe_with_template(context, template):
    data = _example_recipe()
    _node(data, ("model", "loader"))["source_uri"] = template
    _write_recipe(context, data)


@given('a recipe file whose text is "{text}"')
def step_recipe_file_with_text(context, text):
    _write_recipe(context, text=text)


@given('the environment variable "{name}" is "{value}"')
def step_environment_variable(context, name, value):
    context.environ[name] = value


@when("the data scientist loads the example session-outcome recipe")
def step_load_example_recipe(context):
    attempt(context, lambda: load_settings(EXAMPLE_RECIPE, config=context.config_env))


@when("the data scientist loads the recipe")
def step_load_recipe(context):
    attempt(context, lambda: load_settings(context.recipe_path, config=context.config_env,
                                           environ=context.environ))


@when('the config of the "{env}" environment is loaded')
def step_load_config(context, env):
    attempt(context, lambda: load_config(env, environ=context.environ,
                                         directory=PROJECT_ROOT / "config"))


@then("the recipe's data interface is:")
def step_data_interface_is(context):
    interface = require_success(context).recipe.model.loader.data_interface
    actual = {
        "entities": ", ".join(interface.entity_columns),
        "timestamp": interface.timestamp_column,
        "target": interface.target_column,
        "task": interface.task_type,
    }
    expected = {row["role"]: row["columns"] for row in require_table(context, "role", "columns")}
    expect_equal("data interface", expected, actual)


@then('the recipe is refused naming "{field}" because "{reason}"')
def step_recipe_refused(context, field, reason):
    require_refusal(context, field, reason)


@then('the config is refused because "{reason}"')
def step_config_refused(context, reason):
    require_refusal(context, reason)


@then('the warehouse is a "{kind}" file in the workspace')
def step_warehouse_file_in_workspace(context, kind):
    config = require_success(context)
    expect_equal("warehouse kind", kind, config.warehouse.kind)
    assert config.warehouse_path.is_relative_to(context.workspace), (
        f"warehouse {config.warehouse_path} is outside the workspace {context.workspace}")


@then('the warehouse is a "{kind}" database')
def step_warehouse_database(context, kind):
    expect_equal("warehouse kind", kind, require_success(context).warehouse.kind)


@then("the MLflow tracking store is a SQLite file in the workspace")
def step_tracking_store_sqlite(context):
    uri = require_success(context).tracking_uri
    expect_equal("tracking store", f"sqlite:///{context.workspace}/mlruns/mlflow.db", uri)


@then('the MLflow tracking store is "{uri}"')
def step_tracking_store_is(context, uri):
    expect_equal("tracking store", uri, require_success(context).tracking_uri)


@then('the MLflow experiment is "{name}"')
def step_experiment_is(context, name):
    expect_equal("MLflow experiment", name, require_success(context).mlflow.experiment)
