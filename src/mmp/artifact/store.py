"""Logging and reading mmp runs in MLflow (SQLite store locally, a server in dev)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature
from mlflow.tracking import MlflowClient

import mmp
from mmp.artifact.metadata import ArtifactMetadata, parse_metadata
from mmp.artifact.pyfunc import score
from mmp.artifact.sqlite_store import create_store
from mmp.artifact.uris import MODEL_PATH
from mmp.errors import ArtifactError, ServiceUnavailableError
from mmp.locking import file_lock
from mmp.services import probe_http, tracking_health_url
from mmp.settings.config import EnvConfig

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Where a run keeps its pictures (confusion matrix, ROC curve, residuals, importances).
FIGURES_PATH = "evaluation"
_CODE_PATH = Path(mmp.__file__).parent
_MODEL_CODE = _CODE_PATH / "artifact" / "model_code.py"


@contextlib.contextmanager
def _tracking(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at ``uri`` for the duration of a block."""
    previous = os.environ.get("MLFLOW_TRACKING_URI")  # MLflow mirrors its URI there
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)  # None restores "unset"


def quiet_mlflow() -> None:
    """MLflow's INFO chatter and progress bars stay out of mmp's output, and a server that
    stops answering fails a run in seconds rather than after minutes of retries."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # MLflow's SQL store still uses a loader strategy SQLAlchemy 2.1 deprecates
    warnings.filterwarnings("ignore", message=".*noload.*", module="mlflow")


class ModelStore:
    """Runs and models of one environment's MLflow tracking store."""

    def __init__(self, config: EnvConfig) -> None:
        self.config = config
        self.uri = config.tracking_uri
        quiet_mlflow()  # before the client: opening a fresh store logs its migrations
        if self.uri.startswith("sqlite:///"):
            database = Path(self.uri.removeprefix("sqlite:///"))
            # Opening a fresh store creates its tables: one process at a time, or two
            # trainings started together both run the migrations and one fails.
            with file_lock(database.with_name(f"{database.name}.lock")):
                create_store(database)  # a copy of a migrated template, not migrations
                self.client = MlflowClient(tracking_uri=self.uri)
        else:
            self.client = MlflowClient(tracking_uri=self.uri)

    @classmethod
    def checked(cls, config: EnvConfig) -> ModelStore:
        """The environment's store, once its tracking server (if any) answers."""
        store = cls(config)
        store.check()
        return store

    def check(self) -> None:
        """Fail fast, naming the URI and the fix, if the tracking server does not answer."""
        if not self.uri.startswith(("http://", "https://")):
            return
        reason = probe_http(tracking_health_url(self.uri), self.config.mlflow.timeout_seconds)
        if reason is not None:
            raise ServiceUnavailableError("MLflow tracking server", self.uri, reason)

    def experiment_id(self) -> str:
        name = self.config.mlflow.experiment
        experiment = self.client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        location = None
        if self.uri.startswith("sqlite:"):
            self.config.artifact_root.mkdir(parents=True, exist_ok=True)
            location = self.config.artifact_root.as_uri()
        try:
            return self.client.create_experiment(name, artifact_location=location)
        except MlflowException:  # created concurrently by another process
            experiment = self.client.get_experiment_by_name(name)
            if experiment is None:
                raise
            return experiment.experiment_id

    def log_training(
        self,
        *,
        pipeline: Any,
        metadata: ArtifactMetadata,
        example: pd.DataFrame,
        params: dict[str, Any],
        requirements: list[str],
        figures: Mapping[str, Figure],
    ) -> str:
        """Log params, metrics, pictures and the pyfunc model in one new run; return its id.

        The figures are closed afterwards, logged or not.
        """
        try:
            return self._log_run(pipeline, metadata, example, params, requirements, figures)
        finally:
            import matplotlib.pyplot as plt

            for figure in figures.values():
                plt.close(figure)

    def _log_run(self, pipeline: Any, metadata: ArtifactMetadata, example: pd.DataFrame,
                 params: dict[str, Any], requirements: list[str],
                 figures: Mapping[str, Figure]) -> str:
        experiment_id = self.experiment_id()
        with tempfile.TemporaryDirectory(prefix="mmp-artifact-") as tmp:
            pipeline_path = Path(tmp) / "pipeline.joblib"
            metadata_path = Path(tmp) / "metadata.json"
            joblib.dump(pipeline, pipeline_path)
            metadata_path.write_text(metadata.model_dump_json(indent=2), encoding="utf-8")
            with warnings.catch_warnings():  # integer hint: predictions are never missing
                warnings.simplefilter("ignore", UserWarning)
                outputs = infer_signature(None, score(pipeline, metadata, example)).outputs
            signature = ModelSignature(  # inputs exactly as mmp's training schema has them
                inputs=metadata.training_schema.to_mlflow(), outputs=outputs)
            with _tracking(self.uri), mlflow.start_run(
                experiment_id=experiment_id, run_name=metadata.recipe.name
            ) as run:
                mlflow.log_params(params)
                mlflow.log_metrics(metadata.metrics)
                mlflow.set_tags({"mmp.recipe": metadata.recipe.name,
                                 "mmp.task_type": metadata.task_type,
                                 "mmp.version": metadata.mmp_version})
                for name, figure in figures.items():
                    mlflow.log_figure(figure, f"{FIGURES_PATH}/{name}")
                mlflow.pyfunc.log_model(
                    name=MODEL_PATH,
                    python_model=str(_MODEL_CODE),
                    artifacts={"pipeline": str(pipeline_path), "metadata": str(metadata_path)},
                    code_paths=[str(_CODE_PATH)],
                    signature=signature,
                    input_example=metadata.training_schema.to_mlflow_example(example.head(3)),
                    pip_requirements=requirements,
                )
                return run.info.run_id

    def download(self, artifact_uri: str, destination: Path) -> Path:
        """Download ``artifact_uri`` (``runs:/<run id>/model``...) into ``destination``."""
        with _tracking(self.uri):
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri,
                                                            dst_path=str(destination)))

    def load_metadata(self, run_id: str) -> ArtifactMetadata:
        """The metadata of run ``run_id``'s model, or a clear error if there is none."""
        self.require_run(run_id)
        with tempfile.TemporaryDirectory(prefix="mmp-meta-") as tmp:
            try:
                with _tracking(self.uri):
                    local = mlflow.artifacts.download_artifacts(
                        artifact_uri=f"runs:/{run_id}/{MODEL_PATH}/artifacts/metadata.json",
                        dst_path=tmp)
            except (MlflowException, OSError) as exc:
                raise ArtifactError(
                    f"run {run_id} has no mmp model metadata: {str(exc).splitlines()[0]}",
                    hint="pass the run id of an `mmp train` run",
                ) from None
            return parse_metadata(Path(local).read_text(encoding="utf-8"), run_id)

    def load_model(self, run_id: str) -> mlflow.pyfunc.PyFuncModel:
        self.require_run(run_id)
        with _tracking(self.uri):
            return mlflow.pyfunc.load_model(f"runs:/{run_id}/{MODEL_PATH}")

    def require_run(self, run_id: str) -> None:
        try:
            self.client.get_run(run_id)
        except MlflowException:
            raise ArtifactError(
                f"no run {run_id!r} in the tracking store {self.uri}",
                hint="list runs with `mlflow ui --backend-store-uri "
                     f"{self.uri}`, or check APP_ENV",
            ) from None
