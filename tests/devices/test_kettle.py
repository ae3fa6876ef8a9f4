"""Kettle: each use boils its fill; energy per day from water physics."""

from __future__ import annotations

import pytest

from homesim.devices import kettle
from homesim.devices.base import WATER_J_PER_KG_K

from device_helpers import make_block, run_load


def test_each_boil_takes_the_energy_to_heat_the_water():
    config = kettle.Config(id="kettle", power_w=2000, litres=1.0, inlet_c=20, efficiency=0.8, uses=["07:00", "19:00"])
    assert config.boil_s() == pytest.approx(1.0 * WATER_J_PER_KG_K * 80 / 0.8 / 2000)
    demand, _ = run_load(config, make_block(dt_s=60))
    per_boil = 1.0 * WATER_J_PER_KG_K * 80 / 0.8
    assert demand.sum() == pytest.approx(2 * per_boil, abs=2)
    assert demand[7 * 60] == 120_000  # a whole tick at 2000 W
    assert demand[: 7 * 60].sum() == 0


def test_days_restrict_the_uses():
    config = kettle.Config(id="kettle", uses=["07:00"], days=["sat"])
    weekday, _ = run_load(config, make_block(dt_s=60))  # 2026-01-05 is a Monday
    assert weekday.sum() == 0
    import datetime as dt

    saturday, _ = run_load(config, make_block(dt_s=60, start=dt.date(2026, 1, 10)))
    assert saturday.sum() > 0
