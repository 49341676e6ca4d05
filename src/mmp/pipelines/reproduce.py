"""Reproduction: rebuild a model's training data from its artifact alone, retrain it with
the recorded seeds and hyperparameters, and compare predictions on the held-out rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mmp.artifact import registry
from mmp.artifact.metadata import fingerprint, fingerprint_differences, package_versions
from mmp.artifact.pyfunc import score
from mmp.artifact.store import ModelStore
from mmp.errors import DataChangedError
from mmp.pipelines.train import fit_and_evaluate, recipe_estimator, split_rows, training_frame
from mmp.settings.config import EnvConfig

#: Exit code of ``mmp reproduce`` when the retrained model predicts differently.
NOT_REPRODUCED_EXIT = 5
#: Differing rows shown as examples.
EXAMPLES = 5


@dataclass(frozen=True)
class Reproduction:
    """What retraining from the artifact gave, compared with the artifact's own model."""

    run_id: str
    recipe: str
    model_class: str
    seed: int
    hyperparameters: dict[str, Any]
    rows: int
    sha256: str
    time_range: tuple[str | None, str | None]
    train_rows: int
    evaluation_rows: int
    differing_rows: int
    #: Up to EXAMPLES differing rows: keys, then each output as recorded and as retrained.
    examples: pd.DataFrame
    #: Packages whose installed version is not the one the model was trained with.
    version_changes: dict[str, tuple[str, str | None]]

    @property
    def identical(self) -> bool:
        return self.differing_rows == 0


def reproduce(config: EnvConfig, uri: str,
              progress: Callable[[str], None] | None = None) -> Reproduction:
    """Retrain the model ``uri`` names from what its artifact recorded and compare.

    Raises DataChangedError when the rebuilt rows (or the held-out split) do not match the
    recorded fingerprints; a retrained model that predicts differently is reported, not
    raised, so the caller can show the difference.
    """
    say = progress or (lambda _message: None)
    store = ModelStore.checked(config)
    model = registry.load(store, uri)
    metadata, run_id = model.metadata, model.ref.run_id
    recipe = metadata.recipe
    estimator = recipe_estimator(recipe, config)
    say(f"rebuilding the training data of run {run_id} from its artifact")
    cutoff = metadata.features_as_of
    rows = training_frame(
        config, recipe, metadata.template_text, metadata.template_name, metadata.params,
        feature_refs=metadata.feature_refs, ttl_seconds=metadata.feature_ttl_seconds,
        created_before=dt.datetime.fromisoformat(cutoff) if cutoff else None, progress=say)
    timestamp = metadata.data_interface.timestamp_column
    train_rows, test_rows = split_rows(recipe, rows.frame)
    now, held_out = fingerprint(rows.frame, timestamp), fingerprint(test_rows, timestamp)
    changes = fingerprint_differences(metadata.fingerprint, now) or [
        f"held-out {change}"  # the same rows, split differently: the split rule changed
        for change in fingerprint_differences(metadata.evaluation or held_out, held_out)]
    if changes:
        raise DataChangedError(run_id, changes)
    say(f"retraining on {len(train_rows)} rows with seed {recipe.seed}")
    fitted = fit_and_evaluate(recipe, estimator, train_rows, test_rows,
                              metadata.feature_columns)
    recorded = score(model.pipeline, metadata, test_rows)
    retrained = score(fitted.pipeline, metadata, test_rows)
    differs = differing_rows(recorded, retrained)
    keys = test_rows[metadata.data_interface.key_columns].reset_index(drop=True)
    examples = pd.concat(
        [keys, recorded.add_suffix(" (recorded)").reset_index(drop=True),
         retrained.add_suffix(" (retrained)").reset_index(drop=True)], axis=1)[differs]
    installed = package_versions()
    return Reproduction(
        run_id=run_id, recipe=recipe.name, model_class=recipe.model.class_path,
        seed=recipe.seed, hyperparameters=recipe.model.hyperparameters,
        rows=now.rows, sha256=now.sha256, time_range=(now.time_min, now.time_max),
        train_rows=len(train_rows), evaluation_rows=len(test_rows),
        differing_rows=int(differs.sum()), examples=examples.head(EXAMPLES),
        version_changes={name: (version, installed.get(name))
                         for name, version in metadata.package_versions.items()
                         if installed.get(name) != version},
    )


def differing_rows(recorded: pd.DataFrame, retrained: pd.DataFrame) -> np.ndarray:
    """A mask of the rows where any output differs, bit for bit (floats by their bits)."""
    differs = np.zeros(len(recorded), dtype=bool)
    for column in recorded.columns:
        before, after = _bits(recorded[column].to_numpy()), _bits(retrained[column].to_numpy())
        differs |= (before != after) if before.dtype == after.dtype else True
    return differs


def _bits(values: np.ndarray) -> np.ndarray:
    """Floats as their bit patterns (so -0.0 != 0.0 and NaN == the same NaN); else as is."""
    return values.view(f"u{values.itemsize}") if values.dtype.kind == "f" else values
