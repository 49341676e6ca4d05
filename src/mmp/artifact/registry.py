"""Model URIs and the MLflow model registry: resolving, loading and promoting models.

mmp accepts ``runs:/<run id>/model``, a bare run id, ``models:/NAME/<version>`` and
``models:/NAME@ALIAS``. Resolving one yields the run behind it, so metadata, batch
inference and serving all read the same artifact.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import mlflow
from mlflow.exceptions import MlflowException

from mmp.artifact.metadata import ArtifactMetadata, parse_metadata
from mmp.artifact.store import MODEL_PATH, ModelStore, _tracking
from mmp.errors import ArtifactError, ConfigError

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{32})/" + MODEL_PATH + "/?$")
_ALIAS = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[\w-]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


@dataclass(frozen=True)
class ModelRef:
    """What a model URI points at right now."""

    uri: str
    run_id: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score: the fitted pipeline, its metadata and where it came from."""

    ref: ModelRef
    pipeline: Any
    metadata: ArtifactMetadata


def resolve(store: ModelStore, uri: str) -> ModelRef:
    """Turn a run id or model URI into the run (and registry version) it names now."""
    uri = uri.strip()
    if _RUN_ID.match(uri):
        uri = f"runs:/{uri}/{MODEL_PATH}"
    if match := _RUNS.match(uri):
        store.require_run(match["run"])
        return ModelRef(uri=uri, run_id=match["run"])
    try:
        if match := _ALIAS.match(uri):
            version = store.client.get_model_version_by_alias(match["name"], match["alias"])
            return ModelRef(uri, version.run_id, match["name"], str(version.version),
                            match["alias"])
        if match := _VERSION.match(uri):
            version = store.client.get_model_version(match["name"], match["version"])
            return ModelRef(uri, version.run_id, match["name"], str(version.version))
    except MlflowException as exc:
        raise ArtifactError(f"{uri} does not resolve in {store.uri}: {_first_line(exc)}",
                            hint="check the name and alias with `mmp inspect`, or promote "
                                 "a run with `mmp promote`") from None
    raise ConfigError(f"{uri!r} is not a model URI",
                      hint="use a run id, runs:/<run id>/model, models:/NAME/<version> "
                           "or models:/NAME@ALIAS")


def load(store: ModelStore, uri: str) -> LoadedModel:
    """Download the artifact ``uri`` names and load its pipeline and metadata."""
    ref = resolve(store, uri)
    with tempfile.TemporaryDirectory(prefix="mmp-model-") as tmp, _tracking(store.uri):
        try:
            local = Path(mlflow.artifacts.download_artifacts(
                artifact_uri=f"runs:/{ref.run_id}/{MODEL_PATH}/artifacts", dst_path=tmp))
        except (MlflowException, OSError) as exc:
            raise ArtifactError(f"run {ref.run_id} has no mmp model: {_first_line(exc)}",
                                hint="pass the run id of an `mmp train` run") from None
        metadata = parse_metadata((local / "metadata.json").read_text(encoding="utf-8"),
                                  ref.run_id)
        pipeline = joblib.load(local / "pipeline.joblib")
    return LoadedModel(ref=ref, pipeline=pipeline, metadata=metadata)


def promote(store: ModelStore, run_id: str, name: str, alias: str) -> ModelRef:
    """Register run ``run_id``'s model as a new version of ``name`` and point ``alias`` at it."""
    store.require_run(run_id)
    try:
        with _tracking(store.uri):
            version = mlflow.register_model(f"runs:/{run_id}/{MODEL_PATH}", name)
        store.client.set_registered_model_alias(name, alias, version.version)
    except MlflowException as exc:
        raise ArtifactError(f"could not register run {run_id} as {name!r}: {_first_line(exc)}",
                            hint="model names may use letters, digits, '-', '_' and '.'"
                            ) from None
    return ModelRef(f"models:/{name}@{alias}", run_id, name, str(version.version), alias)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
