"""``homesim up`` killed outright (SIGKILL: no chance to stop its processes in order) takes its
home's router, devices and services with it: none of them is left running without a supervisor."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))

from conftest import EXAMPLES  # noqa: E402
from live import LiveProcess, process_parents, wait_until  # noqa: E402


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (its parent, init, reaps it)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    parents = process_parents()
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def test_a_killed_up_leaves_no_process_of_its_home_running(tmp_path):
    live = LiveProcess(EXAMPLES / "tiny.yaml", tmp_path / "live", "--speed", "20")
    try:
        live.client("viewer").close()  # live: every process started and registered
        named = [live.pid_of(name) for name in ("device.pv", "device.load", "clock", "recorder", "planner")]
        children = _descendants(live.process.pid)  # the router's controller and worker too
        assert set(named) <= set(children) and len(children) > len(named)
        assert all(_alive(pid) for pid in children)
        os.kill(live.process.pid, signal.SIGKILL)
        live.process.wait()
        wait_until(lambda: not any(_alive(pid) for pid in children), 60, "the home's processes gone with up")
    finally:
        live.stop()
