"""Geyser: heating 150 L by 45 K takes ~7.85 kWh; standing loss as labelled; draws cool it."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.devices import geyser
from homesim.devices.base import J_PER_KWH, WATER_J_PER_KG_K

from device_helpers import make_block, run_load


def test_heating_150_l_by_45_k_takes_about_7_8_kwh():
    config = geyser.Config(id="geyser", tank_l=150, setpoint_c=60, initial_temp_c=15, hysteresis_k=1,
                           standing_loss_kwh_per_day=0, draw_l_per_day=0)
    demand, temps = run_load(config, make_block(dt_s=60))
    energy_kwh = demand.sum() / J_PER_KWH
    exact = 150 * WATER_J_PER_KG_K * 45 / J_PER_KWH
    assert exact == pytest.approx(7.85, abs=0.01)
    assert energy_kwh == pytest.approx(exact, abs=3000 * 60 / J_PER_KWH)  # within one tick of heating
    assert temps.max() == pytest.approx(60, abs=0.3)


def test_standing_loss_matches_the_label():
    config = geyser.Config(id="geyser", setpoint_c=60, standing_loss_kwh_per_day=2.0, draw_l_per_day=0,
                           switch={"timers": [{"start": "00:00", "end": "00:01"}]})
    _, temps = run_load(config, make_block(dt_s=60))
    capacity = config.heat_capacity_j_per_k()
    lost_kwh = (60 - temps[-1]) * capacity / J_PER_KWH
    # The label's rate holds at 60 degrees; as the tank cools it loses less (exponential).
    ua = 2.0 * J_PER_KWH / 86400 / 40
    assert ua == pytest.approx(config.loss_w_per_k())
    expected = 40 * (1 - np.exp(-86400 * ua / capacity)) * capacity / J_PER_KWH
    assert lost_kwh == pytest.approx(expected, rel=0.005)
    assert 1.6 < lost_kwh < 2.0


def test_draws_replace_hot_water_with_inlet_water():
    config = geyser.Config(id="geyser", tank_l=100, setpoint_c=60, standing_loss_kwh_per_day=0, inlet_c=10,
                           draw_l_per_day=50, draw_profile=[0] * 7 + [1] + [0] * 16, enabled=False)
    _, temps = run_load(config, make_block(dt_s=60))
    # Half the tank replaced by 10 degree water over 07:00-08:00, in small steps: 60 -> 10 + 50 * e^-0.5 ~ 40.3.
    assert temps[-1] == pytest.approx(10 + 50 * np.exp(-0.5), abs=0.2)
    assert temps[6 * 60] == pytest.approx(60)


def test_daily_energy_equals_heat_drawn_plus_losses():
    config = geyser.Config(id="geyser")
    demand, temps = run_load(config, make_block(dt_s=60, days=3))
    drawn = config.draw_l_per_day * 3 * WATER_J_PER_KG_K * (config.setpoint_c - 2 - config.inlet_c)
    lost = config.standing_loss_kwh_per_day * 3 * J_PER_KWH
    assert demand.sum() == pytest.approx(drawn + lost, rel=0.1)


def test_bad_geyser_is_refused():
    with pytest.raises(ValueError, match="draw_profile"):
        geyser.Config(id="g", draw_profile=[0] * 24)
