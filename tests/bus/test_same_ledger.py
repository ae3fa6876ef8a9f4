"""Both runtimes, one ledger: the reference home live on the bus (a real router, a process per
device) and fast-forward in one process give identical settlements."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from conftest import EXAMPLES, ROOT
from homesim.ledger import read_ledger


def homesim(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "homesim.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900)


@pytest.mark.parametrize("name, ticks, step", [("home.yaml", 2880, 60), ("every_kind.yaml", 1152, 150)])
def test_live_and_fast_forward_ledgers_are_identical(tmp_path, name, ticks, step):
    """The reference home over two days at 60 s; the home with every kind of device (an EV on a
    PV-surplus charger, a heat pump water heater, a pool pump...) over two days at 150 s."""
    up = homesim("up", str(EXAMPLES / name), "--ticks", str(ticks), "--step", str(step), "--max",
                 "--out", str(tmp_path / "up"))
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"{ticks} ticks settled and recorded" in up.stdout
    exported = homesim("ledger", str(tmp_path / "up" / "ledger.sqlite"), "--out", str(tmp_path / "bus"))
    assert exported.returncode == 0, exported.stderr
    simulated = homesim("simulate", str(EXAMPLES / name), "--days", str(ticks * step / 86400), "--step", str(step),
                        "--out", str(tmp_path / "ff"))
    assert simulated.returncode == 0, simulated.stderr
    bus = read_ledger(tmp_path / "bus" / "ledger.parquet")
    engine = read_ledger(tmp_path / "ff" / "ledger.parquet")
    columns = [c for c in engine.table.columns if c.startswith(("e.", "unmet.", "short.")) or c == "loss_j"]
    assert len(columns) > 15
    assert len(bus.table) == len(engine.table) == ticks
    pd.testing.assert_frame_equal(bus.table[columns], engine.table[columns])
    pd.testing.assert_frame_equal(bus.table.drop(columns=["missing"]), engine.table)
    assert (bus.table["missing"] == "").all()
    bus.check()


def test_ledger_export_names_a_missing_database(tmp_path):
    result = homesim("ledger", str(tmp_path / "nothing.sqlite"), "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "nothing.sqlite" in result.stderr and "Traceback" not in result.stderr
