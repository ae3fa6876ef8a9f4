"""A realistic example history with a known truth: ten days of a Cape Town home run by homesim's
own engine and written as a Home Assistant history export, for the guide "Your own home from
its history" (``docs/guides/own-home.md``, issue 26).

The toy files of :func:`homesim.history.render.write_examples` (a half-sine PV, no inverter) are
for the readers' tests; calibrating them gives values no homeowner would trust. This home is
the engine's: pvlib's sun and homesim's cloud model on a tilted array, an LFP battery with its
losses, a hybrid inverter with a reserve and an overnight grid-charge program, a geyser, a
kettle, an oven and a household profile, and two load-shedding slots. :data:`TRUTH` is what an import
should find; ``examples/history/README.md`` records it too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from homesim.history.render import Corruptions, Rendered, write_ha_history
from homesim.history.series import History, Quality
from homesim.history.synthetic import CAPE_TOWN, history_of, random_home
from homesim.home import home_from_dict

#: The history's first local day and its length [days].
START = dt.date(2026, 1, 5)
DAYS = 10
#: The engine's step [s] and the file's step [s] (five minutes keeps the file near 1 MB).
ENGINE_STEP_S = 60
FILE_STEP_S = 300

#: What made the history (the values an import should recover).
TRUTH: dict[str, Any] = {
    "kwp": 5.4, "tilt_deg": 28.0, "azimuth_deg": 10.0, "dc_loss_fraction": 0.14,
    "capacity_kwh": 10.0, "charge_efficiency": 0.95, "discharge_efficiency": 0.95,
    "max_battery_w": 5000.0, "inverter_w": 5000.0, "inverter_efficiency": 0.96,
    "reserve_soc": 0.25, "grid_charge": {"start": "02:00", "end": "05:00", "soc": 0.5, "power_w": 2000.0},
    "work_mode": "selling_first",
    # the household's base profile by local hour [W] (a family of four: a fridge, a pool pump 10-14 h,
    # cooking, lights and TV in the evening), besides random_home's geyser and kettle
    "hourly_w": [420, 380, 360, 350, 350, 420, 900, 1400, 1100, 700, 1300, 1300, 1300, 1300, 650, 700,
                 900, 1500, 2100, 2200, 1900, 1500, 1000, 600],
    "cloud_cover": 0.55,   # homesim's cloud model: clear days and a few cloudy ones
    "oven": [{"start": "17:30", "end": "18:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
             {"start": "12:00", "end": "14:00", "days": ["sun"]}],
    "outages": [("2026-01-08T18:00", "2026-01-08T20:30"), ("2026-01-11T06:00", "2026-01-11T08:30")],
}


def example_home() -> dict[str, Any]:
    """The home file's data behind the example: :func:`~homesim.history.synthetic.random_home`'s
    household (seed 26) with the PV, battery, inverter and grid of :data:`TRUTH`."""
    data = random_home(26, CAPE_TOWN, START)
    data["name"] = "Cape Town example home (issue 26)"
    t = TRUTH
    reserve = t["reserve_soc"]
    gc = t["grid_charge"]
    for device in data["devices"]:
        kind = device["kind"]
        if kind == "weather":
            device["mean_cloud_cover"] = [t["cloud_cover"]] * 12
        elif kind == "pv_array":
            device.update(rated_power_w=t["kwp"] * 1000.0, tilt_deg=t["tilt_deg"], azimuth_deg=t["azimuth_deg"],
                          dc_loss_fraction=t["dc_loss_fraction"])
        elif kind == "battery":
            device.update(capacity_kwh=t["capacity_kwh"], initial_soc=0.6, charge_efficiency=t["charge_efficiency"],
                          discharge_efficiency=t["discharge_efficiency"], max_charge_w=t["max_battery_w"],
                          max_discharge_w=t["max_battery_w"])
        elif kind == "inverter":
            device.update(rated_power_w=t["inverter_w"], efficiency=t["inverter_efficiency"], work_mode=t["work_mode"],
                          battery_low_soc=0.15, backup_reserve_soc=reserve,
                          programs=[{"start": gc["start"], "power_w": gc["power_w"], "soc": gc["soc"],
                                     "grid_charge": True},
                                    {"start": gc["end"], "power_w": t["inverter_w"], "soc": reserve}])
        elif device["id"] == "base":
            device["hourly_w"] = [float(w) for w in t["hourly_w"]]
        elif kind == "grid":
            device.update(export_per_kwh=1.0, outages=[{"start": a, "end": b} for a, b in t["outages"]])
    data["devices"].append({"id": "oven", "kind": "oven", "circuit": "non_essential", "rated_power_w": 2000,
                            "cooking": t["oven"]})
    return data


def _coarse(history: History, step_s: int) -> History:
    """``history`` on a coarser grid: powers the mean of each interval [W], SoC at its end."""
    k = step_s // history.step_s
    n = history.size // k
    values = {}
    for name, series in history.values.items():
        blocks = series[: n * k].reshape(n, k)
        values[name] = blocks[:, -1].copy() if name == "soc" else blocks.mean(axis=1)
    return History(history.start_s, step_s, history.timezone, values, Quality(notes=list(history.quality.notes)))


def example_history() -> History:
    """The engine's history of :func:`example_home` over :data:`DAYS`, at :data:`FILE_STEP_S`."""
    history, _ = history_of(home_from_dict(example_home()), DAYS, ENGINE_STEP_S)
    coarse = _coarse(history, FILE_STEP_S)
    coarse.values["soc"] = np.clip(coarse.values["soc"], 0.0, 1.0)
    return coarse


def write_cape_town_example(directory: Path) -> Rendered:
    """``cape_town_home_assistant.csv`` and ``.yaml`` in ``directory``: :func:`example_history`
    as Home Assistant exports it (PV in kW, import/export counters reset at local midnight, the
    battery counted positive when charging, an hour ``unavailable``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return write_ha_history(example_history(), directory / "cape_town_home_assistant.csv",
                            mapping_path=directory / "cape_town_home_assistant.yaml", kw=("pv",),
                            energy=("grid_import", "grid_export"), battery_charge_positive=True,
                            corruptions=Corruptions(resets=True, gaps=1, gap_s=3600, seed=26))
