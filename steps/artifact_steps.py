"""Steps about what a model's artifact knows: reproducing it, inspecting it, its pictures."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import tempfile
from pathlib import Path

from behave import given, register_type, then, when
from mlflow.tracking import MlflowClient

from mmp.artifact.store import FIGURES_PATH
from mmp.featurestore.definitions import parse_duration
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.train import train
from mmp.settings import load_settings
from steps.support.cli import run_cli
from steps.support.fixtures import CACHED_MODEL_WINDOW, EXAMPLE_RECIPE, PROJECT_ROOT
from steps.support.models import ExampleModelName, example_model, scenario_model
from steps.support.outcomes import expect_equal
from steps.support.tables import require_table

register_type(ExampleModel=ExampleModelName)
DIFFERENCES = ("rows", "time range", "content hash")
PNG = b"\x89PNG\r\n\x1a\n"


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r",| and ", text) if n.strip()]


def _cli_outcome(context, expected_exit: int) -> str:
    cli = context.cli
    assert cli.exit_code == expected_exit, (
        f"mmp exited {cli.exit_code}, expected {expected_exit}\n  stdout: {cli.stdout}\n"
        f"  stderr: {cli.stderr}")
    return cli.stdout


@given("the {name:ExampleModel} model")
def step_example_model(context, name):
    context.subject = example_model(context, name)


def _train_here(context, settings, start: str, end: str) -> None:
    result = train(settings, {"start_date": start, "end_date": end})
    context.subject = scenario_model(context, result.run_id, result.rows)


@given("a session-outcome model trained on sessions from {start} to {end}")
def step_model_trained_here(context, start, end):
    _train_here(context, load_settings(EXAMPLE_RECIPE, config=context.config_env), start, end)


@given("a session-outcome model left unseeded, trained on sessions from {start} to {end}")
def step_unseeded_model_trained_here(context, start, end):
    settings = load_settings(EXAMPLE_RECIPE, config=context.config_env)
    spec = settings.recipe.model
    unseeded = spec.model_copy(update={"hyperparameters": {**spec.hyperparameters,
                                                           "random_state": None}})
    recipe = settings.recipe.model_copy(update={"model": unseeded})
    _train_here(context, settings.model_copy(update={"recipe": recipe}), start, end)


@given("the sessions have since been reloaded with {rows:d} sessions")
def step_sessions_reloaded(context, rows):
    seed_warehouse(context.config_env, rows, context.config_env.test_mode.seed)


@given("the sessions have since been reloaded with {rows:d} other sessions")
def step_sessions_reloaded_other(context, rows):
    seed_warehouse(context.config_env, rows, context.config_env.test_mode.seed + 1)


@when("the data scientist reproduces it from its run id")
def step_reproduce(context):
    context.cli = run_cli(["reproduce", "--run-id", context.subject.run_id],
                          context.subject.environ)


@then("reproduction confirms the training data is unchanged")
def step_data_unchanged(context):
    stdout = _cli_outcome(context, 0)
    expected = f"training data unchanged: {context.subject.rows} rows"
    assert expected in stdout, f"expected {expected!r} in the report:\n{stdout}"


@then("every prediction on the held-out sessions is identical, bit for bit")
def step_predictions_identical(context):
    stdout = _cli_outcome(context, 0)
    match = re.search(r"predictions identical, bit for bit: (\d+) of (\d+) held-out", stdout)
    assert match and match[1] == match[2] != "0", f"no full, bit-for-bit match in:\n{stdout}"


@then("reproduction is refused because the data changed since training, naming {differences}")
def step_refused_data_changed(context, differences):
    _cli_outcome(context, 3)
    refusals = [line for line in context.cli.stderr.splitlines()
                if "error: data changed since training" in line]
    assert refusals, f"not a data-change refusal:\n{context.cli.stderr}"
    message = refusals[0].partition(": ")[2].partition(": ")[2]  # after "error: ... run X:"
    named = {d for d in DIFFERENCES if re.search(rf"(?<!held-out ){d} ", message)}
    expect_equal(f"what the refusal names as changed in:\n{message}",
                 sorted(_names(differences)), sorted(named))


@then("reproduction fails, showing how many held-out sessions differ and examples of them")
def step_reproduction_fails(context):
    stdout = _cli_outcome(context, 5)
    match = re.search(r"predictions differ on (\d+) of (\d+) held-out rows", stdout)
    assert match and 0 < int(match[1]) <= int(match[2]), f"no count of differences:\n{stdout}"
    table = stdout[match.end():].strip().splitlines()[1:]
    assert "(recorded)" in table[0] and "(retrained)" in table[0], f"no examples:\n{stdout}"
    expect_equal("example rows shown", min(5, int(match[1])), len(table) - 1)


@when("someone inspects the model by its run id")
def step_inspect(context):
    context.cli = run_cli(["inspect", "--run-id", context.subject.run_id],
                          context.subject.environ)
    context.inspection = json.loads(_cli_outcome(context, 0))


@then('the inspection names the recipe "{recipe}", its template "{template}" and the '
      'source table "{table}"')
def step_inspection_names(context, recipe, template, table):
    found = context.inspection
    expect_equal("recipe, template and source tables", (recipe, template, [table]),
                 (found["recipe"]["name"], found["template"]["name"],
                  found["lineage"]["source_tables"]))
    assert "FROM sessions" in found["template"]["text"], "the template text is not shown"


@then("the inspection lists each feature with its view's ttl:")
def step_inspection_ttls(context):
    expected = {row["feature"]: parse_duration(row["ttl"]).total_seconds()
                for row in require_table(context, "feature", "ttl")}
    expect_equal("features and their ttls (seconds)", expected,
                 {f["feature"]: f["ttl_seconds"] for f in context.inspection["features"]})


@then("it shows the training window, schema, metrics, fingerprint, package versions and git "
      "commit the model was trained with")
def step_inspection_shows_the_rest(context):
    found = context.inspection
    head = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip() or None
    expect_equal("what the inspection shows", {
        "window": CACHED_MODEL_WINDOW, "rows": context.subject.rows, "commit": head,
        "scikit-learn": importlib.metadata.version("scikit-learn"),
        "inputs in the schema": True, "metrics": {"accuracy", "f1", "roc_auc"},
    }, {
        "window": {k: found["params"][k] for k in CACHED_MODEL_WINDOW},
        "rows": found["fingerprint"]["rows"], "commit": found["lineage"]["git_commit"],
        "scikit-learn": found["package_versions"].get("scikit-learn"),
        "inputs in the schema": set(found["model_inputs"])
        <= {c["name"] for c in found["schema"]},
        "metrics": set(found["metrics"]) - {"baseline_accuracy"},
    })


@when("someone opens its training run")
def step_open_run(context):
    client = MlflowClient(context.subject.config.tracking_uri)
    with tempfile.TemporaryDirectory(prefix="mmp-pictures-") as tmp:
        folder = Path(client.download_artifacts(context.subject.run_id, FIGURES_PATH, tmp))
        context.pictures = {p.name: p.read_bytes() for p in folder.iterdir()}


@then('the run shows the pictures "{pictures}"')
def step_run_shows_pictures(context, pictures):
    files = {f"{name.lower().replace(' ', '_')}.png" for name in _names(pictures)}
    expect_equal("pictures of the run", sorted(files), sorted(context.pictures))
    for name, content in context.pictures.items():
        assert content.startswith(PNG) and len(content) > 5000, (
            f"{name} is not a drawn PNG picture ({len(content)} bytes)")
