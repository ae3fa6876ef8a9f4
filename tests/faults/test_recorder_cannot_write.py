"""The recorder can't write: its disk fills up (for real: a small tmpfs mounted for the test;
CI runs as root), then another program holds the database's write lock. Each time a clear
error, the home pauses instead of losing settlements, and it resumes by itself when the
database takes writes again; afterwards the ledger has every tick once, each balancing to the
Joule. A database on a read-only file system is refused before the home starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))

from conftest import EXAMPLES  # noqa: E402
from live import LiveProcess, wait_until  # noqa: E402


def mount_tmpfs(disk: Path, options: str) -> None:
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(disk)], capture_output=True, text=True)
    assert mounted.returncode == 0, f"this test mounts a tmpfs and needs root: {mounted.stderr}"


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "size=4m")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def recorder_log(live: LiveProcess) -> str:
    return (live.out / "logs" / "recorder.log").read_text()


def test_a_full_then_read_only_disk_pauses_the_home_and_loses_nothing(small_disk, tmp_path):
    live = LiveProcess(EXAMPLES / "tiny.yaml", tmp_path / "up", "--speed", "20", "--db", str(small_disk / "ledger.sqlite"))
    viewer = live.client("viewer")
    clock = lambda: viewer.call(f"home.{live.home_id}.clock.get")  # noqa: E731
    count = lambda: viewer.call(f"home.{live.home_id}.report.count")  # noqa: E731
    settlements = viewer.subscribe(f"home.{live.home_id}.settlement")
    try:
        wait_until(lambda: count()["ticks"] >= 40, 60, "40 ticks recorded")

        filler = fill(small_disk)
        wait_until(lambda: clock()["paused"], 30, "the clock paused by the recorder")
        assert "cannot write to" in recorder_log(live) and "full" in recorder_log(live)
        time.sleep(1.0)
        stalled = settlements[-1][1]["tick"]
        time.sleep(2.0)
        assert settlements[-1][1]["tick"] <= stalled + 1, "the home went on while nothing could be recorded"

        filler.unlink()  # space returns
        wait_until(lambda: not clock()["paused"], 30, "the clock resumed")
        wait_until(lambda: count()["last"] >= stalled + 40, 60, "recording again")
        assert "writing to" in recorder_log(live) and "again" in recorder_log(live)

        # Another program (a backup, the sqlite3 shell) holds the write lock for a while.
        import sqlite3

        blocker = sqlite3.connect(small_disk / "ledger.sqlite", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        wait_until(lambda: clock()["paused"], 30, "the clock paused while the database is locked")
        assert "locked" in recorder_log(live)
        blocker.execute("ROLLBACK")
        blocker.close()
        wait_until(lambda: not clock()["paused"], 30, "the clock resumed once the lock was released")
        last_seen = settlements[-1][1]["tick"]
        wait_until(lambda: count()["last"] >= last_seen + 20, 60, "recording after the lock")
    finally:
        viewer.close()
        live.stop()

    from homesim.bus.store import open_store

    rows = list(open_store(small_disk / "ledger.sqlite", read_only=True).payloads())
    assert [r["tick"] for r in rows] == list(range(len(rows))), "lost or duplicated ticks"
    assert len(rows) > last_seen
    assert all(sum(r["e"].values()) == r["loss_j"] for r in rows)
    assert os.path.getsize(small_disk / "ledger.sqlite") > 0


def test_a_database_on_a_read_only_file_system_is_refused_before_anything_starts(tmp_path):
    disk = tmp_path / "ro"
    mount_tmpfs(disk, "size=1m,ro")
    try:
        up = subprocess.run([sys.executable, "-m", "homesim.cli", "up", str(EXAMPLES / "tiny.yaml"), "--db",
                             str(disk / "ledger.sqlite"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    assert up.returncode == 1
    assert "ledger.sqlite" in up.stderr and "Read-only file system" in up.stderr and "Traceback" not in up.stderr
    assert "is live" not in up.stdout
