"""Weather: the seeded cloud model and real weather files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pvlib
import pytest

from homesim.devices import sun, weather

from device_helpers import make_block


def sky(days=30, seed=1, **fields):
    block = make_block(dt_s=600, days=days, seed=seed)
    sun.Config(id="sun").fill_block(block)
    weather.Config(id="weather", **fields).fill_block(block)
    return block


def test_the_same_seed_gives_the_same_sky_and_another_seed_another():
    a, b, c = sky(seed=3), sky(seed=3), sky(seed=4)
    np.testing.assert_array_equal(a.values["weather"].ghi, b.values["weather"].ghi)
    assert not np.array_equal(a.values["weather"].ghi, c.values["weather"].ghi)


@pytest.mark.parametrize("mean", [0.1, 0.5, 0.8])
def test_long_run_cloud_cover_is_the_configured_mean(mean):
    cover = sky(days=365, mean_cloud_cover=mean).values["weather"].cloud_cover
    assert cover.mean() == pytest.approx(mean, abs=0.05)


def test_kasten_czeplak_and_clear_skies():
    clear = sky(mean_cloud_cover=0.0)
    np.testing.assert_allclose(clear.values["weather"].ghi, clear.values["clear_sky"].ghi)
    overcast = sky(mean_cloud_cover=1.0)
    ratio = overcast.values["weather"].ghi.sum() / overcast.values["clear_sky"].ghi.sum()
    assert ratio == pytest.approx(0.25, abs=1e-9)  # 1 - 0.75 * 1^3.4
    w = overcast.values["weather"]
    np.testing.assert_allclose(w.dhi, w.ghi)  # all diffuse at 8 oktas
    assert (w.dni == 0).all()


def test_irradiance_components_are_consistent():
    block = sky(mean_cloud_cover=0.4)
    w = block.values["weather"]
    cos_z = np.cos(np.radians(block.values["sun"].zenith))
    day = cos_z > 0.05
    np.testing.assert_allclose((w.dni * cos_z + w.dhi)[day], w.ghi[day], rtol=1e-6, atol=1e-6)
    assert (w.ghi >= 0).all() and (w.dni >= 0).all() and (w.dhi >= 0).all()


def test_temperature_follows_the_monthly_min_and_max():
    t = sky(days=10, temp_min_c=[10.0] * 12, temp_max_c=[30.0] * 12).values["weather"].temp_air
    assert t.min() == pytest.approx(10, abs=0.2) and t.max() == pytest.approx(30, abs=0.2)


@pytest.mark.parametrize(("dt_s", "start", "timezone"), [
    (60, dt.date(2026, 1, 5), "Africa/Johannesburg"),
    (60, dt.date(2026, 3, 27), "Europe/Berlin"),  # the clocks go forward on the 29th
    (60, dt.date(2026, 10, 23), "Europe/Berlin"),  # and back on the 25th
    (7, dt.date(2026, 1, 5), "Africa/Johannesburg"),  # a step that does not divide a day
])
def test_the_temperature_is_the_daily_cosine_at_every_tick(dt_s, start, timezone):
    """Each tick's temperature is the formula at its own time of day, also where the kernel
    takes the number of the tick a day before (clock changes, a step not dividing a day)."""
    block = make_block(dt_s=dt_s, days=4 if dt_s < 60 else 7, start=start, timezone=timezone)
    sun.Config(id="sun").fill_block(block)
    low, high = np.linspace(5.0, 16.0, 12), np.linspace(20.0, 31.0, 12)
    weather.Config(id="weather", temp_min_c=list(low), temp_max_c=list(high)).fill_block(block)
    hour = block.second_of_day / 3600.0 + dt_s / 7200.0
    rising = (5.0 <= hour) & (hour < 15.0)
    shape = np.where(rising, 0.5 - 0.5 * np.cos(np.pi * ((hour - 5.0) / 10.0)),
                     0.5 + 0.5 * np.cos(np.pi * (((hour - 15.0) % 24.0) / 14.0)))
    month = block.month - 1
    expected = low[month] + (high[month] - low[month]) * shape
    np.testing.assert_allclose(block.values["weather"].temp_air, expected, rtol=0, atol=1e-9)
    assert len(set(block.second_of_day[: 86_400 // dt_s].tolist())) == min(86_400 // dt_s, block.size)


def test_a_longer_chain_starts_with_the_shorter_one():
    short = weather._cloud_chain(5, 0.8, (0.3,) * 12, 0, 1)
    long = weather._cloud_chain(5, 0.8, (0.3,) * 12, 0, 2)
    np.testing.assert_array_equal(short, long[: short.size])


def write_epw(path, data, meta):
    """Write a minimal EPW file from TMY3 data (the EPW layout: 8 header lines, 35 fields a row)."""
    lines = [f"LOCATION,Greensboro,NC,USA,TMY3,723170,{meta['latitude']},{meta['longitude']},{meta['TZ']},{meta['altitude']}"]
    lines += ["DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
              "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,written by a homesim test", "COMMENTS 2,",
              "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]
    for stamp, row in data.iterrows():
        # EPW hour h of a day covers (h-1, h]; place each record in a 365-day year (1999).
        ending = weather.typical_year_seconds(stamp.month, stamp.day, stamp.hour * 3600)
        label = pd.Timestamp("1999-01-01") + pd.Timedelta(seconds=(ending - 3600) % (365 * 86400))
        fields = [1999, label.month, label.day, label.hour + 1, 60, "?"] + [row["temp_air"], 0, 50, 101325, 0, 0, 300,
                  row["ghi"], row["dni"], row["dhi"], 0, 0, 0, 0, 180, row["wind_speed"], 5, 5, 9999, 77777, 9, 999999999,
                  0, 0.1, 0, 88, 0, 0, 1]
        lines.append(",".join(str(f) for f in fields))
    path.write_text("\n".join(lines) + "\n")


def test_weather_files_tmy3_tmy2_and_epw(tmp_path):
    data_dir = pvlib.__path__[0] + "/data/"
    tmy3, meta = pvlib.iotools.read_tmy3(data_dir + "723170TYA.CSV", map_variables=True)
    write_epw(tmp_path / "greensboro.epw", tmy3, meta)
    block = make_block(dt_s=3600, days=365, start=dt.date(2026, 1, 1), timezone="Etc/GMT+5", lat=36.1, lon=-79.95)
    sun.Config(id="sun").fill_block(block)
    from_csv = weather._from_file(weather.Config(id="w", model="file", file="pvlib:723170TYA.CSV").resolved_file(), block.mid_unix_s)
    from_epw = weather._from_file(tmp_path / "greensboro.epw", block.mid_unix_s)
    # Hour-ending values land on the hour's middle exactly: same numbers through both readers.
    np.testing.assert_allclose(from_epw.ghi, from_csv.ghi)
    np.testing.assert_allclose(from_epw.temp_air, from_csv.temp_air)
    assert from_csv.ghi.sum() == pytest.approx(tmy3["ghi"].sum())
    # The 1 January 12:00-13:00 value of the file is at 12:30 on 1 January.
    noon = tmy3[(tmy3.index.month == 1) & (tmy3.index.day == 1) & (tmy3.index.hour == 13)]["ghi"].iloc[0]
    assert from_csv.ghi[12] == pytest.approx(noon)
    miami = weather._from_file(weather.Config(id="w", model="file", file="pvlib:12839.tm2").resolved_file(), block.mid_unix_s)
    assert miami.ghi.max() > 800 and miami.temp_air.mean() > 20  # Miami: sunny and warm


def test_file_model_needs_a_file_and_bad_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="needs 'file'"):
        weather.Config(id="w", model="file")
    with pytest.raises(weather.WeatherFileError, match="does not exist"):
        weather.read_weather_file(tmp_path / "nope.epw")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(weather.WeatherFileError, match="unknown format"):
        weather.read_weather_file(tmp_path / "x.txt")
    (tmp_path / "broken.epw").write_text("LOCATION,nowhere\nrubbish\n")
    with pytest.raises(weather.WeatherFileError, match="broken.epw can't be read"):
        weather.read_weather_file(tmp_path / "broken.epw")
