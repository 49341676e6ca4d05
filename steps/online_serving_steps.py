"""Steps about serving a model whose features come from the online store."""

from __future__ import annotations

from behave import given, then
from behave.fixture import use_fixture

from steps.support.api import served_api
from steps.support.online_store import scenario_online_store
from steps.support.outcomes import expect_equal


@given("the session-outcome model with user and product features is served")
def step_feature_model_served(context):
    """Serve from the scenario's own online store, so faults stay in this scenario."""
    config = use_fixture(scenario_online_store, context, context.model.config)
    use_fixture(served_api, context, context.model.run_id, config)


@given("the online feature store has become unreadable")
def step_online_store_unreadable(context):
    context.online_store.take_away()


@given("the online feature store has stopped answering")
def step_online_store_silent(context):
    context.online_store.stop_answering()


@given("the online feature store was unreadable and is back")
def step_online_store_back(context):
    context.online_store.take_away()
    response = context.api.post("/predict", json={
        "user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 300.0,
        "page_views": 5})
    expect_equal("HTTP status while the store is unreadable", 503, response.status_code)
    context.online_store.bring_back()


@then('the request is refused as unavailable naming the "{service}"')
def step_refused_unavailable(context, service):
    response = context.response
    expect_equal("HTTP status", 503, response.status_code)
    body = response.json()
    assert service in body["message"] and body["hint"], f"unclear refusal: {body}"


@then("the service reports that it is not ready because of the online store")
def step_not_ready(context):
    response = context.api.get("/ready")
    expect_equal("readiness status", 503, response.status_code)
    body = response.json()
    assert body["ready"] is False and any("online store" in r for r in body["reasons"]), body
