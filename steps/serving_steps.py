"""Steps about the prediction API: asking, being refused, reading what is served."""

from __future__ import annotations

import json

from behave import given, then, when
from behave.fixture import use_fixture

from steps.support.api import served_api
from steps.support.outcomes import expect_equal
from steps.support.tables import require_table

SESSION = {"user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 300.0,
           "page_views": 5}
COLUMNS = tuple(SESSION)


def _typed(row: dict[str, str]) -> dict:
    return {"user_id": int(row["user_id"]), "product_id": int(row["product_id"]),
            "device": row["device"], "session_duration": float(row["session_duration"]),
            "page_views": int(row["page_views"])}


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",")]


@given("the trained session-outcome model is served")
def step_model_is_served(context):
    use_fixture(served_api, context, context.model.run_id, context.model.config)


@when("a client asks for predictions for these sessions:")
def step_ask_predictions(context):
    context.sessions = [_typed(r) for r in require_table(context, *COLUMNS)]
    context.response = context.api.post("/predict", json={"instances": context.sessions})


@when("a client sends a session whose {field} is {value}")
def step_send_malformed(context, field, value):
    context.response = context.api.post("/predict", json={**SESSION, field: json.loads(value)})


@when('a client sends a session with {field} "{value}" and {other} "{second}"')
def step_send_two_problems(context, field, value, other, second):
    context.response = context.api.post("/predict",
                                        json={**SESSION, field: value, other: second})


@when("a client sends a request body of {size:d} bytes")
def step_send_large_body(context, size):
    body = json.dumps({**SESSION, "device": "x" * size})
    context.response = context.api.post("/predict", content=body,
                                        headers={"content-type": "application/json"})


@when("a client asks for predictions for {count:d} sessions at once")
def step_send_large_batch(context, count):
    context.response = context.api.post("/predict", json={"instances": [SESSION] * count})


@when('a client sends the body "{body}"')
def step_send_raw_body(context, body):
    context.response = context.api.post("/predict", content=body,
                                        headers={"content-type": "application/json"})


@when("a client reads the published API schema")
def step_read_openapi(context):
    context.response = context.api.get("/openapi.json")


@when("a client asks which model is served")
def step_ask_model(context):
    context.response = context.api.get("/model")


@when("a client checks the health and readiness of the service")
def step_check_health(context):
    context.health = context.api.get("/health")
    context.response = context.api.get("/ready")


def _ok(context) -> dict:
    response = context.response
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    return response.json()


@then("the client gets {count:d} prediction with a probability from the served run")
@then("the client gets {count:d} predictions with a probability from the served run")
def step_gets_predictions(context, count):
    body = _ok(context)
    expect_equal("served run", context.model.run_id, body["run_id"])
    expect_equal("number of predictions", count, len(body["predictions"]))
    for row in body["predictions"]:
        assert row["prediction"] in (0, 1), f"not a class label: {row}"
        assert 0.0 <= row["probability"] <= 1.0, f"not a probability: {row}"


@then("the long, deep desktop session is more likely to convert than the short mobile one")
def step_directional(context):
    long_deep, short = (p["probability"] for p in _ok(context)["predictions"][:2])
    assert long_deep > short, (
        f"P(convert) long/deep desktop {long_deep:.3f} <= short mobile {short:.3f}")


@then('the answer warns about the unseen value "{value}"')
def step_warns_unseen(context, value):
    warnings_ = _ok(context)["warnings"]
    assert any(value in w for w in warnings_), f"no warning names {value!r}: {warnings_}"


@then('the request is refused as invalid input naming "{first}" and "{second}"')
def step_refused_invalid(context, first, second):
    response = context.response
    assert response.status_code == 422, f"HTTP {response.status_code}: {response.text}"
    text = json.dumps(response.json()["problems"])
    for fragment in (first, second):
        assert fragment in text, f"{fragment!r} is not named in the problems: {text}"
    assert "Traceback" not in response.text, response.text


@then("the request is refused as too large")
def step_refused_too_large(context):
    response = context.response
    expect_equal("HTTP status", 413, response.status_code)
    assert "limit" in response.json()["message"], response.text


@then('the prediction request lists the fields "{fields}"')
def step_openapi_fields(context, fields):
    schemas = _ok(context)["components"]["schemas"]
    instance = schemas["PredictRequest"]["properties"]["instances"]["items"]["$ref"]
    properties = schemas[instance.rsplit("/", 1)[-1]]["properties"]
    expect_equal("request fields", _names(fields), list(properties))


@then('the answer names the served run, the recipe "{recipe}" and its metrics')
def step_model_info(context, recipe):
    body = _ok(context)
    expect_equal("run", context.model.run_id, body["run_id"])
    expect_equal("recipe", recipe, body["recipe"])
    expect_equal("metrics", context.model.result.metrics, body["metrics"])


@then('it lists the inputs "{inputs}"')
def step_model_inputs(context, inputs):
    expect_equal("inputs", _names(inputs), [c["name"] for c in _ok(context)["input_schema"]])


@then("the service is alive and ready")
def step_alive_ready(context):
    expect_equal("health", {"status": "alive"}, context.health.json())
    body = _ok(context)
    assert body["ready"] is True and body["run_id"] == context.model.run_id, body
