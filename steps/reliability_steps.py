"""Steps about faults in the pipeline: killed or failing scoring runs and trainings started
together. Whatever happens, a result is complete or it is not there."""

from __future__ import annotations

import re
import signal

import pandas as pd
from behave import given, then, when

from mmp.artifact.store import ModelStore
from mmp.pipelines.batch import BatchResult, batch_inference
from mmp.pipelines.seed import seed_warehouse
from mmp.settings import load_config
from mmp.sql.template import Query
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate
from steps.support.fixtures import FEATURES_RECIPE, PROJECT_ROOT
from steps.support.outcomes import attempt, expect_equal, require_refusal, require_success
from steps.support.processes import kill_after_line, mmp_command, process_environ, run_together

#: Rows per chunk of the run that is killed: small enough that it is still scoring then.
KILLED_RUN_CHUNK_ROWS = 5
KEYS = ["user_id", "product_id", "event_timestamp"]


def _window(start: str, end: str) -> dict[str, str]:
    return {"start_date": start, "end_date": end}


def _score(context, chunk_rows: int | None = None) -> BatchResult:
    """Score ``context.window``; the progress lines it reports go to ``context.progress``."""
    context.progress = []
    return batch_inference(context.scoring_config, context.model.run_id, context.window,
                           context.predictions, context.progress.append, chunk_rows=chunk_rows)


def _kill_scoring_run(context) -> None:
    params = [arg for name, value in context.window.items()
              for arg in ("--param", f"{name}={value}")]
    command = mmp_command("batch-inference", "--run-id", context.model.run_id, *params,
                          "--out", str(context.predictions),
                          "--chunk-rows", str(KILLED_RUN_CHUNK_ROWS))
    environ = process_environ(context, context.workspace,
                              MLFLOW_TRACKING_URI=context.scoring_config.tracking_uri)
    killed = kill_after_line(command, environ, context.workspace, marker="scored ")
    assert killed.exit_code == -signal.SIGKILL, (
        f"the scoring run was not killed while scoring (exit {killed.exit_code}); "
        f"it printed:\n{killed.stderr[-3000:]}")


@given("a warehouse of {rows:d} sessions to score with the trained session-outcome model")
def step_warehouse_to_score(context, rows):
    """This scenario's warehouse and predictions; the shared model's tracking store."""
    environ = {**context.environ, "MLFLOW_TRACKING_URI": context.model.config.tracking_uri}
    context.scoring_config = load_config(context.env_name, environ=environ,
                                         directory=PROJECT_ROOT / "config")
    context.warehouse_counts = seed_warehouse(context.scoring_config, rows,
                                              context.scoring_config.test_mode.seed)
    context.predictions = context.workspace / "predictions" / "later-sessions.parquet"


@given("predictions for the sessions from {start} to {end} were written earlier")
def step_earlier_predictions(context, start, end):
    context.window = _window(start, end)
    _score(context)
    context.earlier = context.predictions.read_bytes()


@given("the feature model's predictions for the sessions from {start} to {end}, scored all at once")
def step_feature_predictions_at_once(context, start, end):
    context.scoring_config = context.model.config
    context.window = _window(start, end)
    context.predictions = context.workspace / "predictions" / "in-chunks.parquet"
    at_once = _score(context, chunk_rows=1_000_000)
    context.at_once = pd.read_parquet(at_once.path)
    assert at_once.rows > 1, f"the window selected {at_once.rows} sessions"


@given("a scoring run of the sessions from {start} to {end} was killed after its first chunk")
def step_killed_scoring_run(context, start, end):
    context.window = _window(start, end)
    _kill_scoring_run(context)


@given("the last {count:d} of those sessions have lost their page views")
def step_sessions_lose_page_views(context, count):
    _rewrite_last_sessions(context, count, "page_views", pd.NA, dtype="Int64")


@given("the last of those sessions lasted {seconds:g} seconds")
def step_last_session_lasted(context, seconds):
    _rewrite_last_sessions(context, 1, "session_duration", seconds)


def _rewrite_last_sessions(context, count: int, column: str, value, dtype: str | None = None):
    """Set ``column`` of the window's last ``count`` sessions in the warehouse to ``value``."""
    warehouse = open_warehouse(context.scoring_config)
    tables = {name: warehouse.fetch(Query(f'SELECT * FROM "{name}"', dialect=warehouse.dialect))
              for name in context.warehouse_counts}
    sessions = tables["sessions"]
    start, end = (pd.Timestamp(context.window[k]) for k in ("start_date", "end_date"))
    inside = sessions.index[(sessions.event_timestamp >= start) & (sessions.event_timestamp < end)]
    last = sessions.loc[inside].sort_values("event_timestamp").index[-count:]
    if dtype:
        sessions = sessions.astype({column: dtype})
    sessions.loc[last, column] = value
    tables["sessions"] = sessions
    warehouse.replace_tables(tables)


