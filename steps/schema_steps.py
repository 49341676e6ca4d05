"""Steps about the training schema: what it records and how new data is held to it.

The schema report of the last check is kept on ``context.schema_report`` (as JSON data),
whether it came from the engine or from ``mmp validate-schema`` (``audit_steps``).
"""

from __future__ import annotations

import logging
from logging.handlers import BufferingHandler
from typing import get_args

import pandas as pd
from behave import given, register_type, then, when
from parse_type import TypeBuilder

from mmp.artifact.store import ModelStore
from mmp.errors import SchemaDriftError
from mmp.schema import capture_schema, conform_frame
from mmp.schema.validate import Rule
from mmp.settings import load_config
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate
from steps.support.fixtures import CACHED_MODEL_ROWS, PROJECT_ROOT, TrainedModel
from steps.support.frames import new_sessions, typed_column, typed_frame
from steps.support.outcomes import attempt, expect_equal, require_refusal, require_success
from steps.support.tables import require_table

register_type(SchemaVerdict=TypeBuilder.make_choice(
    ["accepted with a warning", "accepted", "refused"]))
register_type(SchemaFinding=TypeBuilder.make_choice(["nothing", *get_args(Rule)]))


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _typed(spec: str, name: str) -> pd.Series:
    """A typed column; ``string: a, b`` is pandas' own text dtype."""
    if spec.startswith("string: "):
        cells = [v.strip() for v in spec.removeprefix("string: ").split(",")]
        return pd.Series([None if c == "null" else c for c in cells], dtype="string", name=name)
    return typed_column(spec, name)


def _check(context, schema, frame: pd.DataFrame) -> None:
    """Conform ``frame``; keep the outcome, the report and what was logged as warnings."""
    context.schema, recorder = schema, BufferingHandler(capacity=100)
    logging.getLogger("mmp.schema").addHandler(recorder)
    try:
        attempt(context, lambda: conform_frame(schema, frame))
    finally:
        logging.getLogger("mmp.schema").removeHandler(recorder)
    context.logged_warnings = [r.getMessage() for r in recorder.buffer
                               if r.levelno == logging.WARNING]
    report = context.error.report if context.error else context.result.report
    context.schema_report = report.model_dump(mode="json")


@given('a model trained on "{column}" values {values}')
def step_model_trained_on_values(context, column, values):
    context.schema = capture_schema(_typed(values, column).to_frame(),
                                    {column: "feature"})


@when('new data arrives with "{column}" values {values}')
def step_new_data_arrives(context, column, values):
    _check(context, context.schema, _typed(values, column).to_frame())


@given('new sessions with the columns "{columns}"')
def step_new_sessions_with_columns(context, columns):
    context.new_data = new_sessions(_names(columns))


@given("no new sessions")
def step_no_new_sessions(context):
    context.new_data = new_sessions(["device", "session_duration", "page_views"]).iloc[:0]


@given("new sessions:")
def step_new_sessions_table(context):
    context.new_data = typed_frame(context.table)


@when("the new sessions are checked against the trained model")
def step_check_new_sessions(context):
    metadata = ModelStore(context.model.config).load_metadata(context.model.run_id)
    _check(context, metadata.training_schema, context.new_data)


@then("the new data is {verdict:SchemaVerdict}")
def step_new_data_verdict(context, verdict):
    report = context.schema_report
    if verdict == "refused":
        error = require_refusal(context)
        assert isinstance(error, SchemaDriftError), f"refused, but not for drift: {error}"
        return
    conformed = require_success(context)
    warnings = [p for p in report["problems"] if p["severity"] == "warning"]
    if verdict == "accepted":
        expect_equal("problems reported", [], report["problems"])
    else:
        assert warnings, f"accepted without a warning: {report}"
        expect_equal("warnings logged", len(warnings), len(context.logged_warnings))
        unlogged = [w for w in map(str, conformed.report.warnings)
                    if f"schema: {w}" not in context.logged_warnings]
        assert not unlogged, f"warnings not logged: {unlogged}\nlogged: {context.logged_warnings}"
    dtypes = {n: str(t) for n, t in conformed.frame.dtypes.items()}
    expected = {n: context.schema.column(n).model_dtype for n in dtypes}
    expect_equal("dtypes the model receives (training's)", expected, dtypes)


