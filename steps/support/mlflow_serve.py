"""Plain ``mlflow models serve`` on a model folder, as someone without mmp's tools would
run it: a subprocess on a free loopback port, in a folder away from the repository."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from behave import fixture

from steps.support.dev import free_port

MLFLOW = Path(sys.executable).with_name("mlflow")
READY_SECONDS = 120


@fixture
def plain_mlflow_server(context, model_folder: Path):
    """``mlflow models serve -m model_folder --env-manager local``; killed afterwards."""
    elsewhere = Path(tempfile.mkdtemp(prefix="mmp-elsewhere-"))
    log = elsewhere / "server.log"
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MMP_"))}
    # as in an activated environment: MLflow runs the server with `uvicorn` from PATH
    environ["PATH"] = os.pathsep.join([str(MLFLOW.parent), environ.get("PATH", "")])
    environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(MLFLOW), "models", "serve", "-m", str(model_folder), "--env-manager", "local",
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=elsewhere, env=environ, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: the server and its workers
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(process, url, log)
        with httpx.Client(base_url=url, timeout=60) as client:
            context.mlflow_api = client
            yield client
    finally:
        _stop(process)
        shutil.rmtree(elsewhere, ignore_errors=True)


def _wait_until_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:]
    state = f"exited with {process.returncode}" if process.poll() is not None else (
        f"did not answer /ping within {READY_SECONDS} s")
    raise RuntimeError(f"mlflow models serve {state}; its output:\n{tail}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (the one this fixture started), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # whatever of the group still runs
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)
