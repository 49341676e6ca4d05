"""Steps about the ``mmp`` command line as a user runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from behave import then, when

from steps.support.cli import run_cli
from steps.support.fixtures import EXAMPLE_RECIPE


@when("the data scientist runs the demo on {rows:d} sessions")
def step_run_demo(context, rows):
    context.cli = run_cli(["demo", "--rows", str(rows)], context.environ)


@then("the demo summary names the run id, the metrics, the predictions file and the MLflow UI")
def step_demo_summary(context):
    cli = context.cli
    assert cli.exit_code == 0, f"mmp demo exited {cli.exit_code}:\n{cli.stderr}"
    for label in ("run id:", "metrics:", "predictions:", "MLflow UI:"):
        assert label in cli.stdout, f"the summary lacks {label!r}:\n{cli.stdout}"
    match = re.search(r"predictions:\s+(\S+\.parquet) \((\d+) rows", cli.stdout)
    assert match, f"no predictions file in the summary:\n{cli.stdout}"
    context.predictions_file, context.predicted_rows = Path(match[1]), int(match[2])


@then("the predictions file it names holds a prediction for every session it scored")
def step_predictions_file_complete(context):
    frame = pd.read_parquet(context.predictions_file)
    assert len(frame) == context.predicted_rows > 0, (
        f"{len(frame)} rows in {context.predictions_file}, summary said {context.predicted_rows}")
    assert frame["prediction"].notna().all(), "some sessions have no prediction"


@when('the data scientist trains the example recipe with the parameter "{pair}"')
def step_cli_train_with_param(context, pair):
    context.cli = run_cli(["train", "--recipe", str(EXAMPLE_RECIPE), "--param", pair],
                          context.environ)


@then('the command fails saying "{message}" with the hint "{hint}"')
def step_command_fails(context, message, hint):
    cli = context.cli
    assert cli.exit_code != 0, f"the command succeeded:\n{cli.stdout}"
    assert message in cli.stderr and hint in cli.stderr, (
        f"expected {message!r} and hint {hint!r} in:\n{cli.stderr}")


@then("no traceback is shown")
def step_no_traceback(context):
    output = context.cli.stdout + context.cli.stderr
    assert "Traceback" not in output, f"a traceback reached the user:\n{output}"
