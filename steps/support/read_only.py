"""A warehouse login that may only read: the data scientist who does not own the tables.

The scenario's warehouse user (the owner) creates a login role of the scenario's own,
allowed to read every table it writes from then on, and nothing else; the role is dropped
when the scenario ends.
"""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from mmp.settings import EnvConfig


def reading_login(context, config: EnvConfig) -> EnvConfig:
    """``config`` with a warehouse login that may only read the tables written after now."""
    role = f"mmp_test_reader_{uuid.uuid4().hex[:8]}"
    owner = config.warehouse_dsn
    with psycopg.connect(owner, autocommit=True) as con:
        con.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        con.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON "
                            "TABLES TO {}").format(sql.Identifier(role)))
    context.add_cleanup(_drop_role, owner, role)
    warehouse = config.warehouse.model_copy(update={"dsn": make_conninfo(owner, user=role)})
    return config.model_copy(update={"warehouse": warehouse})


def _drop_role(owner: str, role: str) -> None:
    with psycopg.connect(owner, autocommit=True) as con:
        con.execute(sql.SQL("DROP OWNED BY {0}; DROP ROLE {0}").format(sql.Identifier(role)))
