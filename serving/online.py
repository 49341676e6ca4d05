"""The online feature store as the API uses it: bounded, and failing as a clean 503."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence

import pandas as pd

from mmp.errors import MmpError, ServiceUnavailableError
from mmp.featurestore.online import OnlineFeatures
from mmp.featurestore.registry import FeatureRepository

#: A lookup slower than this is answered with 503 rather than held.
LOOKUP_TIMEOUT_SECONDS = 1.0


class BoundedOnlineFeatures:
    """Looks features up with a time limit; any store failure becomes ServiceUnavailable."""

    def __init__(self, repository: FeatureRepository,
                 timeout: float = LOOKUP_TIMEOUT_SECONDS) -> None:
        self.repository = repository
        self.online = OnlineFeatures(repository)
        self.timeout = timeout
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4,
                                                           thread_name_prefix="online")

    @property
    def location(self) -> str:
        return self.repository.online_location()

    def lookup(self, rows: pd.DataFrame, refs: Sequence[str]) -> pd.DataFrame:
        future = self._pool.submit(self.online.lookup, rows, list(refs))
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            self.repository.reconnect()
            raise self._unavailable(f"no answer within {self.timeout:g} s") from None
        except MmpError:
            raise
        except Exception as exc:  # the store's own driver errors (sqlite3, redis, ...)
            self.repository.reconnect()  # the next request starts from a fresh connection
            raise self._unavailable(str(exc).strip().splitlines()[0] or
                                    type(exc).__name__) from None

    async def probe(self) -> str | None:
        """None when the online store answers, else the reason."""
        return await asyncio.to_thread(self.repository.probe_online)

    def _unavailable(self, reason: str) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            "online feature store", self.location, reason,
            hint="check the online store (`mmp features materialize` fills it); the API "
                 "recovers by itself once it answers again")
