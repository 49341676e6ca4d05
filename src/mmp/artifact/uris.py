"""How mmp names a run's model: the artifact path, and the URIs that name a run directly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Where a run keeps its pyfunc model (``runs:/<run id>/model``).
MODEL_PATH = "model"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{32})/" + MODEL_PATH + "/?$")


@dataclass(frozen=True)
class ModelRef:
    """What a model URI points at right now."""

    uri: str
    run_id: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    #: The model folder on disk when ``uri`` names a downloaded model.
    folder: Path | None = None


def run_ref(uri: str) -> ModelRef | None:
    """The run a bare run id or ``runs:/<run id>/model`` names, as ``runs:/`` URI; None for
    any other URI."""
    uri = uri.strip()
    if (run_id := run_of(uri)) is None:
        return None
    return ModelRef(uri=uri if uri.startswith("runs:/") else f"runs:/{run_id}/{MODEL_PATH}",
                    run_id=run_id)


def run_of(uri: str) -> str | None:
    """The run id a bare run id or ``runs:/<run id>/model`` names; None for any other URI."""
    uri = uri.strip()
    if _RUN_ID.match(uri):
        return uri
    match = _RUNS.match(uri)
    return match["run"] if match else None
