"""Mapping errors to JSON responses: domain errors keep their status, nothing leaks."""

from __future__ import annotations

import http
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from mmp.errors import MmpError, SchemaDriftError

log = logging.getLogger("mmp.serving")


class RequestTooLarge(MmpError):
    """A body or a batch over the configured limit."""

    http_status = 413


class ErrorBody(BaseModel):
    """Every refusal and failure the API answers: what failed, and what to do next."""

    error: str
    message: str
    hint: str | None = None
    problems: list[dict[str, Any]] | None = None
    incident: str | None = None


#: Published for every operation, so clients (and schema fuzzers) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Refused: the message says why, the hint "
                                               "what to do"},
    "5XX": {"model": ErrorBody, "description": "The model or a service it needs is not "
                                               "available, or an unexpected error"},
}


def problems_from_validation(exc: ValidationError | RequestValidationError) -> list[dict]:
    """Pydantic errors as ``{field, expected, got}`` rows."""
    rows = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        rows.append({"field": ".".join(loc) or "(body)", "expected": err.get("msg", ""),
                     "got": _short(err.get("input"))})
    return rows


def _short(value: object) -> object:
    text = repr(value)
    return value if len(text) <= 80 and isinstance(value, (int, float, str, bool)) \
        else text[:80]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(SchemaDriftError)
    async def drift(_: Request, exc: SchemaDriftError) -> JSONResponse:
        report = exc.report
        problems = report.model_dump()["problems"] if hasattr(report, "model_dump") else []
        return JSONResponse(status_code=422, content={
            "error": "SchemaDriftError", "message": exc.message, "problems": problems})

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={
            "error": "InvalidRequest", "message": "the request does not match the model's "
            "input schema", "problems": problems_from_validation(exc)})

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """Routing and body-decoding refusals (404, 405, 400) in the API's one error shape."""
        return JSONResponse(status_code=exc.status_code, headers=exc.headers, content={
            "error": http.HTTPStatus(exc.status_code).phrase.replace(" ", ""),
            "message": str(exc.detail), "hint": None})

    @app.exception_handler(MmpError)
    async def domain(_: Request, exc: MmpError) -> JSONResponse:
        return JSONResponse(status_code=exc.http_status, content=exc.to_dict())

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error (incident %s)", incident)
        return JSONResponse(status_code=500, content={
            "error": "InternalError", "incident": incident,
            "message": "an unexpected error occurred; the server log has the details"})
