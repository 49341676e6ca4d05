"""Steps about loading rows safely: typed parameters, sandboxed templates, read-only SQL,
the model allowlist and auditing a template with ``mmp render-sql``."""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import yaml
from behave import given, register_type, then, when
from parse_type import TypeBuilder

from mmp.pipelines.loading import build_query
from mmp.settings import load_settings
from mmp.settings.recipe import Loader, ParamSpec
from mmp.sql.template import Query
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate
from steps.support.cli import run_cli
from steps.support.fixtures import EXAMPLE_RECIPE
from steps.support.outcomes import attempt, expect_equal, require_refusal, require_success
from steps.support.tables import require_table

register_type(SqlOutput=TypeBuilder.make_enum({"JSON": "json", "text": "text"}))

SESSION_TEMPLATE = """\
-- Each session of the window under the caller's label, in the chosen order.
SELECT {{ label }} AS label, session_id, event_timestamp, session_duration
FROM sessions
WHERE event_timestamp >= {{ start_date }} AND event_timestamp < {{ end_date }}
  AND page_views >= {{ min_views }} AND session_duration >= {{ min_duration }}
  {%- if device is defined %} AND device = {{ device }}{% endif %}
ORDER BY {{ sort_column | identifier }}, session_id
"""
SESSION_INTERFACE = {"entity_columns": ["session_id"], "timestamp_column": "event_timestamp",
                     "target_column": "outcome", "task_type": "classification"}


def _spec(row: dict[str, str]) -> dict:
    """A parameter declaration from a table row: enum choices or a text length limit."""
    spec: dict = {"type": row["type"], **({"default": row["default"]} if row["default"] else {})}
    if row["type"] == "enum":
        spec["values"] = [v.strip() for v in row["allowed"].split(",")]
    elif row["allowed"]:
        spec["max_length"] = int(row["allowed"].split()[0])
    return spec


def _prepare(context, supplied: dict[str, str]) -> Query:
    """Render and check the loader's template exactly as training and batch inference do."""
    context.supplied = supplied
    context.query, context.values = build_query(
        context.loader, context.template_text, supplied,
        dialect=context.config_env.warehouse.kind, template_name=context.loader.source_uri)
    return context.query


def _seeded_sessions(context) -> pd.DataFrame:
    """The sessions the warehouse fixture wrote (the generator is deterministic)."""
    rows, seed = context.warehouse_counts["sessions"], context.config_env.test_mode.seed
    return generate(rows, seed=seed)["sessions"]


def _ids(frame: pd.DataFrame) -> list[int]:
    return sorted(frame["session_id"].tolist())


@given("a session loader whose recipe declares the parameters:")
def step_session_loader(context):
    rows = require_table(context, "parameter", "type", "allowed", "default")
    context.loader = Loader.model_validate({
        "source_uri": "sessions.sql.j2", "data_interface": SESSION_INTERFACE,
        "params": {row["parameter"]: _spec(row) for row in rows}})
    context.template_text = SESSION_TEMPLATE


@given('the session loader\'s template is "{template}"')
def step_session_template(context, template):
    context.template_text = template


@given("the session loader's template is:")
def step_session_template_text(context):
    context.template_text = context.text


def _declare(context, param: str, spec: ParamSpec) -> None:
    params = {**context.loader.params, param: spec}
    context.loader = context.loader.model_copy(update={"params": params})


@given("the session loader also declares the text parameter {param}")
def step_loader_declares_text(context, param):
    _declare(context, param, ParamSpec(type="string"))


@given('the recipe allows the session loader to read "{pattern}"')
def step_loader_allows_path(context, pattern):
    context.loader = context.loader.model_copy(update={"allowed_paths": [pattern]})


@given('the example recipe names the model class "{class_path}"')
def step_recipe_names_model_class(context, class_path):
    module = class_path.rpartition(".")[0]
    assert module not in sys.modules, f"{module!r} is already imported; pick another module"
    settings = load_settings(EXAMPLE_RECIPE, config=context.config_env)
    model = settings.recipe.model.model_copy(update={"class_path": class_path})
    recipe = settings.recipe.model_copy(update={"model": model})
    context.settings = settings.model_copy(update={"recipe": recipe})


