"""Steps that prepare data as a warehouse or a file delivers it, for the schema checks:
sessions timed in UTC (``TIMESTAMP WITH TIME ZONE``), repeated columns, odd values.

The file lands on ``context.data_file`` for ``audit_steps``; a model trained here lands on
``context.model`` like the fixtures' models.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from behave import given, register_type
from parse_type import TypeBuilder

from mmp.pipelines.train import train
from mmp.settings import load_settings
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate
from steps.support.fixtures import CACHED_MODEL_ROWS, EXAMPLE_RECIPE, PROJECT_ROOT, TrainedModel
from steps.support.frames import new_sessions

#: Values no model input holds, as a parquet file can carry them.
_ODD_VALUES = {"lists of numbers": pa.array([[4], [7]]),
               "durations": pa.array([4, 7], type=pa.duration("s"))}
register_type(OddValues=TypeBuilder.make_choice(list(_ODD_VALUES)))


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _train_on_utc_warehouse(context, start: str, end: str, recipe) -> None:
    """Seed the scenario's warehouse with sessions timed in UTC (TIMESTAMP WITH TIME
    ZONE), then train ``recipe`` on the window."""
    tables = generate(CACHED_MODEL_ROWS, seed=context.config_env.test_mode.seed)
    sessions = tables["sessions"]
    tables["sessions"] = sessions.assign(
        event_timestamp=sessions["event_timestamp"].dt.tz_localize("UTC"))
    open_warehouse(context.config_env).replace_tables(tables)
    context.window = (pd.Timestamp(start), pd.Timestamp(end))
    settings = load_settings(recipe, config=context.config_env)
    window = {"start_date": start, "end_date": end}
    context.model = TrainedModel(context.config_env, train(settings, window))
    context.utc_sessions = tables["sessions"]


@given("a model trained on sessions from {start} to {end} that the warehouse records in UTC")
def step_model_trained_on_utc_sessions(context, start, end):
    _train_on_utc_warehouse(context, start, end, EXAMPLE_RECIPE)


@given("a model trained on sessions from {start} to {end} that learns from when each "
       "session started, recorded in UTC")
def step_model_learns_from_start_time(context, start, end):
    template = (PROJECT_ROOT / "recipes" / "sql" / "sessions.sql.j2").read_text("utf-8")
    sql = context.workspace / "sql" / "started.sql.j2"
    sql.parent.mkdir(parents=True, exist_ok=True)
    sql.write_text(template.replace("    event_timestamp,\n", "    event_timestamp,\n"
                                    "    event_timestamp AS started_at,\n"), "utf-8")
    recipe = context.workspace / "started.yaml"
    recipe.write_text(EXAMPLE_RECIPE.read_text("utf-8").replace(
        "sql/sessions.sql.j2", "sql/started.sql.j2"), "utf-8")
    _train_on_utc_warehouse(context, start, end, recipe)


@given("a {suffix:DataFileFormat} file of those sessions as the warehouse holds them")
def step_file_of_utc_sessions(context, suffix):
    sessions, (start, end) = context.utc_sessions, context.window
    window = sessions[(sessions.event_timestamp >= start.tz_localize("UTC"))
                      & (sessions.event_timestamp < end.tz_localize("UTC"))]
    _write_sessions(context, window.drop(columns=["outcome"]), suffix)


def _write_sessions(context, frame: pd.DataFrame, suffix: str) -> None:
    """``frame`` as a file to audit; parquet through Arrow, which keeps repeated names."""
    context.data_file = context.workspace / f"sessions{suffix}"
    if suffix == ".csv":
        frame.to_csv(context.data_file, index=False)
        return
    arrays = [pa.array(frame.iloc[:, i]) for i in range(frame.shape[1])]
    pq.write_table(pa.Table.from_arrays(arrays, names=list(map(str, frame.columns))),
                   context.data_file)


@given('a {suffix:DataFileFormat} file of new sessions with the columns "{columns}"')
def step_data_file_with_columns(context, suffix, columns):
    _write_sessions(context, new_sessions(_names(columns), rows=2), suffix)


@given('a parquet file of new sessions whose "{column}" column holds {values:OddValues}')
def step_parquet_with_odd_values(context, column, values):
    frame = new_sessions(["device", "session_duration", "page_views"], rows=2)
    table = pa.Table.from_pandas(frame.drop(columns=[column]), preserve_index=False)
    context.data_file = context.workspace / "sessions.parquet"
    pq.write_table(table.append_column(column, _ODD_VALUES[values]), context.data_file)
