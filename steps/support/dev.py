"""The dev environment for a test run: its own databases, experiment and online keys.

A run never touches the databases `make services` created: it makes
``mmp_test_<id>`` (scenarios) and ``mmp_test_<id>_cache`` (the trained-model cache) and
logs into the experiment ``mmp-test-<id>`` of the MLflow server on :5002; when none
answers there it starts a server of its own on a free port, with the backend database
``mmp_test_<id>_mlflow``, and stops it afterwards. It writes to the shared Redis only
under Feast projects named ``mmp_test_<id>...`` (Feast ends every key with its project).
At the end it drops its databases, deletes its experiment and deletes exactly those keys.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import uuid
from pathlib import Path

import redis
from behave import fixture
from mlflow.tracking import MlflowClient

from mmp import services
from mmp.settings import EnvConfig, load_config
from mmp.settings.secrets import mask_uri

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _loud(message: str) -> None:
    print(f"\n!!! {message}\n", file=sys.stderr, flush=True)


@fixture
def dev_services(context):
    """Prepare the real services, or mark them unavailable (fatal with MMP_REQUIRE_DEV=1)."""
    config = load_config("dev", directory=PROJECT_ROOT / "config")
    svc = services.require_services(config)
    redis_url = config.feature_store.redis_url or ""
    context.dev_unavailable = None
    problems = [s for s in (services.ServiceStatus(
        "PostgreSQL", svc.postgres_admin_dsn, services.probe_postgres(svc.postgres_admin_dsn)),
        services.ServiceStatus("Redis", mask_uri(redis_url), services.probe_redis(redis_url)),
    ) if not s.ok]
    if problems:
        reason = "; ".join(f"{p.service} at {p.uri}: {p.error}" for p in problems)
        if os.environ.get("MMP_REQUIRE_DEV") == "1":
            raise RuntimeError(f"dev services unreachable and MMP_REQUIRE_DEV=1: {reason}")
        _loud(f"DEV SERVICES UNREACHABLE, skipping the @dev scenarios: {reason}")
        context.dev_unavailable = reason
        yield None
        return

    run_id = uuid.uuid4().hex[:8]
    names = {"scenario": f"mmp_test_{run_id}", "cache": f"mmp_test_{run_id}_cache"}
    databases = list(names.values())
    for name in databases:
        services.ensure_database(svc.postgres_admin_dsn, name)
    server, tracking_uri = None, config.tracking_uri
    if services.probe_http(services.tracking_health_url(tracking_uri), 3) is not None:
        databases.append(f"mmp_test_{run_id}_mlflow")
        server = _start_private_mlflow(config, databases[-1])
        tracking_uri = server.url
    experiment = f"mmp-test-{run_id}"
    common = {"MLFLOW_TRACKING_URI": tracking_uri, "MMP_EXPERIMENT": experiment}
    context.dev_environ = {
        purpose: {**common, "MMP_PG_DSN": services.with_database(config.warehouse_dsn, name),
                  "MMP_FEAST_PROJECT": name}
        for purpose, name in names.items()}
    try:
        yield context.dev_environ
    finally:
        if server is None:  # a shared server: delete the run's experiment, keep the rest
            client = MlflowClient(tracking_uri)
            found = client.get_experiment_by_name(experiment)
            if found is not None:
                client.delete_experiment(found.experiment_id)
        else:
            server.stop()
            shutil.rmtree(server.log.parent, ignore_errors=True)
        for name in databases:
            services.drop_database(svc.postgres_admin_dsn, name)
        _delete_online_keys(redis_url, f"mmp_test_{run_id}")


def _start_private_mlflow(config: EnvConfig, database: str) -> services.MlflowServer:
    """A tracking server of the run's own, on a free port with its own backend database,
    when none answers at the configured address: no other run relies on it, so stopping it
    at the end disturbs no one (a shared one on :5002 may be stopped by whoever started it)."""
    svc = services.require_services(config)
    own = svc.mlflow_server.model_copy(update={
        "port": free_port(),
        "backend_store_uri": services.with_database(svc.mlflow_server.backend_store_uri,
                                                    database)})
    private = config.model_copy(update={"services": svc.model_copy(update={"mlflow_server": own})})
    workspace = Path(tempfile.mkdtemp(prefix="mmp-mlflow-server-"))
    return services.start_mlflow_server(private, workspace)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _delete_online_keys(url: str, run_projects: str) -> None:
    """Delete the keys this run wrote: Feast ends each key with its project, and every
    project of the run starts with ``run_projects`` (a random id, so no one else's)."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"*{run_projects}*".encode(), count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
    finally:
        client.close()
