"""Steps about the feature store itself: definitions, registry, online store, commands."""

from __future__ import annotations

import pandas as pd
import yaml
from behave import given, then, when

from mmp.featurestore.definitions import load_definitions
from mmp.featurestore.online import OnlineFeatures
from mmp.featurestore.registry import FeatureRepository
from steps.support.cli import run_cli
from steps.support.feature_lab import lab_of, names
from steps.support.fixtures import PROJECT_ROOT
from steps.support.outcomes import attempt, require_refusal

DEFINITIONS = PROJECT_ROOT / "config" / "features" / "definitions.yaml"


@given('the feature definitions with "{path}" set to {value}')
def step_definitions_with_field(context, path, value):
    data = yaml.safe_load(DEFINITIONS.read_text())
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[leaf] = yaml.safe_load(value)
    context.definitions_path = context.workspace / "definitions.yaml"
    context.definitions_path.write_text(yaml.safe_dump(data))


@given("the online store has been filled with the latest values")
def step_online_store_filled(context):
    context.repository = lab_of(context).repository()
    context.repository.materialize()


@when("the feature definitions are loaded")
def step_load_definitions(context):
    attempt(context, lambda: load_definitions(context.definitions_path))


@when("the data scientist applies and materializes the feature definitions from the command line")
def step_cli_apply_and_materialize(context):
    context.cli_runs = [run_cli(["features", command], context.environ)
                        for command in ("apply", "materialize")]


@when('"{refs}" is looked up for {users}')
def step_online_lookup(context, refs, users):
    rows = pd.DataFrame({"user": names(users)})
    values = OnlineFeatures(context.repository).lookup(rows, names(refs))
    context.result, context.error = pd.concat([rows, values], axis=1), None


@then('the feature definitions are refused naming "{field}" because "{reason}"')
def step_definitions_refused(context, field, reason):
    require_refusal(context, field, reason)


@then('the commands report the feature views "{views}" and fill the online store')
def step_cli_reports_views(context, views):
    for cli in context.cli_runs:
        assert cli.exit_code == 0, f"the command exited {cli.exit_code}:\n{cli.stderr}"
    applied, materialized = (cli.stdout for cli in context.cli_runs)
    for view in names(views):
        assert applied.startswith(view) or f"\n{view}: " in applied, (
            f"`mmp features apply` does not report {view!r}:\n{applied}")
    store = FeatureRepository(context.config_env).online_location()
    expected = f"materialized {views} into {store}"
    assert expected in materialized, f"expected {expected!r} in:\n{materialized}"
