"""How mmp names a run's model: the artifact path, and the URIs that name a run directly."""

from __future__ import annotations

import re

#: Where a run keeps its pyfunc model (``runs:/<run id>/model``).
MODEL_PATH = "model"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{32})/" + MODEL_PATH + "/?$")


def run_of(uri: str) -> str | None:
    """The run id a bare run id or ``runs:/<run id>/model`` names; None for any other URI."""
    uri = uri.strip()
    if _RUN_ID.match(uri):
        return uri
    match = _RUNS.match(uri)
    return match["run"] if match else None
