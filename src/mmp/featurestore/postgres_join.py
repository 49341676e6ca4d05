"""The point-in-time join pushed down into PostgreSQL, where the feature tables live (dev).

The spine's keys, UTC times and positions go into a temporary table of the session, typed
like the view's own key columns. Then, in a read-only transaction, one query joins it with
the view's table on the keys and the time window and keeps the best row per spine row:
the greatest event time, then the greatest created time, then the row stored last. When
the table has a b-tree index led by the keys and then the event time (``mmp seed`` and
``mmp features apply`` create one, :mod:`mmp.featurestore.postgres_index`), that query is
two ``LATERAL`` probes of the index per spine row, the latest event time in the window and
then the best row at that time (cost: spine rows x (log of the table + rows at one
moment), whatever the density of an entity's rows); without one, a join on keys and
window with ``DISTINCT ON`` the spine row (whose cost grows with the rows an entity has
inside its window). Only the chosen rows travel back; the feature table is never
copied out.

"Stored last" is the row's physical position (``ctid``), which follows insertion order
for a table written by appending (``mmp seed``, ``COPY``, ``INSERT``); it is deterministic
for a given table. The session's time zone is UTC, so ``timestamptz`` columns compare in
UTC and naive ``timestamp`` columns are taken as UTC, as in the local engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from mmp.errors import DataError, FeatureStoreError
from mmp.featurestore.join import CREATED_TIME, EVENT_TIME, ORDER, ROW, TIME, PreparedSpine
from mmp.featurestore.postgres_index import has_key_time_index
from mmp.featurestore.registry import ViewRequest
from mmp.featurestore.retrieval import HistoricalRetrieval
from mmp.sql.postgres import PostgresWarehouse, typed_frame

SPINE = "__mmp_spine"

#: dtypes of an empty answer, by PostgreSQL type oid (as a non-empty one would have them).
_EMPTY_DTYPES = {16: "bool", 20: "int64", 21: "int64", 23: "int64", 700: "float64",
                 701: "float64", 1114: "datetime64[us]", 1184: "datetime64[us, UTC]"}


class PostgresPointInTimeJoin(HistoricalRetrieval):
    """Historical retrieval inside the PostgreSQL warehouse: one query per feature view."""

    name = "postgres"

    def __init__(self, dsn: str, connect_timeout: float = 3.0) -> None:
        self.warehouse = PostgresWarehouse(dsn, connect_timeout)

    def match(self, spine: PreparedSpine, view: ViewRequest, *,
              created_before: pd.Timestamp | None) -> pd.DataFrame:
        with self._query(spine, view, created_before) as (cur, query, params):
            cur.execute(query, params)
            return _frame(cur)

    def plan(self, spine: PreparedSpine, view: ViewRequest, *,
             created_before: pd.Timestamp | None = None) -> str:
        """PostgreSQL's plan of :meth:`match`'s query for this spine (``EXPLAIN``, not run)."""
        with self._query(spine, view, created_before) as (cur, query, params):
            cur.execute(sql.SQL("EXPLAIN ") + query, params)
            return "\n".join(row[0] for row in cur.fetchall())

    @contextlib.contextmanager
    def _query(self, spine: PreparedSpine, view: ViewRequest,
               created_before: pd.Timestamp | None
               ) -> Iterator[tuple[psycopg.Cursor, sql.Composed, dict[str, Any]]]:
        """A read-only session holding the spine, and the view's query with its variables."""
        table = source_table(view)
        params: dict[str, Any] = {"ttl": view.ttl}
        if created_before is not None:
            params["created_before"] = created_before.to_pydatetime()
        with self.warehouse.connect() as con:
            try:
                con.execute(spine_table_sql(table, view.join_keys))
                con.commit()
                con.read_only = True  # from here on the session can only read
                with con.cursor() as cur:
                    mismatch = _key_mismatch(cur, spine, view.join_keys)
                    if mismatch:
                        raise DataError(
                            f"the point-in-time join of feature view {view.name!r} failed in "
                            f"{self.warehouse.describe()}: {mismatch} in the table {table!r}",
                            hint="give the rows' keys the type of the view's join keys")
                    _copy_spine(cur, spine, view.join_keys)
                    lateral = has_key_time_index(cur, table,
                                                 [*view.join_keys, view.timestamp_field])
                    yield cur, point_in_time_sql(table, view, created_before is not None,
                                                 lateral=lateral), params
            except psycopg.Error as exc:
                raise DataError(
                    f"the point-in-time join of feature view {view.name!r} failed in "
                    f"{self.warehouse.describe()}: {_first_line(exc)}",
                    hint=f"the table {table!r} must exist with the view's columns, and "
                         f"the rows' key columns ({', '.join(view.join_keys)}) must hold the "
                         "same type of value as its join keys") from None


