"""behave fixtures: each sets up one piece of state on ``context`` and cleans it up.

Scenario-level fixtures give every scenario its own workspace (warehouse, MLflow store,
predictions). ``trained_model`` trains the example recipe once per run and caches it at
the run layer of ``context``, so read-only scenarios share one model.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from behave import fixture
from behave.fixture import use_fixture

from mmp.featurestore.registry import FeatureRepository
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.train import TrainResult, train
from mmp.settings import EnvConfig, load_config, load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_RECIPE = PROJECT_ROOT / "recipes" / "classification.yaml"
FEATURES_RECIPE = PROJECT_ROOT / "recipes" / "classification_features.yaml"
#: The cached model is trained on these sessions (hourly from 2024-01-01).
CACHED_MODEL_ROWS = 600
CACHED_MODEL_WINDOW = {"start_date": "2024-01-01", "end_date": "2024-01-21"}


@dataclass(frozen=True)
class TrainedModel:
    """A model trained once per run, with the config of the store that holds it."""

    config: EnvConfig
    result: TrainResult

    @property
    def run_id(self) -> str:
        return self.result.run_id


def environ_for(workspace: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment a scenario's config is loaded with (never os.environ)."""
    return {"MMP_WORKSPACE": str(workspace), **(extra or {})}


def scenario_environ(context, workspace: Path, purpose: str = "scenario") -> dict[str, str]:
    """The environment of the run's env (``APP_ENV`` included, so the command line picks the
    same config): in dev, the run's own databases and experiment."""
    dev = getattr(context, "dev_environ", None) or {}
    return environ_for(workspace, {"APP_ENV": context.env_name, **(dev.get(purpose) or {})})


def config_for(context, workspace: Path, purpose: str = "scenario") -> EnvConfig:
    return load_config(context.env_name, environ=scenario_environ(context, workspace, purpose),
                       directory=PROJECT_ROOT / "config")


def _temporary_folder(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


@fixture
def workspace(context):
    """A fresh, empty workspace for one scenario, removed afterwards. A Feast project the
    environment names (dev: in the shared Redis) gets the workspace's own suffix, so no
    scenario sees online values another one wrote."""
    prefix = "mmp-scenario-"
    path = _temporary_folder(prefix)
    context.workspace = path
    context.environ = scenario_environ(context, path)
    if "MMP_FEAST_PROJECT" in context.environ:  # mkdtemp's suffix: [a-z0-9_]
        context.environ["MMP_FEAST_PROJECT"] += "_" + path.name.removeprefix(prefix)
    context.config_env = load_config(context.env_name, environ=context.environ,
                                     directory=PROJECT_ROOT / "config")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@fixture
def warehouse(context, rows: int | None = None):
    """The scenario's warehouse, seeded with the synthetic generator."""
    config = context.config_env
    size = rows or config.test_mode.mock_data_size
    context.warehouse_counts = seed_warehouse(config, size, config.test_mode.seed)
    yield context.warehouse_counts


@fixture
def feature_store(context, rows: int | None = None):
    """A seeded warehouse (as ``warehouse``) with the feature definitions applied over it."""
    use_fixture(warehouse, context, rows)
    context.feature_tables = FeatureRepository(context.config_env).apply()
    yield context.feature_tables


def _cache_config(context) -> EnvConfig:
    """The run-level cache workspace: a seeded warehouse shared by the cached models."""
    cached = getattr(context, "cached_model", None)
    if cached is None:
        raise RuntimeError("before_all did not prepare the model cache")
    if cached.get("config") is None:
        folder = _temporary_folder("mmp-model-cache-")
        cached["folder"] = folder
        config = config_for(context, folder, purpose="cache")
        seed_warehouse(config, CACHED_MODEL_ROWS, config.test_mode.seed)
        cached["config"] = config
    return cached["config"]


def _cached_model(context, key: str, recipe: Path, prepare=None) -> TrainedModel:
    """Train ``recipe`` in the run's cache workspace once (after ``prepare(config)``)."""
    cached = context.cached_model
    if cached.get(key) is None:
        config = _cache_config(context)
        if prepare is not None:
            prepare(config)
        settings = load_settings(recipe, config=config)
        cached[key] = TrainedModel(config, train(settings, CACHED_MODEL_WINDOW))
    return cached[key]


def _apply_and_materialize(config: EnvConfig) -> None:
    repository = FeatureRepository(config)
    repository.apply()
    repository.materialize()


@fixture
def trained_model(context):
    """The example recipe trained once per run (cached on the run layer of context)."""
    context.model = _cached_model(context, "model", EXAMPLE_RECIPE)
    yield context.model


@fixture
def trained_feature_model(context):
    """The example recipe with point-in-time user and product features, trained once per
    run over applied feature definitions, with the online store materialized for serving."""
    context.model = _cached_model(context, "feature_model", FEATURES_RECIPE,
                                  prepare=_apply_and_materialize)
    yield context.model


@fixture
def model_cache(context):
    """Run-level holder for the trained model; removes its folder at the end of the run."""
    holder: dict = {}
    context.cached_model = holder
    yield holder
    if holder.get("folder"):
        shutil.rmtree(holder["folder"], ignore_errors=True)


#: Fixture tags usable on features, rules and scenarios. A numeric last part is the
#: fixture's size argument: ``@fixture.warehouse.600`` seeds 600 sessions.
FIXTURE_REGISTRY = {
    "fixture.warehouse": warehouse,
    "fixture.feature_store": feature_store,
    "fixture.trained_model": trained_model,
    "fixture.trained_feature_model": trained_feature_model,
}


def use_fixture_tag(context, tag: str) -> None:
    """Set up the fixture a ``@fixture.*`` tag names; an unknown tag is an error."""
    name, _, last = tag.rpartition(".")
    args: tuple = ()
    if last.isdigit():
        args = (int(last),)
    else:
        name = tag
    if name not in FIXTURE_REGISTRY:
        raise LookupError(f"unknown fixture tag @{tag}; known: "
                          + ", ".join(f"@{t}" for t in sorted(FIXTURE_REGISTRY)))
    use_fixture(FIXTURE_REGISTRY[name], context, *args)
