"""Feature definitions: entities and feature views, read from one YAML file under config/.

The file is validated like a recipe (unknown keys refused, errors name the field) and
turned into Feast objects only when they are applied, so reading it never imports Feast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from mmp.errors import ConfigError
from mmp.featurestore.refs import FeatureRef
from mmp.settings.config import Strict
from mmp.settings.yamlfile import read_yaml, validation_error

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
FeatureType = Literal["int64", "float64", "string", "bool"]
KeyType = Literal["int64", "string"]

_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT = r"(weeks?|w|days?|d|hours?|h|minutes?|min|m|seconds?|sec|s)"
_DURATION = re.compile(rf"(?:\d+\s*{_UNIT}(?:\s*,?\s*(?:and\s+)?|$))+")
_PART = re.compile(rf"(\d+)\s*{_UNIT}")


def parse_duration(text: str) -> dt.timedelta:
    """``7d``, ``36h``, ``1d12h``, ``90s``, ``7 days``, ``1 day and 2 hours`` -> a timedelta."""
    cleaned = text.strip().lower()
    if not _DURATION.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a duration like 7d, 36h, 1d12h or 90s")
    seconds = sum(int(n) * _SECONDS[unit[0]] for n, unit in _PART.findall(cleaned))
    return dt.timedelta(seconds=seconds)


class EntityDef(Strict):
    """Who a feature is about, and the column that identifies it."""

    join_key: Name
    type: KeyType = "int64"
    description: str = ""


class ViewDef(Strict):
    """A feature view: features of one entity, with the table that holds their history."""

    entities: list[Name] = Field(min_length=1, max_length=1)
    source: Name = Field(description="warehouse table holding the view's rows")
    timestamp_field: Name = "event_timestamp"
    created_timestamp_column: Name = "created_timestamp"
    ttl: dt.timedelta
    features: dict[Name, FeatureType] = Field(min_length=1)
    description: str = ""

    @field_validator("ttl", mode="before")
    @classmethod
    def _ttl_from_text(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("ttl")
    @classmethod
    def _ttl_positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("the ttl must be longer than zero")
        return value


class FeatureDefinitions(Strict):
    """Every entity and feature view of a project."""

    entities: dict[Name, EntityDef] = Field(min_length=1)
    feature_views: dict[Name, ViewDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _views_are_consistent(self) -> FeatureDefinitions:
        for name, view in self.feature_views.items():
            unknown = [e for e in view.entities if e not in self.entities]
            if unknown:
                raise ValueError(f"feature view {name!r} names the entity {unknown[0]!r}, "
                                 f"which is not defined (defined: {', '.join(self.entities)})")
            reserved = {*self.join_keys(name), view.timestamp_field, view.created_timestamp_column}
            clash = sorted(reserved & set(view.features))
            if clash:
                raise ValueError(f"feature view {name!r} has a feature named {clash[0]!r}, "
                                 "which is also a key or timestamp column")
        return self

    def join_keys(self, view: str) -> list[str]:
        return [self.entities[e].join_key for e in self.feature_views[view].entities]

    def check_refs(self, refs: Sequence[FeatureRef], *, path: str, field: str) -> None:
        """Refuse, naming it, the first reference to an unknown view or feature."""
        for index, ref in enumerate(refs):
            view = self.feature_views.get(ref.view)
            if view is None:
                raise ConfigError(f"unknown feature view {ref.view!r} in {str(ref)!r}",
                                  path=path, field=f"{field}.{index}",
                                  hint="known views: " + ", ".join(self.feature_views))
            if ref.feature not in view.features:
                raise ConfigError(f"feature view {ref.view!r} has no feature {ref.feature!r}",
                                  path=path, field=f"{field}.{index}",
                                  hint=f"features of {ref.view}: " + ", ".join(view.features))


def load_definitions(path: Path, environ: Mapping[str, str] | None = None) -> FeatureDefinitions:
    """Read and validate a definitions file; errors name the file, the field and the reason."""
    data = read_yaml(Path(path), environ or {})
    try:
        return FeatureDefinitions.model_validate(data)
    except ValidationError as exc:
        error = validation_error(exc, str(path))
        error.hint = "see config/features/definitions.yaml for a complete example"
        raise error from None


def feast_objects(definitions: FeatureDefinitions, sources: Mapping[str, Any]) -> list[Any]:
    """Feast entities and feature views; ``sources`` maps each view to its Feast data source
    (see :mod:`mmp.featurestore.stores`) or to a parquet file, which becomes a FileSource."""
    from feast import Entity, FeatureView, Field, ValueType
    from feast.types import Bool, Float64, Int64, String

    dtypes = {"int64": Int64, "float64": Float64, "string": String, "bool": Bool}
    value_types = {"int64": ValueType.INT64, "string": ValueType.STRING}
    entities = {name: Entity(name=name, join_keys=[e.join_key], description=e.description,
                             value_type=value_types[e.type])
                for name, e in definitions.entities.items()}
    views = []
    for name, view in definitions.feature_views.items():
        keys = [definitions.entities[e] for e in view.entities]
        schema = [Field(name=k.join_key, dtype=dtypes[k.type]) for k in keys]
        schema += [Field(name=f, dtype=dtypes[t]) for f, t in view.features.items()]
        source = sources[name]
        if isinstance(source, str | Path):
            source = file_source(name, source, view)
        views.append(FeatureView(name=name, entities=[entities[e] for e in view.entities],
                                 ttl=view.ttl, schema=schema, source=source, online=True,
                                 description=view.description))
    return [*entities.values(), *views]


def file_source(name: str, path: Path | str, view: ViewDef) -> Any:
    """The Feast FileSource of view ``name`` over the parquet file ``path``."""
    from feast import FileSource

    return FileSource(name=f"{name}_source", path=str(path),
                      timestamp_field=view.timestamp_field,
                      created_timestamp_column=view.created_timestamp_column)
