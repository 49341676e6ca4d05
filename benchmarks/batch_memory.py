"""Batch inference memory: mmp's streamed scoring against scoring the whole frame at once.

One warehouse of ``--rows`` synthetic sessions (the product's seeded generator, 600
sessions an hour among 1,000 users) with the feature definitions applied; the feature
recipe is trained on its first two days. Then each contender scores a window of about
1M sessions and the whole warehouse, with point-in-time user and product features, each
in a fresh process so that its peak RSS (VmHWM) is its own:

- ``mmp``: ``batch_inference``, which streams the rows from the warehouse a chunk at a
  time (``--chunk-rows``), joins each chunk's features, scores it and appends it to the
  output file, reporting progress after every chunk;
- ``whole_frame`` (the peer): the same rows, features and model, loaded and joined in one
  piece and scored in one call, as a script around ``mlflow.pyfunc`` would do.

Both write the same predictions (checked). "Bounded" means mmp's peak at the full size is
within ``BOUNDED_GROWTH`` of its peak at 1M rows. Writes results/batch_memory.json.

    .venv/bin/python benchmarks/batch_memory.py [--rows 5000000] [--chunk-rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PER_HOUR, USERS = 600, 1000
START = dt.date(2024, 1, 1)
TRAIN_WINDOW = {"start_date": "2024-01-01", "end_date": "2024-01-03"}
#: mmp's peak RSS may grow by at most this factor from 1M rows to the full size.
BOUNDED_GROWTH = 1.25


def config_for(workspace: Path):
    from mmp.settings import load_config

    return load_config("local", environ={"MMP_WORKSPACE": str(workspace)},
                       directory=ROOT / "config")


def prepare(workspace: Path, rows: int) -> str:
    """Seed, apply the feature definitions, train the feature recipe; the run id."""
    from mmp.featurestore.registry import FeatureRepository
    from mmp.pipelines.seed import seed_warehouse
    from mmp.pipelines.train import train
    from mmp.settings import load_settings

    config = config_for(workspace)
    started = time.perf_counter()
    seed_warehouse(config, rows, 42, per_hour=PER_HOUR, users=USERS)
    FeatureRepository(config).apply()
    settings = load_settings(ROOT / "recipes" / "classification_features.yaml", config=config)
    run_id = train(settings, TRAIN_WINDOW).run_id
    print(f"prepared {rows:,} sessions and trained run {run_id} in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return run_id


def windows(rows: int) -> dict[str, dict[str, str]]:
    """About 1M sessions (whole days) and every session, as template parameters."""
    per_day = PER_HOUR * 24
    days = min(max(1, 1_000_000 // per_day), -(-rows // per_day))
    last = START + dt.timedelta(days=-(-rows // per_day) + 1)
    out = {"1M": {"start_date": str(START), "end_date": str(START + dt.timedelta(days=days))}}
    if rows > days * per_day:
        out[f"{rows / 1e6:g}M"] = {"start_date": str(START), "end_date": str(last)}
    return out


def run_contender(name: str, workspace: Path, run_id: str, window: dict[str, str],
                  chunk_rows: int) -> dict:
    """One run in this process: seconds, peak RSS, rows, progress lines."""
    config = config_for(workspace)
    out = workspace / f"predictions-{name}.parquet"
    progress: list[tuple[float, str]] = []
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    if name == "mmp":
        from mmp.pipelines.batch import batch_inference

        result = batch_inference(config, run_id, window, out,
                                 lambda line: progress.append((time.perf_counter(), line)),
                                 chunk_rows=chunk_rows)
        rows = result.rows
    else:
        rows = score_whole_frame(config, run_id, window, out)
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    scored = [line for _, line in progress if line.startswith("scored ")]
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak),
            "rss_before_mb": round(baseline), "rows": rows,
            "rows_per_s": round(rows / seconds), "progress_lines": len(scored),
            "first_progress_s": round(next((t for t, line in progress
                                            if line.startswith("scored ")), started)
                                      - started, 2)}


def score_whole_frame(config, run_id: str, window: dict[str, str], out: Path) -> int:
    """The peer: every row loaded and joined at once, one ``predict`` call, one write."""
    from mmp.artifact import registry
    from mmp.artifact.store import ModelStore
    from mmp.pipelines.batch import score_chunk, write_parquet_atomically
    from mmp.pipelines.rows import model_rows

    model = registry.load(ModelStore(config), run_id)
    meta = model.metadata
    frame = model_rows(config, meta.recipe, meta.template_text, meta.template_name, window,
                       with_target=False, feature_refs=meta.feature_refs,
                       ttl_seconds=meta.feature_ttl_seconds).frame
    write_parquet_atomically(score_chunk(model, meta, frame, first=0, total=len(frame),
                                         path=out), out)
    return len(frame)


def same_predictions(workspace: Path) -> bool:
    import pandas as pd

    mmp = pd.read_parquet(workspace / "predictions-mmp.parquet")
    whole = pd.read_parquet(workspace / "predictions-whole_frame.parquet")
    return mmp.equals(whole)


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def run_child(name: str, workspace: Path, run_id: str, window: dict[str, str],
              chunk_rows: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", name, "--workspace", str(workspace),
               "--run-id", run_id, "--window", json.dumps(window),
               "--chunk-rows", str(chunk_rows)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child")
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--run-id")
    parser.add_argument("--window")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_contender(args.child, args.workspace, args.run_id,
                                       json.loads(args.window), args.chunk_rows)))
        return 0
    workspace = Path(tempfile.mkdtemp(prefix="mmp-bench-batch-"))
    try:
        run_id = prepare(workspace, args.rows)
        sizes: dict[str, dict] = {}
        for label, window in windows(args.rows).items():
            results = {}
            for name in ("mmp", "whole_frame"):
                results[name] = run_child(name, workspace, run_id, window, args.chunk_rows,
                                          args.timeout)
                r = results[name]
                print(f"{label:>4} {name:<12} {r['rows']:>9,} rows {r['seconds']:7.1f} s "
                      f"peak {r['peak_rss_mb']:6,} MB", flush=True)
            sizes[label] = {"window": window, "results": results,
                            "same_predictions": same_predictions(workspace),
                            "whole_frame_over_mmp_rss": round(
                                results["whole_frame"]["peak_rss_mb"]
                                / results["mmp"]["peak_rss_mb"], 2)}
        labels = list(sizes)
        peaks = [sizes[label]["results"]["mmp"]["peak_rss_mb"] for label in labels]
        growth = round(peaks[-1] / peaks[0], 2)
        report = {
            "date": dt.date.today().isoformat(), "chunk_rows": args.chunk_rows,
            "generator": {"rows": args.rows, "per_hour": PER_HOUR, "users": USERS},
            "sizes": sizes,
            "mmp_rss_growth": {"from": labels[0], "to": labels[-1], "ratio": growth,
                               "limit": BOUNDED_GROWTH, "bounded": growth <= BOUNDED_GROWTH},
        }
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch_memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["mmp_rss_growth"]))
    ok = report["mmp_rss_growth"]["bounded"] and all(s["same_predictions"]
                                                     for s in sizes.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
