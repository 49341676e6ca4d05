"""The mmp serving app: ``uvicorn serving.main:app`` (or ``mmp serve``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mmp.artifact.store import ModelStore
from mmp.featurestore.registry import FeatureRepository
from mmp.settings import EnvConfig, load_config
from serving import errors
from serving.dependencies import get_settings
from serving.holder import ModelHolder, OnlineFeatures
from serving.inputs import predict_request_model
from serving.limits import BodyDeadline
from serving.online import BoundedOnlineFeatures
from serving.routers import admin, health, model, predict
from serving.settings import ServingSettings

log = logging.getLogger("mmp.serving")


async def _poll_alias(holder: ModelHolder, seconds: float) -> None:
    """Reload when the served alias moves (blue-green without an admin call)."""
    while True:
        await asyncio.sleep(seconds)
        if await asyncio.to_thread(holder.alias_moved):
            await holder.reload()


def create_app(settings: ServingSettings | None = None, config: EnvConfig | None = None,
               online: OnlineFeatures | None = None) -> FastAPI:
    """The app for ``settings`` and ``config`` (default: both from the environment)."""
    settings = settings or get_settings()
    config = config or load_config(settings.env)
    if online is None:
        online = BoundedOnlineFeatures(FeatureRepository(config))
    holder = ModelHolder(ModelStore(config), settings.model_uri, online)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await holder.reload()
        poller = None
        if settings.poll_seconds > 0:
            poller = asyncio.create_task(_poll_alias(holder, settings.poll_seconds))
        yield
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    app = FastAPI(title="mmp model API", version="1", lifespan=lifespan,
                  description="Schema-validated predictions from an mmp MLflow model.",
                  responses=errors.ERROR_RESPONSES)
    app.state.settings = settings
    app.state.holder = holder
    for router in (health.router, model.router, predict.router, admin.router):
        app.include_router(router)
    errors.install(app)
    app.add_middleware(BodyDeadline, seconds=settings.body_timeout_seconds)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with the served model's real input fields as the /predict body."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    current = app.state.holder.current
    if current is not None:
        body = predict_request_model(current.metadata).model_json_schema(
            ref_template="#/components/schemas/{model}")
        definitions = body.pop("$defs", {})
        schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions)
        schema["components"]["schemas"]["PredictRequest"] = body
        schema["paths"]["/predict"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/PredictRequest"}}}}
    return schema


def __getattr__(name: str) -> Any:
    """``serving.main.app`` is built on first access, from the environment."""
    if name == "app":
        return create_app()
    raise AttributeError(name)
