"""Where a feature repository's rows live: offline sources and the online store.

One interface each, one class per backend, selected by config
(``feature_store.offline_store`` and ``feature_store.online_store``):

========== ============================================ ====================================
           local (``duckdb`` / ``sqlite``)              dev (``postgres`` / ``redis``)
========== ============================================ ====================================
offline    each view's warehouse table exported to a    each view reads its warehouse table
           parquet file (Feast ``FileSource``)          in place (Feast ``PostgreSQLSource``)
online     SQLite file in the feature repository        Redis; keys end with the project name
========== ============================================ ====================================

The Feast registry itself is a file in the workspace in every environment. Credentials
are read from the config (``${VAR}`` in the YAML) when Feast's config is built, never
written to the registry, and every location shown to a person is masked.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mmp.errors import ConfigError
from mmp.featurestore.definitions import FeatureDefinitions, ViewDef, file_source
from mmp.settings.config import EnvConfig
from mmp.settings.secrets import mask_uri
from mmp.sql.template import Query, quote_identifier
from mmp.sql.warehouse import Warehouse


class OfflineSources(ABC):
    """How feature views reach their history, as Feast's registry describes it."""

    @abstractmethod
    def feast_config(self) -> Any:
        """The ``offline_store`` section of Feast's ``RepoConfig``."""

    @abstractmethod
    def publish(self, definitions: FeatureDefinitions, warehouse: Warehouse) -> dict[str, int]:
        """Make each view's warehouse table readable by its source; row counts by table."""

    @abstractmethod
    def source(self, name: str, view: ViewDef) -> Any:
        """The Feast ``DataSource`` of the view ``name``."""

    def ensure_indexes(self, definitions: Callable[[], FeatureDefinitions],
                       tables: Collection[str] | None = None) -> list[str]:
        """Give the views' tables (only ``tables``, if given) what their point-in-time join
        needs to be fast; one warning per table that cannot be given it. ``definitions``
        is called only by sources that index (a parquet export needs nothing)."""
        return []


class ParquetExports(OfflineSources):
    """Local: each view's table exported from the warehouse to a parquet ``FileSource``."""

    def __init__(self, folder: Path, feast_offline_store: str = "file") -> None:
        self.folder = Path(folder)
        self.feast_offline_store = feast_offline_store

    def feast_config(self) -> Any:
        return {"type": self.feast_offline_store}

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"

    def publish(self, definitions: FeatureDefinitions, warehouse: Warehouse) -> dict[str, int]:
        """Write each view's table to its parquet file, atomically."""
        counts = {}
        for view in definitions.feature_views.values():
            table = quote_identifier(view.source, warehouse.dialect)
            frame = warehouse.fetch(Query(f"SELECT * FROM {table}", dialect=warehouse.dialect))
            path = self.path(view.source)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            counts[view.source] = len(frame)
        return counts

    def source(self, name: str, view: ViewDef) -> Any:
        return file_source(name, self.path(view.source), view)


class PostgresTables(OfflineSources):
    """Dev: each view reads its table where it lives, in the PostgreSQL warehouse.

    Nothing is copied out: Feast's PostgreSQL offline store materializes from the table,
    and historical retrieval runs inside PostgreSQL (``retrieval.PostgresRetrieval``).
    """

    def __init__(self, dsn: str, connect_timeout: float = 3.0) -> None:
        self.dsn = dsn
        self.connect_timeout = connect_timeout

    def feast_config(self) -> Any:
        from feast.infra.offline_stores.contrib.postgres_offline_store.postgres import (
            PostgreSQLOfflineStoreConfig,
        )
        from psycopg.conninfo import conninfo_to_dict

        try:
            parts = conninfo_to_dict(self.dsn)
        except Exception as exc:  # psycopg.ProgrammingError, with the DSN in its text
            raise ConfigError(f"the warehouse DSN {mask_uri(self.dsn)} cannot be read "
                              f"({type(exc).__name__})", field="warehouse.dsn",
                              hint="write it as postgresql://user@host:5432/database") from None
        return PostgreSQLOfflineStoreConfig(
            host=str(parts.get("host") or "127.0.0.1"), port=int(parts.get("port") or 5432),
            database=str(parts.get("dbname") or ""),
            user=str(parts.get("user") or os.environ.get("USER") or "postgres"),
            password=str(parts.get("password") or ""),
            sslmode=str(parts.get("sslmode") or "prefer"))

    def publish(self, definitions: FeatureDefinitions, warehouse: Warehouse) -> dict[str, int]:
        """Count each view's rows in place (a read-only query; nothing is exported), then
        make sure each table has its key/time index (:meth:`ensure_indexes`)."""
        counts = {}
        for view in definitions.feature_views.values():
            table = quote_identifier(view.source, "postgres")
            frame = warehouse.fetch(Query(f"SELECT count(*) AS n FROM {table}",
                                          dialect=warehouse.dialect))
            counts[view.source] = int(frame["n"].iloc[0])
        self.ensure_indexes(lambda: definitions)
        return counts

    def ensure_indexes(self, definitions: Callable[[], FeatureDefinitions],
                       tables: Collection[str] | None = None) -> list[str]:
        """A b-tree index on (join keys, event time) of each view's table, unless it has
        one: the point-in-time join is then two index probes per row
        (:mod:`mmp.featurestore.postgres_index`; a table mmp may not index is warned of)."""
        from mmp.featurestore.postgres_index import ensure_key_time_indexes, key_time_indexes
        from mmp.sql.postgres import PostgresWarehouse

        indexes = key_time_indexes(definitions(), tables)
        return ensure_key_time_indexes(PostgresWarehouse(self.dsn, self.connect_timeout),
                                       indexes) if indexes else []

    def source(self, name: str, view: ViewDef) -> Any:
        from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
            PostgreSQLSource,
        )

        return PostgreSQLSource(name=f"{name}_source", table=view.source,
                                timestamp_field=view.timestamp_field,
                                created_timestamp_column=view.created_timestamp_column)


