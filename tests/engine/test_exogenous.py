"""Precomputed exogenous blocks: a run given them settles the same ledger as one computing its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.compiled import CompiledHome
from homesim.engine.exogenous import exogenous_blocks
from homesim.engine.fastforward import simulate
from homesim.home import load_home, with_changes

from conftest import EXAMPLES

DAYS = 9.5  # two blocks at 60 s, the second cut short


@pytest.fixture(scope="module")
def reference():
    return load_home(EXAMPLES / "home.yaml")


@pytest.fixture(scope="module")
def blocks(reference):
    return exogenous_blocks(reference, days=DAYS, dt_s=60)


def test_the_blocks_are_the_compiled_homes_blocks(reference, blocks):
    compiled = CompiledHome(reference, 60)
    total = int(DAYS * 1440)
    assert len(blocks) == 2 and blocks[1].grid_on.shape[0] == total - BLOCK_TICKS
    for index, exo in enumerate(blocks):
        again = compiled.exogenous(index, exo.grid_on.shape[0])
        for name in ("pv_avail_j", "load_inputs", "grid_on", "import_price",
                     "export_price", "slot_index"):
            np.testing.assert_array_equal(getattr(exo, name), getattr(again, name), err_msg=name)


def test_one_thread_and_two_give_the_same_blocks(reference, blocks):
    alone = exogenous_blocks(reference, days=DAYS, dt_s=60, workers=1)
    for a, b in zip(alone, blocks):
        np.testing.assert_array_equal(a.pv_avail_j, b.pv_avail_j)
        np.testing.assert_array_equal(a.load_inputs, b.load_inputs)


def test_a_run_given_its_own_blocks_settles_the_same_ledger(reference, blocks):
    cold = simulate(reference, days=DAYS, dt_s=60)
    cached = simulate(reference, days=DAYS, dt_s=60, exogenous=blocks)
    pd.testing.assert_frame_equal(cached.table, cold.table)


@pytest.mark.parametrize("changes", [
    {"battery.capacity_kwh": 5.12},
    # Another inverter program: the slots come from the variant's own inverter.
    {"battery.capacity_kwh": 20.48, "inverter.programs": [
        {"start": "00:00", "power_w": 4000, "soc": 0.6, "grid_charge": True},
        {"start": "06:00", "power_w": 5000, "soc": 0.2},
        {"start": "18:30", "power_w": 5000, "soc": 0.4}]},
])
def test_a_battery_or_inverter_variant_given_the_base_homes_blocks_equals_its_cold_run(reference, blocks, changes):
    variant = with_changes(reference, changes, home_dir=EXAMPLES)
    cold = simulate(variant, days=DAYS, dt_s=60)
    cached = simulate(variant, days=DAYS, dt_s=60, exogenous=blocks)
    pd.testing.assert_frame_equal(cached.table, cold.table)
    base = simulate(reference, days=DAYS, dt_s=60, exogenous=blocks)
    assert not cached.table["soc.battery"].equals(base.table["soc.battery"])  # the variant really differs


def test_blocks_of_another_horizon_or_step_are_refused(reference, blocks):
    with pytest.raises(ValueError, match="blocks; this horizon has"):
        simulate(reference, days=3, dt_s=60, exogenous=blocks)
    with pytest.raises(ValueError, match="ticks; this horizon needs"):
        simulate(reference, days=9, dt_s=60, exogenous=blocks)
    with pytest.raises(ValueError, match="another step, start or seed"):
        simulate(reference, days=DAYS, dt_s=60, seed=99, exogenous=blocks)
