"""Secure SQL rendering: mmp's render-and-check beside the plan's blacklist renderer.

Both render the example recipe's template (without its comment line, which the blacklist
would refuse) with a typical window, many times in the same process; the result is the
median per render, the ratio mmp / blacklist, and the headroom under the plan's 50 ms
budget. A second part runs tricky-but-honest and hostile cases through both and writes
what each gets wrong as a markdown table, from the actual outcomes.

    .venv/bin/python benchmarks/sql_render.py [--renders 5000]

Writes benchmarks/results/sql_render.json and benchmarks/results/sql_render.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jinja2

from mmp.errors import MmpError
from mmp.pipelines.loading import build_query
from mmp.settings.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "classification.yaml"
TEMPLATE = ROOT / "recipes" / "sql" / "sessions.sql.j2"
RESULTS = ROOT / "benchmarks" / "results"
BUDGET_MS = 50.0
WINDOW = {"start_date": "2024-01-01", "end_date": "2024-03-01", "include_target": "true"}


class BlacklistRenderer:
    """The plan's guard, reimplemented faithfully: a whitelist of parameter names, values
    rendered into the SQL text by plain Jinja, then a substring blacklist over the SQL."""

    NAMES = frozenset({"start_date", "end_date", "target_date", "period", "include_target"})
    BLACKLIST = ("DROP", "DELETE", "UPDATE", "INSERT", "ALTER", "TRUNCATE", "CREATE", "EXEC",
                 "EXECUTE", "--", "/*", "*/", ";")

    def __init__(self) -> None:
        self._env = jinja2.Environment()
        self._templates: dict[str, jinja2.Template] = {}

    def render(self, text: str, params: dict[str, Any]) -> str:
        unknown = sorted(set(params) - self.NAMES)
        if unknown:
            raise ValueError(f"unauthorized parameter {unknown[0]!r}")
        template = self._templates.get(text)
        if template is None:
            template = self._templates[text] = self._env.from_string(text)
        sql = template.render(**params)
        upper = sql.upper()
        for word in self.BLACKLIST:
            if word in upper:
                raise ValueError(f"forbidden keyword {word!r}")
        return sql


def timings(render: Callable[[int], object], renders: int) -> dict[str, float]:
    """Median and p95 of ``renders`` calls, in milliseconds, after a short warm-up."""
    for i in range(min(100, renders)):
        render(i)
    samples = []
    for i in range(renders):
        start = time.perf_counter_ns()
        render(i)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return {"median_ms": statistics.median(samples),
            "p95_ms": statistics.quantiles(samples, n=20)[-1], "renders": renders}


#: A value in a filter, as the plan writes it (quoted by the template) and as mmp does.
PLAN_FILTER = "SELECT * FROM sessions WHERE device = '{{ period }}'"
MMP_FILTER = "SELECT * FROM sessions WHERE device = {{ period }}"

#: (case, should it pass or be stopped, template text, value of the period parameter).
#: A case with a value renders PLAN_FILTER for the plan and MMP_FILTER for mmp.
CASES: list[tuple[str, str, str, str | None]] = [
    ("column created_at", "pass", "SELECT event_timestamp AS created_at FROM sessions", None),
    ("column updated_at", "pass", "SELECT event_timestamp AS updated_at FROM sessions", None),
    ("column is_deleted", "pass", "SELECT false AS is_deleted FROM sessions", None),
    ("the example recipe's own commented template", "pass", TEMPLATE.read_text(), None),
    ("a text literal holding ';'", "pass", "SELECT 'a;b' AS note FROM sessions", None),
    ("value O'Brien", "pass", "", "O'Brien"),
    ("value ' OR 'a'='a", "stop", "", "' OR 'a'='a"),
    ("value ' UNION SELECT pw FROM t WHERE '", "stop", "", "' UNION SELECT pw FROM t WHERE '"),
    ("value '||pg_sleep(10)||'", "stop", "", "'||pg_sleep(10)||'"),
    ("template read_csv('/etc/passwd')", "stop", "SELECT * FROM read_csv('/etc/passwd')", None),
    ("template COPY ... TO file", "stop", "COPY sessions TO '/tmp/leak.csv'", None),
    ("template ATTACH", "stop", "ATTACH '/tmp/evil.db' AS evil", None),
    ("template pg_sleep", "stop", "SELECT pg_sleep(10)", None),
    ("template {{ ''.__class__.__mro__ }}", "stop", "SELECT '{{ ''.__class__.__mro__ }}'", None),
]


def verdicts(loader: Any) -> list[dict[str, str]]:
    """Each case's outcome under both renderers, as observed."""
    plan, rows = BlacklistRenderer(), []
    for name, should, text, value in CASES:
        params = {**WINDOW, "period": value} if value is not None else dict(WINDOW)
        plan_text, mmp_text = (PLAN_FILTER, MMP_FILTER) if value is not None else (text, text)
        try:
            sql = plan.render(plan_text, params)
            plan_out = "spliced into the SQL" if value and value in sql else "accepted"
        except ValueError as exc:
            plan_out = f"refused: {exc}"
        try:
            query, _ = build_query(loader, mmp_text, params, dialect="duckdb",
                                   template_name=TEMPLATE.name)
            mmp_out = "spliced into the SQL" if value and value in query.sql else (
                "bound as data" if value else "accepted")
        except MmpError as exc:
            mmp_out = "refused: " + exc.message.removeprefix(f"{TEMPLATE.name}: ")
        rows.append({"case": name, "should": should, "plan": plan_out, "mmp": mmp_out})
    return rows


