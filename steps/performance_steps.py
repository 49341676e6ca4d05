"""Steps about the latency budgets: measure repeatedly, report the number, compare."""

from __future__ import annotations

import statistics
import time

from behave import given, then, when
from behave.fixture import use_fixture

from mmp.pipelines.demo import run_demo
from serving.settings import ServingSettings
from steps.support.api import live_api
from steps.support.fixtures import EXAMPLE_RECIPE

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
def step_under_budget(context, limit):
    name, value, unit = context.measured
    assert value < limit, f"{name} is {value:.3f} {unit}; the budget is {limit} {unit}"
