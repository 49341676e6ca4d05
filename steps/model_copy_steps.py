"""Steps about a model copied away from its run: a downloaded folder, and serving it with
mmp's service or with plain MLflow."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import re

import pandas as pd
import yaml
from behave import given, then, when
from behave.fixture import use_fixture

from mmp.artifact import registry
from mmp.artifact.pyfunc import score
from mmp.artifact.store import MODEL_PATH, ModelStore
from steps.support.api import served_api
from steps.support.mlflow_serve import plain_mlflow_server
from steps.support.models import example_model
from steps.support.outcomes import expect_equal
from steps.support.tables import require_table

PINNED = re.compile(r"^[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+!-]+$")
#: Files without which the folder is not a model that runs on its own.
MODEL_FILES = ("MLmodel", "model_code.py", "artifacts/pipeline.joblib",
               "artifacts/metadata.json", "code/mmp/__init__.py", "requirements.txt")


@given("the session-outcome model downloaded into an empty folder")
@when("the data scientist downloads the session-outcome model into an empty folder")
def step_download_model(context):
    context.subject = example_model(context, "session-outcome")
    folder = context.workspace / "elsewhere"
    folder.mkdir()
    context.download = folder / MODEL_PATH
    downloaded = ModelStore(context.subject.config).download(
        f"runs:/{context.subject.run_id}/{MODEL_PATH}", folder)
    expect_equal("downloaded model folder", context.download, downloaded)


@then("the folder holds the model, its code, an input signature, an input example and "
      "pinned requirements")
def step_folder_holds_model(context):
    folder = context.download
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    assert not missing, f"the downloaded model lacks {missing}"
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
    inputs = [c["name"] for c in json.loads(mlmodel["signature"]["inputs"])]
    metadata = json.loads((folder / "artifacts" / "metadata.json").read_text(encoding="utf-8"))
    expect_equal("signature inputs", metadata["feature_columns"], inputs)
    example = folder / mlmodel["saved_input_example_info"]["artifact_path"]
    expect_equal("input example columns", inputs,
                 json.loads(example.read_text(encoding="utf-8"))["columns"])
    requirements = (folder / "requirements.txt").read_text(encoding="utf-8").split()
    unpinned = [r for r in requirements if not PINNED.match(r)]
    assert requirements and not unpinned, f"requirements not pinned: {unpinned or 'none'}"
    pinned = dict(r.split("==") for r in requirements)
    expect_equal("pinned versions", {n: importlib.metadata.version(n) for n in
                                     ("mlflow", "scikit-learn", "pandas", "numpy")},
                 {n: pinned.get(n) for n in ("mlflow", "scikit-learn", "pandas", "numpy")})


@given("the prediction service serves the downloaded model")
def step_service_serves_download(context):
    use_fixture(served_api, context, str(context.download), context.subject.config)


@given("plain MLflow serves the downloaded model")
def step_plain_mlflow_serves_download(context):
    use_fixture(plain_mlflow_server, context, context.download)


def _value(cell: str) -> int | float | str:
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(cell)
    return cell


@when("a client asks plain MLflow for predictions for these sessions:")
def step_ask_plain_mlflow(context):
    rows = require_table(context, "user_id", "product_id", "device", "session_duration",
                         "page_views")
    context.sessions = [{k: _value(v) for k, v in row.items()} for row in rows]
    inputs = ["device", "session_duration", "page_views"]
    context.response = context.mlflow_api.post("/invocations", json={
        "dataframe_records": [{k: s[k] for k in inputs} for s in context.sessions]})


@then("each session gets the prediction the model's run gives it")
def step_predictions_as_from_run(context):
    response = context.response
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    model = registry.load(ModelStore(context.subject.config), context.subject.run_id)
    expected = score(model.pipeline, model.metadata, pd.DataFrame(context.sessions))
    expect_equal("predictions (prediction, probability) per session",
                 expected.to_dict(orient="records"),
                 [{k: p[k] for k in expected.columns} for p in response.json()["predictions"]])
