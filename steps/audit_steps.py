"""Steps about auditing a data file against a trained model with ``mmp validate-schema``.

The JSON report the command prints lands on ``context.schema_report``, so the report
steps of ``schema_steps`` read it like any other schema report.
"""

from __future__ import annotations

import contextlib
import json

from behave import given, register_type, then, when
from parse_type import TypeBuilder

from steps.support.cli import run_cli
from steps.support.frames import new_sessions, typed_column
from steps.support.outcomes import expect_equal

register_type(DataFileFormat=TypeBuilder.make_enum({"parquet": ".parquet", "CSV": ".csv"}))


@given('a {suffix:DataFileFormat} file of new sessions whose "{column}" values are {values}')
def step_data_file(context, suffix, column, values):
    frame = new_sessions(["device", "session_duration", "page_views"], rows=2)
    frame[column] = typed_column(values, column).to_numpy()
    context.data_file = context.workspace / f"sessions{suffix}"
    (frame.to_csv if suffix == ".csv" else frame.to_parquet)(context.data_file, index=False)


@given('a file of new sessions named "{name}" holding the text "{text}"')
def step_file_with_text(context, name, text):
    context.data_file = context.workspace / name
    context.data_file.write_text(text, encoding="utf-8")


@when("the auditor checks the file against the trained model")
def step_audit_file(context):
    environ = {**context.environ, "APP_ENV": context.env_name,
               "MLFLOW_TRACKING_URI": context.model.config.tracking_uri}
    context.cli = run_cli(["validate-schema", "--model-uri", f"runs:/{context.model.run_id}/model",
                           "--data", str(context.data_file)], environ)
    context.schema_report = None
    with contextlib.suppress(json.JSONDecodeError):
        context.schema_report = json.loads(context.cli.stdout)


@then("the audit exits with code {code:d}")
def step_audit_exit_code(context, code):
    cli = context.cli
    expect_equal(f"exit code (stderr: {cli.stderr.strip()!r})", code, cli.exit_code)
    if code in (0, 3):
        expect_equal("the JSON report's verdict", code == 0, context.schema_report["valid"])
