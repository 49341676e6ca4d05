"""The trained model served over a real socket: by an ``mmp serve`` process, as an
operator starts it, or by the same app and uvicorn options in a thread (quicker to start)."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass

from behave import fixture
from behave.fixture import use_fixture

from serving.limits import server_options
from serving.settings import ServingSettings
from steps.support.api import ADMIN_TOKEN, live_api
from steps.support.processes import mmp_command, process_environ, wait_until_answers

READY_SECONDS = 120


@dataclass(frozen=True)
class Served:
    """Where a served model answers, and the id of its own process if it has one."""

    url: str
    host: str
    port: int
    pid: int | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@fixture
def serving_process(context, model, *options: str):
    """``mmp serve`` of ``model`` on a free loopback port (admin token set); stopped after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = context.workspace / "serve.log"
    environ = process_environ(context, model.config.workspace, "cache",
                              MMP_ADMIN_TOKEN=ADMIN_TOKEN)
    command = mmp_command("serve", "--model-uri", model.run_id, "--port", str(port), *options)
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   env=environ, cwd=context.workspace)
    try:
        wait_until_answers(process, f"{url}/ready", log, READY_SECONDS)
        context.server = Served(url, "127.0.0.1", port, process.pid)
        yield context.server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_in_thread(context, model, client_timeout: int = 10) -> Served:
    """``model`` served in this process with the limits ``mmp serve`` applies."""
    settings = ServingSettings(model_uri=model.run_id, admin_token=ADMIN_TOKEN,
                               body_timeout_seconds=client_timeout)
    use_fixture(live_api, context, settings, model.config, **server_options(client_timeout))
    url = context.api.base_url
    context.server = Served(str(url).rstrip("/"), url.host, url.port)
    return context.server
