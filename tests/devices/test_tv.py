"""TV: on power while watched, standby otherwise."""

from __future__ import annotations

from homesim.devices import tv

from device_helpers import make_block, run_load


def test_daily_energy_is_on_hours_plus_standby():
    config = tv.Config(id="tv", power_w=100, standby_w=1, watching=[{"start": "19:00", "end": "22:00"}])
    demand, _ = run_load(config, make_block(dt_s=60))
    assert demand.sum() == 100 * 3 * 3600 + 1 * 21 * 3600


def test_a_smart_plug_timer_cuts_standby_too():
    config = tv.Config(id="tv", power_w=100, standby_w=1, watching=[{"start": "19:00", "end": "22:00"}],
                       switch={"timers": [{"start": "18:00", "end": "23:00"}]})
    demand, _ = run_load(config, make_block(dt_s=60))
    assert demand.sum() == 100 * 3 * 3600 + 1 * 2 * 3600


def test_switched_off_draws_nothing():
    demand, _ = run_load(tv.Config(id="tv", enabled=False), make_block(dt_s=60))
    assert demand.sum() == 0
