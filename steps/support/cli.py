"""Running the ``mmp`` command line in-process, as a user would type it."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from unittest import mock

from mmp.cli import run


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], environ: dict[str, str]) -> CliRun:
    """Run ``mmp ARGS`` with ``environ`` added to the process environment for its duration."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (mock.patch.dict(os.environ, environ),
          contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr)):
        code = run(args)
    return CliRun(code, stdout.getvalue(), stderr.getvalue())
