"""Steps about the Spark environment: the same pipeline, the join inside Spark, all-or-nothing
scoring on the executors, the collect bound of training, materializing into the online store
and a Spark that cannot start."""

from __future__ import annotations

import datetime as dt
import re
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
from behave import given, then, when

from mmp.featurestore.join import join_point_in_time
from mmp.featurestore.registry import FeatureRepository, ViewRequest
from mmp.featurestore.spark_join import SparkPointInTimeJoin
from mmp.pipelines.batch import batch_inference
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.spark_batch import PARTITION
from mmp.pipelines.train import train
from mmp.settings import load_config, load_settings
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate
from steps.support.feature_lab import lab_of
from steps.support.fixtures import EXAMPLE_RECIPE, PROJECT_ROOT, scenario_environ
from steps.support.outcomes import attempt, expect_equal, require_refusal

#: Example rows the join parity scenarios use (the synthetic generator's, seed 42).
EXAMPLE_ROWS = 600
USER_FEATURES = ("sessions_7d", "conversion_rate_7d", "avg_duration_7d")


def _config(context, env: str, extra: dict[str, str] | None = None):
    workspace = context.workspace / env
    environ = {**scenario_environ(context, workspace), "APP_ENV": env, **(extra or {})}
    return load_config(env, environ=environ, directory=PROJECT_ROOT / "config")


def _view(name: str, table: str, keys: tuple[str, ...], ttl: dt.timedelta,
          features: tuple[str, ...]) -> ViewRequest:
    source = SimpleNamespace(table=table, timestamp_field="event_timestamp",
                             created_timestamp_column="created_timestamp")
    return ViewRequest(name, keys, ttl, features, source)


