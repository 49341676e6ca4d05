"""Steps about the latency budgets: measure repeatedly, report the number, compare."""

from __future__ import annotations

import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd
from behave import given, then, when
from behave.fixture import use_fixture

from mmp.artifact.store import ModelStore
from mmp.featurestore.join import join_point_in_time
from mmp.pipelines.demo import run_demo
from mmp.pipelines.loading import build_query
from mmp.schema import validate_frame
from mmp.settings import load_settings
from mmp.synthetic import generate
from serving.settings import ServingSettings
from steps.support.api import live_api
from steps.support.fixtures import CACHED_MODEL_ROWS, EXAMPLE_RECIPE

SESSION = {"user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 300.0,
           "page_views": 5}


def _report(context, name: str, value: float, unit: str) -> None:
    """Put the measured number in the scenario's output (and so in every report)."""
    context.measured = (name, value, unit)
    print(f"measured {name}: {value:.3f} {unit}")


@given("the trained session-outcome model is served by a running service")
def step_model_served_live(context):
    use_fixture(live_api, context, ServingSettings(model_uri=context.model.run_id),
                context.model.config)


@when("the complete pipeline runs {times:d} times on {rows:d} synthetic sessions")
def step_pipeline_repeatedly(context, times, rows):
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        run_demo(EXAMPLE_RECIPE, rows, progress=lambda _msg: None, config=context.config_env)
        durations.append(time.perf_counter() - started)
    _report(context, "median pipeline duration", statistics.median(durations), "s")


@when("a client asks for {count:d} single-session predictions one after another")
def step_many_predictions(context, count):
    context.api.post("/predict", json=SESSION)  # warm-up: first request builds the models
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = context.api.post("/predict", json=SESSION)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    p99 = statistics.quantiles(timings, n=100)[98]
    _report(context, f"p99 of {count} predictions (p50 {statistics.median(timings) * 1000:.1f}"
                     " ms)", p99 * 1000, "ms")


@then("its median duration is under {limit:d} seconds")
@then("the 99th percentile of their response times is under {limit:d} milliseconds")
@then("the median check takes under {limit:d} milliseconds")
@then("the median rendering takes under {limit:d} milliseconds")
def step_under_budget(context, limit):
    name, value, unit = context.measured
    assert value < limit, f"{name} is {value:.3f} {unit}; the budget is {limit} {unit}"


def _median_ms(action, times: int) -> float:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


@given("{rows:d} new sessions to score with the trained model")
def step_many_new_sessions(context, rows):
    schema = context.model_metadata_schema = _trained_schema(context)
    sample = generate(CACHED_MODEL_ROWS, seed=7)["sessions"]
    columns = [c.name for c in schema.columns if c.role in ("entity", "feature")]
    context.frame = sample[columns].sample(rows, replace=True, random_state=7,
                                           ignore_index=True)


def _trained_schema(context):
    return ModelStore(context.model.config).load_metadata(context.model.run_id).training_schema


@when("their schema is checked {times:d} times")
def step_check_schema_repeatedly(context, times):
    report = validate_frame(context.model_metadata_schema, context.frame)
    assert report.valid, f"the generated sessions do not match the schema: {report}"
    median = _median_ms(lambda: validate_frame(context.model_metadata_schema, context.frame),
                        times)
    _report(context, f"median schema check of {len(context.frame):,} rows", median, "ms")


@when("the example recipe's SQL is rendered and checked {times:d} times")
def step_render_repeatedly(context, times):
    settings = load_settings(EXAMPLE_RECIPE, config=context.config_env)
    window = {"start_date": "2024-01-01", "end_date": "2024-02-01"}

    def render() -> None:
        build_query(settings.recipe.model.loader, settings.template_text, window,
                    dialect="duckdb", template_name=settings.template_path.name)

    _report(context, "median render + check", _median_ms(render, times), "ms")


@given("{spine:d} sessions and {rows:d} feature rows over {users:d} users and {days:d} days")
def step_join_data(context, spine, rows, users, days):
    rng = np.random.default_rng(42)
    start = pd.Timestamp("2024-01-01")
    span = pd.Timedelta(days=days).value
    context.spine = pd.DataFrame({
        "user_id": rng.integers(0, users, spine),
        "event_timestamp": start + pd.to_timedelta(rng.integers(0, span, spine), unit="ns")})
    event = start + pd.to_timedelta(rng.integers(0, span, rows), unit="ns")
    context.feature_rows = pd.DataFrame({
        "user_id": rng.integers(0, users, rows), "event_timestamp": event,
        "created_timestamp": event + pd.to_timedelta(rng.integers(0, 3600, rows), unit="s"),
        **{f"f{i}": rng.random(rows) for i in range(5)}})


def plain_latest_value_join(spine: pd.DataFrame, rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """The plan's plain join: each key's latest row by event time, merged onto the spine."""
    latest = rows.sort_values("event_timestamp", kind="stable").drop_duplicates(key,
                                                                                keep="last")
    features = [c for c in rows.columns if c not in (key, "event_timestamp",
                                                     "created_timestamp")]
    return spine.merge(latest[[key, *features]], on=key, how="left")


@when("both joins run {times:d} times on the same rows")
def step_both_joins(context, times):
    common = {"keys": ["user_id"]}
    pit = _median_ms(lambda: join_point_in_time(context.spine, context.feature_rows,
                                                ttl=dt.timedelta(days=7), **common), times)
    plain = _median_ms(lambda: plain_latest_value_join(context.spine, context.feature_rows,
                                                       "user_id"), times)
    context.medians = (pit, plain)
    _report(context, f"point-in-time {pit:.0f} ms / plan's plain latest-value {plain:.0f} ms",
            pit / plain, "x")


@then("the point-in-time join's median is at most {limit:f} times the plain join's median")
def step_join_ratio(context, limit):
    name, value, _ = context.measured
    assert value <= limit, f"{name}: ratio {value:.2f}; the budget is {limit}"
