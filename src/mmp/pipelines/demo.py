"""The demo: seed the warehouse, train the example recipe, score a later window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mmp.pipelines.batch import batch_inference
from mmp.pipelines.seed import seed_warehouse
from mmp.pipelines.train import train
from mmp.settings import load_settings

#: The later window the demo scores (the recipe trains on January and February 2024).
SCORING_WINDOW = {"start_date": "2024-03-01", "end_date": "2024-03-22"}


def run_demo(recipe: Path, rows: int, progress: Callable[[str], None]) -> str:
    """Run the whole job and return a short human summary."""
    settings = load_settings(recipe)
    config = settings.config
    progress(f"seeding {rows} sessions into {config.warehouse_path}")
    seed_warehouse(config, rows, config.test_mode.seed)
    trained = train(settings, progress=progress)
    scored = batch_inference(config, trained.run_id, SCORING_WINDOW, progress=progress)
    metrics = ", ".join(f"{k}={v:.3f}" for k, v in sorted(trained.metrics.items()))
    return "\n".join([
        "",
        f"run id:       {trained.run_id}",
        f"metrics:      {metrics}",
        f"trained on:   {trained.rows} sessions ({', '.join(trained.feature_columns)})",
        f"predictions:  {scored.path} ({scored.rows} rows, {scored.entities} entities)",
        f"MLflow UI:    mlflow ui --backend-store-uri {config.tracking_uri}",
    ])