def source_table(view: ViewRequest) -> str:
    """The warehouse table a view's PostgreSQL source reads; refuses any other source."""
    from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
        PostgreSQLSource,
    )

    table = (view.source.get_table_query_string()
             if isinstance(view.source, PostgreSQLSource) else "")
    if not table or table.startswith("("):
        raise FeatureStoreError(
            f"the source of feature view {view.name!r} is not a PostgreSQL table "
            f"({type(view.source).__name__})",
            hint="run `mmp features apply` in this environment to register the views "
                 "over the warehouse tables")
    return table


def spine_table_sql(table: str, keys: tuple[str, ...]) -> sql.Composed:
    """A temporary spine table whose key columns have the types of ``table``'s keys."""
    return sql.SQL(
        "CREATE TEMPORARY TABLE {spine} AS SELECT {keys}, CAST(NULL AS timestamp) AS {time}, "
        "CAST(NULL AS bigint) AS {row} FROM {table} WITH NO DATA").format(
        spine=sql.Identifier(SPINE), keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
        time=sql.Identifier(TIME), row=sql.Identifier(ROW), table=sql.Identifier(table))


def point_in_time_sql(table: str, view: ViewRequest, with_cutoff: bool, *,
                      lateral: bool = False) -> sql.Composed:
    """The one query per view: bind variables ``ttl`` and, with a cutoff, ``created_before``.

    ``lateral``: per spine row, two probes of an index on (keys, event time): the latest
    event time of its keys inside its window, then the row at that time created last
    (unknown last), then stored last (``ctid``). Otherwise a join on the keys and the window, then
    ``DISTINCT ON`` the spine row.
    """
    if lateral:
        return _lateral_sql(table, view, with_cutoff)
    ident = sql.Identifier
    keys = [ident(k) for k in view.join_keys]
    features = [ident(f) for f in view.features]
    event, created, order = ident(EVENT_TIME), ident(CREATED_TIME), ident(ORDER)
    cutoff = (sql.SQL("WHERE f.{} <= %(created_before)s").format(created) if with_cutoff
              else sql.SQL(""))
    return sql.SQL("""
        SELECT DISTINCT ON (s.{row}) s.{row}, f.{event}, f.{created}, {chosen}
        FROM {spine} s
        JOIN (SELECT {keys}, {features}, CAST({event_column} AS timestamp) AS {event},
                     CAST({created_column} AS timestamp) AS {created}, ctid AS {order}
              FROM {table}) f
          ON {key_match}
         AND f.{event} <= s.{time} AND f.{event} >= s.{time} - %(ttl)s
        {cutoff}
        ORDER BY s.{row}, f.{event} DESC, f.{created} DESC NULLS LAST, f.{order} DESC
    """).format(
        row=ident(ROW), time=ident(TIME), event=event, created=created, order=order,
        chosen=sql.SQL(", ").join(sql.SQL("f.{}").format(f) for f in features),
        spine=ident(SPINE), keys=sql.SQL(", ").join(keys),
        features=sql.SQL(", ").join(features),
        event_column=ident(view.timestamp_field),
        created_column=ident(view.created_timestamp_column), table=ident(table),
        key_match=sql.SQL(" AND ").join(sql.SQL("f.{k} = s.{k}").format(k=k) for k in keys),
        cutoff=cutoff)


