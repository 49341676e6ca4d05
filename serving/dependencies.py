"""FastAPI dependencies: settings (read once) and the model holder of the running app."""

from __future__ import annotations

import secrets
from functools import lru_cache

from fastapi import Header, Request

from mmp.errors import MmpError
from serving.holder import ModelHolder
from serving.settings import ServingSettings


class Unauthorized(MmpError):
    http_status = 401


class AdminDisabled(MmpError):
    http_status = 403


@lru_cache
def get_settings() -> ServingSettings:
    return ServingSettings.from_environ()


def get_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


def require_admin(request: Request, authorization: str | None = Header(None)) -> None:
    """Admin endpoints need ``Authorization: Bearer <MMP_ADMIN_TOKEN>``."""
    token = request.app.state.settings.admin_token
    if token is None:
        raise AdminDisabled("admin endpoints are disabled",
                            hint="set MMP_ADMIN_TOKEN in the server's environment")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
            given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("a valid bearer token is required",
                           hint="send Authorization: Bearer <MMP_ADMIN_TOKEN>")
