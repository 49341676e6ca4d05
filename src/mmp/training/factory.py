"""Building the estimator a recipe names, from an allowlist only."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from sklearn.base import BaseEstimator

from mmp.errors import ConfigError, ModelNotAllowedError


def build_estimator(
    class_path: str, hyperparameters: dict[str, Any], allowlist: list[str], *, seed: int
) -> BaseEstimator:
    """Instantiate ``class_path`` with ``hyperparameters``; refuse it before import if not
    in ``allowlist``."""
    if class_path not in allowlist:
        raise ModelNotAllowedError(class_path, allowlist)
    module_name, _, class_name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ConfigError(f"model class {class_path!r} cannot be imported",
                          field="model.class_path",
                          hint="check the spelling, or the allowlist entry") from None
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        raise ConfigError(
            f"{class_name} has no hyperparameter {unknown[0]!r}",
            field=f"model.hyperparameters.{unknown[0]}",
            hint="valid names: " + ", ".join(p for p in accepted if p != "self"),
        )
    params = dict(hyperparameters)
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = seed
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid hyperparameters for {class_name}: {exc}",
                          field="model.hyperparameters") from None
