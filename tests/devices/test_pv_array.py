"""PV array: ratings, and annual AC energy within 1 % of pvlib's ModelChain (PVWatts) on a TMY file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from homesim.devices import pv_array
from homesim.engine.fastforward import simulate
from homesim.home import home_from_dict

TMY3 = "723170TYA.CSV"  # Greensboro NC, ships with pvlib


def test_rating_from_vmp_and_imp():
    assert pv_array.Config(id="pv", modules=10, module_vmp_v=41.7, module_imp_a=13.19).rated_w() == pytest.approx(5500.23)


def test_rating_from_module_power_and_directly():
    assert pv_array.Config(id="pv", modules=8, module_power_w=450).rated_w() == 3600
    assert pv_array.Config(id="pv", rated_power_w=1234).rated_w() == 1234


def test_rating_from_the_cec_database():
    config = pv_array.Config(id="pv", modules=10, module="Canadian_Solar_Inc__CS5P_220M")
    assert config.rated_w() == pytest.approx(10 * 46.9 * 4.69)
    assert config.gamma_pdc() == pytest.approx(-0.00476)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "give the rating one way"),
        ({"rated_power_w": 100, "module_power_w": 10}, "give the rating one way"),
        ({"module_vmp_v": 40}, "go together"),
        ({"module": "No_Such_Module"}, "not in pvlib's CEC module database"),
    ],
)
def test_bad_ratings_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        pv_array.Config(id="pv", **fields)


def tmy_home(transposition="perez"):
    _, meta = pvlib.iotools.read_tmy3(pvlib.__path__[0] + "/data/" + TMY3, map_variables=True)
    return home_from_dict({
        "name": "Greensboro",
        "location": {"latitude": meta["latitude"], "longitude": meta["longitude"], "altitude_m": meta["altitude"],
                     "timezone": "Etc/GMT+5"},  # the file's standard time, UTC-5
        "start": "2026-01-01",
        "devices": [
            {"id": "sun", "kind": "sun"},
            {"id": "weather", "kind": "weather", "model": "file", "file": f"pvlib:{TMY3}"},
            {"id": "pv", "kind": "pv_array", "rated_power_w": 4000, "tilt_deg": 30, "azimuth_deg": 180,
             "gamma_pdc_per_k": -0.0037, "transposition": transposition},
            {"id": "inverter", "kind": "inverter", "rated_power_w": 3500, "work_mode": "selling_first",
             "efficiency": {"curve": "pvwatts", "nominal": 0.96}},
            {"id": "grid", "kind": "grid"},
        ],
    }), meta


def modelchain_ac_wh(meta, transposition="perez"):
    data, _ = pvlib.iotools.read_tmy3(pvlib.__path__[0] + "/data/" + TMY3, map_variables=True, coerce_year=2026)
    # Hour-ending averages: evaluate at the middle of each hour, as homesim does.
    index = data.index - pd.Timedelta(minutes=30)
    index = index.where(index.year == 2026, index + pd.DateOffset(years=1))
    weather = data[["ghi", "dni", "dhi", "temp_air", "wind_speed"]].set_axis(index).sort_index()
    location = pvlib.location.Location(meta["latitude"], meta["longitude"], "Etc/GMT+5", meta["altitude"])
    system = pvlib.pvsystem.PVSystem(
        surface_tilt=30, surface_azimuth=180,
        module_parameters={"pdc0": 4000, "gamma_pdc": -0.0037},
        inverter_parameters={"pdc0": 3500 / 0.96, "eta_inv_nom": 0.96},
        temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"],
        albedo=0.25,
    )
    chain = pvlib.modelchain.ModelChain.with_pvwatts(system, location, transposition_model=transposition)
    chain.run_model(weather)
    return float(chain.results.ac.clip(lower=0).sum())  # W over 1 h steps = Wh


@pytest.mark.parametrize("transposition", ["perez", "haydavies"])
def test_annual_ac_energy_within_1_percent_of_pvlib_modelchain(transposition):
    home, meta = tmy_home(transposition)
    ledger = simulate(home, days=365, dt_s=3600)
    ledger.check()
    exported_wh = -ledger.table["e.grid"].clip(upper=0).sum() / 3600
    reference_wh = modelchain_ac_wh(meta, transposition)
    assert reference_wh > 4_000_000  # a 4 kWp array in North Carolina: ~5-6 MWh a year
    assert exported_wh == pytest.approx(reference_wh, rel=0.01)


def test_pv_is_zero_without_sun_and_when_switched_off():
    home, _ = tmy_home()
    ledger = simulate(home, days=2, dt_s=600)
    local = ledger.table["time"].dt.tz_convert("Etc/GMT+5")
    assert ledger.table.loc[(local.dt.hour < 5) | (local.dt.hour >= 20), "e.pv"].sum() == 0
    from homesim.home import with_changes

    off = simulate(with_changes(home, {"pv.enabled": False}), days=2, dt_s=600)
    assert off.table["e.pv"].sum() == 0 and np.all(off.table["curtailed_j"] == 0)


def test_the_sapm_mount_parameters_written_here_are_pvlibs():
    import pvlib

    from homesim.devices.pv_array import SAPM_MOUNTS

    assert SAPM_MOUNTS == pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
