"""Warehouse access: one interface, one class per backend, selected by config."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from mmp.errors import WarehouseError
from mmp.settings.config import EnvConfig
from mmp.sql.template import Query


class Warehouse(ABC):
    """Runs rendered, read-only queries and returns DataFrames.

    Values reach the database only as bind variables (``query.params``); the SQL text
    never contains them. Timestamps come back as UTC (naive values mean UTC).
    """

    dialect: str

    @abstractmethod
    def fetch(self, query: Query) -> pd.DataFrame:
        """Run one read-only query and return every row."""

    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for messages (never with credentials)."""

    @abstractmethod
    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Seeding, the one write mmp makes: replace ``tables`` all at once or not at all."""


class DuckDBWarehouse(Warehouse):
    """A DuckDB file in the workspace, opened read-only with the session time zone UTC."""

    dialect = "duckdb"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    def fetch(self, query: Query) -> pd.DataFrame:
        if not self.path.is_file():
            raise WarehouseError(
                f"no warehouse at {self.path}",
                hint="seed it with `mmp seed` (or run `make demo` once)",
            )
        try:
            with duckdb.connect(str(self.path), read_only=True) as con:
                con.execute("SET TimeZone = 'UTC'")
                return con.execute(query.sql, query.params).df()
        except duckdb.Error as exc:
            raise WarehouseError(
                f"query failed in {self.describe()}: {_first_line(exc)}",
                hint="check the table and column names in the SQL template",
            ) from None


    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        write_tables(self.path, tables)


def write_tables(path: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write ``tables`` into a new DuckDB file that atomically replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute("SET TimeZone = 'UTC'")
            for name, frame in tables.items():
                con.register("_frame", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_warehouse(config: EnvConfig) -> Warehouse:
    """The warehouse the environment's config names."""
    if config.warehouse.kind == "duckdb":
        return DuckDBWarehouse(config.warehouse_path)
    from mmp.sql.postgres import PostgresWarehouse

    return PostgresWarehouse(config.warehouse_dsn, config.warehouse.connect_timeout_seconds)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
