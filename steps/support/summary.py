"""The closing line CI reads: ``scenarios: N passed, N failed, N skipped``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

COUNTS_FILE = Path("reports") / "scenario-counts.json"


class ScenarioTally:
    """Counts scenario outcomes per feature; written once at the end of the run."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count_feature(self, feature) -> None:
        for scenario in feature.walk_scenarios():
            status = scenario.status.name
            if status in ("passed", "skipped"):
                self.counts[status] += 1
            elif status == "untested":
                self.counts["skipped"] += 1
            else:
                self.counts["failed"] += 1

    def line(self) -> str:
        c = self.counts
        return f"scenarios: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"

    def write(self, path: Path = COUNTS_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**self.counts, "line": self.line()}), encoding="utf-8")