@when("the session query is prepared")
@when('the session query is prepared with {param} set to "{value}"')
def step_prepare(context, param=None, value=None):
    attempt(context, lambda: _prepare(context, {param: value} if param else {}))


@when("the sessions are loaded")
@when('the sessions are loaded with {param} set to "{value}"')
def step_load(context, param=None, value=None):
    warehouse = open_warehouse(context.config_env)
    attempt(context, lambda: warehouse.fetch(_prepare(context, {param: value} if param else {})))


@when('"{sql}" is sent straight to the warehouse, skipping every check')
def step_send_unchecked(context, sql):
    query = Query(sql=sql, dialect=context.config_env.warehouse.kind)
    attempt(context, lambda: open_warehouse(context.config_env).fetch(query))


@when("an auditor renders the session template as {output:SqlOutput}")
@when('an auditor renders the session template as {output:SqlOutput} with {param} set to "{value}"')
def step_auditor_renders(context, output, param=None, value=None):
    folder = context.workspace / "audit"
    folder.mkdir(exist_ok=True)
    template = folder / context.loader.source_uri
    template.write_text(context.template_text, encoding="utf-8")
    recipe = folder / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"name": "session_audit", "model": {
        "class_path": "sklearn.linear_model.LogisticRegression",
        "loader": context.loader.model_dump(mode="json", exclude_none=True)}}))
    args = ["render-sql", str(template), "--recipe", str(recipe)]
    args += ["--param", f"{param}={value}"] if param else []
    context.cli = run_cli(args + (["--json"] if output == "json" else []), context.environ)
    context.cli_format = output


@then('the {param} parameter is refused because "{reason}"')
def step_parameter_refused(context, param, reason):
    require_refusal(context, f"parameter {param!r}", reason)


@then('the refusal lists the allowed parameters "{names}"')
def step_refusal_lists_allowed(context, names):
    expect_equal("hint", f"allowed parameters: {names}", require_refusal(context).hint)


@then('the query is refused because "{reason}"')
def step_query_refused(context, reason):
    require_refusal(context, reason)


@then("the query is accepted")
def step_query_accepted(context):
    require_success(context)


def _write_suggestion(context, suggestion: str, written: str, *also: str) -> None:
    """Write the refusal's suggestion (which its hint must give whole, not as part of another
    expression; ``also`` it must say too) in place of ``written``."""
    hint = require_refusal(context).hint or ""
    whole = rf"(?:^|[:,] |write |e\.g\. ){re.escape(suggestion)}(?:$|[;,]| in place of)"
    assert re.search(whole, hint), f"the hint does not suggest {suggestion!r}:\n  hint: {hint}"
    for expected in also:
        assert expected in hint, f"the hint does not say {expected!r}:\n  hint: {hint}"
    assert written in context.template_text, f"{written!r} is not in {context.template_text!r}"
    context.template_text = context.template_text.replace(written, suggestion)


def _follow_suggestion(context, suggestion: str, written: str, *also: str) -> None:
    """Write the refusal's suggestion, then load with the values the refused attempt was
    given: it must run."""
    _write_suggestion(context, suggestion, written, *also)
    warehouse = open_warehouse(context.config_env)
    attempt(context, lambda: warehouse.fetch(_prepare(context, context.supplied)))
    require_success(context)


@then('writing "{suggestion}" in place of "{written}", as the refusal suggests, leaves '
      '"{reason}"')
def step_suggestion_leaves_refusal(context, suggestion, written, reason):
    _write_suggestion(context, suggestion, written)
    attempt(context, lambda: _prepare(context, context.supplied))
    require_refusal(context, reason)


@then('the refusal suggests "{suggestion}" in place of "{written}", which runs')
def step_refusal_suggestion_runs(context, suggestion, written):
    _follow_suggestion(context, suggestion, written)


@then('declaring {param} as one of "{names}" and writing "{suggestion}" in place of '
      '"{written}", as the refusal suggests, runs')
def step_declaring_choice_runs(context, param, names, suggestion, written):
    _declare(context, param, ParamSpec(type="enum", values=[n.strip() for n in names.split(",")]))
    _follow_suggestion(context, suggestion, written, f"in place of {written}",
                       f"declare {param}", "type: enum")


