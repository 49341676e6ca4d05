"""Steps about model versions, aliases and swapping the served model."""

from __future__ import annotations

import threading
import time
import uuid

from behave import given, then, when
from behave.fixture import use_fixture

from mmp.artifact import registry
from mmp.artifact.store import ModelStore
from mmp.pipelines.train import train
from mmp.settings import load_settings
from serving.settings import ServingSettings
from steps.support.api import ADMIN_TOKEN, live_api
from steps.support.fixtures import EXAMPLE_RECIPE
from steps.support.outcomes import expect_equal

SESSION = {"user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 300.0,
           "page_views": 5}
SECOND_WINDOW = {"start_date": "2024-01-03", "end_date": "2024-01-23"}
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _second_run(context) -> str:
    """A second model (same recipe, later window), trained once per run."""
    cache = context.cached_model
    if "second_run" not in cache:
        settings = load_settings(EXAMPLE_RECIPE, config=context.model.config)
        cache["second_run"] = train(settings, SECOND_WINDOW).run_id
    return cache["second_run"]


@given("two versions of the session-outcome model, with the champion alias on version 1")
def step_two_versions(context):
    context.store = ModelStore(context.model.config)
    context.registered_name = f"session_outcome_{uuid.uuid4().hex[:8]}"
    context.versions = {}
    for number, run_id in ((1, context.model.run_id), (2, _second_run(context))):
        registry.promote(context.store, run_id, context.registered_name, f"release{number}")
        context.versions[number] = run_id
    _move_champion(context, 1)


def _move_champion(context, version: int) -> None:
    registry.promote(context.store, context.versions[version], context.registered_name,
                     "champion")


def _serve(context, poll_seconds: float = 0.0) -> None:
    settings = ServingSettings(model_uri=f"models:/{context.registered_name}@champion",
                               admin_token=ADMIN_TOKEN, poll_seconds=poll_seconds)
    use_fixture(live_api, context, settings, context.model.config)


@given("the champion is served by a running service")
def step_champion_served(context):
    _serve(context)


@given("the champion is served by a running service that watches its alias")
def step_champion_served_polling(context):
    _serve(context, poll_seconds=0.2)


def _served_run(context) -> str:
    response = context.api.post("/predict", json=SESSION)
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    return response.json()["run_id"]


@when("the champion alias moves to version 2 and an operator reloads during steady traffic")
def step_swap_under_traffic(context):
    failures, answers, stop = [], [], threading.Event()

    def client_loop() -> None:
        while not stop.is_set():
            response = context.api.post("/predict", json=SESSION)
            (answers if response.status_code == 200 else failures).append(response)

    clients = [threading.Thread(target=client_loop) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    _move_champion(context, 2)
    context.reload = context.api.post("/admin/reload", headers=OPERATOR)
    time.sleep(0.5)
    stop.set()
    for thread in clients:
        thread.join()
    context.failures, context.answers = failures, answers


@when("the champion alias moves to version 2")
def step_move_alias(context):
    _move_champion(context, 2)


@when("an operator reloads the service with a model that does not exist")
def step_reload_missing(context):
    context.reload = context.api.post("/admin/reload", headers=OPERATOR,
                                      json={"model_uri": "models:/no_such_model@champion"})


@when("someone without the operator's token asks the service to reload")
def step_reload_unauthorised(context):
    context.reload = context.api.post("/admin/reload",
                                      headers={"Authorization": "Bearer guess"})


@then("no request failed while the model was swapped")
def step_no_failures(context):
    assert context.reload.status_code == 200, context.reload.text
    assert context.answers, "no request was answered during the swap"
    assert not context.failures, (
        f"{len(context.failures)} of {len(context.failures) + len(context.answers)} requests "
        f"failed, first: HTTP {context.failures[0].status_code} {context.failures[0].text}")


@then("the service now answers from version {version:d}")
@then("the service still answers from version {version:d}")
def step_answers_from(context, version):
    expect_equal("serving run", context.versions[version], _served_run(context))


@then("the service soon answers from version {version:d}")
def step_soon_answers_from(context, version):
    deadline = time.monotonic() + 30
    while _served_run(context) != context.versions[version] and time.monotonic() < deadline:
        time.sleep(0.2)
    expect_equal("serving run", context.versions[version], _served_run(context))


@then("the reload is refused saying why")
def step_reload_refused(context):
    expect_equal("HTTP status", 404, context.reload.status_code)
    assert "no_such_model" in context.reload.json()["message"], context.reload.text


@then("the reload is refused as unauthorised")
def step_reload_unauthorised_refused(context):
    expect_equal("HTTP status", 401, context.reload.status_code)
