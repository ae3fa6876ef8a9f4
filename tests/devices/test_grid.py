"""Grid: tariffs by time of use, outage windows, limits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from homesim.devices import grid

from device_helpers import make_block


def test_flat_tariff():
    block = make_block(dt_s=3600)
    config = grid.Config(id="grid", import_tariff={"flat_per_kwh": 2.5}, export_per_kwh=0.7)
    assert (config.import_price(block) == 2.5).all() and (config.export_price(block) == 0.7).all()


def test_time_of_use_first_period_wins_then_flat():
    block = make_block(dt_s=3600, days=7)  # Monday 2026-01-05 to Sunday
    config = grid.Config(id="grid", import_tariff={
        "flat_per_kwh": 3.0,
        "periods": [{"start": "07:00", "end": "10:00", "days": ["mon", "tue", "wed", "thu", "fri"], "price_per_kwh": 5.0},
                    {"start": "22:00", "end": "06:00", "price_per_kwh": 2.0},
                    {"start": "08:00", "end": "09:00", "price_per_kwh": 99.0}],
    })
    price = config.import_price(block).reshape(7, 24)
    assert price[0, 7] == 5.0 and price[0, 8] == 5.0  # the first matching period wins over the third
    assert price[5, 8] == 99.0  # Saturday: only the third period covers 08:00
    assert price[0, 23] == 2.0 and price[1, 3] == 2.0  # past midnight
    assert price[0, 12] == 3.0


def test_periods_without_flat_must_cover_the_week():
    with pytest.raises(ValueError, match="leave mon 06:00 without a price"):
        grid.Tariff(periods=[{"start": "22:00", "end": "06:00", "price_per_kwh": 2.0}])
    full = grid.Tariff(periods=[{"start": "06:00", "end": "22:00", "price_per_kwh": 4.0},
                                {"start": "22:00", "end": "06:00", "price_per_kwh": 2.0}])
    assert not np.isnan(full.price_per_kwh(make_block(dt_s=600))).any()


def test_outage_windows_in_local_time_and_with_offsets():
    block = make_block(dt_s=60)
    config = grid.Config(id="grid", outages=[
        {"start": "2026-01-05T10:00", "end": "2026-01-05T11:30"},  # local (UTC+2)
        {"start": "2026-01-05T16:00:00+00:00", "end": "2026-01-05T17:00:00+00:00"},  # 18:00-19:00 local
    ])
    on = config.grid_on(block)
    off_minutes = np.flatnonzero(~on)
    assert off_minutes.size == 90 + 60
    assert off_minutes[0] == 600 and off_minutes[89] == 689 and off_minutes[90] == 18 * 60


def test_a_switched_off_grid_is_off():
    block = make_block(dt_s=3600)
    assert not grid.Config(id="grid", enabled=False).grid_on(block).any()


def test_outage_must_end_after_it_starts():
    with pytest.raises(ValueError, match="must be after start"):
        grid.OutageWindow(start=dt.datetime(2026, 1, 2), end=dt.datetime(2026, 1, 1))


def test_load_shedding_needs_a_source():
    with pytest.raises(ValueError, match="events_csv \\+ area"):
        grid.LoadShedding()
    with pytest.raises(ValueError, match="needs 'area'"):
        grid.LoadShedding(events_csv="x.csv")
    with pytest.raises(ValueError, match="needs a stage timeline"):
        grid.LoadShedding(area_schedule_csv="x.csv")
