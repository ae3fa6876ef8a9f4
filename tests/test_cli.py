"""The homesim command, run as a person runs it: a new process, its output and its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import EXAMPLES, ROOT


def homesim(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "services"))
    return subprocess.run([sys.executable, "-m", "homesim", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


def test_simulate_writes_ledger_summary_and_plots(tmp_path):
    result = homesim("simulate", EXAMPLES / "home.yaml", "--days", "2", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self-sufficiency" in result.stdout and str(tmp_path / "ledger.parquet") in result.stdout
    ledger = pd.read_parquet(tmp_path / "ledger.parquet")
    assert len(ledger) == 2 * 1440
    energies = ledger[[c for c in ledger.columns if c.startswith("e.")]].sum(axis=1)
    assert (energies - ledger["loss_j"] == 0).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["energy_kwh"]) == {"pv", "load", "grid_import", "grid_export", "battery_charge",
                                          "battery_discharge", "loss", "unmet", "curtailed"}
    for key in ("cost", "self_sufficiency", "outage_hours", "unmet_hours", "ticks", "engine_wall_s"):
        assert key in summary
    for name in ("day_flows.png", "soc_grid.png", "monthly_energy.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_csv_format_and_the_same_numbers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert homesim("simulate", EXAMPLES / "tiny.yaml", "--days", "1", "--out", a, "--no-plots").returncode == 0
    assert homesim("simulate", EXAMPLES / "tiny.yaml", "--days", "1", "--out", b, "--format", "csv", "--no-plots").returncode == 0
    parquet = pd.read_parquet(a / "ledger.parquet")
    csv = pd.read_csv(b / "ledger.csv")
    for column in parquet.columns:
        if column.startswith(("e.", "demand.", "unmet.")) or column in ("loss_j", "curtailed_j", "tick"):
            assert (parquet[column].to_numpy() == csv[column].to_numpy()).all(), column
    assert csv["time"].iloc[0] == "2026-02-28T22:00:00Z"


def test_a_bad_home_file_gets_a_clear_message_and_exit_status_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "tiny.yaml").read_text().replace("rated_power_w: 1000", "rated_power_w: -5"))
    result = homesim("simulate", bad, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "devices[0].rated_power_w: -5 is not allowed: must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "-1"], "-1 is not allowed: must be > 0"),
        (["--step", "0"], "0 is not allowed: must be 1..86400 s"),
        (["--start", "2026-13-01"], "is not a date"),
    ],
)
def test_bad_options_are_refused(tmp_path, args, message):
    result = homesim("simulate", EXAMPLES / "tiny.yaml", "--out", tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr


def test_a_missing_file(tmp_path):
    result = homesim("validate", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "can't read the file" in result.stderr and "Traceback" not in result.stderr


def test_validate_lists_devices():
    result = homesim("validate", EXAMPLES / "home.yaml")
    assert result.returncode == 0
    assert "pv_east" in result.stdout and "battery" in result.stdout and "geyser" in result.stdout


def test_compare_runs_every_combination(tmp_path):
    result = homesim("compare", EXAMPLES / "home.yaml", "--vary", "battery.capacity_kwh=5,15",
                     "--vary", "pv_east.modules=3,8", "--days", "10", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "compare.csv")
    assert len(table) == 4
    assert set(table.columns) >= {"battery.capacity_kwh", "pv_east.modules", "cost", "self_sufficiency",
                                  "unmet_hours_in_outages", "grid_import_kwh"}
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"
    small = table[(table["battery.capacity_kwh"] == 5) & (table["pv_east.modules"] == 3)].iloc[0]
    big = table[(table["battery.capacity_kwh"] == 15) & (table["pv_east.modules"] == 8)].iloc[0]
    assert big["grid_import_kwh"] < small["grid_import_kwh"]
    assert big["self_sufficiency"] > small["self_sufficiency"]
    assert big["unmet_hours_in_outages"] <= small["unmet_hours_in_outages"]


def test_compare_names_every_bad_variant(tmp_path):
    result = homesim("compare", EXAMPLES / "home.yaml", "--vary", "battery.capacity_kwh=5,-1,abc", "--days", "1",
                     "--out", tmp_path)
    assert result.returncode == 2
    assert "variant battery.capacity_kwh=-1" in result.stderr and "must be > 0" in result.stderr
    assert "variant battery.capacity_kwh=abc" in result.stderr and "must be a number" in result.stderr
    assert "capacity_kwh=5:" not in result.stderr and not any(tmp_path.iterdir())