def dense_history(users: int, rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` values per user within ten days: every fifth shares its moment with the one
    before, a tenth have no known creation time, some are full ties (same moment and
    creation time, told apart only by the order they are stored in)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    frames = []
    for user in range(1, users + 1):
        minutes = np.sort(rng.integers(0, 10 * 24 * 60, rows))
        minutes[4::5] = minutes[3::5][: len(minutes[4::5])]
        event = start + pd.to_timedelta(minutes, unit="min")
        created = event + pd.to_timedelta(rng.integers(0, 3, rows), unit="h")
        created = pd.Series(created).where(rng.random(rows) > 0.1)
        frames.append(pd.DataFrame({
            "user_id": np.int64(user), "event_timestamp": event.astype("datetime64[us]"),
            "created_timestamp": created.astype("datetime64[us]"),
            "level": rng.integers(0, 1000, rows).astype("int64")}))
    order = rng.permutation(users * rows)
    return pd.concat(frames, ignore_index=True).iloc[order].reset_index(drop=True)


@given("the Spark warehouse and the embedded one hold the same {rows:d} synthetic sessions "
       "and their feature views")
def step_spark_and_local_seeded(context, rows):
    context.envs = {env: _config(context, env) for env in ("local", "spark")}
    for config in context.envs.values():
        seed_warehouse(config, rows, config.test_mode.seed)
        FeatureRepository(config).apply()


@given("the example sessions and their users' activity in the Spark warehouse")
def step_example_history(context):
    tables = generate(EXAMPLE_ROWS, seed=42)
    open_warehouse(context.config_env).replace_tables(tables)
    context.spine = tables["sessions"][["user_id", "event_timestamp"]]
    context.history = tables["user_features"]
    context.view = _view("user_activity", "user_features", ("user_id",), dt.timedelta(days=7),
                         USER_FEATURES)


@given("{users:d} users with {rows:d} activity values each in the Spark warehouse, many at "
       "the same moment")
def step_dense_history(context, users, rows):
    history = dense_history(users, rows)
    open_warehouse(context.config_env).replace_tables({"dense_history": history})
    rng = np.random.default_rng(11)
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 11 * 24 * 60, 300), unit="min")
    context.spine = pd.DataFrame({"user_id": rng.integers(1, users + 2, 300).astype("int64"),
                                  "event_timestamp": times.astype("datetime64[us]")})
    context.history = history
    context.view = _view("activity", "dense_history", ("user_id",), dt.timedelta(hours=36),
                         ("level",))


@when("the sessions are joined to their features inside Spark and by the local engine")
@when("the sessions are joined to their features inside Spark and by the local engine, as "
      "known on {known}")
def step_join_both(context, known=None):
    view = context.view
    context.joined = {
        "spark": SparkPointInTimeJoin(context.config_env).retrieve(
            context.spine, [view], timestamp_column="event_timestamp", created_before=known),
        "local": join_point_in_time(context.spine, context.history, keys=list(view.join_keys),
                                    ttl=view.ttl, features=list(view.features),
                                    created_before=known, view=view.name)}


@then("both joins give every session the same features")
def step_same_features(context):
    spark, local = context.joined["spark"], context.joined["local"]
    differ = (spark.ne(local) & ~(spark.isna() & local.isna())).any(axis=1)
    assert len(spark) == len(local) and not differ.any(), (
        f"{int(differ.sum())} of {len(local)} sessions differ; first ones (local, then "
        f"Spark):\n{local[differ].head()}\n{spark[differ].head()}")
    found = local[list(context.view.features)].notna().all(axis=1)
    assert found.any() and not found.all(), "the example should hold rows with and without a match"


@then("Spark reports the embedded default's metrics")
def step_spark_metrics(context):
    expect_equal("metrics (local vs Spark)", context.outcomes["local"][0],
                 context.outcomes["spark"][0])


@then("Spark gives the embedded default's prediction for every session, stored by day")
def step_spark_predictions(context):
    local, spark = context.outcomes["local"][1], context.outcomes["spark"][1]
    days = local["event_timestamp"].dt.strftime("%Y-%m-%d")
    expect_equal("days the predictions are stored under", sorted(days.unique()),
                 sorted(spark[PARTITION].astype(str).unique()))
    keys = ["event_timestamp", "user_id", "product_id"]
    spark = spark.drop(columns=[PARTITION]).sort_values(keys, kind="stable")
    assert len(local) > 0, "the local run scored no sessions"
    pd.testing.assert_frame_equal(local.sort_values(keys, kind="stable").reset_index(drop=True),
                                  spark.reset_index(drop=True), check_exact=True)


@given("a model trained on the embedded default, and a late session of {start} to {end} "
       "in the Spark warehouse holding a duration no model can score")
def step_model_and_bad_session(context, start, end):
    local = load_config("local", environ=context.environ, directory=PROJECT_ROOT / "config")
    seed_warehouse(local, EXAMPLE_ROWS, local.test_mode.seed)
    context.run_id = train(load_settings(EXAMPLE_RECIPE, config=local),
                           {"start_date": "2024-01-01", "end_date": start}).run_id
    tables = generate(EXAMPLE_ROWS, seed=local.test_mode.seed)
    sessions = tables["sessions"]
    late = sessions.index[sessions["event_timestamp"] < pd.Timestamp(end)][-1]
    sessions.loc[late, "session_duration"] = np.inf
    open_warehouse(context.config_env).replace_tables(tables)
    context.window = {"start_date": start, "end_date": end}


@when("the data scientist scores that window on Spark")
def step_score_on_spark(context):
    context.out = context.workspace / "predictions.parquet"
    attempt(context, lambda: batch_inference(context.config_env, context.run_id,
                                             context.window, context.out))


@then("no predictions were written for that window, not even in part")
def step_nothing_written(context):
    require_refusal(context)
    left = sorted(p.name for p in context.out.parent.glob(f"*{context.out.name}*"))
    expect_equal("what scoring left beside the destination", [], left)


@given('the Spark environment with {setting} set to "{value}"')
def step_spark_setting(context, setting, value):
    context.config_env = _config(context, "spark", {setting: value})


@when("the data scientist trains the example recipe on that Spark")
def step_train_on_that_spark(context):
    started = time.monotonic()
    attempt(context, lambda: train(load_settings(EXAMPLE_RECIPE, config=context.config_env)))
    context.seconds = time.monotonic() - started


@then("the refusal came within {seconds:d} seconds")
def step_refusal_within(context, seconds):
    require_refusal(context)
    assert context.seconds <= seconds, (
        f"the refusal took {context.seconds:.1f} s, more than {seconds} s")



@given("the Spark environment collects at most {rows:d} rows for training")
def step_collect_bound(context, rows):
    config = context.config_env
    spark = config.warehouse.spark.model_copy(update={"collect_max_rows": rows})
    warehouse = config.warehouse.model_copy(update={"spark": spark})
    context.config_env = config.model_copy(update={"warehouse": warehouse})


@then("the refusal's hint names {fixes}")
def step_hint_names(context, fixes):
    hint = require_refusal(context).hint or ""
    missing = [fix for fix in re.findall(r'"([^"]+)"', fixes) if fix not in hint]
    assert not missing, f"the hint does not name {missing}: {hint!r}"


@given("the online store has been filled with the latest values by a command that has not "
       "opened the Spark warehouse")
def step_materialized_by_new_command(context):
    """As `mmp features materialize` in a new process: the rows are written and the views
    applied, then the session's catalog forgets every table (a new process has named none;
    the Parquet folders stay) and a new repository materializes."""
    lab = lab_of(context)
    lab.repository()
    spark = open_warehouse(context.config_env).spark
    for table in spark.catalog.listTables():
        if not table.isTemporary:
            spark.sql(f"DROP TABLE `{table.name}`")
    context.repository = FeatureRepository(context.config_env, lab.definitions())
    context.repository.materialize()
