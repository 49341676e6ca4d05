"""Point-in-time join: mmp beside Feast (file and DuckDB offline stores) and a plain join.

Data (seeded): a spine of ``--rows`` rows (entity, time) spread over 2024, 5% of them for
entities without features; ``--feature-rows`` feature rows for 100,000 entities over the
same year (event time, created time 0-60 min later, five float features), 1% of them
corrections (same entity and event time, created later, new values); one feature view
with a ttl of 7 days, registered in a Feast registry. The features are one parquet file;
the spine is in memory. Default sizes: 1M x 5M and 1M x 20M.

Contenders, each run in a fresh process (so peak RSS is its own), timed from "spine in
memory, features on disk" to "a pandas frame of features per spine row":

- ``mmp``: ``retrieve_features`` with the DuckDB backend: the path training uses
  (registry lookup included);
- ``feast_file`` / ``feast_duckdb``: Feast's ``get_historical_features`` on the same
  registry with the file (dask) and the DuckDB (ibis) offline store;
- ``plain``: the plain join the plan's budget names: each entity's latest row (by
  event time), joined to every spine row with that entity, in the same engine, I/O and
  output as ``mmp`` (``match_latest`` + ``attach_features``). It ignores time and ttl.
- ``mmp_in_memory``: ``join_point_in_time`` with the feature rows already in a
  DataFrame (informational; not in the ratios).

Checks: every result is compared row for row with mmp's (a ``spine_row`` id travels with
the spine). Rows a contender dropped are counted; value mismatches are split into those
at a correction (a tie on event time, which the created time must break) and any other.
mmp must keep every row in order, and must agree with Feast on every row Feast returns
outside ties; otherwise the benchmark fails.

    .venv/bin/python benchmarks/pit_join.py                        # full size, ~35 min
    .venv/bin/python benchmarks/pit_join.py --rows 100000 --feature-rows 500000

Feast's file store alone takes 5-10 minutes and ~18 GB at 1M x 5M (it merges every spine
row with every feature row of its entity before filtering); a run is stopped when its
resident memory passes ``--memory-cap-gb`` (default 18) or what is free less 2 GB, and
recorded as not finished. Requires the ``bench`` extra (ibis) for Feast's DuckDB store.

``--entities`` (default 100,000) and ``--skew`` (a Zipf exponent > 1: a few entities hold
most rows, spine and features alike) change the data of either mode.

``--shapes [names]`` instead runs mmp's rule on the shapes of issue 16 (100k spine rows x
1M feature rows over 90 days; sparse, 10k, 1k and 100 entities, skewed, ttl 90 days;
``custom`` takes ``--entities``, ``--skew``, ``--ttl-days``), in one process, contenders
interleaved, each from frames in memory to the enriched spine (prepare, DuckDB, check,
attach): ``mmp`` (``join_point_in_time``, which picks its plan), its two plans forced
(``hash``: hash join on keys and ttl buckets + top-1; ``asof_pruned``: rows outside the
spine's buckets dropped, then ASOF), ``asof_latest`` (each (key, event time)'s latest
created row by a window, then ASOF LEFT JOIN, ttl checked after) and ``asof_argmax``
(the same reduction by ``arg_max``). Prints each time, mmp over the fastest other one
that gives mmp's answer, and how mmp's time grows with 10x the rows per entity. A
contender still running after ``--timeout`` (at most 60 s) is stopped and recorded so.
Writes benchmarks/results/pit_join_shapes.json. ::

    nice -n 10 .venv/bin/python benchmarks/pit_join.py --shapes               # ~5 min
    nice -n 10 .venv/bin/python benchmarks/pit_join.py --shapes custom --entities 5000

Writes benchmarks/results/pit_join.json (``--out`` elsewhere). Times are medians of
``--repeats`` runs, the contenders taking turns (one run each per round). Budget: mmp >=
10x faster than feast_file, faster than feast_duckdb,
and at most 1.2x the plain join.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("FEAST_USAGE", "False")

RESULTS = Path(__file__).resolve().parent / "results"
VIEW, KEY, TTL_DAYS, ENTITIES = "bench_view", "entity_id", 7, 100_000
FEATURES = [f"f{i}" for i in range(5)]
CONTENDERS = ["mmp", "plain", "plain_pandas", "feast_duckdb", "feast_file", "mmp_in_memory"]
SLOW = {"feast_file"}
YEAR = 366 * 86400


def generate(folder: Path, rows: int, feature_rows: int, *, entities: int = ENTITIES,
             skew: float = 0.0, seed: int = 42) -> None:
    """Write spine.parquet and features.parquet into ``folder``."""
    spine, features = frames(rows, feature_rows, entities=entities, skew=skew, seed=seed)
    features.to_parquet(folder / "features.parquet", row_group_size=1_000_000, index=False)
    spine.to_parquet(folder / "spine.parquet", index=False)


def _entities(rng: np.random.Generator, entities: int, size: int, skew: float) -> np.ndarray:
    """Entity ids: uniform, or Zipf with exponent ``skew`` (> 1) folded onto the ids."""
    if skew:
        return (rng.zipf(skew, size) - 1) % entities
    return rng.integers(0, entities, size)


def frames(rows: int, feature_rows: int, *, entities: int = ENTITIES, skew: float = 0.0,
           span_seconds: int = YEAR, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The spine and the feature rows (see the module's docstring), as DataFrames."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    base = feature_rows - feature_rows // 100
    entity = _entities(rng, entities, base, skew)
    event = start + rng.integers(0, span_seconds, base).astype("timedelta64[s]")
    fixes = rng.choice(base, feature_rows - base, replace=False)
    entity, event = np.concatenate([entity, entity[fixes]]), np.concatenate([event, event[fixes]])
    created = event + rng.integers(0, 3600, feature_rows).astype("timedelta64[s]")
    created[base:] += np.timedelta64(2, "h")  # corrections are written later
    features = pd.DataFrame({KEY: entity.astype("int64"),
                             "event_timestamp": event.astype("datetime64[us]"),
                             "created_timestamp": created.astype("datetime64[us]")})
    for name in FEATURES:
        features[name] = rng.random(feature_rows)
    keys = _entities(rng, entities, rows, skew)
    strangers = rng.random(rows) < (0.05 / 1.05)  # entities without features
    keys[strangers] = entities + rng.integers(0, max(1, entities // 20), int(strangers.sum()))
    spine = pd.DataFrame({
        KEY: keys.astype("int64"),
        "event_timestamp": (start + rng.integers(0, span_seconds, rows).astype(
            "timedelta64[s]")).astype("datetime64[us]"),
        "spine_row": np.arange(rows, dtype="int64")})
    return spine, features


def repository(folder: Path, offline: str = "file"):
    """A Feast registry in ``folder`` with the one view over features.parquet."""
    from mmp.featurestore.definitions import FeatureDefinitions
    from mmp.featurestore.registry import FeatureRepository
    from mmp.settings import EnvConfig

    config = EnvConfig.model_validate({  # the local defaults, independent of config/
        "env": "local", "workspace": folder, "models": {"allowlist": ["none"]},
        "warehouse": {"kind": "duckdb", "path": "warehouse.duckdb"}})
    definitions = FeatureDefinitions.model_validate({
        "entities": {"entity": {"join_key": KEY, "type": "int64"}},
        "feature_views": {VIEW: {"entities": ["entity"], "source": "features",
                                 "ttl": f"{TTL_DAYS}d",
                                 "features": dict.fromkeys(FEATURES, "float64")}}})
    return FeatureRepository(config, definitions, feast_offline_store=offline), definitions


def register(folder: Path) -> None:
    from mmp.featurestore.definitions import feast_objects

    repo, definitions = repository(folder)
    repo.store(must_exist=False).apply(
        feast_objects(definitions, {VIEW: folder / "features.parquet"}))


def run_contender(name: str, folder: Path) -> dict:
    """One timed run in this process; writes result-<name>.parquet (spine_row + features)."""
    import datetime as dt

    from mmp.featurestore import join
    from mmp.featurestore.refs import parse_refs
    from mmp.featurestore.retrieval import retrieve_features

    refs = parse_refs(f"{VIEW}:{f}" for f in FEATURES)
    spine = pd.read_parquet(folder / "spine.parquet")
    path = folder / "features.parquet"
    if name == "mmp_in_memory":
        rows = pd.read_parquet(path)

        def action(spine: pd.DataFrame) -> pd.DataFrame:
            return join.join_point_in_time(spine, rows, keys=[KEY], features=FEATURES,
                                           ttl=dt.timedelta(days=TTL_DAYS), view=VIEW)
    elif name == "plain":
        def action(spine: pd.DataFrame) -> pd.DataFrame:
            prepared = join.prepare_spine(spine, [KEY], "event_timestamp")
            source = join.RowSource(join.FEATURE_ROWS, (KEY,), "event_timestamp",
                                    "created_timestamp", "", tuple(FEATURES))
            with join.duckdb_connection() as con:
                con.read_parquet(str(path)).create_view(join.FEATURE_ROWS)
                matched = join.match_latest(con, prepared, source)
            return join.attach_features(spine, matched, FEATURES, view=VIEW)
    elif name == "plain_pandas":
        def action(spine: pd.DataFrame) -> pd.DataFrame:
            rows = pd.read_parquet(path, columns=[KEY, "event_timestamp", *FEATURES])
            latest = rows.sort_values("event_timestamp", kind="stable").drop_duplicates(
                KEY, keep="last")
            return spine.merge(latest[[KEY, *FEATURES]], on=KEY, how="left")
    elif name == "mmp":
        repo, _ = repository(folder)

        def action(spine: pd.DataFrame) -> pd.DataFrame:
            return retrieve_features(repo, spine, refs, timestamp_column="event_timestamp")[0]
    else:
        repo, _ = repository(folder, offline=name.removeprefix("feast_"))

        def action(spine: pd.DataFrame) -> pd.DataFrame:
            return repo.feast_reference(spine, refs)
    action(spine.head(1000))  # warm-up: imports, registry, caches
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    result = action(spine)
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")  # this process's own high-water mark (ru_maxrss would
    # include the parent's, which generated the data, across fork and exec)
    result[["spine_row", *FEATURES]].to_parquet(folder / f"result-{name}.parquet", index=False)
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak),
            "rss_before_mb": round(baseline), "rows": len(result)}


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def compare(folder: Path, name: str, rows: int) -> dict:
    """Row-for-row comparison of a contender's result with mmp's."""
    mmp = pd.read_parquet(folder / "result-mmp.parquet")
    other = pd.read_parquet(folder / f"result-{name}.parquet")
    in_order = len(other) == rows and bool(
        (other["spine_row"].to_numpy() == np.arange(rows)).all())
    merged = other.merge(mmp, on="spine_row", suffixes=("", "_mmp"), validate="one_to_one")
    same = np.ones(len(merged), dtype=bool)
    for f in FEATURES:
        a, b = merged[f].to_numpy(), merged[f"{f}_mmp"].to_numpy()
        same &= _equal(a, b)
    tied = _tied_values(folder)
    at_tie = merged["f0"].isin(tied).to_numpy() | merged["f0_mmp"].isin(tied).to_numpy()
    return {"rows_returned": len(other), "rows_dropped": rows - len(merged),
            "in_spine_order": in_order,
            "mismatches_at_ties": int((~same & at_tie).sum()),
            "mismatches_elsewhere": int((~same & ~at_tie).sum())}


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element by element: the same number, or both missing."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _tied_values(folder: Path) -> np.ndarray:
    """f0 of every feature row that shares its entity and event time with another row."""
    import duckdb

    with duckdb.connect() as con:
        return con.execute(
            f"SELECT f0 FROM read_parquet('{folder / 'features.parquet'}') QUALIFY "
            f"count(*) OVER (PARTITION BY {KEY}, event_timestamp) > 1").fetchnumpy()["f0"]


def measure(folder: Path, contenders: list[str], repeats: int, timeout: float,
            memory_cap_gb: float) -> dict:
    """Run each contender in fresh processes, round by round so that every contender meets
    the same load (``feast_file`` once: it takes minutes); median time, highest peak RSS."""
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    errors: dict[str, str] = {}
    for round_ in range(repeats):
        for name in contenders:
            if name in errors or (name in SLOW and round_ > 0):
                continue
            outcome = run_child(name, folder, timeout, memory_cap_gb)
            if isinstance(outcome, str):
                errors[name] = outcome
            else:
                runs[name].append(outcome)
    results = {}
    for name in contenders:
        if name in errors:
            results[name] = {"error": errors[name], "runs": runs[name]}
            print(f"  {name:14s} did not finish: {errors[name]}", flush=True)
            continue
        done = runs[name]
        results[name] = {
            "seconds": statistics.median(r["seconds"] for r in done),
            "seconds_all": [r["seconds"] for r in done],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in done),
            "rss_before_mb": statistics.median(r["rss_before_mb"] for r in done),
            "rows": done[0]["rows"]}
        print(f"  {name:14s} {results[name]['seconds']:8.2f} s  peak "
              f"{results[name]['peak_rss_mb']:6.0f} MB  rows {done[0]['rows']}", flush=True)
    return results


def run_child(name: str, folder: Path, timeout: float, memory_cap_gb: float) -> dict | str:
    """One run in a child process, stopped if it outgrows the memory cap (or what is free,
    less 2 GB for everyone else) or the timeout; its result, or why it has none."""
    import psutil

    free_gb = psutil.virtual_memory().available / 2**30 - 2
    cap_gb = min(memory_cap_gb, free_gb)
    command = [sys.executable, __file__, "--child", name, "--data", str(folder)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        watched, started, peak = psutil.Process(child.pid), time.monotonic(), 0.0
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, watched.memory_info().rss / 2**30)
            elapsed = time.monotonic() - started
            if peak > cap_gb or elapsed > timeout:
                child.kill()
                child.communicate()
                return (f"stopped after {elapsed:.0f} s at {peak:.1f} GB resident "
                        f"(cap {cap_gb:.1f} GB, timeout {timeout:.0f} s)")
            time.sleep(0.2)
        stdout, stderr = child.communicate()
    if child.returncode != 0:
        return (stderr.strip().splitlines() or [f"exit {child.returncode}"])[-1]
    return json.loads(stdout.strip().splitlines()[-1])


def verdict(results: dict, checks: dict, rows: int) -> dict:
    """Ratios against mmp and whether each budget is met."""
    mmp = results["mmp"]

    def ratio(name: str) -> float | None:
        other = results.get(name, {})
        return round(other["seconds"] / mmp["seconds"], 2) if "seconds" in other else None

    def memory(name: str) -> float | None:
        other = results.get(name, {})
        return round(other["peak_rss_mb"] / mmp["peak_rss_mb"], 2) if "seconds" in other \
            else None

    ratios = {
        "feast_file_over_mmp": ratio("feast_file"),
        "feast_duckdb_over_mmp": ratio("feast_duckdb"),
        "mmp_over_plain": round(1 / ratio("plain"), 2) if ratio("plain") else None,
        "mmp_over_plain_pandas": round(1 / ratio("plain_pandas"), 2)
        if ratio("plain_pandas") else None,
        "peak_memory_feast_file_over_mmp": memory("feast_file"),
        "peak_memory_feast_duckdb_over_mmp": memory("feast_duckdb"),
    }
    mmp_check = checks.get("mmp_in_memory", {})
    budgets = {
        "10x_faster_than_feast_file": _at_least(ratios["feast_file_over_mmp"], 10),
        "faster_than_feast_duckdb": _at_least(ratios["feast_duckdb_over_mmp"], 1),
        "within_20pct_of_plain_join": None if ratios["mmp_over_plain"] is None
        else ratios["mmp_over_plain"] <= 1.2,
        "less_peak_memory_than_feast": all(
            m is None or m > 1 for m in (ratios["peak_memory_feast_file_over_mmp"],
                                         ratios["peak_memory_feast_duckdb_over_mmp"])),
        "mmp_keeps_every_row_in_order": mmp["rows"] == rows,
        "agrees_with_feast_outside_ties": all(
            checks[n]["mismatches_elsewhere"] == 0 for n in checks if n.startswith("feast")),
        "in_memory_join_identical": not mmp_check or (
            mmp_check["mismatches_at_ties"] + mmp_check["mismatches_elsewhere"] == 0
            and mmp_check["in_spine_order"]),
    }
    return {"ratios": ratios, "budgets": budgets}


def _at_least(value: float | None, floor: float) -> bool | None:
    return None if value is None else value >= floor


#: The shapes of ``--shapes``: 100k spine rows x 1M feature rows over 90 days by default.
SHAPES = {
    "sparse": {"entities": 100_000, "skew": 0.0, "ttl_days": 7},
    "10k_entities": {"entities": 10_000, "skew": 0.0, "ttl_days": 7},
    "1k_entities": {"entities": 1_000, "skew": 0.0, "ttl_days": 7},
    "100_entities": {"entities": 100, "skew": 0.0, "ttl_days": 7},
    "skewed": {"entities": 100_000, "skew": 1.5, "ttl_days": 7},
    "long_ttl": {"entities": 100_000, "skew": 0.0, "ttl_days": 90},
    "long_ttl_1k": {"entities": 1_000, "skew": 0.0, "ttl_days": 90},
    # one spine joined to three views at once (mmp: one view after another, as
    # retrieval does); peer: for each view its fastest formulation, the times added
    "three_views": {"views": ("sparse", "skewed", "long_ttl")},
}
SHAPE_CONTENDERS = ["mmp", "hash", "asof_pruned", "asof_all", "asof_latest", "asof_argmax"]


def _formulation(name: str, source, ttl, with_cutoff: bool = False) -> str:
    """DuckDB formulations of mmp's rule besides mmp's own choice (same columns out)."""
    from mmp.featurestore import join

    plans = {"hash": "hash", "asof_pruned": "asof", "asof_all": "asof_all"}
    if name in plans:  # mmp's plans, each forced
        return join.point_in_time_sql(source, ttl, with_cutoff, plan=plans[name])
    width = join._width_us(ttl)
    q, ts = join._quote, join._ts
    keys, features = [q(k) for k in source.keys], [q(f) for f in source.features]
    event, created, order = ts(source.event_timestamp), ts(source.created_timestamp), \
        q(source.order)
    if name == "asof_latest":  # the latest created row per (keys, event time), then ASOF
        reduced = f"""
            SELECT {", ".join(keys)}, {", ".join(features)}, {event} AS {join.EVENT_TIME},
                   {created} AS {join.CREATED_TIME}
            FROM {source.relation} WHERE {event} IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY {", ".join(keys)}, {event}
                                       ORDER BY {created} DESC NULLS LAST, {order} DESC) = 1"""
        picked = ", ".join(f"f.{c}" for c in features)
    else:  # asof_argmax: the same reduction as one hash aggregate
        reduced = f"""
            SELECT {", ".join(keys)}, {event} AS {join.EVENT_TIME},
                   arg_max(struct_pack({join.CREATED_TIME} := {created}, {", ".join(
                       f"{c} := {c}" for c in features)}),
                       struct_pack(k := {created} IS NOT NULL,
                                   c := coalesce({created}, TIMESTAMP 'epoch'),
                                   o := {order})) AS best
            FROM {source.relation} WHERE {event} IS NOT NULL GROUP BY ALL"""
        picked = ", ".join(f"f.best.{c} AS {c}" for c in features)
    created_out = (f"f.{join.CREATED_TIME}" if name == "asof_latest"
                   else f"f.best.{join.CREATED_TIME} AS {join.CREATED_TIME}")
    return f"""
        WITH f AS ({reduced})
        SELECT s.{join.ROW}, f.{join.EVENT_TIME}, {created_out}, {picked}
        FROM {join.SPINE} s ASOF LEFT JOIN f
            ON {" AND ".join(f"f.{k} = s.{k}" for k in keys)}
            AND s.{join.TIME} >= f.{join.EVENT_TIME}
        WHERE f.{join.EVENT_TIME} >= s.{join.TIME} - to_microseconds({width})"""


def _shape_run(name: str, spine: pd.DataFrame, rows: pd.DataFrame, ttl, timeout: float
               ) -> tuple[float | None, pd.DataFrame | None]:
    """One timed join of a contender, from frames in memory to the enriched spine."""
    import threading

    import duckdb

    from mmp.featurestore import join

    started = time.perf_counter()
    if name == "mmp":
        result = join.join_point_in_time(spine, rows, keys=[KEY], ttl=ttl, features=FEATURES,
                                         view=VIEW)
        return time.perf_counter() - started, result
    prepared = join.prepare_spine(spine, [KEY], "event_timestamp")
    frame = rows.copy(deep=False)
    frame[join.ORDER] = np.arange(len(frame))
    source = join.RowSource(join.FEATURE_ROWS, (KEY,), "event_timestamp", "created_timestamp",
                            join.ORDER, tuple(FEATURES))
    with join.duckdb_connection() as con:
        con.register(join.FEATURE_ROWS, frame)
        con.register(join.SPINE, prepared.frame)
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            matched = con.execute(_formulation(name, source, ttl)).df()
        except duckdb.InterruptException:
            return None, None
        finally:
            timer.cancel()
    join.verify_point_in_time(prepared, matched, view=VIEW, ttl=ttl, created_before=None)
    return time.perf_counter() - started, join.attach_features(spine, matched, FEATURES,
                                                               view=VIEW)


def _views_shape(spec: dict, rows: int, feature_rows: int, span_days: int, repeats: int,
                 timeout: float) -> dict:
    """Several views joined to one spine: mmp chains its joins (each view's features under
    their own names); each other formulation runs view by view. The peer's time is the sum,
    over the views, of the fastest formulation for that view that gives mmp's answer."""
    import datetime as dt

    from mmp.featurestore import join

    views = []
    for number, name in enumerate(spec["views"]):
        view = SHAPES[name]
        spine, features = frames(rows, feature_rows, entities=view["entities"],
                                 skew=view["skew"], span_seconds=span_days * 86400,
                                 seed=42 + number)
        views.append((name, features, dt.timedelta(days=view["ttl_days"])))
    spine = frames(rows, feature_rows, span_seconds=span_days * 86400)[0]  # sparse keys
    print(f"three_views: {rows:,} x {len(views)} x {feature_rows:,} over {span_days} days, "
          f"{[v[0] for v in views]}", flush=True)

    named = {name: features.rename(columns={f: f"{name}_{f}" for f in FEATURES})
             for name, features, _ in views}  # each view's features under their own names

    def mmp_chain(spine: pd.DataFrame) -> pd.DataFrame:
        result = spine
        for name, _, ttl in views:
            result = join.join_point_in_time(result, named[name], keys=[KEY], ttl=ttl,
                                             features=[f"{name}_{f}" for f in FEATURES],
                                             view=name)
        return result

    mmp_chain(spine.head(1000))  # warm-up
    mmp_times: list[float] = []
    other: dict[str, dict[str, list[float]]] = {n: {v[0]: [] for v in views}
                                                for n in SHAPE_CONTENDERS[1:]}
    answers: dict[tuple[str, str], pd.DataFrame] = {}
    stopped: set[str] = set()
    mmp_result = None
    for _ in range(repeats):
        started = time.perf_counter()
        mmp_result = mmp_chain(spine)
        mmp_times.append(time.perf_counter() - started)
        for contender in SHAPE_CONTENDERS[1:]:
            for name, features, ttl in views:
                if (contender, name) in stopped:
                    continue
                seconds, result = _shape_run(contender, spine, features, ttl, timeout)
                if seconds is None:
                    stopped.add((contender, name))
                    continue
                other[contender][name].append(seconds)
                answers.setdefault((contender, name), result)
    row = {"spec": spec, "seconds": {"mmp": round(statistics.median(mmp_times), 3)},
           "per_view": {}, "same_as_mmp": {}}
    best_total = 0.0
    for name, _, _ in views:
        mine = mmp_result[[f"{name}_{f}" for f in FEATURES]].to_numpy()
        fastest = None
        for contender in SHAPE_CONTENDERS[1:]:
            if (contender, name) in stopped:
                continue
            values = answers[(contender, name)][FEATURES].to_numpy()
            same = bool(_equal(values, mine).all())
            row["same_as_mmp"][f"{contender}/{name}"] = same
            seconds = statistics.median(other[contender][name])
            if same and (fastest is None or seconds < fastest[0]):
                fastest = (seconds, contender)
        row["per_view"][name] = {"fastest": fastest[1], "seconds": round(fastest[0], 3)}
        best_total += fastest[0]
    row["seconds"]["fastest_per_view_summed"] = round(best_total, 3)
    row["best_other"] = "+".join(v["fastest"] for v in row["per_view"].values())
    row["mmp_over_best"] = round(row["seconds"]["mmp"] / best_total, 2)
    print(f"  {row['seconds']} per view: {row['per_view']}\n"
          f"  mmp / fastest per view: {row['mmp_over_best']}", flush=True)
    return row