@when("a new scoring run of those sessions is killed after its first chunk")
def step_kill_new_scoring_run(context):
    _kill_scoring_run(context)


@when("the data scientist scores those sessions again")
def step_score_again(context):
    attempt(context, lambda: _score(context))


@when("the data scientist scores those sessions again, {rows:d} at a time")
def step_score_again_in_chunks(context, rows):
    attempt(context, lambda: _score(context, chunk_rows=rows))


@then("the earlier predictions are unchanged")
def step_earlier_predictions_unchanged(context):
    assert context.predictions.is_file(), f"the earlier predictions {context.predictions} are gone"
    assert context.predictions.read_bytes() == context.earlier, (
        f"the earlier predictions {context.predictions} were changed")


@then("the predictions are identical, row for row, to those scored all at once")
def step_predictions_as_at_once(context):
    in_chunks = pd.read_parquet(require_success(context).path)
    pd.testing.assert_frame_equal(in_chunks, context.at_once, check_exact=True)


@then("progress was reported after every chunk of {rows:d} sessions")
def step_progress_per_chunk(context, rows):
    total = require_success(context).rows
    expected = [f"scored {min(done, total)}/{total} rows"
                for done in range(rows, total + rows, rows)]
    expect_equal("progress lines", expected,
                 [line for line in context.progress if line.startswith("scored ")])


@then("every one of those sessions has exactly one prediction")
def step_every_session_once(context):
    scored = pd.read_parquet(require_success(context).path)
    sessions = generate(context.warehouse_counts["sessions"],
                        seed=context.scoring_config.test_mode.seed)["sessions"]
    start, end = (pd.Timestamp(context.window[k]) for k in ("start_date", "end_date"))
    expected = sessions[(sessions.event_timestamp >= start) & (sessions.event_timestamp < end)]
    expect_equal("scored sessions, in order", expected[KEYS].values.tolist(),
                 scored[KEYS].values.tolist())
    assert scored["probability"].between(0, 1).all(), "a probability lies outside [0, 1]"


@then("no partial predictions file is left behind")
def step_no_partial_file(context):
    others = sorted(p.name for p in context.predictions.parent.iterdir()
                    if p != context.predictions)
    expect_equal(f"files beside {context.predictions.name}", [], others)


@then('scoring is refused naming "{column}" in a chunk after the first')
def step_refused_in_later_chunk(context, column):
    error = require_refusal(context, column)
    rows = re.search(r"rows (\d+)-(\d+) of (\d+)", str(error))
    assert rows, f"the refusal does not say which rows failed: {error}"
    assert int(rows[1]) > 1, f"the refusal is about the first chunk, not a later one: {error}"


@when("two data scientists train the feature recipe at the same moment, "
      "on {a_start} to {a_end} and on {b_start} to {b_end}")
def step_train_together(context, a_start, a_end, b_start, b_end):
    windows = [_window(a_start, a_end), _window(b_start, b_end)]
    commands = [mmp_command("train", "--recipe", str(FEATURES_RECIPE),
                            *(f"--param={k}={v}" for k, v in window.items()))
                for window in windows]
    finished = run_together(commands, process_environ(context, context.workspace),
                            context.workspace)
    context.trainings = list(zip(windows, finished, strict=True))


@then("both trainings succeed with two different runs, each recording its own window")
def step_two_independent_runs(context):
    store = ModelStore(context.config_env)
    context.run_ids = []
    for window, finished in context.trainings:
        assert finished.exit_code == 0, (
            f"the training on {window} failed (exit {finished.exit_code}):\n"
            f"{finished.stderr[-3000:]}")
        run_id = re.search(r"run_id: (\w+)", finished.stdout)[1]
        params = store.load_metadata(run_id).params
        expect_equal(f"window recorded by run {run_id}", window,
                     {k: params.get(k) for k in window})
        context.run_ids.append(run_id)
    assert len(set(context.run_ids)) == 2, f"both trainings report one run: {context.run_ids}"


@then("each run scores the sessions from {start} to {end} with the registered features")
def step_each_run_scores(context, start, end):
    for run_id in context.run_ids:
        refs = ModelStore(context.config_env).load_metadata(run_id).feature_refs
        assert refs, f"run {run_id} recorded no feature-store features"
        result = batch_inference(context.config_env, run_id, _window(start, end),
                                 context.workspace / f"{run_id}.parquet")
        scored = pd.read_parquet(result.path)
        assert len(scored) == result.rows > 0, f"run {run_id} scored {len(scored)} rows"
        assert scored["probability"].between(0, 1).all(), f"run {run_id}: bad probabilities"
