"""Schema validation: mmp's checks beside MLflow's schema enforcement, on the same frame.

The frame is 1,000,000 rows x 20 input columns shaped like mmp's inputs (2 categorical
text columns, 8 floats of which one has gaps, 6 int64, 1 int32, 1 boolean, 1 naive
timestamp and 1 UTC timestamp, as a ``TIMESTAMP WITH TIME ZONE`` column arrives), plus a
one-row slice of it. The training schema is captured from the frame
itself, so every check runs and passes: this measures the cost of a clean frame.

Measured, in one process, median of repeated runs after a warm-up:

- ``mmp_validate``: ``validate_frame`` (the report alone; what ``mmp validate-schema`` runs);
- ``mmp_conform``: ``conform_frame`` (report + the frame in training order and dtypes;
  what batch inference and serving run);
- ``mlflow_enforce``: ``mlflow.models.utils._enforce_schema`` with the signature mmp logs.
  It is the function ``PyFuncModel.predict`` calls before the model, so it isolates
  MLflow's enforcement from model loading and prediction. It is private MLflow API.
  MLflow refuses zone-aware timestamps, so it is given the frame with the UTC column made
  naive (``TrainingSchema.to_mlflow_example``, done once, outside the timing): what a
  client of plain MLflow has to send.

    .venv/bin/python benchmarks/schema_validation.py [--repeats 15]

It also splits the 1M-row time between the two text columns and the other 18. Writes
benchmarks/results/schema_validation.json. The plan's budget is 100 ms; mmp aims at
20 ms for 1M rows and well under 1 ms for one row.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.models.utils import _enforce_schema

from mmp.schema import capture_schema, conform_frame, validate_frame

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = 1_000_000
BUDGET_MS = 100.0
AIM_MS = {"1M": 20.0, "1 row": 1.0}


def input_frame(rows: int, seed: int = 42) -> pd.DataFrame:
    """20 input columns of the kinds mmp models take, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "device": rng.choice(np.array(["desktop", "mobile", "tablet"], dtype=object), rows),
        "channel": rng.choice(np.array(["ads", "direct", "email", "search", "social"],
                                       dtype=object), rows),
    }
    for i in range(8):
        columns[f"amount_{i}"] = rng.normal(300.0, 100.0, rows)
    columns["amount_0"][rng.random(rows) < 0.01] = np.nan  # one float column has gaps
    for i in range(6):
        columns[f"count_{i}"] = rng.poisson(5, rows).astype("int64")
    columns["rank"] = rng.integers(0, 1000, rows, dtype="int32")
    columns["is_returning"] = rng.random(rows) < 0.4
    columns["signed_up_at"] = (pd.Timestamp("2023-01-01")
                               + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s"))
    columns["last_seen_at"] = (pd.Timestamp("2024-01-01", tz="UTC")
                               + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s"))
    return pd.DataFrame(columns)


def median_ms(action: Callable[[], object], repeats: int) -> dict[str, float]:
    """Median and fastest of ``repeats`` timed runs after two warm-up runs, in ms."""
    action(), action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return {"median_ms": round(statistics.median(samples), 4),
            "min_ms": round(min(samples), 4), "repeats": repeats}


def measure(frame: pd.DataFrame, repeats: int) -> dict[str, dict[str, float]]:
    schema = capture_schema(frame, dict.fromkeys(frame.columns, "feature"))
    signature = schema.to_mlflow()
    report = validate_frame(schema, frame)
    assert report.valid and not report.problems, f"the clean frame must pass mmp: {report}"
    naive = schema.to_mlflow_example(frame)  # MLflow refuses zone-aware timestamps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _enforce_schema(naive, signature)  # and MLflow's enforcement, or the ratio is moot

        def mlflow_enforce() -> object:
            return _enforce_schema(naive, signature)

        return {
            "mmp_validate": median_ms(lambda: validate_frame(schema, frame), repeats),
            "mmp_conform": median_ms(lambda: conform_frame(schema, frame), repeats),
            "mlflow_enforce": median_ms(mlflow_enforce, repeats),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs on 1M rows")
    parser.add_argument("--row-repeats", type=int, default=2000, help="timed runs on 1 row")
    args = parser.parse_args()
    frame = input_frame(ROWS)
    sizes = {"1M": measure(frame, args.repeats),
             "1 row": measure(frame.head(1).copy(), args.row_repeats)}
    text = ["device", "channel"]  # where the 1M-row time goes: text columns vs the rest
    breakdown = {f"{len(text)} text columns": measure(frame[text], args.repeats),
                 f"{frame.shape[1] - len(text)} other columns":
                     measure(frame.drop(columns=text), args.repeats)}
    summary = {}
    for size, results in sizes.items():
        mmp_ms = results["mmp_validate"]["median_ms"]
        summary[size] = {
            "ratio_mlflow_over_mmp_validate":
                round(results["mlflow_enforce"]["median_ms"] / mmp_ms, 2),
            "ratio_mlflow_over_mmp_conform": round(
                results["mlflow_enforce"]["median_ms"] / results["mmp_conform"]["median_ms"], 2),
            "budget_headroom": round(BUDGET_MS / mmp_ms, 1),
            "within_aim": mmp_ms <= AIM_MS[size],
        }
    report = {
        "benchmark": "schema_validation", "rows": ROWS, "columns": frame.shape[1],
        "dtypes": {str(k): int(v) for k, v in frame.dtypes.astype(str).value_counts().items()},
        "mlflow_path": "mlflow.models.utils._enforce_schema (what PyFuncModel.predict calls)",
        "results": sizes, "summary": summary, "breakdown_1M": breakdown,
        "budget_ms": BUDGET_MS, "aim_ms": AIM_MS,
        "versions": {p: version(p) for p in ("mlflow", "pandas", "numpy")},
        "python": platform.python_version(), "machine": platform.platform(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "schema_validation.json").write_text(json.dumps(report, indent=2) + "\n")
    for size, results in sizes.items():
        print(f"{size} x {frame.shape[1]} columns")
        for name, r in results.items():
            print(f"  {name:>15}: median {r['median_ms']:.3f} ms (min {r['min_ms']:.3f} ms, "
                  f"{r['repeats']} runs)")
        s = summary[size]
        print(f"  MLflow / mmp validate: {s['ratio_mlflow_over_mmp_validate']}x, "
              f"MLflow / mmp conform: {s['ratio_mlflow_over_mmp_conform']}x; headroom under "
              f"the {BUDGET_MS:.0f} ms budget: {s['budget_headroom']}x; "
              f"aim {AIM_MS[size]} ms met: {s['within_aim']}")
    print("1M rows, by kind of column (mmp validate / MLflow enforce):")
    for part, results in breakdown.items():
        print(f"  {part:>17}: {results['mmp_validate']['median_ms']:.3f} ms / "
              f"{results['mlflow_enforce']['median_ms']:.3f} ms")


if __name__ == "__main__":
    main()
