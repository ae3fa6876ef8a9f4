"""Starting a server process and waiting until it is ready (the router, Prometheus). Stdlib only."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before it runs (``preexec_fn``): it is sent SIGTERM when the process that
    started it dies, even by SIGKILL (Linux; elsewhere nothing). A home's processes run in
    sessions of their own (a Ctrl-C reaches only ``homesim up``, which stops them in order):
    without this a killed ``homesim up`` would leave them running. (Linux sends it when the
    *thread* that started the child ends: ``homesim up`` starts them from its main thread.)"""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def launch(command: list[str], log_path: Path, with_parent: bool = False) -> subprocess.Popen:
    """Start ``command`` in a session of its own, output appended to ``log_path``, not waited
    for (``with_parent``: it ends when this process dies, :func:`die_with_parent`; call from
    the main thread)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=die_with_parent if with_parent else None)


def wait_ready(process: subprocess.Popen, log_path: Path, ready: Callable[[], bool], what: str,
               timeout_s: float) -> subprocess.Popen:
    """Poll ``ready`` until it is true; a clear RuntimeError naming ``what`` and the log if
    ``process`` exits or is not ready in time (then it is killed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}; see {log_path}")
        try:
            if ready():
                return process
        except OSError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} was not ready within {timeout_s:.0f} s; see {log_path}")


def start_and_wait(command: list[str], log_path: Path, ready: Callable[[], bool], what: str,
                   timeout_s: float, with_parent: bool = False) -> subprocess.Popen:
    """:func:`launch` ``command`` and :func:`wait_ready` for it."""
    return wait_ready(launch(command, log_path, with_parent), log_path, ready, what, timeout_s)
