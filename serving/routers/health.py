"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from serving.dependencies import get_holder
from serving.holder import ModelHolder

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is alive (says nothing about the model or its services)."""
    return {"status": "alive"}


@router.get("/ready")
async def ready(holder: ModelHolder = Depends(get_holder)) -> JSONResponse:
    """200 when a model is loaded and its online store answers; 503 with reasons if not."""
    reasons = []
    model = holder.current
    if model is None:
        reasons.append(holder.last_error or "no model is loaded yet")
    elif model.metadata.feature_refs and holder.online is not None:
        problem = await holder.online.probe()
        if problem:
            reasons.append(problem)
    body = {"ready": not reasons, "run_id": model.ref.run_id if model else None,
            "reasons": reasons}
    return JSONResponse(status_code=200 if not reasons else 503, content=body)
