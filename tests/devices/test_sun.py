"""Sun: position within 0.01 degrees of pvlib's SPA, clear-sky irradiance as pvlib's Ineichen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from homesim.devices import sun
from homesim.devices.solar_geometry import clear_sky, solar_position

from device_helpers import make_block

PLACES = [
    ("Cape Town", -33.93, 18.47, 40.0),
    ("Johannesburg", -26.2, 28.05, 1750.0),
    ("Berlin", 52.5, 13.4, 35.0),
    ("Kampala", 0.35, 32.6, 1190.0),
    ("Tromso", 69.6, 18.9, 10.0),
]


@pytest.mark.parametrize("name, lat, lon, alt", PLACES)
def test_position_within_0_01_degrees_of_pvlib_spa(name, lat, lon, alt):
    start = int(pd.Timestamp("2026-01-01", tz="UTC").timestamp())
    times = start + np.arange(0, 365 * 86400, 7 * 60 + 13)  # ~75,000 instants over the year
    mine = solar_position(times, lat, lon, alt)
    ref = pvlib.solarposition.get_solarposition(pd.to_datetime(times, unit="s", utc=True), lat, lon, alt,
                                                method="nrel_numpy")
    assert np.abs(mine.zenith - ref["zenith"].to_numpy()).max() < 0.01
    assert np.abs(mine.apparent_zenith - ref["apparent_zenith"].to_numpy()).max() < 0.01
    up = (ref["elevation"].to_numpy() > -5) & (ref["zenith"].to_numpy() > 0.5)
    azimuth_error = (mine.azimuth - ref["azimuth"].to_numpy() + 180) % 360 - 180
    assert np.abs(azimuth_error[up]).max() < 0.01


def test_same_input_same_bits_and_slices_agree():
    times = 1_767_225_600 + np.arange(0, 10 * 86400, 60)
    a = solar_position(times, -33.93, 18.47, 40.0)
    b = solar_position(times, -33.93, 18.47, 40.0)
    np.testing.assert_array_equal(a.apparent_zenith, b.apparent_zenith)
    part = solar_position(times[5000:6000], -33.93, 18.47, 40.0)
    np.testing.assert_allclose(part.azimuth, a.azimuth[5000:6000], atol=1e-6)


def test_clear_sky_matches_pvlib_ineichen():
    times = pd.date_range("2026-01-05", periods=24 * 12, freq="5min", tz="UTC")
    location = pvlib.location.Location(-26.2, 28.05, "UTC", 1750.0)
    ref = location.get_clearsky(times, model="ineichen", linke_turbidity=3.0)
    unix = times.as_unit("s").asi8.astype(np.int64)
    position = solar_position(unix, -26.2, 28.05, 1750.0)
    mine = clear_sky(position.apparent_zenith, pvlib.irradiance.get_extra_radiation(times).to_numpy(), 1750.0, 3.0)
    for key in ("ghi", "dni", "dhi"):
        np.testing.assert_allclose(getattr(mine, key), ref[key].to_numpy(), atol=0.5)
    night = position.apparent_zenith >= 90
    assert night.any() and (mine.ghi[night] == 0).all() and (mine.ghi >= 0).all()


def test_the_sun_device_fills_the_block_at_tick_middles():
    block = make_block(dt_s=3600)
    sun.Config(id="sun", linke_turbidity=2.5).fill_block(block)
    position, sky = block.values["sun"], block.values["clear_sky"]
    expected = solar_position(block.unix_s + 1800, block.latitude, block.longitude, block.altitude)
    np.testing.assert_array_equal(position.zenith, expected.zenith)
    noon = int(np.argmin(position.zenith))
    assert 11 <= noon <= 14 and sky.ghi[noon] > 900  # Cape Town, January
    assert sky.ghi[0] == 0  # midnight


def test_standard_atmosphere_pressure_is_pvlibs_alt2pres_to_the_last_bit():
    import pvlib

    from homesim.devices.solar_geometry import alt2pres

    for altitude in (-120.0, 0.0, 12.5, 1500.0, 4321.0):
        assert alt2pres(altitude) == pvlib.atmosphere.alt2pres(altitude)


def test_the_sun_is_computed_without_importing_the_pvlib_package():
    """SPA's module is loaded from pvlib's file alone: no pvlib package, pandas or SciPy in a sun
    process; its plain-Python kernels give the compiled positions here to a few units in the last
    place (numba's and numpy's transcendental functions round a few ulps apart; measured: 8)."""
    import json
    import os
    import subprocess
    import sys

    import numpy as np

    from conftest import ROOT
    from homesim.devices.solar_geometry import solar_position

    script = ("import sys, json, numpy as np\n"
              "from homesim.devices.solar_geometry import solar_position\n"
              "p = solar_position(np.arange(1767225600, 1767225600 + 86400, 60), -33.9, 18.4, 10.0)\n"
              "print(json.dumps({'zenith': p.apparent_zenith.tolist(), 'azimuth': p.azimuth.tolist(),\n"
              "  'heavy': [m for m in ('pvlib', 'pandas', 'scipy', 'numba') if m in sys.modules]}))\n")
    env = {**os.environ, "HOMESIM_JIT": "0", "PYTHONPATH": str(ROOT / "services")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout)
    assert there["heavy"] == []
    here = solar_position(np.arange(1767225600, 1767225600 + 86400, 60), -33.9, 18.4, 10.0)
    for plain, compiled in ((there["zenith"], here.apparent_zenith), (there["azimuth"], here.azimuth)):
        assert np.all(np.abs(np.asarray(plain) - compiled) <= 16 * np.spacing(np.abs(compiled)))
