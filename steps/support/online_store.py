"""An online store a serving scenario owns, so it can take the store away and bring it back.

Locally the scenario serves from a copy of the cached model's feature repository, SQLite
file included; taking the store away puts garbage in place of the file, and silencing it
holds an exclusive lock on it. In dev it serves from its own ``redis-server`` on a free
loopback port, filled from the cached model's warehouse; taking the store away stops that
server, bringing it back starts it again on the same port and refills it (it keeps nothing
on disk), and silencing it pauses the process (SIGSTOP) so connections open but nothing
answers. Selected by ``feature_store.online_store``; the server is always stopped when
the scenario ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from behave import fixture

from mmp.featurestore.registry import FeatureRepository
from mmp.services import probe_redis
from mmp.settings import EnvConfig
from steps.support.dev import free_port

REDIS_START_SECONDS = 10


class ScenarioOnlineStore(ABC):
    """A copy of the cached model's online store that one scenario may break."""

    def __init__(self, workspace: Path, config: EnvConfig) -> None:
        self.repo = workspace / "feature_repo"
        self.source = config
        shutil.copytree(config.feature_repo_path, self.repo)

    def _config(self, **feature_store: object) -> EnvConfig:
        store = self.source.feature_store.model_copy(update={"path": str(self.repo),
                                                             **feature_store})
        return self.source.model_copy(update={"feature_store": store})

    @abstractmethod
    def start(self) -> EnvConfig:
        """Make the store ready; the config that serves from it."""

    @abstractmethod
    def take_away(self) -> None:
        """The store stops answering."""

    @abstractmethod
    def bring_back(self) -> None:
        """The store answers again, with the values it held."""

    @abstractmethod
    def stop_answering(self) -> None:
        """The store is there but does not answer (until the scenario ends)."""

    @abstractmethod
    def close(self) -> None:
        """Release whatever the store holds."""


class SqliteCopy(ScenarioOnlineStore):
    lock: sqlite3.Connection | None = None

    def start(self) -> EnvConfig:
        self.file = self.repo / "online_store.db"
        self.backup = self.file.with_suffix(".backup")
        return self._config()

    def stop_answering(self) -> None:
        self.lock = sqlite3.connect(self.file, isolation_level=None)
        self.lock.execute("BEGIN EXCLUSIVE")  # readers wait for the lock

    def take_away(self) -> None:
        shutil.move(self.file, self.backup)
        self.file.write_bytes(b"this is not a database" * 100)

    def bring_back(self) -> None:
        shutil.move(self.backup, self.file)

    def close(self) -> None:
        """Release the lock, if any; the copy itself goes with the workspace."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None


class PrivateRedis(ScenarioOnlineStore):
    """A ``redis-server`` of the scenario's own (no persistence), on a free loopback port."""

    process: subprocess.Popen | None = None

    def start(self) -> EnvConfig:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.config = self._config(redis_url=self.url)
        self.bring_back()
        return self.config

    def take_away(self) -> None:
        self.close()

    def stop_answering(self) -> None:
        assert self.process is not None, "the scenario's redis-server is not running"
        os.kill(self.process.pid, signal.SIGSTOP)

    def bring_back(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + REDIS_START_SECONDS
        while (reason := probe_redis(self.url, 1)) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the scenario's redis-server on port {self.port} did "
                                   f"not start: {reason}")
            time.sleep(0.05)
        FeatureRepository(self.config).materialize()

    def close(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


KINDS: dict[str, type[ScenarioOnlineStore]] = {"sqlite": SqliteCopy, "redis": PrivateRedis}


@fixture
def scenario_online_store(context, config: EnvConfig):
    """The scenario's own online store (``context.online_store``); yields its config."""
    store = KINDS[config.feature_store.online_store](context.workspace, config)
    context.online_store = store
    try:
        yield store.start()
    finally:
        store.close()
