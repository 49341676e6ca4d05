"""Seeding the warehouse with the synthetic generator's tables."""

from __future__ import annotations

import logging
import os

from mmp.errors import ConfigError, DataError
from mmp.featurestore.definitions import FeatureDefinitions, load_definitions
from mmp.featurestore.stores import offline_sources
from mmp.settings.config import EnvConfig
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import generate

logger = logging.getLogger(__name__)


def seed_warehouse(config: EnvConfig, rows: int, seed: int, *, per_hour: int = 1,
                   users: int | None = None) -> dict[str, int]:
    """Replace the warehouse's tables with freshly generated ones; return their row counts.

    Where the feature views are joined inside the warehouse (PostgreSQL), the feature
    tables written also get the key/time index their point-in-time join probes.
    """
    try:
        tables = generate(rows, seed=seed, per_hour=per_hour, users=users)
    except ValueError as exc:
        raise DataError(f"cannot generate {rows} sessions: {exc}",
                        hint="seed fewer rows, or pass --per-hour to fit more in each hour"
                        ) from None
    open_warehouse(config).replace_tables(tables)
    sources = offline_sources(config, config.feature_repo_path / "data")
    sources.ensure_indexes(lambda: _definitions(config), tables=set(tables))
    return {name: len(frame) for name, frame in tables.items()}


def _definitions(config: EnvConfig) -> FeatureDefinitions:
    """The feature definitions, or none when they cannot be read (seeding still succeeds;
    ``mmp features apply`` refuses them, and indexes the tables once they are fixed)."""
    try:
        return load_definitions(config.feature_definitions_path, os.environ)
    except ConfigError as exc:
        logger.warning("the seeded feature tables were not indexed for point-in-time joins: "
                       "%s (`mmp features apply` indexes them once the definitions load)", exc)
        return FeatureDefinitions.model_construct(entities={}, feature_views={})
