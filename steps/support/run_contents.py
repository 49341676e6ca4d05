"""Everything a training run left behind, gathered so a scenario can search it: every file
of the run and of its model, its params, tags, metric names, the logged model's params and
tags, and what ``mmp inspect`` shows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mlflow.tracking import MlflowClient

from mmp.artifact import registry
from mmp.artifact.describe import describe
from mmp.artifact.store import MODEL_PATH, ModelStore
from mmp.settings import EnvConfig


def with_password(dsn: str, password: str) -> str:
    """``postgresql://user@host/db`` with ``password`` for its user."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'mmp'}:{password}@{host}"))


def run_contents(config: EnvConfig, run_id: str) -> dict[str, bytes]:
    """``{where: content}`` for every place the run ``run_id`` recorded something."""
    client = MlflowClient(config.tracking_uri)
    run = client.get_run(run_id)
    found = {f"param {k}": f"{k}={v}".encode() for k, v in run.data.params.items()}
    found |= {f"tag {k}": f"{k}={v}".encode() for k, v in run.data.tags.items()}
    found["metric names"] = " ".join(run.data.metrics).encode()
    found["run name"] = str(run.info.run_name).encode()
    for model in client.search_logged_models([run.info.experiment_id],
                                             filter_string=f"source_run_id = '{run_id}'"):
        found[f"logged model {model.model_id}"] = json.dumps(
            {"name": model.name, "params": model.params, "tags": model.tags}).encode()
    with tempfile.TemporaryDirectory(prefix="mmp-run-contents-") as tmp:
        run_files = Path(client.download_artifacts(run_id, "", f"{tmp}/run"))
        model_files = ModelStore(config).download(f"runs:/{run_id}/{MODEL_PATH}",
                                                  Path(tmp, "model"))
        for root in (run_files, model_files):
            found |= {f"file {p.relative_to(tmp)}": p.read_bytes()
                      for p in root.rglob("*") if p.is_file()}
    ref, metadata = registry.read_metadata(ModelStore(config), run_id)
    found["mmp inspect"] = json.dumps(describe(metadata, ref)).encode()
    return found
