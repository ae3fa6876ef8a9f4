"""The kernels are one source of truth: plain Python (a light device process) and compiled with
numba (the fast-forward engine) give the same integers, bit for bit (``homesim.jit``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zoneinfo

import numpy as np
import pandas as pd
import pytest

from conftest import EXAMPLES, ROOT
from homesim.devices import battery as battery_model
from homesim.devices import inverter as inverter_model
from homesim.engine.compiled import CompiledHome, _local_seconds
from homesim.engine.fastforward import simulate
from homesim.home import load_home

PLAIN_RUN = """
import json, sys
import numpy as np
from homesim import jit
assert not jit.COMPILED
from homesim.engine.fastforward import simulate
from homesim.home import load_home
home = load_home(sys.argv[1])
ledger = simulate(home, days=float(sys.argv[2]), dt_s=int(sys.argv[3]))
heavy = [m for m in ("numba", "llvmlite") if m in sys.modules]
table = ledger.table.select_dtypes(include=["number", "bool"])
json.dump({"columns": {c: table[c].tolist() for c in table.columns}, "heavy": heavy}, sys.stdout)
"""


def plain(script: str, *args: str) -> dict:
    env = {**os.environ, "HOMESIM_JIT": "0", "PYTHONPATH": str(ROOT / "services")}
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("days, step", [(1.5, 60), (9, 900)])
def test_plain_python_kernels_give_the_compiled_engines_ledger_bit_for_bit(days, step):
    """The whole reference home (sun, weather, PV chain, loads, grid, battery, inverter) run with
    every kernel plain, in a process that never loads numba, against the compiled engine here;
    nine days at 900 s cross a load-shedding week and a block's end."""
    run = plain(PLAIN_RUN, str(EXAMPLES / "home.yaml"), str(days), str(step))
    assert run["heavy"] == []
    compiled = simulate(load_home(EXAMPLES / "home.yaml"), days=days, dt_s=step).table.select_dtypes(
        include=["number", "bool"])
    assert sorted(run["columns"]) == sorted(compiled.columns) and "loss_j" in compiled.columns
    for name, values in run["columns"].items():
        ours = compiled[name].to_numpy()
        theirs = np.asarray(values, dtype=ours.dtype)
        assert np.array_equal(ours, theirs), f"{name}: first differs at row {np.flatnonzero(ours != theirs)[:1]}"
    assert compiled["curtailed_j"].sum() > 0 and (compiled[[c for c in compiled.columns if c.startswith("e.pv")]] > 0).any().all()


def test_plain_battery_and_inverter_kernels_equal_their_compiled_selves_on_random_inputs():
    """Each compiled kernel's own Python (``py_func``) on random states, flows and settings."""
    rng = np.random.default_rng(7)
    compiled = CompiledHome(load_home(EXAMPLES / "home.yaml"), 60)
    bat = compiled.battery_params
    inv = compiled.inverter_params
    table = compiled.slot_table
    for _ in range(400):
        stored = int(rng.integers(0, int(bat.capacity_j) + 1))
        flow = int(rng.integers(-400_000, 400_000))
        dt_s = int(rng.choice([60, 300, 900, 3600]))
        floor, ceiling = sorted(rng.uniform(0, 1, 2))
        for kernel, args in ((battery_model.apply, (bat, stored, flow)),
                             (battery_model.soc, (bat, stored)),
                             (battery_model.max_discharge_j, (bat, stored, floor, dt_s)),
                             (battery_model.max_charge_j, (bat, stored, ceiling, dt_s))):
            assert kernel.py_func(*args) == kernel(*args), kernel.__name__
        n_pv, n_loads = len(compiled.pv_arrays), len(compiled.loads)
        pv = rng.integers(0, 300_000, n_pv).astype(np.int64)
        demand = rng.integers(0, 200_000, n_loads).astype(np.int64) * rng.integers(0, 2, n_loads)
        slot = int(rng.integers(0, table.shape[0]))
        pv_only = (demand * rng.uniform(0, 1, n_loads) * rng.integers(0, 2, n_loads)).astype(np.int64)
        args = (inv, bat, stored, bool(rng.integers(0, 2)), pv, demand, pv_only, compiled.essential, bool(rng.integers(0, 2)),
                table[slot, 0], table[slot, 1], table[slot, 2], compiled.export_limit_w, compiled.import_limit_w, dt_s)
        outs = [(np.zeros(n_pv, dtype=np.int64), np.zeros(n_loads, dtype=np.int64)) for _ in range(2)]
        plain_result = inverter_model.settle.py_func(*args, *outs[0])
        compiled_result = inverter_model.settle(*args, *outs[1])
        assert tuple(plain_result) == tuple(compiled_result)
        assert np.array_equal(outs[0][0], outs[1][0]) and np.array_equal(outs[0][1], outs[1][1])


def _pandas_local_seconds(unix_s: np.ndarray, timezone: str) -> np.ndarray:
    utc = pd.DatetimeIndex(unix_s.astype("datetime64[s]")).tz_localize("UTC")
    return utc.tz_convert(timezone).tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                      "Africa/Johannesburg", "Pacific/Chatham", "America/Santiago"])
@pytest.mark.parametrize("step", [60, 900, 3600])
def test_local_time_without_pandas_equals_pandas_across_every_change_of_offset(timezone, step):
    """The local calendar asks ``zoneinfo`` at a block's ends and halves around a change; pandas
    converts every instant. Whole blocks over two years, from an instant off the hour."""
    start = int(dt.datetime(2026, 1, 1, 0, 7, tzinfo=dt.timezone.utc).timestamp())
    ticks = 10_080
    blocks = int(2 * 365 * 86_400 / (ticks * step)) + 1
    changes = 0
    for index in range(blocks):
        unix_s = start + (index * ticks + np.arange(ticks, dtype=np.int64)) * step
        expected = _pandas_local_seconds(unix_s, timezone)
        assert np.array_equal(_local_seconds(unix_s, timezone), expected), f"block {index}"
        changes += int(np.count_nonzero(np.diff(expected - unix_s)))
    assert (changes > 0) == (timezone != "Africa/Johannesburg")
    assert zoneinfo.ZoneInfo(timezone)  # a zone the machine has