def run_shapes(names: list[str], rows: int, feature_rows: int, span_days: int, repeats: int,
               timeout: float, custom: dict) -> dict:
    """Every contender on every shape, interleaved in this process; ratios to the fastest
    other formulation that gives mmp's answer, and how mmp grows with rows per entity."""
    import datetime as dt

    table = {}
    for shape in names:
        spec = custom if shape == "custom" else SHAPES[shape]
        if "views" in spec:
            table[shape] = _views_shape(spec, rows, feature_rows, span_days, repeats, timeout)
            continue
        spine, features = frames(rows, feature_rows, entities=spec["entities"],
                                 skew=spec["skew"], span_seconds=span_days * 86400)
        ttl = dt.timedelta(days=spec["ttl_days"])
        print(f"{shape}: {rows:,} x {feature_rows:,} over {span_days} days, {spec}", flush=True)
        _shape_run("mmp", spine.head(1000), features, ttl, timeout)  # warm-up
        times: dict[str, list[float]] = {n: [] for n in SHAPE_CONTENDERS}
        answers: dict[str, pd.DataFrame] = {}
        stopped: set[str] = set()
        for _ in range(repeats):
            for name in SHAPE_CONTENDERS:
                if name in stopped:
                    continue
                seconds, result = _shape_run(name, spine, features, ttl, timeout)
                if seconds is None:
                    stopped.add(name)
                    continue
                times[name].append(seconds)
                answers.setdefault(name, result)
        mmp = answers["mmp"][FEATURES].to_numpy()
        row = {"spec": spec, "seconds": {}, "same_as_mmp": {}}
        for name in SHAPE_CONTENDERS:
            if name in stopped:
                row["seconds"][name] = f"stopped after {timeout:.0f} s"
                continue
            row["seconds"][name] = round(statistics.median(times[name]), 3)
            other = answers[name][FEATURES].to_numpy()
            row["same_as_mmp"][name] = bool(_equal(other, mmp).all())
        best = min((row["seconds"][n], n) for n in SHAPE_CONTENDERS[1:]
                   if row["same_as_mmp"].get(n))
        row["best_other"] = best[1]
        row["mmp_over_best"] = round(row["seconds"]["mmp"] / best[0], 2)
        table[shape] = row
        print(f"  {row['seconds']}\n  mmp / {best[1]}: {row['mmp_over_best']}  "
              f"same answers: {row['same_as_mmp']}", flush=True)
    for fewer, more in (("sparse", "10k_entities"), ("10k_entities", "1k_entities"),
                        ("1k_entities", "100_entities"), ("long_ttl", "long_ttl_1k")):
        if fewer in table and more in table:  # 10x (or 100x) the rows per entity
            growth = table[more]["seconds"]["mmp"] / table[fewer]["seconds"]["mmp"]
            table[more][f"mmp_time_over_{fewer}"] = round(growth, 2)
            factor = table[fewer]["spec"]["entities"] // table[more]["spec"]["entities"]
            print(f"rows per entity x{factor} ({fewer} -> {more}): mmp time x{growth:.2f}")
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="spine rows")
    parser.add_argument("--feature-rows", type=int, nargs="+", default=[5_000_000, 20_000_000],
                        help="feature rows (one size per value)")
    parser.add_argument("--entities", type=int, default=ENTITIES,
                        help="entities with feature rows")
    parser.add_argument("--skew", type=float, default=0.0,
                        help="Zipf exponent (> 1) of rows per entity; 0 = uniform")
    parser.add_argument("--shapes", nargs="*", choices=[*SHAPES, "custom"],
                        help="instead of the peers: mmp beside DuckDB formulations of its rule "
                             "on these shapes (none named: all; custom: --entities, --skew, "
                             "--ttl-days), in one process")
    parser.add_argument("--shape-rows", type=int, default=100_000)
    parser.add_argument("--shape-feature-rows", type=int, default=1_000_000)
    parser.add_argument("--span-days", type=int, default=90, help="of --shapes data")
    parser.add_argument("--ttl-days", type=int, default=TTL_DAYS, help="of --shapes custom")
    parser.add_argument("--contenders", nargs="+", default=CONTENDERS, choices=CONTENDERS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--memory-cap-gb", type=float, default=18,
                        help="stop a run whose resident memory grows past this")
    parser.add_argument("--out", type=Path, default=RESULTS / "pit_join.json")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_contender(args.child, args.data)))
        return 0
    if args.shapes is not None:
        out = args.out if args.out != RESULTS / "pit_join.json" else \
            RESULTS / "pit_join_shapes.json"
        custom = {"entities": args.entities, "skew": args.skew, "ttl_days": args.ttl_days}
        table = run_shapes(args.shapes or list(SHAPES), args.shape_rows,
                           args.shape_feature_rows, args.span_days, args.repeats,
                           min(args.timeout, 60), custom)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"benchmark": "pit_join_shapes", "machine": _machine(),
                                   "spine_rows": args.shape_rows,
                                   "feature_rows": args.shape_feature_rows,
                                   "span_days": args.span_days, "repeats": args.repeats,
                                   "load_average_1_5_15": [round(x, 2)
                                                           for x in os.getloadavg()],
                                   "shapes": table}, indent=2) + "\n")
        print(f"written: {out}")
        return 0 if all(all(r["same_as_mmp"].values()) for r in table.values()) else 1
    contenders = ["mmp", *(c for c in args.contenders if c != "mmp")]
    report = {"benchmark": "pit_join", "machine": _machine(), "ttl_days": TTL_DAYS,
              "entities": args.entities, "skew": args.skew, "features": len(FEATURES),
              "repeats": args.repeats,
              "plain_join": "plain: each entity's latest row by event time (DuckDB: max, "
                            "then that row), joined to every spine row; same engine, I/O and "
                            "output as mmp. plain_pandas: sort, drop_duplicates, merge. The "
                            "budget is judged against plain (the faster).",
              "sizes": {}}
    failed = False
    for feature_rows in args.feature_rows:
        label = f"{args.rows:,} x {feature_rows:,}"
        print(f"spine {args.rows:,} rows x {feature_rows:,} feature rows", flush=True)
        folder = Path(tempfile.mkdtemp(prefix="mmp-pit-bench-"))
        try:
            generate(folder, args.rows, feature_rows, entities=args.entities, skew=args.skew)
            register(folder)
            results = measure(folder, contenders, args.repeats, args.timeout,
                              args.memory_cap_gb)
            checks = {n: compare(folder, n, args.rows) for n in contenders
                      if n != "mmp" and not n.startswith("plain")
                      and "seconds" in results.get(n, {})}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        judged = verdict(results, checks, args.rows)
        report["sizes"][label] = {"spine_rows": args.rows, "feature_rows": feature_rows,
                                  "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
                                  "results": results, "checks": checks, **judged}
        for name, check in checks.items():
            print(f"  {name:14s} vs mmp: {check}")
        print(f"  ratios: {judged['ratios']}", flush=True)
        print(f"  budgets: {judged['budgets']}", flush=True)
        failed |= not (judged["budgets"]["mmp_keeps_every_row_in_order"]
                       and judged["budgets"]["agrees_with_feast_outside_ties"]
                       and judged["budgets"]["in_memory_join_identical"])
        args.out.parent.mkdir(parents=True, exist_ok=True)  # after every size: keep what ran
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {args.out}")
    return 1 if failed else 0


def _machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "versions": {p: version(p) for p in ("duckdb", "feast", "pandas", "pyarrow",
                                                  "ibis-framework", "dask")}}


if __name__ == "__main__":
    sys.exit(main())