@then('the same sessions come back as from the hand-written "{template}"')
def step_same_as_hand_written(context, template):
    frame, kind = require_success(context), context.config_env.warehouse.kind
    by_hand, _ = build_query(context.loader, template, {}, dialect=kind,
                             template_name=context.loader.source_uri)
    expected = open_warehouse(context.config_env).fetch(by_hand)
    expect_equal(f"sessions of {template!r}", _ids(expected), _ids(frame))


@then("the {param} reaches the warehouse only as a bind variable")
def step_value_only_bound(context, param):
    require_success(context)
    value, sql = context.supplied[param], context.query.sql
    assert value not in sql, f"the {param} {value!r} is part of the SQL text:\n{sql}"
    expect_equal(f"bind variable {param!r}", context.values[param], context.query.params.get(param))


@then("exactly the matching sessions come back")
def step_matching_sessions(context):
    frame, values, sessions = require_success(context), context.values, _seeded_sessions(context)
    keep = ((sessions.event_timestamp >= pd.Timestamp(values["start_date"]))
            & (sessions.event_timestamp < pd.Timestamp(values["end_date"]))
            & (sessions.page_views >= values["min_views"])
            & (sessions.session_duration >= values["min_duration"]))
    if "device" in values:
        keep &= sessions.device == values["device"]
    expect_equal(f"sessions for {context.supplied}", _ids(sessions[keep]), _ids(frame))


@then('each comes back labelled exactly "{label}"')
def step_each_labelled(context, label):
    expect_equal("labels", [label], require_success(context)["label"].unique().tolist())


@then("every session comes back exactly once")
def step_every_session_once(context):
    expect_equal("sessions", _ids(_seeded_sessions(context)), _ids(require_success(context)))


@then("every session is still in the warehouse")
def step_sessions_intact(context):
    query = Query(sql="SELECT session_id FROM sessions", dialect=context.config_env.warehouse.kind)
    frame = open_warehouse(context.config_env).fetch(query)
    expect_equal("sessions in the warehouse", _ids(_seeded_sessions(context)), _ids(frame))


@then("the sessions come back sorted by {column}, named in the SQL only in quotes")
def step_sorted_by_quoted_column(context, column):
    values, query = require_success(context)[column], context.query
    assert values.is_monotonic_increasing, f"not sorted by {column}: {values.head(8).tolist()}"
    quoted = f'"{column}"'  # written out: both warehouses quote names in double quotes
    assert f"ORDER BY {quoted}" in query.sql, f"{quoted} does not sort the SQL:\n{query.sql}"
    assert "sort_column" not in query.params, f"the column was bound as a value: {query.params}"


@then("nothing from \"{module}\" was imported")
def step_module_not_imported(context, module):
    assert module not in sys.modules, f"{module!r} was imported although it was refused"


def _cli_report(context) -> dict:
    """What render-sql reported in either format: {"sql", "params"} or {"error"}."""
    cli = context.cli
    if context.cli_format == "json":
        return json.loads(cli.stdout)
    sql, _, listing = cli.stdout.partition("-- bind variables:")
    pairs = (line.removeprefix("--").split(" = ", 1) for line in listing.splitlines()[1:])
    return {"sql": sql, "error": cli.stderr, "params": {n.strip(): json.loads(v) for n, v in pairs}}


@then("the command exits with {code:d}")
def step_command_exits(context, code):
    cli = context.cli
    expect_equal(f"exit code\n  stdout: {cli.stdout}\n  stderr: {cli.stderr}", code, cli.exit_code)


@then('it shows the bind variable {param} = "{value}", which is not in the SQL')
def step_cli_shows_bind_variable(context, param, value):
    report = _cli_report(context)
    expect_equal(f"bind variable {param!r}", value, report["params"].get(param))
    assert value not in report["sql"], f"{value!r} is part of the SQL:\n{report['sql']}"


@then('it gives the reason "{reason}"')
def step_cli_gives_reason(context, reason):
    report = _cli_report(context)
    assert reason in report.get("error", ""), f"the reason {reason!r} is missing: {report}"
