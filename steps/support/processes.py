"""Running ``mmp`` as separate processes, as a user in a terminal (or a scheduler) would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from steps.support.fixtures import PROJECT_ROOT, scenario_environ

#: Longest a scenario waits for one ``mmp`` process before stopping it.
PROCESS_TIMEOUT_SECONDS = 300


def mmp_command(*args: str) -> list[str]:
    """The console script of this virtual environment, with ``args``."""
    return [str(Path(sys.executable).with_name("mmp")), *args]


def process_environ(context, workspace: Path, purpose: str = "scenario",
                    **extra: str) -> dict[str, str]:
    """The full environment of an ``mmp`` process working in ``workspace``."""
    return {**os.environ, **scenario_environ(context, workspace, purpose),
            "APP_ENV": context.env_name, "MMP_CONFIG_DIR": str(PROJECT_ROOT / "config"),
            **extra}


@dataclass(frozen=True)
class Finished:
    exit_code: int
    stdout: str
    stderr: str


def run_together(commands: list[list[str]], environ: dict[str, str], cwd: Path) -> list[Finished]:
    """Start every command at once and wait for all of them (bounded)."""
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=environ, cwd=cwd) for command in commands]
    results = []
    for process in processes:
        try:
            stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        results.append(Finished(process.returncode, stdout, stderr))
    return results


def kill_after_line(command: list[str], environ: dict[str, str], cwd: Path,
                    marker: str) -> Finished:
    """Run ``command``, SIGKILL it as soon as its error stream prints a line containing
    ``marker`` (as ``kill -9`` or the OOM killer would), and return what it printed."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=environ, cwd=cwd)
    watchdog = threading.Timer(PROCESS_TIMEOUT_SECONDS, process.kill)
    watchdog.start()
    seen = []
    try:
        for line in process.stderr:  # ends when the process exits or is killed
            seen.append(line)
            if marker in line:
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=PROCESS_TIMEOUT_SECONDS)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    return Finished(process.returncode, "", "".join(seen))


def wait_until_answers(process: subprocess.Popen, url: str, log: Path, seconds: float) -> None:
    """Poll ``url`` until it answers 200; fail with the process's output if the process
    exits first or nothing answers within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    state = f"exited with {process.returncode}" if process.poll() is not None else \
        f"did not answer {url} within {seconds:g} s"
    raise RuntimeError(f"{' '.join(map(str, process.args))} {state}; its output:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")
