"""What is being served."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from serving.dependencies import get_holder
from serving.holder import ModelHolder
from serving.inputs import ModelInfo

router = APIRouter(tags=["model"])


@router.get("/model", response_model=ModelInfo)
async def model_info(holder: ModelHolder = Depends(get_holder)) -> ModelInfo:
    """Run id, registry version and alias, recipe, training time, metrics, input schema."""
    model = holder.require()
    metadata = model.metadata
    return ModelInfo(
        model_uri=holder.uri, run_id=model.ref.run_id, version=model.ref.version,
        alias=model.ref.alias, recipe=metadata.recipe.name, task_type=metadata.task_type,
        trained_at=metadata.trained_at, metrics=metadata.metrics,
        feature_refs=metadata.feature_refs, input_schema=metadata.training_schema.inputs,
        last_reload_error=holder.last_error,
    )
