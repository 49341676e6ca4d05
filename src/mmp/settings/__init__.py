"""Environment config and recipes as validated pydantic models."""

from mmp.settings.config import EnvConfig, available_envs, deep_merge, load_config
from mmp.settings.recipe import (
    DataInterface,
    ParamSpec,
    Recipe,
    Settings,
    load_recipe,
    load_settings,
)

__all__ = [
    "DataInterface", "EnvConfig", "ParamSpec", "Recipe", "Settings", "available_envs",
    "deep_merge", "load_config", "load_recipe", "load_settings",
]
