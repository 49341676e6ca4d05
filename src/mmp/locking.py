"""An inter-process lock on a file, for the few moments two mmp processes must not share.

Two trainings started at once both find a fresh SQLite tracking store and both try to
create its tables; holding this lock while the store is opened lets one create them and
the other find them. POSIX ``flock``: the lock goes away with the process that held it.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from mmp.errors import MmpError


class LockTimeoutError(MmpError):
    """Another process held a lock for longer than we were willing to wait."""

    exit_code = 4
    http_status = 503


@contextlib.contextmanager
def file_lock(path: Path, *, timeout_seconds: float = 120.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the duration of a block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    with open(path, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeoutError(
                        f"{path} stayed locked by another process for {timeout_seconds:.0f} s",
                        hint="wait for the other mmp process to finish, or stop it") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
