"""Run every benchmark in this folder and write results/latest.json and results/latest.md.

Each benchmark script writes ``results/<name>.json`` with absolute medians and ratios
against the peer it measures in the same run. This collects them with the machine they ran
on (cores, memory, Python, package versions) and a markdown table for the README.

    .venv/bin/python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: results name -> (script, arguments of the full run, arguments of a quick run); each
#: run writes results/<name>.json.
SCRIPTS = {
    "sql_render": ("sql_render.py", [], ["--renders", "500"]),
    "schema_validation": ("schema_validation.py", [], ["--repeats", "5"]),
    "pit_join": ("pit_join.py", [],
                 ["--rows", "100000", "--feature-rows", "500000", "--repeats", "1"]),
    "pit_join_shapes": ("pit_join.py", ["--shapes"],
                        ["--shapes", "--shape-rows", "10000", "--shape-feature-rows",
                         "100000", "--repeats", "1"]),
    "serving": ("serving.py", [], ["--requests", "100"]),
    "batch_memory": ("batch_memory.py", [], ["--rows", "1500000"]),
    "startup": ("startup.py", [], ["--repeats", "2"]),
    "spark_scale": ("spark_scale.py", [],
                    ["--spine-rows", "100000", "--feature-rows", "500000",
                     "--entities", "10000"]),
}
PACKAGES = ("duckdb", "feast", "mlflow", "pandas", "numpy", "scikit-learn", "sqlglot",
            "fastapi", "pydantic")


def machine() -> dict[str, object]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "packages": {p: importlib.metadata.version(p) for p in PACKAGES}}


def run(name: str, quick: bool) -> int:
    script, full, fast = SCRIPTS[name]
    command = [sys.executable, str(HERE / script), *(fast if quick else full)]
    print(f"$ {' '.join(command)}", flush=True)
    return subprocess.run(command, check=False).returncode


def rows(name: str, data: dict) -> list[tuple[str, str, str, str]]:
    """(workload, mmp, peer, ratio) rows for the markdown table."""
    if name == "sql_render":
        return [("render + check a loader template", f"{data['mmp']['median_ms']:.3f} ms",
                 f"plan's blacklist {data['blacklist']['median_ms']:.3f} ms "
                 f"(wrong on {data['wrong']['plan']} of {len(data['cases'])} cases; mmp "
                 f"{data['wrong']['mmp']})", f"{data['ratio_mmp_over_blacklist']}x slower")]
    if name == "schema_validation":
        out = []
        for size, result in data["results"].items():
            mmp, peer = result["mmp_validate"]["median_ms"], result["mlflow_enforce"]["median_ms"]
            out.append((f"schema check, {size} x {data['columns']} columns", f"{mmp:.3f} ms",
                        f"MLflow enforcement {peer:.3f} ms", f"{peer / mmp:.2f} (peer/mmp)"))
        return out
    if name == "pit_join":
        out = []
        for size, run_ in data.get("sizes", {}).items():
            results = run_["results"]
            if "mmp" not in results or "seconds" not in results["mmp"]:
                continue
            mmp = results["mmp"]
            for peer in ("feast_file", "feast_duckdb", "plain", "plain_pandas"):
                other = results.get(peer, {})
                if "error" in other:
                    out.append((f"point-in-time join {size}",
                                f"{mmp['seconds']:.2f} s, {mmp['peak_rss_mb']} MB",
                                f"{peer} did not finish: {other['error']}", "-"))
                if "seconds" not in other:
                    continue
                out.append((f"point-in-time join {size}",
                            f"{mmp['seconds']:.2f} s, {mmp['peak_rss_mb']} MB",
                            f"{peer} {other['seconds']:.2f} s, {other['peak_rss_mb']} MB, "
                            f"{other['rows']:,} rows",
                            f"{other['seconds'] / mmp['seconds']:.2f} (peer/mmp)"))
        return out
    if name == "pit_join_shapes":
        size = f"{data['spine_rows']:,} x {data['feature_rows']:,}, {data['span_days']} days"
        out = []
        for shape, row in data["shapes"].items():
            spec, best = row["spec"], row["best_other"]
            if "views" in spec:
                out.append((f"point-in-time join, {shape} ({', '.join(spec['views'])} at "
                            f"once), {size}", f"{row['seconds']['mmp']:.2f} s",
                            f"fastest formulation per view, summed: {best} "
                            f"{row['seconds']['fastest_per_view_summed']:.2f} s",
                            f"{row['mmp_over_best']} (mmp/best)"))
                continue
            growth = next((f"; time x{v} with 10x the rows per entity" for k, v in row.items()
                           if k.startswith("mmp_time_over_")), "")
            out.append((f"point-in-time join, {shape} ({spec['entities']:,} entities, skew "
                        f"{spec['skew']}, ttl {spec['ttl_days']} d), {size}",
                        f"{row['seconds']['mmp']:.2f} s{growth}",
                        f"fastest other exact formulation: {best} {row['seconds'][best]:.2f} s",
                        f"{row['mmp_over_best']} (mmp/best)"))
        return out
    if name == "spark_scale":
        size = f"{data['spine_rows']:,} x {data['feature_rows']:,}"
        out = []
        for run_ in data.get("shapes", {}).values():
            for task, what in (("join", "point-in-time join"), ("score", "join + scoring")):
                spark, local = run_["results"][f"spark_{task}"], run_["results"][f"duckdb_{task}"]
                ratio = run_["spark_over_duckdb"][task]
                out.append((f"Spark {data['master']} {what}, {size}, {run_['entities']:,} "
                            "entities",
                            f"{spark['seconds']:.1f} s, {spark['peak_mb']:.0f} MB (start-up "
                            f"{spark['startup_seconds']:.0f} s apart)",
                            f"local engine {local['seconds']:.1f} s, {local['peak_mb']:.0f} MB",
                            f"{ratio['time']:.1f}x time, {ratio['peak_memory']:.1f}x memory "
                            "(Spark/local)"))
        return out
    if name == "serving":
        mmp, peer = data["results"]["mmp_serve"], data["results"]["mlflow_models_serve"]
        return [("one-row /predict with schema validation, loopback, 1 worker",
                 f"p50 {mmp['p50_ms']} ms, p99 {mmp['p99_ms']} ms",
                 f"mlflow models serve p50 {peer['p50_ms']} ms, p99 {peer['p99_ms']} ms",
                 f"{data['ratio_p50_peer_over_mmp']} (peer/mmp p50)")]
    if name == "batch_memory":
        out = []
        for run_ in data["sizes"].values():
            mmp, peer = run_["results"]["mmp"], run_["results"]["whole_frame"]
            out.append((f"batch inference with features, {mmp['rows']:,} rows",
                        f"{mmp['seconds']:.1f} s, {mmp['peak_rss_mb']:,} MB peak "
                        f"({mmp['progress_lines']} progress lines)",
                        f"whole frame at once {peer['seconds']:.1f} s, "
                        f"{peer['peak_rss_mb']:,} MB peak",
                        f"{run_['whole_frame_over_mmp_rss']} (peer/mmp memory)"))
        growth = data["mmp_rss_growth"]
        out.append((f"batch inference memory, {growth['from']} -> {growth['to']} rows",
                    f"peak x{growth['ratio']} (chunks of {data['chunk_rows']:,})", "",
                    "bounded" if growth["bounded"] else f"NOT bounded (limit x{growth['limit']})"))
        return out
    if name == "startup":
        out = []
        for command, result in data["results"].items():
            target = result.get("target_seconds")
            met = "" if target is None else (
                f"; target {target} s {'met' if result['mmp_seconds'] <= target else 'MISSED'}")
            workload = ("start-up: a fresh workspace's MLflow store" if command.startswith(
                "fresh") else f"start-up: `mmp {command}`, cold process, median of "
                f"{data['repeats']}")
            out.append((workload, f"{result['mmp_seconds']:.2f} s{met}",
                        f"floor {result['floor_seconds']:.2f} s ({result['floor']})",
                        f"{result['ratio']}x the floor"))
        return out
    return []


def write_table(info: dict) -> None:
    """results/latest.md from a run's ``latest.json`` content (also printed)."""
    table = ["| workload | mmp | peer (same run) | ratio |", "|---|---|---|---|"]
    for name, data in info["benchmarks"].items():
        table += [f"| {' | '.join(row)} |" for row in rows(name, data)]
    m = info["machine"]
    verb = "Collected from each script's last run" if info["collect_only"] else "Measured"
    load = info["load_average_1_5_15"]
    header = (f"{verb} {info['date']} on {m['cores']} cores, {m['memory_gib']} GiB, "
              f"Python {m['python']}{' (quick sizes)' if info['quick'] else ''}; load average "
              f"{load['before'][0]} before, {load['after'][0]} after.")
    (RESULTS / "latest.md").write_text(header + "\n\n" + "\n".join(table) + "\n",
                                       encoding="utf-8")
    print(header)
    print("\n".join(table))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--collect-only", action="store_true",
                        help="only gather the results the scripts wrote last")
    parser.add_argument("--table-only", action="store_true",
                        help="only rewrite latest.md from latest.json (same run, same date)")
    args = parser.parse_args()
    if args.table_only:
        write_table(json.loads((RESULTS / "latest.json").read_text(encoding="utf-8")))
        return 0
    load_before = [round(x, 2) for x in os.getloadavg()]
    failed = [] if args.collect_only else [s for s in SCRIPTS if run(s, args.quick) != 0]
    collected = {}
    for name in SCRIPTS:
        path = RESULTS / f"{name}.json"
        if path.is_file():
            collected[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    info = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quick": args.quick, "collect_only": args.collect_only, "machine": machine(),
            "load_average_1_5_15": {"before": load_before,
                                    "after": [round(x, 2) for x in os.getloadavg()]},
            "failed": failed, "benchmarks": collected}
    (RESULTS / "latest.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    write_table(info)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
