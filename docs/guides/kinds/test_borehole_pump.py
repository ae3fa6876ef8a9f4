"""The guide's borehole pump: the float switch keeps the tank between its start level and full,
and the pump's energy is the water it moved at its flow and power."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.devices import borehole_pump
from homesim.devices.kernel import Home
from homesim.engine import loads


def run(config, ticks, dt_s=60, served_fraction=1.0):
    tables = loads.load_tables([config], np.array([False]), dt_s)
    state = loads.initial_state([config])
    from homesim.devices.base import Block
    from homesim.engine.compiled import local_calendar
    unix = 1_767_564_000 + np.arange(ticks, dtype=np.int64) * dt_s  # 2026-01-05 00:00 in Johannesburg
    cal = local_calendar(unix, "Africa/Johannesburg")
    block = Block(0, 0, dt_s, unix, cal.second_of_day, cal.weekday, cal.month, cal.day_of_month, 1, -33.9, 18.5, 0.0,
                  "Africa/Johannesburg")
    inputs = config.block_inputs(block)[np.newaxis]
    asked = np.zeros(1, dtype=np.int64)
    pv_only = np.zeros(1, dtype=np.int64)  # the part only PV may serve (a PV-surplus load's; none here)
    levels, energy = [], 0
    home = Home(True, 1.0, 0.0, 0.0, 0.0)
    for t in range(ticks):
        loads.loads_demand(tables, state, inputs, t, home, dt_s, asked, pv_only)
        served = (asked * served_fraction).astype(np.int64)
        loads.loads_advance(tables, state, inputs, t, asked, served, home, dt_s)
        levels.append(state[0, borehole_pump.S.level_l])
        energy += int(served[0])
    return np.array(levels), energy, inputs[0, borehole_pump.X.use_l].sum()


def test_the_float_switch_keeps_the_tank_between_its_start_level_and_full():
    config = borehole_pump.Config(id="pump", tank_l=5000, start_at=0.6, use_l_per_day=3000)
    levels, energy, used = run(config, 3 * 1440)
    assert levels.min() >= 0.6 * 5000 - 40 and levels.max() <= 5000  # one tick's draw below the start level at most
    pumped = levels[-1] - 5000 + used
    assert energy == pytest.approx(pumped / 40.0 * 60 * 1100, rel=1e-6)  # seconds of flow at its power


def test_a_pump_left_unserved_lets_the_tank_run_dry():
    levels, energy, _ = run(borehole_pump.Config(id="pump", use_l_per_day=4000), 3 * 1440, served_fraction=0.0)
    assert energy == 0 and levels[-1] == 0.0
