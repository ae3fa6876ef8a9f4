"""Generic load's typical week by month (typical_week_csv): alone, and outside a series' span."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from homesim.devices import generic_load

from device_helpers import make_block, run_load

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week_csv(path, power=lambda month, weekday, hour: 100.0 * month + 10.0 * weekday + hour):  # noqa: ANN001
    rows = [f"{m},{WEEKDAYS[w]},{h:02d}:00,{power(m, w, h)}" for m in range(1, 13) for w in range(7) for h in range(24)]
    path.write_text("month,weekday,time,power_w\n" + "\n".join(rows) + "\n")
    return path


def test_a_typical_week_gives_each_day_its_month_and_weekday_profile(tmp_path):
    config = generic_load.Config(id="g", typical_week_csv=str(week_csv(tmp_path / "w.csv")))
    # Monday 5 January 2026 and the six days after it, hourly
    demand, _ = run_load(config, make_block(dt_s=3600, days=7, start=dt.date(2026, 1, 5)))
    expected = [(100.0 * 1 + 10.0 * w + h) * 3600 for w in range(7) for h in range(24)]
    assert demand.tolist() == expected


def test_a_series_is_replayed_over_its_span_and_the_week_outside_it(tmp_path):
    series = tmp_path / "s.csv"
    # 10:00-12:00 local on Monday 5 January 2026, at 1 h steps: the span ends one step after the last row
    series.write_text("time,power_w\n2026-01-05T10:00:00+02:00,5000\n2026-01-05T11:00:00+02:00,7000\n")
    config = generic_load.Config(id="g", profile_csv=str(series), typical_week_csv=str(week_csv(tmp_path / "w.csv")))
    demand, _ = run_load(config, make_block(dt_s=3600, days=2, start=dt.date(2026, 1, 5)))
    week = [(100.0 + 10.0 * w + h) * 3600 for w in range(2) for h in range(24)]
    assert demand[10] == 5000 * 3600 and demand[11] == 7000 * 3600
    assert demand[:10].tolist() == week[:10] and demand[12:].tolist() == week[12:]


def test_a_series_without_a_week_keeps_its_last_value_on(tmp_path):
    # the behaviour before typical_week_csv, unchanged: the last value holds on, 0 before the first
    series = tmp_path / "s.csv"
    series.write_text("time,power_w\n2026-01-05T10:00:00+02:00,5000\n2026-01-05T11:00:00+02:00,7000\n")
    demand, _ = run_load(generic_load.Config(id="g", profile_csv=str(series)), make_block(dt_s=3600, days=2))
    assert demand[:10].sum() == 0 and demand[10] == 5000 * 3600
    assert demand[11:].tolist() == [7000 * 3600] * 37


def test_a_month_crossing_block_takes_each_month_s_values(tmp_path):
    config = generic_load.Config(id="g", typical_week_csv=str(week_csv(tmp_path / "w.csv",
                                                                       power=lambda m, w, h: 1000.0 * m)))
    demand, _ = run_load(config, make_block(dt_s=86400, days=2, start=dt.date(2026, 1, 31)))
    assert demand.tolist() == [1000 * 86400, 2000 * 86400]


@pytest.mark.parametrize("text, message", [
    ("month,time,power_w\n1,00:00,5\n", "missing column"),
    ("month,weekday,time,power_w\n13,mon,00:00,5\n", "line 2, column 'month': '13' is not a month 1..12"),
    ("month,weekday,time,power_w\n1,monday,00:00,5\n", "line 2, column 'weekday': 'monday' is not one of mon"),
    ("month,weekday,time,power_w\n1,mon,25:00,5\n", "line 2, column 'time': '25:00' is not a time of day"),
    ("month,weekday,time,power_w\n1,mon,00:00,x\n", "line 2, column 'power_w': 'x' is not a number"),
    ("month,weekday,time,power_w\n1,mon,00:00,5\n", "no rows for 83 of the 84 .month, weekday. days, e.g. 1/tue"),
])
def test_a_bad_typical_week_names_line_and_column(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    config = generic_load.Config(id="g", typical_week_csv=str(path))
    with pytest.raises(generic_load.ProfileError, match=message):
        config.block_inputs(make_block(dt_s=3600))


def test_a_daily_profile_with_a_typical_week_is_refused(tmp_path):
    daily = tmp_path / "d.csv"
    daily.write_text("time,power_w\n00:00,100\n")
    config = generic_load.Config(id="g", profile_csv=str(daily), typical_week_csv=str(week_csv(tmp_path / "w.csv")))
    with pytest.raises(generic_load.ProfileError, match="a typical week only completes a series"):
        config.block_inputs(make_block(dt_s=3600))
    with pytest.raises(ValueError, match="one way"):
        generic_load.Config(id="g", power_w=1.0, typical_week_csv="w.csv")


def test_the_week_s_energy_over_a_block_matches_its_rows(tmp_path):
    config = generic_load.Config(id="g", typical_week_csv=str(week_csv(tmp_path / "w.csv")))
    demand, _ = run_load(config, make_block(dt_s=60, days=7, start=dt.date(2026, 3, 2)))
    assert demand.sum() == pytest.approx(sum((300.0 + 10.0 * w + h) * 3600 for w in range(7) for h in range(24)))
    assert np.all(demand >= 0)


def test_a_series_with_one_offset_is_read_fast_to_the_same_instants(tmp_path):
    """The fast path (numpy) and the row-by-row path give the same instants and powers."""
    same = tmp_path / "same.csv"
    same.write_text("time,power_w\n2026-01-05T10:00:00+02:00,5000\n2026-01-05T11:00:00+02:00,7000.5\n")
    mixed = tmp_path / "mixed.csv"  # two offsets: read row by row
    mixed.write_text("time,power_w\n2026-01-05T08:00:00+00:00,5000\n2026-01-05T11:00:00+02:00,7000.5\n")
    fast, slow = generic_load.read_profile(same), generic_load.read_profile(mixed)
    assert isinstance(fast[1], np.ndarray) and isinstance(slow[1], list)
    expected = [int(dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone.utc).timestamp()) + 3600 * k for k in range(2)]
    assert generic_load.series_instants(same, "UTC").tolist() == expected
    assert generic_load.series_instants(mixed, "UTC").tolist() == expected
    assert fast[2].tolist() == slow[2].tolist() == [5000.0, 7000.5]
