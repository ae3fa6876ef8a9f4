"""Lights: on in their windows, including windows past midnight."""

from __future__ import annotations

from homesim.devices import lights

from device_helpers import make_block, run_load


def test_windows_past_midnight():
    config = lights.Config(id="lights", power_w=200, on=[{"start": "22:00", "end": "02:00"}])
    demand, _ = run_load(config, make_block(dt_s=60, days=2))
    # Day 1: 00:00-02:00 belongs to the previous day's window (also a Sunday -> all days allowed).
    assert demand[: 2 * 60].sum() == 200 * 2 * 3600
    assert demand.sum() == 200 * 3600 * (2 + 4 + 2)


def test_window_days_apply_to_the_start_day():
    config = lights.Config(id="lights", power_w=100, on=[{"start": "23:00", "end": "01:00", "days": ["mon"]}])
    demand, _ = run_load(config, make_block(dt_s=60, days=2))  # Monday and Tuesday
    assert demand.sum() == 100 * 2 * 3600  # Monday 23:00 to Tuesday 01:00 only
    assert demand[24 * 60: 25 * 60].sum() == 100 * 3600
