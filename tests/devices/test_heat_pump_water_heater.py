"""Heat pump water heater: the geyser's tank heated at the COP of Staffell et al. (2012), which
falls as the air gets colder; the backup element when the air is too cold for the heat pump."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.devices import heat_pump_water_heater as hpwh
from homesim.devices.base import WATER_J_PER_KG_K
from homesim.devices.weather import Weather
from homesim.home import home_from_dict

from device_helpers import make_block, run_load


def with_air(block, air_c):
    """The block with the weather device's outdoor air at ``air_c`` [°C] (the rest unused)."""
    zeros = np.zeros(block.size)
    block.values["weather"] = Weather(zeros, zeros, zeros, np.full(block.size, float(air_c)), zeros, zeros)
    return block


def heater(**fields):
    return hpwh.Config(**{"id": "hw", "tank_l": 150, "setpoint_c": 55, "hysteresis_k": 5, **fields})


@pytest.mark.parametrize("water_c, air_c, expected", [
    (50.0, 20.0, 6.81 - 0.121 * 30 + 0.000630 * 900),  # dT 30 K: 3.747
    (55.0, -5.0, 6.81 - 0.121 * 60 + 0.000630 * 3600),  # dT 60 K: the regression's end, 2.622
    (40.0, 35.0, 6.81 - 0.121 * 15 + 0.000630 * 225),  # dT 5 K: taken at 15 K, 5.137
    (60.0, -30.0, 6.81 - 0.121 * 60 + 0.000630 * 3600),  # dT 90 K: taken at 60 K
])
def test_cop_is_staffells_air_source_regression_within_its_range(water_c, air_c, expected):
    assert hpwh.cop(water_c, air_c, 1.0) == pytest.approx(expected, rel=1e-12)
    assert hpwh.cop(water_c, air_c, 0.8) == pytest.approx(0.8 * expected, rel=1e-12)


def test_warmer_air_heats_the_same_water_on_less_electricity():
    energy = {}
    for air in (25.0, 5.0):
        config = heater(element_w=0, initial_temp_c=20, standing_loss_kwh_per_day=0, draw_l_per_day=0)
        demand, temps = run_load(config, with_air(make_block(dt_s=60), air))
        assert temps.max() == pytest.approx(55, abs=0.5)  # heated to its set point either way
        energy[air] = demand.sum()
    assert energy[5.0] > 1.3 * energy[25.0]


def test_the_heat_in_the_water_is_the_served_energy_times_the_cop():
    config = heater(element_w=0, initial_temp_c=30, standing_loss_kwh_per_day=0, draw_l_per_day=0, heat_pump_w=500)
    block = with_air(make_block(dt_s=60, days=0.1), 10.0)
    demand, temps = run_load(config, block)
    capacity = 150 * WATER_J_PER_KG_K
    temp = 30.0
    for t in range(block.size):  # tick by tick: heat = served x COP at the tick's start temperature
        temp += demand[t] * hpwh.cop(temp, 10.0, 1.0) / capacity
        assert temps[t] == pytest.approx(temp, abs=1e-9)


def test_below_its_lowest_air_temperature_the_element_heats_instead():
    config = heater(element_w=2000, heat_pump_w=500, min_air_c=-7, initial_temp_c=30, draw_l_per_day=0)
    cold, temps = run_load(config, with_air(make_block(dt_s=60, days=0.1), -10.0))
    assert cold[0] == 2000 * 60  # the element alone
    mild, _ = run_load(config, with_air(make_block(dt_s=60, days=0.1), 5.0))
    assert mild[0] == 500 * 60  # the heat pump alone


def test_the_element_boosts_while_the_water_is_below_its_boost_temperature():
    config = heater(element_w=2000, heat_pump_w=500, boost_below_c=40, initial_temp_c=30, draw_l_per_day=0)
    demand, temps = run_load(config, with_air(make_block(dt_s=60, days=0.3), 15.0))
    assert demand[0] == 2500 * 60
    after = np.flatnonzero(temps >= 40)[0] + 1
    assert demand[after] == 500 * 60


def test_a_home_with_one_gets_the_weather_it_reads():
    home = home_from_dict({"name": "hw", "location": {"latitude": -33.9, "longitude": 18.5}, "start": "2026-06-01",
                           "devices": [{"id": "grid", "kind": "grid"}, {"id": "hw", "kind": "heat_pump_water_heater"}]})
    assert {"sun", "weather"} <= {d.kind for d in home.devices}
