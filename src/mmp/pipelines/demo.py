"""The demo: seed the warehouse, apply the feature store, train the example recipe, score a
later window."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

from mmp.errors import ConfigError
from mmp.featurestore.registry import FeatureRepository
from mmp.pipelines.batch import batch_inference
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.train import train
from mmp.settings import EnvConfig, load_settings
from mmp.sql.warehouse import open_warehouse
from mmp.synthetic import DEFAULT_START


def demo_windows(rows: int) -> tuple[dict[str, str], dict[str, str]]:
    """Train on the first three quarters of the generated days, score the rest."""
    days = math.ceil(rows / 24)
    if days < 4:
        raise ConfigError(f"the demo needs at least 4 days of sessions; {rows} is fewer",
                          field="--rows", hint="use --rows 96 or more")
    start = DEFAULT_START.date()
    cut = start + dt.timedelta(days=max(1, (days * 3) // 4))
    end = start + dt.timedelta(days=days)
    return ({"start_date": start.isoformat(), "end_date": cut.isoformat()},
            {"start_date": cut.isoformat(), "end_date": end.isoformat()})


def run_demo(recipe: Path, rows: int, progress: Callable[[str], None],
             config: EnvConfig | None = None) -> str:
    """Run the whole job and return a short human summary."""
    train_window, score_window = demo_windows(rows)
    settings = load_settings(recipe, config=config)
    config = settings.config
    progress(f"seeding {rows} sessions into {open_warehouse(config).describe()}")
    seed_warehouse(config, rows, config.test_mode.seed)
    repository = FeatureRepository(config)
    progress(f"applying the feature definitions to the registry at {repository.registry_path}")
    repository.apply()
    trained = train(settings, train_window, progress=progress)
    scored = batch_inference(config, trained.run_id, score_window, progress=progress)
    metrics = ", ".join(f"{k}={v:.3f}" for k, v in sorted(trained.metrics.items()))
    return "\n".join([
        "",
        f"run id:       {trained.run_id}",
        f"metrics:      {metrics}",
        f"trained on:   {trained.rows} sessions ({', '.join(trained.feature_columns)})",
        f"predictions:  {scored.path} ({scored.rows} rows, {scored.entities} entities)",
        f"MLflow UI:    mlflow ui --backend-store-uri {config.tracking_uri}",
    ])
