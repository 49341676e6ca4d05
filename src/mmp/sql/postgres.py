"""The PostgreSQL warehouse: read-only transactions, UTC sessions, fast failure."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping

import pandas as pd
import psycopg
from pandas.api import types as ptypes

from mmp.errors import ServiceUnavailableError
from mmp.settings.secrets import mask_uri
from mmp.sql.template import Query
from mmp.sql.warehouse import Warehouse, count_sql

STATEMENT_TIMEOUT_MS = 300_000


class PostgresWarehouse(Warehouse):
    """Queries run in a read-only transaction with the session time zone UTC."""

    dialect = "postgres"
    driver_error = psycopg.Error

    def __init__(self, dsn: str, connect_timeout: float = 3.0) -> None:
        self.dsn = dsn
        self.connect_timeout = connect_timeout

    def describe(self) -> str:
        return mask_uri(self.dsn)

    def connect(self) -> psycopg.Connection:
        """A new session with the time zone UTC and a statement timeout; fails fast."""
        try:
            return psycopg.connect(
                self.dsn, connect_timeout=max(1, round(self.connect_timeout)),
                options=f"-c TimeZone=UTC -c statement_timeout={STATEMENT_TIMEOUT_MS}")
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise ServiceUnavailableError(
                "PostgreSQL warehouse", self.describe(), reason,
                hint="start it and create the database with `make services`, "
                     "or run with APP_ENV=local",
            ) from None

    def fetch(self, query: Query) -> pd.DataFrame:
        with self._read_only() as con, self._failures(), con.cursor() as cur:
            _execute(cur, query.sql, query.params)
            rows, columns = cur.fetchall(), _columns(cur)
        return typed_frame(rows, columns)

    def count(self, query: Query) -> int:
        with self._read_only() as con, self._failures(), con.cursor() as cur:
            _execute(cur, count_sql(query.sql), query.params)
            return int(cur.fetchone()[0])

    @contextlib.contextmanager
    def stream(self, query: Query, rows: int) -> Iterator[Iterator[pd.DataFrame]]:
        """A server-side cursor: PostgreSQL keeps the result and sends ``rows`` at a time."""
        with self._read_only() as con, con.cursor(name="mmp_rows") as cur:
            with self._failures():
                _execute(cur, query.sql, query.params)
            yield self._frames(cur, rows, _columns(cur))

    def _frames(self, cur: psycopg.ServerCursor, rows: int,
                columns: list[str]) -> Iterator[pd.DataFrame]:
        while True:
            with self._failures():
                batch = cur.fetchmany(rows)
            if not batch:
                return
            yield typed_frame(batch, columns)

    @contextlib.contextmanager
    def _read_only(self) -> Iterator[psycopg.Connection]:
        with self.connect() as con:
            con.read_only = True
            yield con

    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Drop, create and COPY every table in one transaction (all or nothing)."""
        with self.connect() as con, con.transaction(), con.cursor() as cur:
            for name, frame in tables.items():
                columns = ", ".join(f'"{c}" {_sql_type(frame[c])}' for c in frame.columns)
                cur.execute(f'DROP TABLE IF EXISTS "{name}"')
                cur.execute(f'CREATE TABLE "{name}" ({columns})')
                names = ", ".join(f'"{c}"' for c in frame.columns)
                with cur.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
                    for row in frame.astype(object).where(frame.notna(), None).itertuples(
                            index=False, name=None):
                        copy.write_row(row)


def _execute(cur: psycopg.Cursor | psycopg.ServerCursor, sql_text: str,
             params: Mapping[str, object]) -> None:
    """Run ``sql_text`` with its bind variables (a literal ``%`` kept as it is written)."""
    cur.execute(_escape_percent(sql_text, params), params)


def _columns(cur: psycopg.Cursor | psycopg.ServerCursor) -> list[str]:
    return [d.name for d in cur.description or []]


def _escape_percent(sql_text: str, params: Mapping[str, object]) -> str:
    """Double every ``%`` that is not one of our ``%(name)s`` placeholders (``LIKE 'a%'``)."""
    names = "|".join(re.escape(name) for name in params)
    placeholder = rf"%\((?:{names})\)s" if names else r"(?!)"
    return re.sub(rf"({placeholder})|%", lambda m: m.group(1) or "%%", sql_text)


def _sql_type(series: pd.Series) -> str:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "bigint"
    if ptypes.is_float_dtype(dtype):
        return "double precision"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "timestamptz" if getattr(dtype, "tz", None) is not None else "timestamp"
    return "text"


def typed_frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with the dtypes DuckDB would give (timestamps as datetime64[us])."""
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for name in frame.columns:
        if ptypes.is_datetime64_any_dtype(frame[name].dtype):
            frame[name] = frame[name].astype(
                "datetime64[us, UTC]" if getattr(frame[name].dtype, "tz", None)
                else "datetime64[us]")
    return frame
