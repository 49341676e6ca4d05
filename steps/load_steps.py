"""Steps about the service under stress: steady load, fuzzing, oversized and slow requests,
reloads at the same moment. The service answers on a real socket: an ``mmp serve`` process
(load, slow clients) or the same app and limits in a thread (quicker to start)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from behave import given, register_type, then, when
from behave.fixture import use_fixture
from parse_type import TypeBuilder

from steps.support.api import ADMIN_TOKEN
from steps.support.fixtures import PROJECT_ROOT
from steps.support.outcomes import expect_equal
from steps.support.server import serve_in_thread, serving_process
from steps.support.traffic import SESSIONS, raw_request, status_and_body, steady_load, trickle

WARM_UP_SECONDS = 5
FUZZ_SEED = 20261125
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LOAD_REPORT = PROJECT_ROOT / "reports" / "reliability-load.json"
_HEAD = b"POST /predict HTTP/1.1\r\nHost: mmp\r\nContent-Type: application/json\r\n"
_BATCH = json.dumps({"instances": [SESSIONS[0]] * 1001}).encode()
#: Requests over the service's limits, as raw (head, body) bytes.
OVERSIZED = {
    "a body announced as 10 MB": (_HEAD + b"Content-Length: 10000000\r\n\r\n", b""),
    "a batch of 1001 sessions": (_HEAD + b"Content-Length: %d\r\n\r\n" % len(_BATCH), _BATCH),
    "100 KB of headers": (_HEAD + b"X-Padding: " + b"p" * 100_000 + b"\r\n\r\n", b""),
}
register_type(OversizedRequest=TypeBuilder.make_enum({name: name for name in OVERSIZED}))


@given("an operator serves the trained session-outcome model")
def step_served_by_process(context):
    use_fixture(serving_process, context, context.model)


@given("the trained session-outcome model is served with its request limits")
def step_served_with_limits(context):
    serve_in_thread(context, context.model)


@given("an operator serves the trained session-outcome model, giving clients "
       "{seconds:d} seconds to send a request")
def step_served_with_client_timeout(context, seconds):
    use_fixture(serving_process, context, context.model, "--client-timeout", str(seconds))


@when("{clients:d} clients ask for predictions without pause for {seconds:d} seconds")
def step_steady_load(context, clients, seconds):
    server = psutil.Process(context.server.pid)
    steady_load(context.server.url, clients, WARM_UP_SECONDS)
    context.rss_warm = server.memory_info().rss
    context.load = steady_load(context.server.url, clients, seconds)
    context.rss_end = server.memory_info().rss
    report = context.load.report(clients, context.rss_warm, context.rss_end)
    LOAD_REPORT.parent.mkdir(exist_ok=True)
    LOAD_REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"load: {json.dumps(report)}")


@then("every request was answered without an error")
def step_no_errors(context):
    run = context.load
    assert run.answered > 0, "no request was answered"
    assert not run.failures, (f"{len(run.failures)} of {run.answered + len(run.failures)} "
                              f"requests failed, first: {run.failures[:3]}")


@then("the service's memory at the end is within {percent:d}% of its memory after warm-up")
def step_memory_flat(context, percent):
    warm, end = context.rss_warm, context.rss_end
    growth = (end - warm) / warm * 100
    assert abs(growth) <= percent, (f"memory after warm-up {warm / 2**20:.1f} MiB, at the end "
                                    f"{end / 2**20:.1f} MiB: {growth:+.1f}% (limit {percent}%)")


@when("the published API is fuzzed with {examples:d} generated requests per operation")
def step_fuzz(context, examples):
    command = [str(Path(sys.executable).with_name("st")), "--no-color",
               "--config-file", str(PROJECT_ROOT / "config" / "schemathesis.toml"),
               "run", f"{context.server.url}/openapi.json", "--checks", "all",
               "--header", f"Authorization: Bearer {ADMIN_TOKEN}", "--workers", "1",
               "--max-examples", str(examples), "--seed", str(FUZZ_SEED)]
    context.fuzz = subprocess.run(command, capture_output=True, text=True,
                                  cwd=context.workspace, timeout=600)


@then("no request caused a server error and every answer matched the published schema")
def step_fuzz_clean(context):
    output = context.fuzz.stdout + context.fuzz.stderr
    assert context.fuzz.returncode == 0, f"schemathesis found problems:\n{output[-6000:]}"
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts and int(counts[1]) > 0, f"schemathesis generated no request:\n{output}"


@when("a client sends {request:OversizedRequest}")
def step_send_oversized(context, request):
    head, body = OVERSIZED[request]
    context.raw_answer = raw_request(context.server.host, context.server.port, head, body)


@then('the service refuses it with status {status:d} saying "{reason}"')
def step_refused_with_status(context, status, reason):
    code, body = status_and_body(context.raw_answer)
    expect_equal("HTTP status", status, code)
    assert reason in body.get("message", ""), f"{reason!r} not in the answer: {body}"


@when("{count:d} clients trickle their requests byte by byte "
      "while another client asks for predictions")
def step_slow_clients(context, count):
    server = context.server
    connected = threading.Barrier(count + 1)
    with ThreadPoolExecutor(count) as pool:
        slow = [pool.submit(trickle, server.host, server.port, i, 0.1, 30, connected)
                for i in range(count)]
        connected.wait(timeout=30)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            context.answers = [http.post("/predict", json=SESSIONS[i % 3]) for i in range(20)]
        context.slow_clients = [future.result() for future in slow]


@then("the other client gets every prediction it asked for")
def step_other_client_served(context):
    failed = [f"HTTP {r.status_code}: {r.text[:200]}" for r in context.answers
              if r.status_code != 200]
    expect_equal("failed predictions while slow clients were connected", [], failed)


@then('every slow client is told its request "{reason}" and is disconnected')
def step_slow_clients_let_go(context, reason):
    for index, client in enumerate(context.slow_clients):
        assert client.disconnected, f"slow client {index} is still connected: {client}"
        status, body = status_and_body(client.answer)
        expect_equal(f"status for slow client {index}", 408, status)
        assert reason in body["message"], f"slow client {index} was told: {body}"


@when("two operators reload the service at the same moment, one to version {first:d} "
      "and one to version {second:d}")
def step_two_reloads(context, first, second):
    together = threading.Barrier(2)

    def reload(version: int) -> tuple[float, httpx.Response]:
        together.wait(timeout=30)
        response = context.api.post("/admin/reload", headers=OPERATOR, json={
            "model_uri": f"models:/{context.registered_name}/{version}"})
        return time.monotonic(), response

    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(reload, version) for version in (first, second)]
        context.reloads = sorted((f.result() for f in done), key=lambda pair: pair[0])


@then("both reloads succeed, and the service describes and answers with the version "
      "the last one loaded")
def step_reloads_consistent(context):
    responses = [response for _, response in context.reloads]
    expect_equal("reload statuses", [200, 200], [r.status_code for r in responses])
    last = responses[-1].json()["run_id"]
    described = context.api.get("/model").json()["run_id"]
    answered = context.api.post("/predict", json=SESSIONS[0]).json()["run_id"]
    expect_equal("run the last reload loaded, the service describes, and answers with",
                 [last, last], [described, answered])
