"""Trained models the artifact scenarios work with, and the environment the CLI needs to
reach each one's store.

The example models are trained once per run beside the cached session-outcome model
(``@fixture.trained_model``), in the same workspace and tracking store, and only read.
A scenario that changes data trains its own model in its own workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parse_type import TypeBuilder

from mmp.featurestore.registry import FeatureRepository
from mmp.pipelines.train import train
from mmp.settings import EnvConfig, load_settings
from steps.support.fixtures import (
    CACHED_MODEL_WINDOW,
    EXAMPLE_RECIPE,
    FEATURES_RECIPE,
    PROJECT_ROOT,
    scenario_environ,
)

REGRESSION_RECIPE = PROJECT_ROOT / "recipes" / "regression.yaml"
#: The example models by the name scenarios give them.
RECIPES = {
    "session-outcome": EXAMPLE_RECIPE,
    "session-outcome with point-in-time features": FEATURES_RECIPE,
    "session-duration": REGRESSION_RECIPE,
}
ExampleModelName = TypeBuilder.make_enum({name: name for name in RECIPES})


@dataclass(frozen=True)
class ModelAt:
    """A trained model's run, the config of its store, and the CLI environment for it."""

    run_id: str
    config: EnvConfig
    environ: dict[str, str]
    rows: int


def cli_environ(context, workspace: Path, purpose: str = "scenario") -> dict[str, str]:
    """What ``mmp`` needs in its environment to use ``workspace`` in this run's env."""
    return {**scenario_environ(context, workspace, purpose), "APP_ENV": context.env_name,
            "MMP_CONFIG_DIR": str(PROJECT_ROOT / "config")}


def example_model(context, name: str) -> ModelAt:
    """The example model ``name``, trained once per run beside the cached model."""
    cache, cached = context.cached_model, context.model
    environ = cli_environ(context, cache["folder"], purpose="cache")
    if RECIPES[name] == EXAMPLE_RECIPE:
        return ModelAt(cached.run_id, cached.config, environ, cached.result.rows)
    key = f"artifact-model:{name}"
    if key not in cache:
        if "artifact-features-applied" not in cache:
            cache["artifact-features-applied"] = FeatureRepository(cached.config).apply()
        settings = load_settings(RECIPES[name], config=cached.config)
        cache[key] = train(settings, CACHED_MODEL_WINDOW)
    return ModelAt(cache[key].run_id, cached.config, environ, cache[key].rows)


def scenario_model(context, run_id: str, rows: int) -> ModelAt:
    """A model the scenario trained in its own workspace."""
    return ModelAt(run_id, context.config_env, cli_environ(context, context.workspace), rows)
