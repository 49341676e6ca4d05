"""A fresh local (SQLite) MLflow store, ready in milliseconds instead of seconds.

MLflow creates a new SQLite store by running every one of its schema migrations, which
takes seconds. mmp runs them once per MLflow version into an empty template kept in the
user's cache folder (``MMP_CACHE_DIR``, default ``~/.cache/mmp``) and starts each new
store as a copy of it. The template holds no experiment: MLflow adds its ``Default``
experiment when the copy is first opened, exactly as for a store it created itself.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


def cache_folder() -> Path:
    """Where mmp keeps what it builds once per machine (``MMP_CACHE_DIR``)."""
    configured = os.environ.get("MMP_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mmp"


def template_path() -> Path:
    """The empty, migrated store for the installed MLflow version."""
    from importlib.metadata import version

    return cache_folder() / f"mlflow-{version('mlflow')}-empty.db"


def create_store(database: Path) -> None:
    """Create ``database`` as a copy of the migrated template (built first if missing).

    Atomic: the copy is written beside ``database`` and renamed into place, so a reader
    never sees half a store. An existing ``database`` is left alone.
    """
    if database.exists():
        return
    template = template_path()
    if not template.exists():
        _build_template(template)
    database.parent.mkdir(parents=True, exist_ok=True)
    _copy_atomically(template, database)


def _build_template(template: Path) -> None:
    """Let MLflow create and migrate an empty store, then drop its Default experiment."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent, prefix=".mmp-template-") as tmp:
        scratch = Path(tmp) / "mlflow.db"
        store = SqlAlchemyStore(f"sqlite:///{scratch}", Path(tmp).as_uri())
        store.engine.dispose()
        with sqlite3.connect(scratch) as con:
            con.execute("DELETE FROM experiment_tags WHERE experiment_id = 0")
            con.execute("DELETE FROM experiments WHERE experiment_id = 0")
        con.close()
        _copy_atomically(scratch, template)


def _copy_atomically(source: Path, target: Path) -> None:
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
