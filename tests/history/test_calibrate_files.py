"""Calibration end to end through the files people have: a synthetic home's history (known
truth) written as a wide CSV and as a Home Assistant export with the corruptions of real logs
(homesim.history.render: noise, gaps, duplicates, rows out of order, naive local times across a
DST change, energy counters that reset at midnight, spikes, a kW column under a W header from
mid-file, text cells), read back (homesim.history.readers.read_history) and calibrated."""

from __future__ import annotations

import datetime as dt

import pytest

from homesim.history.calibrate import calibrate
from homesim.history.readers import read_history
from homesim.history.render import Corruptions, write_ha_history, write_wide
from homesim.history.synthetic import history_of, monthly_kwh, synthetic_history
from homesim.home import Location, load_home

#: Berlin across the spring clock change (29 March 2026).
BERLIN = {"latitude": 52.52, "longitude": 13.40, "altitude_m": 34.0, "timezone": "Europe/Berlin"}
ROUGH = Corruptions(noise_w=15.0, gaps=4, duplicates=30, out_of_order=30, naive_local=True, resets=True,
                    spikes=5, unit_mistake="pv", unit_switch=True, text=10, seed=3)


@pytest.fixture(scope="module")
def home():
    return synthetic_history(11, days=28, start=dt.date(2026, 3, 22), location=BERLIN)


def _calibrated(home, tmp_path, writer, **options):
    rendered = writer(home.history, tmp_path / "history.csv", corruptions=ROUGH, **options)
    history = read_history([rendered.path], timezone=BERLIN["timezone"], mapping=rendered.mapping, step_s=60)
    calibration = calibrate(history, Location(**BERLIN))
    replay, _ = history_of(load_home(calibration.write(tmp_path / "out")), calibration.period["days"], 60)
    return history, calibration, replay


@pytest.mark.parametrize("writer, options", [(write_wide, {"energy": ("grid_import", "grid_export")}),
                                             (write_ha_history, {})], ids=["wide_csv", "home_assistant"])
def test_a_rough_history_file_calibrates_within_the_targets(home, tmp_path, writer, options):
    history, calibration, replay = _calibrated(home, tmp_path, writer, **options)
    truth, fitted = home.truth, calibration.fitted
    assert history.quality.problems  # the corruptions were found and counted
    assert fitted["battery.capacity_kwh"]["value"] == pytest.approx(truth["capacity_kwh"], rel=0.05)
    assert fitted["battery.round_trip_efficiency"]["value"] == pytest.approx(truth["round_trip_efficiency"], abs=0.03)
    assert fitted["kwp"]["value"] == pytest.approx(truth["kwp"], rel=0.05)
    measured, replayed = monthly_kwh(home.history, "grid_import_w"), monthly_kwh(replay, "grid_import_w")
    assert sum(replayed.values()) == pytest.approx(sum(measured.values()), rel=0.05)
    for month, kwh in measured.items():
        if kwh >= 50.0:
            assert replayed[month] == pytest.approx(kwh, rel=0.05), month
