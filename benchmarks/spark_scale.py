"""Spark at scale: the point-in-time join and batch scoring on Spark beside DuckDB.

One data set per ``--entities`` value (default 100,000 and 1,000: sparse and dense) of
``--spine-rows`` rows to enrich (default 1M) and ``--feature-rows`` feature rows (default
5M), 5 features, a 7-day ttl, written once as Parquet. Each contender runs in a fresh
process so that its peak memory is its own:

- ``duckdb_join``: mmp's local engine, ``join_point_in_time`` (DuckDB in process) over the
  frames read from the Parquet files;
- ``spark_join``: ``match_in_spark`` on ``--master`` (default ``local[2]``) over the same
  files, every matched row written to Parquet (so that the whole join runs);
- ``duckdb_score`` / ``spark_score``: the join, then a scikit-learn model (fitted once on
  50k joined rows) scores every row: in process chunk by chunk, or on the executors with
  ``mapInPandas``, the scores written to Parquet.

Spark's own start-up is timed apart and left out of its join and scoring times. Peak
memory: the process's VmHWM, plus for Spark the largest child (the JVM and its Python
workers, from ``getrusage(RUSAGE_CHILDREN)`` once the session stopped). Writes
results/spark_scale.json with the times and peaks and their ratios (Spark / DuckDB).

    .venv/bin/python benchmarks/spark_scale.py [--spine-rows 1000000] [--feature-rows 5000000]

How it would scale on a cluster: the join shuffles every spine and feature row once, hashed
by entity key (``spark.sql.shuffle.partitions`` partitions), and sorts within each entity
(n log n); nothing is broadcast and no row is paired with another. Executors add up
linearly until one entity's rows no longer fit one task (a very hot key is one partition).
Scoring is a map over the joined partitions: no further shuffle but the final sort by row.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FEATURES = [f"f{i}" for i in range(5)]
TTL_DAYS = 7
SPAN_DAYS = 60


def make_data(folder: Path, spine_rows: int, feature_rows: int, entities: int) -> None:
    """The spine, the feature rows and a model, written to ``folder``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    start = pd.Timestamp("2024-01-01")
    span_s = SPAN_DAYS * 86_400

    def times(n: int) -> pd.Series:
        return (start + pd.to_timedelta(rng.integers(0, span_s, n), unit="s")).astype(
            "datetime64[us]")

    spine = pd.DataFrame({"entity_id": rng.integers(0, entities, spine_rows).astype("int64"),
                          "event_timestamp": times(spine_rows)})
    event = times(feature_rows)
    rows = pd.DataFrame({"entity_id": rng.integers(0, entities, feature_rows).astype("int64"),
                         "event_timestamp": event,
                         "created_timestamp": (event + pd.to_timedelta(
                             rng.integers(0, 3600, feature_rows), unit="s")).astype(
                             "datetime64[us]")})
    for name in FEATURES:
        rows[name] = rng.normal(size=feature_rows)
    spine.to_parquet(folder / "spine.parquet", index=False)
    rows.to_parquet(folder / "features.parquet", index=False)


def _duckdb_join(folder: Path):
    import datetime as dt

    import pandas as pd

    from mmp.featurestore.join import join_point_in_time

    spine = pd.read_parquet(folder / "spine.parquet")
    rows = pd.read_parquet(folder / "features.parquet")
    return join_point_in_time(spine, rows, keys=["entity_id"],
                              ttl=dt.timedelta(days=TTL_DAYS), features=FEATURES)


def _model(folder: Path):
    """A small model fitted once on joined rows (so both contenders score the same one)."""
    path = folder / "model.pkl"
    if not path.is_file():
        from sklearn.ensemble import HistGradientBoostingRegressor

        joined = _duckdb_join(folder).head(50_000)
        target = joined[FEATURES].sum(axis=1).fillna(0)
        model = HistGradientBoostingRegressor(max_iter=30).fit(joined[FEATURES], target)
        path.write_bytes(pickle.dumps(model))
    return pickle.loads(path.read_bytes())


def run_duckdb(folder: Path, score: bool) -> dict[str, float]:
    model = _model(folder) if score else None
    started = time.perf_counter()
    joined = _duckdb_join(folder)
    if model is not None:
        chunks = [joined.iloc[i:i + 100_000] for i in range(0, len(joined), 100_000)]
        joined = joined.assign(score=[v for c in chunks for v in model.predict(c[FEATURES])])
    joined.to_parquet(folder / "duckdb_out.parquet", index=False)
    return {"seconds": time.perf_counter() - started, "rows": len(joined)}


