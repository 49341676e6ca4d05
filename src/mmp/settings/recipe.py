"""The recipe: what to load, how to augment it, which model to train."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmp.errors import ConfigError
from mmp.settings.config import EnvConfig, Strict, load_config
from mmp.settings.yamlfile import read_yaml, validation_error

ParamType = Literal["date", "datetime", "int", "float", "bool", "string", "enum"]
TaskType = Literal["classification", "regression"]


class ParamSpec(Strict):
    """A declared template parameter: its type, limits and default value."""

    type: ParamType | None = None
    default: Any = None
    values: list[Any] | None = Field(None, description="allowed values of an enum")
    max_length: int | None = Field(None, gt=0)
    pattern: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _enum_has_values(self) -> ParamSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum parameter needs a non-empty 'values' list")
        return self


class DataInterface(Strict):
    """The columns that give the loaded rows their meaning."""

    entity_columns: list[str] = Field(min_length=1)
    timestamp_column: str = Field(min_length=1)
    target_column: str = Field(min_length=1)
    task_type: TaskType

    @model_validator(mode="after")
    def _roles_are_distinct(self) -> DataInterface:
        roles = [*self.entity_columns, self.timestamp_column, self.target_column]
        seen: set[str] = set()
        for name in roles:
            if name in seen:
                raise ValueError(f"column {name!r} is given more than one role")
            seen.add(name)
        return self

    @property
    def key_columns(self) -> list[str]:
        return [*self.entity_columns, self.timestamp_column]


class Loader(Strict):
    source_uri: str = Field(min_length=1, description="SQL template, relative to the recipe")
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    data_interface: DataInterface


class Augmenter(Strict):
    """How loaded rows are enriched before training; pass_through keeps them as loaded."""

    type: Literal["pass_through"] = "pass_through"


class Split(Strict):
    method: Literal["time", "random"] = "time"
    test_size: float = Field(0.2, gt=0, lt=1)


class ModelSpec(Strict):
    class_path: str = Field(pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$")
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    loader: Loader
    augmenter: Augmenter = Augmenter()
    split: Split = Split()
    features: list[str] | None = Field(
        None, description="model inputs; default: every column without a role")


class Recipe(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = 42
    model: ModelSpec


class Settings(BaseModel):
    """An environment's config together with one recipe and its SQL template."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: EnvConfig
    recipe: Recipe
    recipe_path: Path
    template_path: Path
    template_text: str


def load_recipe(path: Path, environ: Mapping[str, str] | None = None) -> Recipe:
    """Validate a recipe file; errors name the file, the field path and the reason."""
    environ = os.environ if environ is None else environ
    data = read_yaml(path, environ)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, str(path)) from None


def load_settings(
    recipe_path: Path | str,
    *,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    config: EnvConfig | None = None,
) -> Settings:
    """Load config and recipe, and read the recipe's SQL template, before touching data."""
    recipe_path = Path(recipe_path)
    config = config or load_config(env, environ=environ)
    recipe = load_recipe(recipe_path, environ)
    template_path = (recipe_path.parent / recipe.model.loader.source_uri).resolve()
    if not template_path.is_file():
        raise ConfigError(
            f"SQL template {template_path} does not exist",
            path=str(recipe_path), field="model.loader.source_uri",
            hint="the path is relative to the recipe file",
        )
    return Settings(
        config=config, recipe=recipe, recipe_path=recipe_path.resolve(),
        template_path=template_path, template_text=template_path.read_text(encoding="utf-8"),
    )
