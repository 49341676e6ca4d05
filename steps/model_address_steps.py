"""Steps about naming a model: by its run, a downloaded folder, or a registered name and
alias that the data scientist promotes."""

from __future__ import annotations

import json
import re
import uuid

import mlflow.sklearn
import pandas as pd
from behave import given, register_type, then, when
from parse_type import TypeBuilder
from sklearn.linear_model import LogisticRegression

from mmp.pipelines.batch import batch_inference
from steps.support.cli import run_cli
from steps.support.models import example_model
from steps.support.outcomes import expect_equal

#: How a scenario names a model, and the address that stands for it.
ADDRESSES = {
    "the downloaded model": lambda context: str(context.download),
    "the champion": lambda context: f"models:/{context.registered_name}@champion",
    "an empty folder": lambda context: str(_empty_folder(context)),
    "someone else's MLflow model": lambda context: str(_plain_mlflow_model(context)),
    "an unregistered champion": lambda context: "models:/no_such_model@champion",
    "a misspelt address": lambda context: "runs:/latest",
}
register_type(ModelAddress=TypeBuilder.make_enum({name: name for name in ADDRESSES}))


def _empty_folder(context):
    folder = context.workspace / "empty"
    folder.mkdir(exist_ok=True)
    return folder


def _plain_mlflow_model(context):
    """A scikit-learn model saved with MLflow alone: a model, but not an mmp one."""
    folder = context.workspace / "plain-model"
    mlflow.sklearn.save_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), str(folder),
                              pip_requirements=["scikit-learn"])  # no slow inference
    return folder


def _window(start: str, end: str) -> dict[str, str]:
    return {"start_date": start, "end_date": end}


def _cli_ok(context) -> str:
    cli = context.cli
    assert cli.exit_code == 0, f"mmp exited {cli.exit_code}:\n{cli.stdout}\n{cli.stderr}"
    return cli.stdout


def _promote(context, name: str) -> None:
    context.subject = example_model(context, name)
    context.cli = run_cli(["promote", "--run-id", context.subject.run_id,
                           "--name", context.registered_name, "--alias", "champion"],
                          context.subject.environ)


@given("the session-outcome model promoted as the champion")
def step_promoted_champion(context):
    context.registered_name = f"session_outcome_{uuid.uuid4().hex[:8]}"
    _promote(context, "session-outcome")
    _cli_ok(context)
    context.first_subject = context.subject


@when("the data scientist promotes the {name:ExampleModel} model as the champion")
def step_promote(context, name):
    _promote(context, name)


@when("the data scientist scores sessions from {start} to {end} with {address:ModelAddress}")
def step_score_with_address(context, start, end, address):
    model = getattr(context, "subject", None) or example_model(context, "session-outcome")
    context.window = _window(start, end)
    context.scored_file = context.workspace / "scored.parquet"
    context.cli = run_cli(["batch-inference", "--model-uri", ADDRESSES[address](context),
                           "--param", f"start_date={start}", "--param", f"end_date={end}",
                           "--out", str(context.scored_file)], model.environ)


@then("the predictions are identical to those scored with the model's run id")
def step_same_as_run(context):
    match = re.search(r"predictions: (\S+) \((\d+) rows", _cli_ok(context))
    assert match, f"no predictions file in:\n{context.cli.stdout}"
    subject = context.subject
    reference = batch_inference(subject.config, subject.run_id, context.window,
                                context.workspace / "by-run-id.parquet")
    by_address = pd.read_parquet(match[1])
    assert len(by_address) > 0, "nothing was scored"
    pd.testing.assert_frame_equal(pd.read_parquet(reference.path), by_address,
                                  check_exact=True)


@then("the champion is version {version} of the registered model, trained by that run")
def step_champion_is(context, version):
    _cli_ok(context)
    context.cli = run_cli(["inspect", "--model-uri",
                           f"models:/{context.registered_name}@champion"],
                          context.subject.environ)
    found = json.loads(_cli_ok(context))
    expect_equal("the champion's version and run",
                 {"version": version, "run": context.subject.run_id},
                 {"version": found["registered"]["version"], "run": found["run_id"]})
    assert context.first_subject.run_id != found["run_id"], "the champion did not move"
