"""Serving settings, read from the process environment once (see dependencies.get_settings)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mmp.errors import ConfigError
from mmp.settings.yamlfile import validation_error

_PREFIX = "MMP_SERVE_"


class ServingSettings(BaseModel):
    """What the API serves and its limits. The admin token is never logged or echoed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_uri: str = Field(min_length=1)
    env: str | None = None
    admin_token: SecretStr | None = None
    max_body_bytes: int = Field(1_048_576, gt=0)
    max_batch: int = Field(1000, gt=0)
    poll_seconds: float = Field(0.0, ge=0, description="alias polling period; 0 disables it")
    body_timeout_seconds: float = Field(10.0, gt=0,
                                        description="time a client may take to send a body")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServingSettings:
        """``MMP_MODEL_URI``, ``APP_ENV``, ``MMP_ADMIN_TOKEN`` and ``MMP_SERVE_*`` limits."""
        environ = os.environ if environ is None else environ
        if not environ.get("MMP_MODEL_URI"):
            raise ConfigError("no model to serve", field="MMP_MODEL_URI",
                              hint="run `mmp serve --model-uri runs:/<run id>/model`")
        values: dict[str, object] = {
            "model_uri": environ["MMP_MODEL_URI"],
            "env": environ.get("APP_ENV") or None,
            "admin_token": environ.get("MMP_ADMIN_TOKEN") or None,
        }
        for name in ("max_body_bytes", "max_batch", "poll_seconds", "body_timeout_seconds"):
            if f"{_PREFIX}{name.upper()}" in environ:
                values[name] = environ[f"{_PREFIX}{name.upper()}"]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise validation_error(exc, "environment", prefix="") from None
