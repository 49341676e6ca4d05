"""Steps about corrupt input: one clear error, a hint, a non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

from behave import register_type, then, when
from parse_type import TypeBuilder

from mmp.artifact.store import ModelStore
from mmp.settings import EnvConfig
from steps.support.cli import run_cli
from steps.support.corrupt_inputs import CORRUPT_INPUTS, corrupt_input_command
from steps.support.outcomes import expect_equal


def _count_runs(config: EnvConfig) -> int:
    """Runs in the tracking store (a local store nobody opened yet has none)."""
    database = config.tracking_uri.removeprefix("sqlite:///")
    if config.tracking_uri.startswith("sqlite:///") and not Path(database).is_file():
        return 0
    client = ModelStore(config).client
    return sum(len(client.search_runs([e.experiment_id])) for e in client.search_experiments())


def _workspace_files(context) -> dict[str, tuple[int, int]]:
    """Every file of the workspace but the tracking store's own database and its lock."""
    return {str(p.relative_to(context.workspace)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in context.workspace.rglob("*")
            if p.is_file() and not p.name.startswith("mlflow.db")}


register_type(CorruptInput=TypeBuilder.make_enum({name: name for name in CORRUPT_INPUTS}))


@when("the data scientist gives mmp {corrupt_input:CorruptInput}")
def step_give_corrupt_input(context, corrupt_input):
    args = corrupt_input_command(corrupt_input, context.workspace / "inputs")
    context.runs_before = _count_runs(context.config_env)
    context.files_before = _workspace_files(context)
    context.cli = run_cli(args, context.environ)


@then('mmp exits non-zero with one error saying "{reason}" and a hint')
def step_one_clear_error(context, reason):
    cli = context.cli
    errors = [line for line in cli.stderr.splitlines() if line.startswith("error:")]
    hints = [line for line in cli.stderr.splitlines() if line.startswith("hint:")]
    assert cli.exit_code != 0, f"mmp succeeded:\n{cli.stdout}"
    assert len(errors) == 1 and reason in errors[0], (
        f"expected one error line saying {reason!r}, got:\n{cli.stderr}")
    assert len(hints) == 1, f"expected one hint line, got:\n{cli.stderr}"
    output = cli.stdout + cli.stderr
    assert "Traceback" not in output, f"a traceback reached the user:\n{output}"


@then("nothing was written: no run, no predictions, no output file")
def step_nothing_written(context):
    after = _workspace_files(context)
    written = sorted(p for p, stamp in after.items() if context.files_before.get(p) != stamp)
    expect_equal("files written or changed in the workspace", [], written)
    expect_equal("runs in the tracking store", context.runs_before,
                 _count_runs(context.config_env))
