"""Fridge: the compressor's duty cycle follows from heat gain and COP; temperature stays in band."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.devices import fridge

from device_helpers import make_block, run_load


def test_duty_cycle_balances_heat_gain():
    config = fridge.Config(id="fridge")
    demand, temps = run_load(config, make_block(dt_s=30, days=2))
    day2 = slice(demand.size // 2, None)
    duty = np.count_nonzero(demand[day2]) / demand[day2].size
    mean_inside = temps[day2].mean()
    gain_w = config.loss_w_per_k * (config.ambient_c - mean_inside)
    expected = gain_w / (config.compressor_w * config.cop)
    assert duty == pytest.approx(expected, rel=0.1)
    assert config.setpoint_c - 0.5 < temps[day2].min() and temps[day2].max() < config.setpoint_c + config.hysteresis_k + 0.5


def test_an_unpowered_fridge_warms_up():
    config = fridge.Config(id="fridge")
    _, temps = run_load(config, make_block(dt_s=60), served_fraction=0.0)
    assert temps[-1] > 15
