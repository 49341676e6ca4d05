"""The model being served, and swapping it without dropping a request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

import pandas as pd
from pydantic import BaseModel

from mmp.artifact import registry
from mmp.artifact.registry import LoadedModel
from mmp.artifact.store import ModelStore
from mmp.errors import MmpError, ServiceUnavailableError
from serving.inputs import predict_request_model

log = logging.getLogger("mmp.serving")


class OnlineFeatures(Protocol):
    """The online store as serving sees it."""

    def lookup(self, rows: pd.DataFrame, refs: list[str]) -> pd.DataFrame:
        """Feature values for each row's entity keys, in row order."""

    async def probe(self) -> str | None:
        """None when the store answers, else the reason."""


@dataclass(frozen=True)
class ReloadOutcome:
    swapped: bool
    run_id: str | None
    version: str | None
    error: str | None = None
    #: A failed reload's HTTP status: the error's own (404 for a model that does not
    #: exist, 400 for a malformed URI, 503 for an unreachable registry), else 502.
    status: int = 200
    hint: str | None = None


class ModelHolder:
    """Holds the current model. A reload loads off the request path, then swaps the
    reference in one assignment: requests already running keep the model they started
    with, and a failed load leaves the old model serving."""

    def __init__(self, store: ModelStore, uri: str, online: OnlineFeatures | None = None
                 ) -> None:
        self.store = store
        self.uri = uri
        self.online = online
        self.current: LoadedModel | None = None
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._request_models: dict[str, type[BaseModel]] = {}

    def request_model(self, model: LoadedModel) -> type[BaseModel]:
        """The pydantic model of a /predict body for ``model`` (built once per run)."""
        run_id = model.ref.run_id
        if run_id not in self._request_models:
            self._request_models[run_id] = predict_request_model(model.metadata)
        return self._request_models[run_id]

    def require(self) -> LoadedModel:
        model = self.current
        if model is None:
            raise ServiceUnavailableError("model", self.uri,
                                          self.last_error or "no model is loaded yet",
                                          hint="check GET /ready and the server log")
        return model

    async def reload(self, uri: str | None = None) -> ReloadOutcome:
        """Load ``uri`` (default: the configured URI, re-resolved) and swap it in."""
        if self._lock.locked():
            log.info("a reload is already running; this one waits for it")
        async with self._lock:
            target = uri or self.uri
            try:
                loaded = await asyncio.to_thread(registry.load, self.store, target)
            except Exception as exc:  # a broken artifact must not take the server down
                self.last_error = f"loading {target} failed: {exc}"
                log.warning(self.last_error, exc_info=not isinstance(exc, MmpError))
                current = self.current
                known = isinstance(exc, MmpError)
                return ReloadOutcome(False, current and current.ref.run_id,
                                     current and current.ref.version, self.last_error,
                                     status=exc.http_status if known else 502,
                                     hint=exc.hint if known else None)
            previous, self.current = self.current, loaded
            self.uri, self.last_error = target, None
            swapped = previous is None or previous.ref.run_id != loaded.ref.run_id
            log.info("serving %s (run %s, version %s)", target, loaded.ref.run_id,
                     loaded.ref.version)
            return ReloadOutcome(swapped, loaded.ref.run_id, loaded.ref.version)

    def alias_moved(self) -> bool:
        """True when the configured ``models:/NAME@ALIAS`` now names another version."""
        current = self.current
        if current is None or current.ref.alias is None:
            return current is None
        try:
            return registry.resolve(self.store, self.uri).version != current.ref.version
        except MmpError as exc:
            self.last_error = f"polling {self.uri} failed: {exc}"
            return False
