"""The closing line CI reads: ``scenarios: N passed, N failed, N skipped``.

Each behave pass writes its counts and its own elapsed time to
``reports/scenario-counts-<pass>.json`` (the pass is ``MMP_PASS``, default the
environment's name). :func:`closing_lines` adds the passes up and judges the suite's
wall time against its budget: the "whole suite in under 5 minutes" guarantee is judged on
the run it is part of, never by running the suite again inside itself.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

REPORTS = Path("reports")
KINDS = ("passed", "failed", "skipped")
#: The plan's budget for the whole acceptance suite (every pass), in seconds.
SUITE_BUDGET_SECONDS = 300


def tally(counts: Counter[str]) -> str:
    """``N passed, N failed, N skipped``."""
    return ", ".join(f"{counts[k]} {k}" for k in KINDS)


def closing_line(counts: Counter[str]) -> str:
    return f"scenarios: {tally(counts)}"


def pass_name(env: str) -> str:
    return os.environ.get("MMP_PASS") or env


class ScenarioTally:
    """Counts scenario outcomes per feature and times the pass; written once at its end."""

    def __init__(self, env: str) -> None:
        self.name = pass_name(env)
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()

    def count_feature(self, feature) -> None:
        for scenario in feature.walk_scenarios():
            status = scenario.status.name
            if status == "untested":
                status = "skipped"
            self.counts[status if status in KINDS else "failed"] += 1

    def write(self) -> None:
        path = REPORTS / f"scenario-counts-{self.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"counts": dict(self.counts),
                  "elapsed_seconds": round(time.monotonic() - self.started, 1)}
        path.write_text(json.dumps(record), encoding="utf-8")


def read_pass(path: Path) -> tuple[Counter[str], float]:
    """A pass's counts and elapsed seconds, as :meth:`ScenarioTally.write` left them."""
    record = json.loads(path.read_text(encoding="utf-8"))
    return Counter(record["counts"]), float(record["elapsed_seconds"])


def ran(path: Path) -> bool:
    """Whether the pass that wrote ``path`` passed any scenario (a skipped dev pass did not)."""
    return path.is_file() and read_pass(path)[0]["passed"] > 0


def closing_lines(paths: list[Path], wall_seconds: float,
                  budget_seconds: float = SUITE_BUDGET_SECONDS) -> tuple[list[str], bool]:
    """The summary of every pass, the budget verdict and the closing line; and whether the
    suite failed (a failed scenario, a pass that wrote no counts, or over budget)."""
    counts: Counter[str] = Counter()
    lines = []
    for path in paths:
        if not path.is_file():
            lines.append(f"a behave pass wrote no counts ({path}): counted as one failure")
            counts["failed"] += 1
            continue
        pass_counts, elapsed = read_pass(path)
        counts.update(pass_counts)
        name = path.stem.removeprefix("scenario-counts-")
        lines.append(f"pass {name}: {elapsed:.0f} s, {tally(pass_counts)}")
    over = wall_seconds > budget_seconds
    verdict = "OVER BUDGET" if over else "within budget"
    lines.append(f"suite: {wall_seconds:.0f} s wall for every pass; the budget is "
                 f"{budget_seconds:.0f} s: {verdict}")
    lines.append(closing_line(counts))
    return lines, bool(counts["failed"]) or over
