"""Blue-green model swaps: reload the served URI (e.g. after an alias moved)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from serving.dependencies import get_holder, require_admin
from serving.holder import ModelHolder
from serving.inputs import ReloadRequest

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.post("/reload")
async def reload(request: ReloadRequest | None = None,
                 holder: ModelHolder = Depends(get_holder)) -> JSONResponse:
    """Load the model off the request path and swap it in; a failure keeps the old one."""
    outcome = await holder.reload(request.model_uri if request else None)
    body = {"swapped": outcome.swapped, "run_id": outcome.run_id, "version": outcome.version}
    if outcome.error is None:
        return JSONResponse(status_code=200, content={**body, "error": None})
    # A refusal in the API's error shape, with the run that is still being served.
    return JSONResponse(status_code=outcome.status, content={
        "error": "ReloadFailed", "message": outcome.error, "hint": outcome.hint, **body})
