"""Start-up: each CLI command's cold wall time beside its floor, as a ratio.

A command's floor is a bare Python that imports only the libraries the command truly
needs (pandas for reading a data file, scikit-learn and MLflow for training, Feast for
the feature store...) and does nothing else: no command can start faster than that.
Every figure is the median of ``--repeats`` fresh processes, the command and its floor
measured alternately in the same run. The fresh-store line times opening a new local
MLflow store through mmp (a copy of a migrated template) against MLflow creating one.

    .venv/bin/python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BIN = Path(sys.executable).parent
#: The targets of the start-up issue (seconds), where it sets one.
TARGETS = {"--help": 0.5, "validate-schema": 2.0, "train": 6.0, "demo": 12.0,
           "fresh MLflow store": 1.0}


def floor(*modules: str) -> list[str]:
    return [sys.executable, "-c", "; ".join(f"import {m}" for m in modules)]


def commands(run_id: str, data: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (the mmp command, its floor)."""
    mmp = str(BIN / "mmp")
    recipe = str(ROOT / "recipes" / "classification.yaml")
    template = str(ROOT / "recipes" / "sql" / "sessions.sql.j2")
    return {
        "--help": ([mmp, "--help"], floor("typer", "rich.console")),
        "render-sql": ([mmp, "render-sql", template, "--recipe", recipe],
                       floor("typer", "jinja2.sandbox", "sqlglot", "yaml", "pydantic")),
        "validate-schema": ([mmp, "validate-schema", "--run-id", run_id, "--data", str(data)],
                            floor("typer", "pandas", "pyarrow.parquet", "pydantic")),
        "inspect": ([mmp, "inspect", "--run-id", run_id],
                    floor("typer", "jinja2", "sqlglot", "yaml", "pydantic")),
        "train": ([mmp, "train", "--recipe", recipe],
                  floor("pandas", "duckdb", "sklearn.ensemble", "sklearn.pipeline", "mlflow",
                        "mlflow.pyfunc", "matplotlib.pyplot")),
        "batch-inference": ([mmp, "batch-inference", "--run-id", run_id, "--param",
                             "start_date=2024-02-01", "--param", "end_date=2024-03-01"],
                            floor("pandas", "duckdb", "sklearn.ensemble", "mlflow",
                                  "pyarrow.parquet")),
        "features apply": ([mmp, "features", "apply"], floor("pandas", "duckdb", "feast")),
        "demo": ([mmp, "demo"], floor("pandas", "duckdb", "sklearn.ensemble", "mlflow",
                                      "mlflow.pyfunc", "matplotlib.pyplot", "feast")),
    }


#: Libraries too heavy to load by accident; which ones each command loaded is recorded.
HEAVY = ("feast", "mlflow", "sklearn", "matplotlib", "pandas")
#: Heavy library -> the commands that never need it, so must never import it: the Feast
#: registry is untouched by all but the feature-store commands and the demo; a local run's
#: metadata is read without MLflow; rendering SQL and describing a model handle no frame.
NEVER_IMPORTED = {
    "feast": ("--help", "render-sql", "validate-schema", "inspect", "train",
              "batch-inference"),
    "mlflow": ("--help", "render-sql", "validate-schema", "inspect"),
    "pandas": ("--help", "render-sql", "inspect"),
}