@then('the schema report lists {finding:SchemaFinding} for "{column}"')
def step_report_lists_for_column(context, finding, column):
    report = context.schema_report
    assert report is not None, f"no schema report; the command said:\n{context.cli.stderr}"
    found = [p for p in report["problems"] if p["column"] == column]
    if finding == "nothing":
        expect_equal(f"problems reported for {column!r}", [], found)
        return
    expect_equal(f"rules broken by {column!r}", [finding], [p["rule"] for p in found])
    assert found[0]["expected"] and found[0]["actual"] and found[0]["message"], found[0]


@then('the schema report says "{text}" about "{column}"')
def step_report_says_about_column(context, text, column):
    said = [f"expected {p['expected']}, got {p['actual']} ({p['rule']}): {p['message']}"
            for p in context.schema_report["problems"] if p["column"] == column]
    assert any(text in line for line in said), (
        f"nothing the report says about {column!r} contains {text!r}; it says:\n  "
        + ("\n  ".join(said) or "nothing"))


@then("the schema report lists {finding:SchemaFinding} for the data as a whole")
def step_report_lists_for_data(context, finding):
    found = [p["rule"] for p in context.schema_report["problems"] if p["column"] is None]
    expect_equal("problems of the data as a whole", [finding], found)


@then('the model receives the columns "{columns}"')
def step_model_receives_columns(context, columns):
    expect_equal("columns the model receives", _names(columns),
                 list(require_success(context).frame.columns))


@then("the new data is refused with exactly these findings:")
def step_refused_with_findings(context):
    expected = require_table(context, "column", "rule", "severity", "expected", "actual")
    columns = {r["column"] for r in expected if r["severity"] == "error"}
    require_refusal(context, *sorted(columns))
    keys = ("column", "rule", "severity", "expected", "actual")
    actual = [{k: p[k] for k in keys} for p in context.schema_report["problems"]]
    expect_equal("schema report", expected, actual)


@then("its training schema records:")
def step_training_schema_records(context):
    expected = require_table(context, "column", "role", "type", "missing values")
    actual = []
    for c in require_success(context).training_schema.columns:
        kind = c.logical_type
        if c.categories:
            kind += ": " + ", ".join(c.categories)
        if kind == "datetime":
            kind += f" ({c.timezone or 'UTC'})"
        actual.append({"column": c.name, "role": c.role, "type": kind,
                       "missing values": "seen" if c.nullable else "never"})
    expect_equal("training schema", expected, actual)


@when("MLflow reads the trained model's signature")
def step_mlflow_reads_signature(context):
    model = ModelStore(context.model.config).load_model(context.model.run_id)
    context.signature = model.metadata.signature


@then('MLflow lists the inputs "{inputs}"')
def step_mlflow_lists_inputs(context, inputs):
    actual = [f"{c.name}: {c.type.name}" for c in context.signature.inputs.inputs]
    expect_equal("MLflow signature inputs", _names(inputs), actual)


@given("the warehouse now records page views as text")
def step_warehouse_page_views_as_text(context):
    model = context.model
    config = load_config(context.env_name, directory=PROJECT_ROOT / "config", environ={
        **context.environ, "MLFLOW_TRACKING_URI": model.config.tracking_uri})
    tables = generate(CACHED_MODEL_ROWS, seed=config.test_mode.seed)
    clean = dict(tables)
    tables["sessions"] = tables["sessions"].astype({"page_views": str})
    warehouse = open_warehouse(config)
    warehouse.replace_tables(tables)
    context.add_cleanup(warehouse.replace_tables, clean)  # a shared warehouse is restored
    context.model = TrainedModel(config, model.result)


@then('batch inference is refused because "{column}" breaks the rule {rule:SchemaFinding}')
def step_batch_refused(context, column, rule):
    error = require_refusal(context, column, rule)
    assert isinstance(error, SchemaDriftError), f"refused, but not for drift: {error}"


@then("no predictions are written")
def step_no_predictions_written(context):
    written = sorted(map(str, context.workspace.rglob("*.parquet")))
    expect_equal("prediction files written", [], written)

