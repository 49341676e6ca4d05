"""Steps about serving a model whose features come from the online store."""

from __future__ import annotations

import shutil

from behave import given, then
from behave.fixture import use_fixture

from steps.support.api import served_api
from steps.support.outcomes import expect_equal


@given("the session-outcome model with user and product features is served")
def step_feature_model_served(context):
    """Serve from a copy of the feature repository, so faults stay in this scenario."""
    config = context.model.config
    repo = context.workspace / "feature_repo"
    shutil.copytree(config.feature_repo_path, repo)
    context.online_store = repo / "online_store.db"
    scenario_config = config.model_copy(update={
        "feature_store": config.feature_store.model_copy(update={"path": str(repo)})})
    use_fixture(served_api, context, context.model.run_id, scenario_config)


def _break_online_store(context) -> None:
    context.online_backup = context.online_store.with_suffix(".backup")
    shutil.move(context.online_store, context.online_backup)
    context.online_store.write_bytes(b"this is not a database" * 100)


@given("the online feature store has become unreadable")
def step_online_store_unreadable(context):
    _break_online_store(context)


@given("the online feature store was unreadable and is back")
def step_online_store_back(context):
    _break_online_store(context)
    response = context.api.post("/predict", json={
        "user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 300.0,
        "page_views": 5})
    expect_equal("HTTP status while the store is unreadable", 503, response.status_code)
    shutil.move(context.online_backup, context.online_store)


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
