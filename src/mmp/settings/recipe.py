"""The recipe: what to load, how to augment it, which model to train."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mmp.errors import ConfigError
from mmp.featurestore.refs import parse_refs
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
    allowed_paths: list[str] = Field(
        default_factory=list,
        description="files or URLs (glob patterns; * stays within one folder) the template "
                    "may read with read_csv, read_parquet, glob ...; default: none")

    @field_validator("allowed_paths")
    @classmethod
    def _paths_stay_put(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not pattern.strip() or ".." in pattern.split("/"):
                raise ValueError(f"allowed path {pattern!r} must be a non-empty path "
                                 "without '..'")
        return patterns


class Augmenter(Strict):
    """How loaded rows are enriched: pass_through keeps them as loaded; feature_store joins
    the named features point-in-time, for training and batch inference alike."""

    type: Literal["pass_through", "feature_store"] = "pass_through"
    features: list[str] = Field(default_factory=list, description="view:feature references")
    created_before: dt.datetime | None = Field(
        None, description="as-of cutoff for training: feature rows created after it are "
                          "ignored (naive means UTC)")

    @model_validator(mode="after")
    def _features_fit_type(self) -> Augmenter:
        if self.type == "pass_through" and (self.features or self.created_before):
            raise ValueError("features and created_before need type: feature_store")
        if self.type == "feature_store" and not self.features:
            raise ValueError("a feature_store augmenter needs at least one view:feature")
        parse_refs(self.features)
        return self


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
    if recipe.model.augmenter.features:
        from mmp.featurestore.definitions import load_definitions

        definitions = load_definitions(config.feature_definitions_path,
                                       os.environ if environ is None else environ)
        definitions.check_refs(parse_refs(recipe.model.augmenter.features),
                               path=str(recipe_path), field="model.augmenter.features")
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
