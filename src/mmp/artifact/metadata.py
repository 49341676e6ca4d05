"""What an artifact knows about how it was made: enough to serve, re-score and retrain."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mmp.errors import ArtifactError
from mmp.schema import TrainingSchema
from mmp.settings.recipe import DataInterface, Recipe

if TYPE_CHECKING:
    import pandas as pd

#: Packages whose exact versions the model needs at load time.
RUNTIME_PACKAGES = ("mlflow", "scikit-learn", "pandas", "numpy", "pyarrow", "cloudpickle",
                    "pydantic", "jinja2", "duckdb", "pyyaml", "sqlglot")


class Fingerprint(BaseModel):
    """A fingerprint of a frame: size, time range and a content hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    columns: list[str]
    time_min: str | None
    time_max: str | None
    sha256: str


class ArtifactMetadata(BaseModel):
    """Stored as ``metadata.json`` inside the MLflow model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mmp_version: str
    recipe: Recipe
    template_name: str
    template_text: str
    params: dict[str, Any]
    feature_columns: list[str]
    feature_refs: list[str]
    #: ttl of each feature view in ``feature_refs`` at training time (view -> seconds);
    #: batch inference and serving join with these, not with whatever the registry says now.
    feature_ttl_seconds: dict[str, float] = {}
    training_schema: TrainingSchema
    fingerprint: Fingerprint
    metrics: dict[str, float]
    package_versions: dict[str, str]
    git_commit: str | None
    trained_at: str
    environment: str
    #: The as-of cutoff of the feature join (ISO 8601): feature rows created after it were
    #: ignored. The recipe's ``created_before``, else the moment of training; None without
    #: features. A reproduction joins with it, so rows written later cannot change the data.
    features_as_of: str | None = None
    #: The held-out rows the metrics were computed on (and a reproduction compares on).
    evaluation: Fingerprint | None = None
    #: Where the rows were read from, credentials masked.
    source: str | None = None

    @property
    def data_interface(self) -> DataInterface:
        return self.recipe.model.loader.data_interface

    @property
    def task_type(self) -> str:
        return self.data_interface.task_type


def parse_metadata(text: str, run_id: str) -> ArtifactMetadata:
    """Read ``metadata.json``; an unreadable one is an ArtifactError naming the run."""
    try:
        return ArtifactMetadata.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ArtifactError(
            f"the model metadata of run {run_id} cannot be read ({where}: {first['msg']})",
            hint="it was written by another mmp version; retrain with `mmp train`",
        ) from None


def fingerprint(frame: pd.DataFrame, timestamp_column: str | None) -> Fingerprint:
    """Hash the frame's content (order-sensitive) with its row count and time range."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    time_min = time_max = None
    if timestamp_column and timestamp_column in frame and len(frame):
        time_min = pd.Timestamp(frame[timestamp_column].min()).isoformat()
        time_max = pd.Timestamp(frame[timestamp_column].max()).isoformat()
    return Fingerprint(rows=len(frame), columns=list(map(str, frame.columns)),
                       time_min=time_min, time_max=time_max, sha256=digest.hexdigest())


def fingerprint_differences(recorded: Fingerprint, current: Fingerprint) -> list[str]:
    """What differs between two fingerprints, in words: rows, columns, time range, content."""
    def short(digest: str) -> str:
        return f"{digest[:12]}..."

    checks = [
        ("rows", recorded.rows, current.rows, str),
        ("columns", recorded.columns, current.columns, ", ".join),
        ("time range", (recorded.time_min, recorded.time_max),
         (current.time_min, current.time_max), lambda r: f"{r[0]} to {r[1]}"),
        ("content hash", recorded.sha256, current.sha256, short),
    ]
    return [f"{what} {show(before)} -> {show(after)}"
            for what, before, after, show in checks if before != after]


def package_versions() -> dict[str, str]:
    versions = {}
    for name in RUNTIME_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(where: Path) -> str | None:
    """The commit of the repository holding ``where``, or None outside one."""
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameter values as JSON-safe scalars (dates as ISO strings)."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