def run_spark(folder: Path, score: bool, master: str) -> dict[str, float]:
    import datetime as dt

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from mmp.featurestore.join import ROW, TIME
    from mmp.featurestore.spark_join import STORED_ORDER, match_in_spark

    model = _model(folder) if score else None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the executors' Python
    began = time.perf_counter()
    spark = (SparkSession.builder.master(master).config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.pyspark.python", sys.executable)
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "2g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - began
    started = time.perf_counter()
    spine = (spark.read.parquet(str(folder / "spine.parquet"))
             .withColumn(ROW, F.monotonically_increasing_id())
             .withColumn(TIME, F.col("event_timestamp")).localCheckpoint(eager=True))
    rows = (spark.read.parquet(str(folder / "features.parquet"))
            .withColumn(STORED_ORDER[0], F.col("_metadata.file_name"))
            .withColumn(STORED_ORDER[1], F.col("_metadata.row_index")))
    matched = match_in_spark(spine.select("entity_id", TIME, ROW), rows, keys=["entity_id"],
                             event_timestamp="event_timestamp",
                             created_timestamp="created_timestamp", order=STORED_ORDER,
                             features=FEATURES, ttl=dt.timedelta(days=TTL_DAYS),
                             created_before=None)
    joined = spine.join(matched, ROW, "left")
    if score:
        def predict(batches):
            for batch in batches:
                yield batch[[ROW]].assign(score=model.predict(batch[FEATURES]))

        joined = joined.mapInPandas(predict, f"{ROW} long, score double")
    joined.write.mode("overwrite").parquet(str(folder / "spark_out"))
    seconds = time.perf_counter() - started
    count = spark.read.parquet(str(folder / "spark_out")).count()
    gateway = spark.sparkContext._gateway
    spark.stop()
    gateway.shutdown()
    if getattr(gateway, "proc", None) is not None:  # the JVM ends when its stdin closes;
        gateway.proc.stdin.close()                   # reaped, it counts in RUSAGE_CHILDREN
        gateway.proc.wait(timeout=60)
    return {"seconds": seconds, "startup_seconds": startup, "rows": count}


def peak_mb(children: bool) -> float:
    own = _vm_hwm_kb()
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if children else 0
    return (own + child) / 1024


def _vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def contender(name: str, folder: Path, master: str) -> None:
    """One contender in this (fresh) process; prints its result as JSON."""
    engine, _, task = name.partition("_")
    score = task == "score"
    result = run_spark(folder, score, master) if engine == "spark" else run_duckdb(folder, score)
    result["peak_mb"] = peak_mb(children=engine == "spark")
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spine-rows", type=int, default=1_000_000)
    parser.add_argument("--feature-rows", type=int, default=5_000_000)
    parser.add_argument("--entities", type=int, nargs="+", default=[100_000, 1_000],
                        help="entities with rows (one data set per value)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.contender:
        contender(options.contender, Path(options.folder), options.master)
        return 0
    report = {"spine_rows": options.spine_rows, "feature_rows": options.feature_rows,
              "master": options.master, "shapes": {}}
    for entities in options.entities:
        print(f"{options.spine_rows:,} x {options.feature_rows:,}, {entities:,} entities",
              flush=True)
        results = measure(options, entities)
        if results is None:
            return 1
        ratios = {task: {"time": results[f"spark_{task}"]["seconds"]
                         / results[f"duckdb_{task}"]["seconds"],
                         "peak_memory": results[f"spark_{task}"]["peak_mb"]
                         / results[f"duckdb_{task}"]["peak_mb"]} for task in ("join", "score")}
        report["shapes"][f"{entities} entities"] = {
            "entities": entities, "results": results, "spark_over_duckdb": ratios}
        print(json.dumps(ratios, indent=2), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "spark_scale.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


def measure(options: argparse.Namespace, entities: int) -> dict | None:
    """Each contender in a fresh process over one data set; None if one failed."""
    with tempfile.TemporaryDirectory(prefix="mmp-spark-scale-") as tmp:
        folder = Path(tmp)
        make_data(folder, options.spine_rows, options.feature_rows, entities)
        _model(folder)
        results = {}
        for name in ("duckdb_join", "spark_join", "duckdb_score", "spark_score"):
            out = subprocess.run(
                [sys.executable, __file__, "--contender", name, "--folder", str(folder),
                 "--master", options.master], capture_output=True, text=True, check=False)
            if out.returncode:
                sys.stderr.write(out.stderr[-3000:])
                return None
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            print(" ", name, results[name], flush=True)
    return results


if __name__ == "__main__":
    sys.exit(main())