class OnlineStore(ABC):
    """The latest feature value per entity, for serving."""

    #: How messages name this store ("Redis online store"), and what to do when it fails.
    service: str
    hint: str

    @abstractmethod
    def feast_config(self) -> Any:
        """The ``online_store`` section of Feast's ``RepoConfig``."""

    @abstractmethod
    def location(self) -> str:
        """Where the store lives, for messages (never with credentials)."""

    @abstractmethod
    def probe(self) -> str | None:
        """None when the store answers within its timeout, else the reason."""


class SqliteOnline(OnlineStore):
    """Local: a SQLite file in the feature repository."""

    service = "SQLite online store"
    hint = "fill it with `mmp features apply` and `mmp features materialize`"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def feast_config(self) -> Any:
        from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig

        return SqliteOnlineStoreConfig(path=str(self.path))

    def location(self) -> str:
        return str(self.path)

    def probe(self) -> str | None:
        if not self.path.is_file():
            return (f"no online store at {self.path}; run `mmp features apply` and "
                    "`mmp features materialize`")
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                                    timeout=1)) as con:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            return f"online store at {self.path} cannot be read: {exc}"
        return None


class RedisOnline(OnlineStore):
    """Dev: Redis. Every connection and read is bounded by ``timeout`` and never retried,
    so a Redis that is down or does not answer fails within about that time."""

    service = "Redis online store"
    hint = ("start Redis (`make services` checks the dev services) and fill it with "
            "`mmp features materialize`, or run with APP_ENV=local")

    def __init__(self, url: str, timeout: float = 1.0) -> None:
        self.url = url
        self.timeout = timeout

    def feast_config(self) -> Any:
        from feast.infra.online_stores.redis import RedisOnlineStoreConfig

        return RedisOnlineStoreConfig(
            connection_string=feast_connection_string(self.url, self.timeout))

    def location(self) -> str:
        return mask_uri(self.url)

    def probe(self) -> str | None:
        from mmp.services import probe_redis

        reason = probe_redis(self.url, self.timeout)
        return None if reason is None else (
            f"online store at {self.location()} does not answer: {reason}")


def feast_connection_string(url: str, timeout: float) -> str:
    """``redis://:pw@host:6379/0`` as Feast's ``host:port,db=0,password=...`` with timeouts
    and without retries (values are JSON, as Feast decodes them)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(f"the Redis URL {mask_uri(url)} is not redis://host:port/db",
                          field="feature_store.redis_url",
                          hint="set MMP_REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ConfigError(f"the Redis URL {mask_uri(url)} names database {database!r}, "
                          "not a number", field="feature_store.redis_url",
                          hint="end the URL with /0 (or another database number)")
    options: dict[str, Any] = {"db": int(database), "socket_timeout": timeout,
                               "socket_connect_timeout": timeout, "retry": None}
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        options["ssl"] = True
    encoded = {key: json.dumps(value) for key, value in options.items()}
    if any("," in value for value in encoded.values()):
        raise ConfigError(f"the Redis URL {mask_uri(url)} holds a comma in its credentials, "
                          "which Feast's connection string cannot carry",
                          field="feature_store.redis_url",
                          hint="use credentials without commas")
    return ",".join([f"{parts.hostname}:{parts.port or 6379}",
                     *(f"{key}={value}" for key, value in encoded.items())])


def offline_sources(config: EnvConfig, folder: Path, feast_offline_store: str = "file"
                    ) -> OfflineSources:
    """The offline sources ``feature_store.offline_store`` names."""
    if config.feature_store.offline_store == "postgres":
        return PostgresTables(config.warehouse_dsn,
                              config.warehouse.connect_timeout_seconds)
    if config.feature_store.offline_store == "spark":
        from mmp.featurestore.spark_sources import SparkTables

        return SparkTables(config)
    return ParquetExports(folder, feast_offline_store)


def online_store(config: EnvConfig, folder: Path) -> OnlineStore:
    """The online store ``feature_store.online_store`` names."""
    store = config.feature_store
    if store.online_store == "redis":
        return RedisOnline(store.redis_url or "", store.online_timeout_seconds)
    return SqliteOnline(folder / "online_store.db")
