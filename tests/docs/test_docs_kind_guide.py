"""The developers' guide "Adding a device kind" runs: its module, added to a copy of the package
as a new file and nothing else, with the generated dispatcher made again, validates and simulates
the guide's home, balances every tick, moves the water its energy says, shows up in every
generated contract, and passes its own tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT

GUIDE = ROOT / "docs" / "guides" / "kinds"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A copy of services/ with the guide's module in devices/ and dispatch.py made again."""
    root = tmp_path_factory.mktemp("kind")
    shutil.copytree(ROOT / "services", root / "services", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(GUIDE / "borehole_pump.py", root / "services" / "homesim" / "devices" / "borehole_pump.py")
    env = {**os.environ, "PYTHONPATH": str(root / "services"), "HOMESIM_NUMBA_CACHE_BASE": str(root / "numba")}
    env.pop("NUMBA_CACHE_DIR", None)
    made = subprocess.run([sys.executable, "-m", "homesim.engine.gen_dispatch"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    return root, env


def run(package, *args, timeout=600):
    root, env = package
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def test_the_new_module_is_all_it_takes_the_dispatcher_is_made_from_it(package):
    root, _ = package
    dispatch = (root / "services" / "homesim" / "engine" / "dispatch.py").read_text()
    assert "'borehole_pump'" in dispatch and "homesim.devices.borehole_pump" in dispatch
    theirs = {p.relative_to(root / "services") for p in (root / "services").rglob("*.py")}
    ours = {p.relative_to(ROOT / "services") for p in (ROOT / "services").rglob("*.py") if "__pycache__" not in p.parts}
    assert theirs - ours == {__import__("pathlib").Path("homesim/devices/borehole_pump.py")}


def test_the_guides_home_validates_and_simulates_balanced(package, tmp_path):
    home = str(GUIDE / "borehole.yaml")
    validated = run(package, "-m", "homesim.cli", "validate", home)
    assert validated.returncode == 0, validated.stderr
    assert "borehole         borehole_pump" in validated.stdout
    done = run(package, "-m", "homesim.cli", "simulate", home, "--days", "3", "--out", str(tmp_path), "--no-plots")
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(tmp_path / "ledger.parquet")
    energies = table[[c for c in table.columns if c.startswith("e.")]].sum(axis=1)
    assert (energies == table["loss_j"]).all()
    pumped = -table["e.borehole"].sum()
    local = table["time"].dt.tz_convert("Africa/Johannesburg")
    assert pumped > 0 and (table.loc[(local.dt.hour < 9) | (local.dt.hour >= 16), "e.borehole"] == 0).all()  # timers
    # 2500 L a day from a 5000 L tank kept above 60 %: about 3 days of water pumped at 40 L/min, 1.1 kW
    assert pumped / 1100 * 40 / 60 == pytest.approx(3 * 2500, rel=0.25)


def test_the_kind_is_in_the_generated_contracts(package, tmp_path):
    run(package, "-m", "homesim.generators.k8s_schemas", "--out", str(tmp_path / "chart"), "--ui-kinds", str(tmp_path / "kinds.json"))
    kinds = json.loads((tmp_path / "kinds.json").read_text())
    assert kinds["borehole_pump"]["label"] == "Borehole pump" and kinds["borehole_pump"]["order"] == 78
    assert "borehole_pump" in (tmp_path / "chart" / "crds" / "device.yaml").read_text()
    run(package, "-m", "homesim.cli", "specs", "--out", str(tmp_path / "specs"))
    assert "BoreholePumpProperties" in (tmp_path / "specs" / "homesim.asyncapi.yaml").read_text()


def test_the_kinds_own_tests_pass(package):
    tests = run(package, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(GUIDE / "test_borehole_pump.py"),
                "--rootdir", str(GUIDE))
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "2 passed" in tests.stdout
