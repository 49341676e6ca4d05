"""Seeding the warehouse with the synthetic generator's tables."""

from __future__ import annotations

from mmp.errors import WarehouseError
from mmp.settings.config import EnvConfig
from mmp.sql.warehouse import write_tables
from mmp.synthetic import generate


def seed_warehouse(config: EnvConfig, rows: int, seed: int) -> dict[str, int]:
    """Replace the warehouse's tables with freshly generated ones; return their row counts."""
    tables = generate(rows, seed=seed)
    if config.warehouse.kind != "duckdb":
        raise WarehouseError(f"seeding a {config.warehouse.kind} warehouse is not available yet",
                             hint="run with APP_ENV=local")
    write_tables(config.warehouse_path, tables)
    return {name: len(frame) for name, frame in tables.items()}
