"""Reading a model's metadata straight from a local (SQLite) tracking store.

``import mlflow`` and opening its SQL store cost seconds, most of a quick command such as
``mmp validate-schema``. For a run id (or ``runs:/<run id>/model``) in the embedded
store, the model's files are found with one read-only SQLite query over MLflow's
``logged_models`` table and read from disk. Anything else (a server, a registry URI, a
downloaded folder, a store laid out differently, a run this query does not find) answers
``None``, and the caller goes through MLflow as usual, with its errors.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

from mmp.artifact.metadata import ArtifactMetadata, parse_metadata
from mmp.artifact.uris import MODEL_PATH, run_of

_MODEL = """SELECT artifact_location FROM logged_models
            WHERE source_run_id = ? AND name = ? AND lifecycle_stage = 'active'
            ORDER BY creation_timestamp_ms DESC LIMIT 1"""


def local_metadata(tracking_uri: str, model_uri: str) -> ArtifactMetadata | None:
    """The metadata of ``model_uri``'s model in the SQLite store, or None (see above)."""
    run_id = run_of(model_uri)
    if run_id is None or not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    if not database.is_file():
        return None
    try:
        with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as con:
            row = con.execute(_MODEL, (run_id, MODEL_PATH)).fetchone()
    except sqlite3.Error:
        return None
    if row is None or not str(row[0]).startswith("file://"):
        return None
    path = Path(unquote(urlparse(row[0]).path)) / "artifacts" / "metadata.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return parse_metadata(text, run_id)
