"""The dev environment's services: probing them, creating databases, running MLflow.

Every probe answers within its timeout (seconds, never minutes) and names the URI it
tried with credentials masked. Creating databases and starting the tracking server are
idempotent: running `mmp services up` twice changes nothing the second time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mmp.errors import ConfigError, ServiceUnavailableError
from mmp.settings.config import EnvConfig, ServicesConfig
from mmp.settings.secrets import mask_uri

if TYPE_CHECKING:  # the drivers load with the first probe: `mmp train` needs neither
    import psycopg

SERVER_START_SECONDS = 90


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    uri: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        return f"{self.service:<24} {self.uri:<58} {'ok' if self.ok else self.error}"


def probe_postgres(dsn: str, timeout: float = 3.0) -> str | None:
    """None if PostgreSQL answers at ``dsn``, else the reason."""
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=max(1, round(timeout))) as con:
            con.execute("SELECT 1")
    except psycopg.Error as exc:
        return _reason(exc)
    return None


def probe_http(url: str, timeout: float = 3.0) -> str | None:
    """None if ``url`` answers 200, else the reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.URLError as exc:
        return _reason(exc.reason if isinstance(exc.reason, Exception) else exc)
    except (OSError, ValueError) as exc:
        return _reason(exc)


def probe_redis(url: str, timeout: float = 3.0) -> str | None:
    """None if Redis answers PING at ``url`` within ``timeout`` (no retries), else the reason."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                  retry=None)
    try:
        client.ping()
    except redis.RedisError as exc:
        return _reason(exc)
    finally:
        client.close()
    return None


def tracking_health_url(tracking_uri: str) -> str:
    return tracking_uri.rstrip("/") + "/health"


def require_services(config: EnvConfig) -> ServicesConfig:
    if config.services is None:
        raise ConfigError(f"the {config.env!r} environment has no services section",
                          field="services", hint="run with APP_ENV=dev")
    return config.services


def status(config: EnvConfig) -> list[ServiceStatus]:
    """Whether each service the environment needs answers, with masked URIs."""
    services = require_services(config)
    timeout = config.warehouse.connect_timeout_seconds
    checks = [
        ServiceStatus("PostgreSQL (admin)", mask_uri(services.postgres_admin_dsn),
                      probe_postgres(services.postgres_admin_dsn, timeout)),
        ServiceStatus("PostgreSQL warehouse", mask_uri(config.warehouse_dsn),
                      probe_postgres(config.warehouse_dsn, timeout)),
        ServiceStatus("MLflow tracking server", config.tracking_uri,
                      probe_http(tracking_health_url(config.tracking_uri),
                                 config.mlflow.timeout_seconds)),
    ]
    store = config.feature_store
    if store.online_store == "redis" and store.redis_url:
        checks.append(ServiceStatus("Redis online store", mask_uri(store.redis_url),
                                    probe_redis(store.redis_url, store.online_timeout_seconds)))
    return checks


def with_database(dsn: str, name: str) -> str:
    """``dsn`` pointing at database ``name`` instead of its own."""
    return urlsplit(dsn)._replace(path=f"/{name}").geturl()


def database_name(dsn: str) -> str:
    name = urlsplit(dsn).path.lstrip("/")
    if not name:
        raise ConfigError(f"the DSN {mask_uri(dsn)} names no database",
                          hint="end it with /<database>")
    return name


def ensure_database(admin_dsn: str, name: str) -> bool:
    """Create database ``name`` unless it exists; True if it was created."""
    from psycopg import sql

    with _admin(admin_dsn) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name`` if it exists, closing its connections first."""
    from psycopg import sql

    with _admin(admin_dsn) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def _admin(admin_dsn: str) -> psycopg.Connection:
    import psycopg

    try:
        return psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        raise ServiceUnavailableError("PostgreSQL", mask_uri(admin_dsn), _reason(exc),
                                      hint="start PostgreSQL, or run with APP_ENV=local"
                                      ) from None


@dataclass(frozen=True)
class MlflowServer:
    """A tracking server process mmp started; ``stop`` ends it and its children."""

    pid: int
    url: str
    log: Path

    def stop(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.killpg(self.pid, signal.SIGKILL)


def start_mlflow_server(config: EnvConfig, workspace: Path) -> MlflowServer:
    """Start ``mlflow server`` with the PostgreSQL backend and wait until it is healthy."""
    server = require_services(config).mlflow_server
    ensure_database(require_services(config).postgres_admin_dsn,
                    database_name(server.backend_store_uri))
    artifacts = Path(server.artifacts_destination)
    artifacts = artifacts if artifacts.is_absolute() else workspace / artifacts
    artifacts.mkdir(parents=True, exist_ok=True)
    log = workspace / "mlflow-server.log"
    url = f"http://{server.host}:{server.port}"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    command = [sys.executable, "-m", "mlflow", "server",
               "--backend-store-uri", server.backend_store_uri,
               "--artifacts-destination", str(artifacts),
               "--host", server.host, "--port", str(server.port), "--workers", "1"]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    started = MlflowServer(process.pid, url, log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if probe_http(tracking_health_url(url), 2) is None:
            (workspace / "mlflow-server.pid").write_text(str(process.pid))
            return started
        if process.poll() is not None:
            break
        time.sleep(0.5)
    started.stop()
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    raise ServiceUnavailableError(
        "MLflow tracking server", url, "it did not become healthy: " + " | ".join(tail),
        hint=f"read {log}; is port {server.port} taken by another program?")


def services_up(config: EnvConfig) -> list[str]:
    """Create the warehouse database and start the tracking server unless it answers."""
    services = require_services(config)
    done = []
    name = database_name(config.warehouse_dsn)
    created = ensure_database(services.postgres_admin_dsn, name)
    done.append(f"warehouse database {name}: {'created' if created else 'exists'}")
    health = tracking_health_url(config.tracking_uri)
    if probe_http(health, config.mlflow.timeout_seconds) is None:
        done.append(f"MLflow tracking server at {config.tracking_uri}: already running")
    else:
        server = start_mlflow_server(config, config.workspace)
        done.append(f"MLflow tracking server at {server.url}: started (pid {server.pid}, "
                    f"log {server.log})")
    return done


def services_down(config: EnvConfig) -> str:
    """Stop the tracking server `services up` started (found by its pid file)."""
    pidfile = config.workspace / "mlflow-server.pid"
    if not pidfile.is_file():
        return "no MLflow tracking server was started from this workspace"
    MlflowServer(int(pidfile.read_text()), "", config.workspace / "mlflow-server.log").stop()
    pidfile.unlink()
    return "MLflow tracking server stopped"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
