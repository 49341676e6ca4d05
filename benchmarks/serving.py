"""One-row prediction latency: ``mmp serve`` (schema validation included) against plain
``mlflow models serve`` of the same artifact, measured in the same run on loopback.

Trains the example recipe on seeded synthetic sessions in a temporary workspace, starts
both servers as subprocesses on free ports, sends ``--requests`` sequential one-row
requests to each (after a warm-up) and writes results/serving.json.

    .venv/bin/python benchmarks/serving.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
ROW = {"device": "desktop", "session_duration": 420.0, "page_views": 7}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train(workspace: Path) -> str:
    """The example recipe trained in ``workspace``; returns the run id."""
    from mmp.pipelines.seed import seed_warehouse
    from mmp.pipelines.train import train as run_training
    from mmp.settings import load_config, load_settings

    config = load_config("local", environ={"MMP_WORKSPACE": str(workspace)},
                         directory=ROOT / "config")
    seed_warehouse(config, 2000, 42)
    settings = load_settings(ROOT / "recipes" / "classification.yaml", config=config)
    return run_training(settings, {"start_date": "2024-01-01", "end_date": "2024-03-01"}).run_id


def start(command: list[str], env: dict[str, str], url: str, log: Path) -> subprocess.Popen:
    """Start a server and wait (bounded) until ``url`` answers 200."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop(process)
    raise SystemExit(f"{command[0]} did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    """End the server's process group (it and its workers)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def measure(url: str, payload: dict, requests: int) -> dict[str, float]:
    with httpx.Client(timeout=30) as client:
        for _ in range(20):
            client.post(url, json=payload).raise_for_status()
        timings = []
        started = time.perf_counter()
        for _ in range(requests):
            t0 = time.perf_counter()
            client.post(url, json=payload).raise_for_status()
            timings.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
    return {"p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(statistics.quantiles(timings, n=100)[98], 2),
            "requests_per_s": round(requests / elapsed, 1), "requests": requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="mmp-bench-serving-"))
    processes = []
    try:
        run_id = train(workspace)
        env = {**os.environ, "MMP_WORKSPACE": str(workspace), "APP_ENV": "local",
               "MLFLOW_TRACKING_URI": f"sqlite:///{workspace}/mlruns/mlflow.db",
               # as in an activated environment: MLflow starts `uvicorn` from PATH
               "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
        folder = workspace / "download"
        subprocess.run([str(BIN / "mlflow"), "artifacts", "download", "-u",
                        f"runs:/{run_id}/model", "-d", str(folder)], env=env, check=True,
                       capture_output=True)
        mmp_port, mlflow_port = free_port(), free_port()
        processes.append(start([str(BIN / "mmp"), "serve", "--model-uri", run_id, "--port",
                                str(mmp_port)], env, f"http://127.0.0.1:{mmp_port}/ready",
                               workspace / "mmp.log"))
        processes.append(start([str(BIN / "mlflow"), "models", "serve", "-m",
                                str(folder / "model"), "--env-manager", "local", "-h",
                                "127.0.0.1", "-p", str(mlflow_port)], env,
                               f"http://127.0.0.1:{mlflow_port}/ping", workspace / "mlflow.log"))
        results = {
            "mmp_serve": measure(f"http://127.0.0.1:{mmp_port}/predict",
                                 {"user_id": 1, "product_id": 2, **ROW}, args.requests),
            "mlflow_models_serve": measure(f"http://127.0.0.1:{mlflow_port}/invocations",
                                           {"dataframe_records": [ROW]}, args.requests),
        }
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(workspace, ignore_errors=True)
    mmp, peer = results["mmp_serve"], results["mlflow_models_serve"]
    data = {"benchmark": "serving", "model": "recipes/classification.yaml (random forest, "
            "100 trees, one-hot device)", "workers": 1, "results": results,
            "ratio_p50_peer_over_mmp": round(peer["p50_ms"] / mmp["p50_ms"], 2),
            "budget_p99_ms": 200}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
