"""Request and response models; the instance model is built from the training schema."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
)

from mmp.artifact.metadata import ArtifactMetadata
from mmp.artifact.pyfunc import FLOAT_LIMIT
from mmp.schema import ColumnSchema


def _whole_number(value: Any) -> Any:
    """JSON Schema's integer includes 2.0: a whole float becomes an int, nothing else."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: Refuses strings, booleans and fractions; 2.0 is the integer 2, as in JSON Schema.
_INTEGER = BeforeValidator(_whole_number)
_TYPES: dict[str, Any] = {
    "integer": Annotated[StrictInt, _INTEGER],
    "float": StrictFloat,  # accepts whole numbers, refuses strings and booleans
    "boolean": StrictBool,
    "string": StrictStr,
    "categorical": StrictStr,
    "datetime": dt.datetime,
}


def request_columns(metadata: ArtifactMetadata) -> list[ColumnSchema]:
    """What a client sends: entity keys, then the model inputs no feature view provides."""
    schema = metadata.training_schema
    from_views = set(online_feature_columns(metadata))
    entities = [c for c in schema.columns if c.role == "entity"]
    inputs = [c for c in schema.inputs if c.name not in from_views]
    return [*entities, *inputs]


def online_feature_columns(metadata: ArtifactMetadata) -> list[str]:
    """Model inputs looked up in the online store (``view:feature`` -> ``feature``)."""
    return [ref.split(":", 1)[1] for ref in metadata.feature_refs]


def instance_model(metadata: ArtifactMetadata) -> type[BaseModel]:
    """A pydantic model of one instance: typed fields, unknown fields refused."""
    fields: dict[str, Any] = {}
    for column in request_columns(metadata):
        annotation = _field_type(column)
        required = column.role == "entity" or not column.nullable
        description = f"{column.role}, {column.logical_type}"
        if column.categories:
            description += "; seen in training: " + ", ".join(column.categories[:20])
        if required:
            fields[column.name] = (annotation, Field(description=description))
        else:
            fields[column.name] = (annotation | None, Field(None, description=description))
    name = "".join(part.title() for part in metadata.recipe.name.replace("-", "_").split("_"))
    return create_model(f"{name}Instance", __config__=ConfigDict(extra="forbid"), **fields)


def _field_type(column: ColumnSchema) -> Any:
    """The JSON type of ``column``; numbers carry the range the model can take, so the
    published schema never invites a value that cannot be scored."""
    dtype = np.dtype(column.model_dtype)
    if column.logical_type == "integer" and dtype.kind in "iu":
        limits = np.iinfo(dtype)
        return Annotated[StrictInt, Field(ge=int(limits.min), le=int(limits.max)), _INTEGER]
    if column.logical_type == "float":
        return Annotated[StrictFloat, Field(ge=-FLOAT_LIMIT, le=FLOAT_LIMIT)]
    return _TYPES[column.logical_type]


def predict_request_model(metadata: ArtifactMetadata) -> type[BaseModel]:
    instance = instance_model(metadata)
    return create_model("PredictRequest", __config__=ConfigDict(extra="forbid"),
                        instances=(list[instance], Field(min_length=1)))


class Prediction(BaseModel):
    prediction: float | int | str
    probability: float | None = None


class PredictResponse(BaseModel):
    predictions: list[Prediction]
    run_id: str
    model_version: str | None = None
    warnings: list[str] = []


class ModelInfo(BaseModel):
    model_uri: str
    run_id: str
    version: str | None
    alias: str | None
    recipe: str
    task_type: str
    trained_at: str
    metrics: dict[str, float]
    feature_refs: list[str]
    input_schema: list[ColumnSchema]
    last_reload_error: str | None = None


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_uri: str | None = Field(None, description="default: the served URI, re-resolved")
