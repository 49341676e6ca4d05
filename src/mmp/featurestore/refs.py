"""Feature references: ``view:feature``, as recipes, artifacts and the command line write them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_REF = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class FeatureRef:
    """One feature of one feature view."""

    view: str
    feature: str

    def __str__(self) -> str:
        return f"{self.view}:{self.feature}"


def parse_refs(texts: Iterable[str]) -> list[FeatureRef]:
    """Parse ``view:feature`` strings; a malformed or repeated one raises ValueError naming it."""
    refs: list[FeatureRef] = []
    for text in texts:
        match = _REF.match(str(text).strip())
        if not match:
            raise ValueError(f"feature reference {text!r} is not of the form view:feature")
        ref = FeatureRef(match[1], match[2])
        if ref in refs:
            raise ValueError(f"feature reference {text!r} is listed twice")
        refs.append(ref)
    return refs
