"""Generic load: constant, hourly values, or a profile CSV (daily or a series)."""

from __future__ import annotations

import pytest

from homesim.devices import generic_load

from device_helpers import make_block, run_load


def test_constant_power():
    demand, _ = run_load(generic_load.Config(id="g", power_w=90), make_block(dt_s=60))
    assert demand.sum() == 90 * 86400


def test_hourly_values():
    hourly = [float(h) for h in range(24)]
    demand, _ = run_load(generic_load.Config(id="g", hourly_w=hourly), make_block(dt_s=600))
    assert demand.sum() == sum(h * 3600 for h in range(24))


def test_daily_profile_csv(tmp_path):
    (tmp_path / "p.csv").write_text("time,power_w\n06:00,500\n00:00,100\n18:00,1000\n")
    config = generic_load.Config(id="g", profile_csv="p.csv")
    config.bind_home_dir(tmp_path)
    demand, _ = run_load(config, make_block(dt_s=60))
    assert demand.sum() == (100 * 6 + 500 * 12 + 1000 * 6) * 3600


def test_series_profile_csv(tmp_path):
    (tmp_path / "s.csv").write_text("time,power_w\n2026-01-05T10:00:00+02:00,1000\n2026-01-05T11:00:00+02:00,0\n")
    config = generic_load.Config(id="g", profile_csv=str(tmp_path / "s.csv"))
    demand, _ = run_load(config, make_block(dt_s=60))
    assert demand.sum() == 1000 * 3600
    assert demand[10 * 60] == 60_000 and demand[10 * 60 - 1] == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("when,power_w\n00:00,1\n", "missing column"),
        ("time,power_w\n00:00,abc\n", "line 2, column 'power_w': 'abc' is not a number"),
        ("time,power_w\n00:00,1\n25:00,2\n", "line 3, column 'time': '25:00'"),
        ("time,power_w\n00:00,-5\n", "line 2, column 'power_w': -5.0 is not allowed"),
    ],
)
def test_bad_profiles_name_line_and_column(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    config = generic_load.Config(id="g", profile_csv=str(path))
    with pytest.raises(generic_load.ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config.block_inputs(make_block(dt_s=3600))


def test_exactly_one_source():
    with pytest.raises(ValueError, match="one way"):
        generic_load.Config(id="g", power_w=1, hourly_w=[0] * 24)