def right(outcome: str, should: str) -> bool:
    if outcome == "spliced into the SQL":
        return False
    return outcome in ("accepted", "bound as data") if should == "pass" else (
        outcome != "accepted")


def markdown(rows: list[dict[str, str]]) -> str:
    lines = ["| case | should | plan's blacklist | mmp |", "|---|---|---|---|"]
    for row in rows:
        cells = [f"`{row['case']}`", row["should"]] + [
            ("✓ " if right(row[k], row["should"]) else "✗ ") + row[k].split("; ")[0][:90]
            for k in ("plan", "mmp")]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=5000, help="renders per measurement")
    renders = parser.parse_args().renders
    loader = load_recipe(RECIPE).model.loader
    text = "\n".join(line for line in TEMPLATE.read_text().splitlines()
                     if not line.lstrip().startswith("--"))
    plan = BlacklistRenderer()
    plan.render(text, WINDOW)  # the typical template must pass both guards

    def mmp_render(i: int, fresh: bool = False) -> object:
        return build_query(loader, text + " " * i if fresh else text, WINDOW, dialect="duckdb",
                           template_name=TEMPLATE.name)

    results = {
        "mmp": timings(mmp_render, renders),
        "blacklist": timings(lambda i: plan.render(text, WINDOW), renders),
        "mmp_new_template": timings(lambda i: mmp_render(i, fresh=True), max(renders // 10, 50)),
    }
    ratio = results["mmp"]["median_ms"] / results["blacklist"]["median_ms"]
    rows = verdicts(loader)
    report = {
        "benchmark": "sql_render", "template": f"{TEMPLATE.relative_to(ROOT)} without comments",
        "params": WINDOW, **results, "ratio_mmp_over_blacklist": round(ratio, 1),
        "budget_ms": BUDGET_MS,
        "budget_headroom": round(BUDGET_MS / results["mmp"]["median_ms"], 1),
        "wrong": {k: sum(not right(r[k], r["should"]) for r in rows) for k in ("plan", "mmp")},
        "cases": rows,
        "versions": {p: version(p) for p in ("jinja2", "sqlglot", "duckdb")},
        "python": platform.python_version(), "machine": platform.platform(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sql_render.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(rows)
    (RESULTS / "sql_render.md").write_text(
        "# What each SQL guard gets wrong\n\nGenerated by `benchmarks/sql_render.py`.\n\n" + table)
    for name in ("mmp", "blacklist", "mmp_new_template"):
        r = results[name]
        print(f"{name:>17}: median {r['median_ms']:.3f} ms, p95 {r['p95_ms']:.3f} ms "
              f"({r['renders']} renders)")
    print(f"ratio mmp / blacklist: {ratio:.1f}x; headroom under the {BUDGET_MS:.0f} ms budget: "
          f"{report['budget_headroom']}x")
    print(f"cases wrong: plan {report['wrong']['plan']}, mmp {report['wrong']['mmp']}\n")
    print(table)


if __name__ == "__main__":
    main()
