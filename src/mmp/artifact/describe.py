"""What an artifact knows, as one JSON-safe document (``mmp inspect``)."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mmp.artifact.metadata import ArtifactMetadata
from mmp.artifact.uris import ModelRef
from mmp.errors import MmpError
from mmp.pipelines.loading import build_query


def source_tables(metadata: ArtifactMetadata) -> list[str]:
    """The warehouse tables the stored template reads with the stored parameters."""
    try:
        query, _ = build_query(metadata.recipe.model.loader, metadata.template_text,
                               metadata.params, dialect="duckdb",
                               template_name=metadata.template_name)
        tree = sqlglot.parse_one(query.sql, read=query.dialect)
    except (MmpError, SqlglotError):
        return []
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return sorted({t.name for t in tree.find_all(exp.Table) if t.name not in ctes})


def describe(metadata: ArtifactMetadata, ref: ModelRef) -> dict[str, Any]:
    """Recipe, template, params, features with their ttls, schema, metrics, fingerprints,
    versions and lineage (source, tables, time window, git commit)."""
    recipe = metadata.recipe
    return {
        "run_id": ref.run_id,
        "model_uri": ref.uri,
        "registered": {"name": ref.name, "version": ref.version, "alias": ref.alias}
        if ref.name else None,
        "recipe": recipe.model_dump(mode="json"),
        "template": {"name": metadata.template_name, "text": metadata.template_text},
        "params": metadata.params,
        "features": [{"feature": ref, "view": ref.split(":")[0],
                      "ttl_seconds": metadata.feature_ttl_seconds.get(ref.split(":")[0])}
                     for ref in metadata.feature_refs],
        "features_as_of": metadata.features_as_of,
        "model_inputs": metadata.feature_columns,
        "schema": [c.model_dump(mode="json") for c in metadata.training_schema.columns],
        "metrics": metadata.metrics,
        "fingerprint": metadata.fingerprint.model_dump(mode="json"),
        "evaluation": metadata.evaluation.model_dump(mode="json")
        if metadata.evaluation else None,
        "package_versions": metadata.package_versions,
        "lineage": {
            "source": metadata.source,
            "source_tables": source_tables(metadata),
            "time_window": [metadata.fingerprint.time_min, metadata.fingerprint.time_max],
            "git_commit": metadata.git_commit,
            "trained_at": metadata.trained_at,
            "environment": metadata.environment,
        },
    }
