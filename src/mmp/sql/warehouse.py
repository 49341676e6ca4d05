"""Warehouse access: one interface, one class per backend, selected by config."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
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
    #: The driver's error class; a failing query becomes a :class:`WarehouseError`.
    driver_error: type[Exception]

    @abstractmethod
    def fetch(self, query: Query) -> pd.DataFrame:
        """Run one read-only query and return every row."""

    @abstractmethod
    def count(self, query: Query) -> int:
        """How many rows ``query`` returns, without fetching them."""

    @abstractmethod
    def stream(self, query: Query, rows: int) -> contextlib.AbstractContextManager[
            Iterator[pd.DataFrame]]:
        """Run one read-only query; its rows arrive as frames of at most ``rows`` rows.

        Only one frame at a time is held in memory (with what the database buffers), so
        a result larger than memory can be scored; frames have the dtypes :meth:`fetch`
        gives. The query's session stays open until the ``with`` block ends.
        """

    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for messages (never with credentials)."""

    @abstractmethod
    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Seeding, the one write mmp makes: replace ``tables`` all at once or not at all."""

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """The driver's errors as one line naming this warehouse, without a traceback."""
        try:
            yield
        except self.driver_error as exc:
            raise WarehouseError(
                f"query failed in {self.describe()}: {_first_line(exc)}",
                hint="check the table and column names in the SQL template",
            ) from None


class DuckDBWarehouse(Warehouse):
    """A DuckDB file in the workspace, opened read-only with the session time zone UTC."""

    dialect = "duckdb"
    driver_error = duckdb.Error

    def __init__(self, path: Path, stream_memory_mb: int = 128) -> None:
        self.path = Path(path)
        self.stream_memory_mb = stream_memory_mb

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    def fetch(self, query: Query) -> pd.DataFrame:
        with self._session() as con, self._failures():
            return con.execute(query.sql, query.params).df()

    def count(self, query: Query) -> int:
        with self._session() as con, self._failures():
            return con.execute(count_sql(query.sql), query.params).fetchone()[0]

    @contextlib.contextmanager
    def stream(self, query: Query, rows: int) -> Iterator[Iterator[pd.DataFrame]]:
        with self._session() as con:
            with self._failures():  # a sort larger than this spills to <warehouse>.tmp/
                con.execute(f"SET memory_limit = '{int(self.stream_memory_mb)}MB'")
                result = con.execute(query.sql, query.params)
            yield self._frames(result, rows)

    def _frames(self, result: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pd.DataFrame]:
        """Frames of exactly ``rows`` rows but the last (DuckDB hands out whole vectors)."""
        vectors = max(1, -(-rows // duckdb.__standard_vector_size__))
        held: list[pd.DataFrame] = []
        while True:
            with self._failures():
                chunk = result.fetch_df_chunk(vectors)
            if chunk.empty:
                break
            held.append(chunk)
            yield from _full_frames(held, rows)
        if held:
            yield pd.concat(held, ignore_index=True)

    @contextlib.contextmanager
    def _session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.is_file():
            raise WarehouseError(
                f"no warehouse at {self.path}",
                hint="seed it with `mmp seed` (or run `make demo` once)",
            )
        with self._failures():
            con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

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


def _full_frames(held: list[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """Take every complete frame of ``rows`` rows out of ``held``, leaving the remainder."""
    if sum(map(len, held)) < rows:
        return
    pending = pd.concat(held, ignore_index=True)
    held.clear()
    while len(pending) >= rows:
        yield pending.iloc[:rows]
        pending = pending.iloc[rows:].reset_index(drop=True)
    if len(pending):
        held.append(pending)


def count_sql(sql: str) -> str:
    """A query counting the rows of ``sql`` (one read-only statement, checked before). The
    closing bracket goes on a line of its own: a template may end with a ``--`` comment."""
    return f"SELECT count(*) FROM (\n{sql.strip().rstrip(';')}\n) AS mmp_rows"


def open_warehouse(config: EnvConfig) -> Warehouse:
    """The warehouse the environment's config names."""
    if config.warehouse.kind == "duckdb":
        return DuckDBWarehouse(config.warehouse_path, config.warehouse.stream_memory_mb)
    if config.warehouse.kind == "spark":
        from mmp.sql.spark import SparkWarehouse

        return SparkWarehouse(config)
    from mmp.sql.postgres import PostgresWarehouse

    return PostgresWarehouse(config.warehouse_dsn, config.warehouse.connect_timeout_seconds)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
