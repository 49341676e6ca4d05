"""The closing line CI reads: ``scenarios: N passed, N failed, N skipped``.

Each behave run writes its counts to ``reports/scenario-counts-<env>.json``; run as a
script, this module adds up the files it is given and prints the closing line.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

REPORTS = Path("reports")
KINDS = ("passed", "failed", "skipped")


def closing_line(counts: Counter[str]) -> str:
    return "scenarios: " + ", ".join(f"{counts[k]} {k}" for k in KINDS)


class ScenarioTally:
    """Counts scenario outcomes per feature; written once at the end of the run."""

    def __init__(self, env: str) -> None:
        self.env = env
        self.counts: Counter[str] = Counter()

    def count_feature(self, feature) -> None:
        for scenario in feature.walk_scenarios():
            status = scenario.status.name
            if status == "untested":
                status = "skipped"
            self.counts[status if status in KINDS else "failed"] += 1

    def write(self) -> None:
        if os.environ.get("MMP_SUITE_TALLY") == "off":  # a suite run nested in a scenario
            return
        path = REPORTS / f"scenario-counts-{self.env}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(self.counts)), encoding="utf-8")


def total(paths: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in paths:
        counts.update(json.loads(path.read_text(encoding="utf-8")))
    return counts


def ran(path: Path) -> bool:
    """Whether the run that wrote ``path`` passed any scenario (a skipped dev pass did not)."""
    return path.is_file() and total([path])["passed"] > 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ran"]:
        sys.exit(0 if ran(Path(sys.argv[2])) else 1)
    files = [Path(p) for p in sys.argv[1:]]
    missing = [str(p) for p in files if not p.is_file()]
    counts = total([p for p in files if p.is_file()])
    if missing:
        print(f"a behave run wrote no counts ({', '.join(missing)}): counted as one failure")
        counts["failed"] += 1
    print(closing_line(counts))
    sys.exit(1 if counts["failed"] else 0)