def heavy_imports(command: list[str], environ: dict[str, str], cwd: Path) -> list[str]:
    """The heavy libraries ``command`` imports (``python -X importtime``)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], env=environ,
                          cwd=cwd, capture_output=True, text=True, check=True)
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
              if line.startswith("import time:")}
    return [name for name in HEAVY if name in loaded]


def wall(command: list[str], environ: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=environ, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def fresh_store_seconds(repeats: int) -> dict[str, float]:
    """Opening a new local store through mmp vs MLflow creating one, each in a fresh process."""
    snippet = {
        "mmp": "from mmp.artifact.store import ModelStore; from mmp.settings import load_config;"
               "import time, os; t = time.perf_counter();"
               "ModelStore(load_config('local', environ=dict(os.environ)));"
               "print(time.perf_counter() - t)",
        "mlflow": "from mlflow.tracking import MlflowClient; import time, os;"
                  "t = time.perf_counter();"
                  "MlflowClient('sqlite:///' + os.environ['MMP_WORKSPACE'] + '/m.db')"
                  ".search_experiments(); print(time.perf_counter() - t)",
    }
    out: dict[str, list[float]] = {"mmp": [], "mlflow": []}
    for _ in range(repeats):
        for name, code in snippet.items():
            with tempfile.TemporaryDirectory(prefix="mmp-bench-store-") as folder:
                environ = {**os.environ, "MMP_WORKSPACE": folder}
                done = subprocess.run([sys.executable, "-c", code], env=environ, cwd=ROOT,
                                      capture_output=True, text=True, check=True)
                out[name].append(float(done.stdout.strip().splitlines()[-1]))
    return {name: statistics.median(values) for name, values in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mmp-bench-startup-") as folder:
        workspace = Path(folder)
        environ = {**os.environ, "MMP_WORKSPACE": str(workspace), "APP_ENV": "local"}
        subprocess.run([str(BIN / "mmp"), "seed", "--rows", "2000"], env=environ, cwd=ROOT,
                       check=True, capture_output=True)
        trained = subprocess.run(
            [str(BIN / "mmp"), "train", "--recipe", str(ROOT / "recipes/classification.yaml")],
            env=environ, cwd=ROOT, check=True, capture_output=True, text=True)
        run_id = next(line.split()[1] for line in trained.stdout.splitlines()
                      if line.startswith("run_id:"))
        data = workspace / "sessions.parquet"
        subprocess.run([sys.executable, "-c",
                        "from mmp.synthetic import generate; import sys;"
                        "generate(2000, seed=3)['sessions'].to_parquet(sys.argv[1])",
                        str(data)], check=True, cwd=ROOT)
        results = {}
        for name, (command, bare) in commands(run_id, data).items():
            mine, floors = [], []
            for _ in range(options.repeats):
                mine.append(wall(command, environ, ROOT))
                floors.append(wall(bare, environ, ROOT))
            m, f = statistics.median(mine), statistics.median(floors)
            imported = heavy_imports(command, environ, ROOT)
            results[name] = {"imports": imported, "mmp_seconds": round(m, 3),
                             "floor_seconds": round(f, 3),
                             "ratio": round(m / f, 2), "target_seconds": TARGETS.get(name),
                             "floor": bare[-1]}
            print(f"{name:18} {m:7.2f} s  floor {f:6.2f} s  x{m / f:5.2f}  "
                  f"[{', '.join(imported) or 'no heavy library'}]"
                  + (f"  target {TARGETS[name]} s" if name in TARGETS else ""), flush=True)
    store = fresh_store_seconds(options.repeats)
    results["fresh MLflow store"] = {
        "mmp_seconds": round(store["mmp"], 3), "floor_seconds": round(store["mlflow"], 3),
        "ratio": round(store["mmp"] / store["mlflow"], 3),
        "target_seconds": TARGETS["fresh MLflow store"],
        "floor": "MLflow creating a new SQLite store (its migrations)"}
    print(f"{'fresh MLflow store':18} {store['mmp']:7.2f} s  MLflow {store['mlflow']:6.2f} s")
    missed = [n for n, r in results.items()
              if r["target_seconds"] is not None and r["mmp_seconds"] > r["target_seconds"]]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(
        {"repeats": options.repeats, "results": results, "targets_missed": missed},
        indent=2) + "\n")
    print("targets missed: " + (", ".join(missed) or "none"))
    leaks = [f"{name} imported {library}" for library, names in NEVER_IMPORTED.items()
             for name in names if library in results[name]["imports"]]
    if leaks:
        raise SystemExit(f"commands imported a library they never need: {', '.join(leaks)}")


if __name__ == "__main__":
    main()
