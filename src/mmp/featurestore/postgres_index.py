"""The key/time index of a PostgreSQL feature table: what keeps its point-in-time join fast.

With a b-tree index led by a view's join keys and then its event time, the join
(:mod:`mmp.featurestore.postgres_join`) is one ordered index probe per spine row, whatever
the number of rows an entity has; without one it is a join on keys and window followed by
``DISTINCT ON``, whose cost grows with the rows an entity has inside its ttl.

``mmp seed`` creates the index on the feature tables it writes, and ``mmp features apply``
makes sure every view registered over a PostgreSQL table has one (any valid b-tree index
led by those columns counts, whatever its name). Creation is idempotent
(``CREATE INDEX IF NOT EXISTS`` with a stable name) and never fails the command: when the
table cannot be indexed (the user does not own it, the warehouse is a read-only replica,
the table is locked) one warning per table says which statement its owner should run, and
the join keeps working on the slower plan.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from mmp.featurestore.definitions import FeatureDefinitions
from mmp.sql.postgres import PostgresWarehouse

logger = logging.getLogger(__name__)

#: How long creating an index may wait for a lock on a busy table before giving up.
LOCK_TIMEOUT = "5s"
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers


@dataclass(frozen=True)
class KeyTimeIndex:
    """A b-tree index on ``table`` (join keys..., event time), for the views in ``views``."""

    table: str
    columns: tuple[str, ...]
    views: tuple[str, ...]

    @property
    def name(self) -> str:
        """Stable and unique per (table, columns), within PostgreSQL's 63 characters."""
        name = f"{self.table}_{'_'.join(self.columns)}_pit_idx"
        if len(name) <= _MAX_NAME:
            return name
        digest = hashlib.sha1("\0".join([self.table, *self.columns]).encode()).hexdigest()[:8]
        return f"{name[:_MAX_NAME - 9]}_{digest}"

    def create_sql(self) -> sql.Composed:
        return sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
            sql.Identifier(self.name), sql.Identifier(self.table),
            sql.SQL(", ").join(map(sql.Identifier, self.columns)))

    def statement(self) -> str:
        """The statement as text, for a person to run."""
        return (f"CREATE INDEX IF NOT EXISTS {_quoted(self.name)} ON {_quoted(self.table)} "
                f"({', '.join(map(_quoted, self.columns))});")


def key_time_indexes(definitions: FeatureDefinitions,
                     tables: Collection[str] | None = None) -> list[KeyTimeIndex]:
    """The indexes the views need, one per (table, keys, event time); with ``tables``,
    only those over these tables."""
    wanted: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, view in definitions.feature_views.items():
        if tables is None or view.source in tables:
            columns = (*definitions.join_keys(name), view.timestamp_field)
            wanted.setdefault((view.source, columns), []).append(name)
    return [KeyTimeIndex(table, columns, tuple(views))
            for (table, columns), views in wanted.items()]


def has_key_time_index(cur: psycopg.Cursor, table: str, columns: Sequence[str]) -> bool:
    """Whether ``table`` has a valid, whole-table b-tree index whose leading columns are
    ``columns`` in that order (keys, then event time): what the ordered probe needs."""
    cur.execute("""
        SELECT EXISTS (
            SELECT 1 FROM pg_index i JOIN pg_class ix ON ix.oid = i.indexrelid
            JOIN pg_am am ON am.oid = ix.relam
            WHERE i.indrelid = to_regclass(%(table)s) AND i.indisvalid AND am.amname = 'btree'
              AND i.indpred IS NULL
              AND (SELECT array_agg(a.attname::text ORDER BY k.n)
                   FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.n <= %(width)s) = %(columns)s::text[])""",
                {"table": _quoted(table), "width": len(columns),
                 "columns": list(columns)})
    row = cur.fetchone()
    return bool(row and row[0])


def ensure_key_time_indexes(warehouse: PostgresWarehouse,
                            indexes: Sequence[KeyTimeIndex]) -> list[str]:
    """Create each index its table lacks (and refresh the table's statistics); return one
    warning per table that could not be indexed, also logged. Never raises for a table."""
    warnings = []
    with warehouse.connect() as con:
        con.autocommit = True
        for index in indexes:
            try:
                with con.transaction(), con.cursor() as cur:
                    if has_key_time_index(cur, index.table, index.columns):
                        continue
                    cur.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
                        sql.Literal(LOCK_TIMEOUT)))
                    cur.execute(index.create_sql())
                    cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(index.table)))
            except psycopg.Error as exc:
                warnings.append(_cannot_index(index, exc))
                logger.warning("%s", warnings[-1])
    return warnings


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cannot_index(index: KeyTimeIndex, exc: psycopg.Error) -> str:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    views = ", ".join(repr(v) for v in index.views)
    return (f"the table {index.table!r} of feature view {views} has no index on "
            f"({', '.join(index.columns)}) and mmp could not create one ({reason}); "
            "point-in-time joins of it still work, on a slower plan that grows with the "
            "rows each entity has inside the ttl. To make them one index lookup per row, "
            f"have the table's owner run: {index.statement()}")
