"""Predictions with schema validation and online features."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from mmp.errors import DataError
from mmp.pipelines.online import score_instances
from serving.dependencies import get_holder
from serving.errors import RequestTooLarge, problems_from_validation
from serving.holder import ModelHolder
from serving.inputs import Prediction, PredictResponse

router = APIRouter(tags=["predict"])


class InvalidInstances(DataError):
    """The body does not match the model's input schema (pydantic level)."""

    http_status = 422

    def __init__(self, problems: list[dict]) -> None:
        super().__init__("the request does not match the model's input schema")
        self.problems = problems

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": self.problems}


async def read_body(request: Request, limit: int) -> Any:
    """The JSON body, refused with 413 past ``limit`` bytes before it is parsed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"the body has {declared} bytes; the limit is {limit}",
                              hint="send fewer instances per request")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestTooLarge(f"the body exceeds the limit of {limit} bytes",
                                  hint="send fewer instances per request")
    try:
        return json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInstances([{"field": "(body)", "expected": "a JSON document",
                                 "got": f"invalid JSON at position {exc.pos}"
                                 if hasattr(exc, "pos") else "undecodable bytes"}]) from None


@router.post("/predict", response_model=PredictResponse)
async def predict(request: Request, holder: ModelHolder = Depends(get_holder)
                  ) -> PredictResponse:
    """Score one instance (an object) or several (``{"instances": [...]}``)."""
    settings = request.app.state.settings
    payload = await read_body(request, settings.max_body_bytes)
    model = holder.require()  # in-flight requests keep this model across a swap
    if isinstance(payload, dict) and "instances" not in payload:
        payload = {"instances": [payload]}
    if isinstance(payload, dict) and isinstance(payload.get("instances"), list) and len(
            payload["instances"]) > settings.max_batch:
        raise RequestTooLarge(f"{len(payload['instances'])} instances; the limit is "
                              f"{settings.max_batch}", hint="split the batch")
    try:
        parsed = holder.request_model(model).model_validate(payload)
    except ValidationError as exc:
        raise InvalidInstances(problems_from_validation(exc)) from None
    records = [instance.model_dump() for instance in parsed.instances]
    lookup = holder.online.lookup if holder.online is not None else None
    scored = await run_in_threadpool(score_instances, model, records, lookup)
    rows = scored.predictions.to_dict(orient="records")
    return PredictResponse(
        predictions=[Prediction(prediction=_plain(r["prediction"]),
                                probability=r.get("probability")) for r in rows],
        run_id=model.ref.run_id, model_version=model.ref.version, warnings=scored.warnings)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
