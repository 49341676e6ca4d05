"""Seeding the warehouse with the synthetic generator's tables."""

from __future__ import annotations

from mmp.errors import DataError
from mmp.settings.config import EnvConfig
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate


def seed_warehouse(config: EnvConfig, rows: int, seed: int, *, per_hour: int = 1,
                   users: int | None = None) -> dict[str, int]:
    """Replace the warehouse's tables with freshly generated ones; return their row counts."""
    try:
        tables = generate(rows, seed=seed, per_hour=per_hour, users=users)
    except ValueError as exc:
        raise DataError(f"cannot generate {rows} sessions: {exc}",
                        hint="seed fewer rows, or pass --per-hour to fit more in each hour"
                        ) from None
    open_warehouse(config).replace_tables(tables)
    return {name: len(frame) for name, frame in tables.items()}