def _lateral_sql(table: str, view: ViewRequest, with_cutoff: bool) -> sql.Composed:
    """Two index probes per spine row: the latest event time in its window (``max``, read
    backwards from the index: one entry), then, among the rows at exactly that time, the
    one created last (unknown last), then stored last. Neither probe reads the other rows
    of the window, so a user with a million rows costs what a user with three does (a
    single ``ORDER BY event, created, ctid LIMIT 1`` probe may sort the whole window when
    PostgreSQL underestimates it: 15 minutes against 0.3 s for 20k spine rows half of one
    user's, holding 200k of 500k rows)."""
    ident = sql.Identifier
    event_column, created_column = ident(view.timestamp_field), \
        ident(view.created_timestamp_column)
    cutoff = (sql.SQL("AND t.{} <= %(created_before)s").format(created_column)
              if with_cutoff else sql.SQL(""))
    key_match = sql.SQL(" AND ").join(sql.SQL("t.{k} = s.{k}").format(k=ident(k))
                                      for k in view.join_keys)
    return sql.SQL("""
        SELECT s.{row}, f.{event}, f.{created}, {chosen}
        FROM {spine} s
        CROSS JOIN LATERAL (
            SELECT max(t.{event_column}) AS latest
            FROM {table} t
            WHERE {key_match}
              AND t.{event_column} <= s.{time} AND t.{event_column} >= s.{time} - %(ttl)s
              {cutoff}) w
        CROSS JOIN LATERAL (
            SELECT CAST(t.{event_column} AS timestamp) AS {event},
                   CAST(t.{created_column} AS timestamp) AS {created}, {features}
            FROM {table} t
            WHERE {key_match} AND t.{event_column} = w.latest
              {cutoff}
            ORDER BY t.{created_column} DESC NULLS LAST, t.ctid DESC
            LIMIT 1) f
    """).format(
        row=ident(ROW), time=ident(TIME), event=ident(EVENT_TIME),
        created=ident(CREATED_TIME),
        chosen=sql.SQL(", ").join(sql.SQL("f.{}").format(ident(f)) for f in view.features),
        spine=ident(SPINE),
        features=sql.SQL(", ").join(sql.SQL("t.{}").format(ident(f)) for f in view.features),
        event_column=event_column, created_column=created_column, table=ident(table),
        key_match=key_match, cutoff=cutoff)


#: PostgreSQL type oids of text (text, varchar, char) and of numbers (int2/4/8, float4/8,
#: numeric).
_TEXT_OIDS, _NUMBER_OIDS = {25, 1042, 1043}, {20, 21, 23, 700, 701, 1700}


def _key_mismatch(cur: psycopg.Cursor, spine: PreparedSpine,
                  keys: tuple[str, ...]) -> str | None:
    """Which spine key holds numbers where the table's holds text, or the reverse (COPY
    would turn 1 into '1' and quietly match nothing; the local engine refuses too)."""
    cur.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(
        sql.SQL(", ").join(map(sql.Identifier, keys)), sql.Identifier(SPINE)))
    for key, column in zip(keys, cur.description or [], strict=True):
        kind = pd.api.types.infer_dtype(spine.frame[key], skipna=True)
        numbers = kind in ("integer", "floating", "mixed-integer-float", "decimal")
        if numbers and column.type_code in _TEXT_OIDS:
            return f"the rows' key {key!r} holds numbers where its column holds text"
        if kind == "string" and column.type_code in _NUMBER_OIDS:
            return f"the rows' key {key!r} holds text where its column holds numbers"
    return None


def _copy_spine(cur: psycopg.Cursor, spine: PreparedSpine, keys: tuple[str, ...]) -> None:
    columns = [*keys, TIME, ROW]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(SPINE), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with cur.copy(statement) as copy:
        for row in spine.frame[columns].astype(object).itertuples(index=False, name=None):
            copy.write_row(row)


def _frame(cur: psycopg.Cursor) -> pd.DataFrame:
    """The answer as a frame; an empty one keeps the column types a full one would have."""
    description = cur.description or []
    rows = cur.fetchall()
    if rows:
        return typed_frame(rows, [d.name for d in description])
    return pd.DataFrame({d.name: pd.Series(dtype=_EMPTY_DTYPES.get(d.type_code, object))
                         for d in description})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
