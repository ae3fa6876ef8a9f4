"""Oven: a 2000 W oven heating from cold for 10 minutes draws exactly 1,200,000 J; once hot,
its thermostat holds the set point at the duty cycle the cavity's loss implies."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.devices import oven

from device_helpers import make_block, run_load


def test_a_2000_w_oven_on_for_10_minutes_is_exactly_1_2_mj():
    config = oven.Config(id="oven", rated_power_w=2000, cooking=[{"start": "17:30", "end": "17:40"}])
    demand, _ = run_load(config, make_block(dt_s=60))
    assert int(demand.sum()) == 1_200_000
    assert np.count_nonzero(demand) == 10


def test_once_hot_the_thermostat_cycles_at_the_loss_duty():
    config = oven.Config(id="oven", cooking=[{"start": "12:00", "end": "16:00"}])
    demand, temps = run_load(config, make_block(dt_s=10))
    cooking = slice(13 * 360, 16 * 360)  # the last three hours at 10 s ticks
    mean_power = demand[cooking].sum() / (3 * 3600)
    held = (config.setpoint_c - config.hysteresis_k / 2) - config.ambient_c
    expected = config.loss_w_per_k * held
    assert mean_power == pytest.approx(expected, rel=0.1)
    assert 0.2 < np.count_nonzero(demand[cooking]) / demand[cooking].size < 0.6
    assert temps[cooking].max() < config.setpoint_c + 5
    assert temps[cooking].min() > config.setpoint_c - config.hysteresis_k - 5


def test_outside_its_cooking_windows_the_oven_draws_nothing_and_cools():
    config = oven.Config(id="oven", cooking=[{"start": "10:00", "end": "11:00"}])
    demand, temps = run_load(config, make_block(dt_s=60))
    assert demand[: 10 * 60].sum() == 0 and demand[11 * 60:].sum() == 0
    assert temps[-1] < temps[11 * 60]


def test_an_unserved_oven_does_not_heat():
    config = oven.Config(id="oven", cooking=[{"start": "10:00", "end": "11:00"}])
    _, temps = run_load(config, make_block(dt_s=60), served_fraction=0.0)
    assert temps.max() <= config.ambient_c + 1e-9
