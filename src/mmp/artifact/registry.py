"""Model URIs and the MLflow model registry: resolving, loading and promoting models.

mmp accepts ``runs:/<run id>/model``, a bare run id, ``models:/NAME/<version>``,
``models:/NAME@ALIAS`` and the folder of a downloaded model. Resolving one yields the run
behind it, so metadata, batch inference, reproduction and serving all read the same
artifact; a downloaded folder is read in place, without the tracking store.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import mlflow
import yaml
from mlflow.exceptions import MlflowException

from mmp.artifact.metadata import ArtifactMetadata, parse_metadata
from mmp.artifact.store import ModelStore, _tracking
from mmp.artifact.uris import MODEL_PATH, ModelRef, run_ref
from mmp.errors import ArtifactError, ConfigError

_ALIAS = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[\w-]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score: the fitted pipeline, its metadata and where it came from."""

    ref: ModelRef
    pipeline: Any
    metadata: ArtifactMetadata


def resolve(store: ModelStore, uri: str) -> ModelRef:
    """Turn a run id or model URI into the run (and registry version) it names now."""
    uri = uri.strip()
    if ref := run_ref(uri):
        store.require_run(ref.run_id)
        return ref
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
    folder = Path(uri.removeprefix("file://")).expanduser()
    if folder.is_dir():
        return ModelRef(uri=uri, run_id=_folder_run_id(folder), folder=folder.resolve())
    raise ConfigError(f"{uri!r} is not a model URI, nor a model folder",
                      hint="use a run id, runs:/<run id>/model, models:/NAME/<version>, "
                           "models:/NAME@ALIAS or the folder of a downloaded model")


def _folder_run_id(folder: Path) -> str:
    """The run a downloaded model folder came from, read from its ``MLmodel`` file."""
    mlmodel = folder / "MLmodel"
    if not mlmodel.is_file():
        raise ArtifactError(f"the folder {folder} holds no MLflow model (no MLmodel file)",
                            hint="download one with `mlflow artifacts download -u "
                                 "runs:/<run id>/model -d <folder>` and pass <folder>/model")
    try:
        description = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        raise ArtifactError(f"the MLmodel file in {folder} is not valid YAML",
                            hint="download the model again") from None
    run_id = description.get("run_id") if isinstance(description, dict) else None
    return str(run_id or folder.name)


@contextlib.contextmanager
def model_files(store: ModelStore, ref: ModelRef, path: str = "artifacts") -> Iterator[Path]:
    """``path`` inside the model ``ref`` names, on disk: read in place from a downloaded
    folder, else downloaded into a temporary folder that is removed afterwards."""
    if ref.folder is not None:
        yield ref.folder / path
        return
    with tempfile.TemporaryDirectory(prefix="mmp-model-") as tmp:
        try:
            local = store.download(f"runs:/{ref.run_id}/{MODEL_PATH}/{path}", Path(tmp))
        except (MlflowException, OSError) as exc:
            raise ArtifactError(f"run {ref.run_id} has no mmp model: {_first_line(exc)}",
                                hint="pass the run id of an `mmp train` run") from None
        yield local


def read_metadata(store: ModelStore, uri: str) -> tuple[ModelRef, ArtifactMetadata]:
    """What the model ``uri`` names knows about itself, without loading the model."""
    ref = resolve(store, uri)
    with model_files(store, ref, "artifacts/metadata.json") as path:
        return ref, _parse_metadata(path, ref)


def load(store: ModelStore, uri: str) -> LoadedModel:
    """Load the pipeline and metadata of the model ``uri`` names."""
    ref = resolve(store, uri)
    with model_files(store, ref) as artifacts:
        metadata = _parse_metadata(artifacts / "metadata.json", ref)
        pipeline = joblib.load(artifacts / "pipeline.joblib")
    return LoadedModel(ref=ref, pipeline=pipeline, metadata=metadata)


def _parse_metadata(path: Path, ref: ModelRef) -> ArtifactMetadata:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ArtifactError(f"{ref.uri} is not an mmp model: it has no metadata.json",
                            hint="pass a model logged by `mmp train`") from None
    return parse_metadata(text, ref.run_id)


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
