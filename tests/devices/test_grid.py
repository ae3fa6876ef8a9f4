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


def test_an_outage_with_one_time_local_and_one_with_an_offset_is_refused_naming_the_end():
    """Found by tests/faults/test_fuzz.py: a start of 0 (1970, UTC) against a local end raised a
    TypeError comparing them."""
    with pytest.raises(ValueError, match=r"end\n.*must both be local times or both carry an offset"):
        grid.OutageWindow(start=0, end=dt.datetime(2026, 1, 1))


def test_load_shedding_needs_a_source():
    with pytest.raises(ValueError, match="events_csv \\+ area"):
        grid.LoadShedding()
    with pytest.raises(ValueError, match="needs 'area'"):
        grid.LoadShedding(events_csv="x.csv")
    with pytest.raises(ValueError, match="needs a stage timeline"):
        grid.LoadShedding(area_schedule_csv="x.csv")


def test_status_at_gives_stage_end_and_next_outage_in_local_time(tmp_path):
    from homesim.home import load_home
    from conftest import EXAMPLES

    home = load_home(EXAMPLES / "home.yaml")
    g = home.device("grid")
    tz = home.location.timezone
    # 2026-01-05 00:00 local: the stage 2 timeline starts at 16:00, the first outage after it.
    midnight = int(dt.datetime(2026, 1, 5, tzinfo=__import__("zoneinfo").ZoneInfo(tz)).timestamp())
    status = g.status_at(midnight, tz)
    assert status["stage"] == 0 and status["outage_end"] is None
    assert status["next_outage_start"].endswith("+02:00") and status["next_outage_start"] >= "2026-01-05T16:00"
    assert status["next_outage_stage"] == 2  # told before it starts, with the grid still on
    inside = int(dt.datetime.fromisoformat(status["next_outage_start"]).timestamp())
    during = g.status_at(inside, tz)
    assert during["stage"] == 2 and during["outage_end"] == status["next_outage_end"]
    assert during["next_outage_start"] > during["outage_end"]
    # the cable fault on the 10th is a plain outage: stage 0, with its end
    fault = g.status_at(int(dt.datetime(2026, 1, 10, 14, tzinfo=__import__("zoneinfo").ZoneInfo(tz)).timestamp()), tz)
    assert fault["outage_end"] == "2026-01-10T17:30:00+02:00"
