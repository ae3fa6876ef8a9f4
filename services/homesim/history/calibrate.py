"""Calibrate a twin of a home from its measured history (issue 26).

:func:`calibrate` takes a :class:`~homesim.history.series.History` and the home's
:class:`~homesim.home.model.Location` and returns a :class:`Calibration`: a complete home
file's data whose ``simulate`` over the measured period replays the history, the files it
refers to (the measured load, its typical week, the weather the PV saw), every fitted
parameter with its unit, method and uncertainty, and notes on what could not be fitted.

The fits, each in its module (methods and equations: docs/engineering/calibration.md):

- :mod:`homesim.history.fit_pv`: the sun check, orientation, kWp and derate;
- :mod:`homesim.history.fit_battery`: usable capacity, round-trip efficiency, powers;
- :mod:`homesim.history.fit_settings`: SoC floors, grid-charge windows, work mode, the
  inverter's rating and efficiency;
- :mod:`homesim.history.fit_outages`: grid outages the battery went below its floor in;
- :mod:`homesim.history.fit_load`: the load replayed, and its typical week by month;
- :mod:`homesim.history.replay_weather`: the weather file the replay's PV runs on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from homesim.history import fit_load, fit_pv, replay_weather
from homesim.history.fit_battery import fit_battery
from homesim.history.fit_outages import find_outages
from homesim.history.fit_settings import fit_settings, local_hours
from homesim.history.series import History, HistoryError
from homesim.home import HomeFileError, Location, home_from_dict

#: Files the calibrated home refers to (relative to the home file).
LOAD_SERIES = "calibrated/load_measured.csv"
LOAD_WEEK = "calibrated/load_typical_week.csv"
WEATHER = "calibrated/weather_replay.csv"

#: Facts ``given`` may fix, with their units.
GIVEN = {"kwp": "kWp", "tilt_deg": "degrees", "azimuth_deg": "degrees", "dc_loss_fraction": "0..1",
         "capacity_kwh": "kWh", "round_trip_efficiency": "0..1", "inverter_rated_w": "W"}


@dataclass
class Calibration:
    """A calibrated twin: ``home`` (a home file's data), ``files`` (relative path -> text of
    the files it refers to), ``fitted`` (parameter -> ``{"value", "unit", "method",
    "uncertainty", ...}``), ``notes`` (what could not be fitted and why) and ``period`` (the
    measured period: ``start`` date, ``days`` to simulate, ``first_s``/``end_s`` [s since
    1970 UTC] of the data)."""

    home: dict[str, Any]
    files: dict[str, str]
    fitted: dict[str, Any]
    notes: list[str]
    period: dict[str, Any] = field(default_factory=dict)

    def write(self, folder: Path, name: str = "home.yaml") -> Path:
        """Write the home file and its files under ``folder``; the home file's path."""
        folder.mkdir(parents=True, exist_ok=True)
        for relative, text in self.files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        home = folder / name
        home.write_text(yaml.safe_dump(self.home, sort_keys=False))
        return home


def _check_given(given: dict[str, Any]) -> dict[str, float]:
    unknown = sorted(set(given) - set(GIVEN))
    if unknown:
        raise HistoryError(f"given: {', '.join(unknown)} can't be given; allowed: {', '.join(GIVEN)}")
    out = {}
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise HistoryError(f"given: {key} {value!r} is not allowed: must be a number [{GIVEN[key]}]")
        out[key] = float(value)
    return out


def calibrate(history: History, location: Location, *, weather: Path | None = None,
              given: dict | None = None) -> Calibration:
    """A calibrated twin of the home that made ``history`` (see the module docstring).

    Parameters
    ----------
    history : History
        The measured history (mean powers [W], SoC [0..1], NaN where unknown).
    location : Location
        Where the home is (its time zone: local time of schedules and program slots).
    weather : Path, optional
        A TMY3/TMY2/EPW file of the site: the PV's derate is fitted against it and the replay's
        weather falls back on it outside the measured period. None: homesim's clear sky.
    given : dict, optional
        Known facts, not fitted: ``kwp`` [kWp], ``tilt_deg``, ``azimuth_deg`` [degrees],
        ``dc_loss_fraction`` [0..1], ``capacity_kwh`` [kWh], ``round_trip_efficiency`` [0..1],
        ``inverter_rated_w`` [W].

    Raises
    ------
    HistoryError
        A history that can't be calibrated (shorter than a day, no data, a PV whose sun is not
        this location's), or a bad ``given``; the message says which and why.
    """
    facts = _check_given(dict(given or {}))
    if history.size == 0 or not history.values:
        raise HistoryError("the history is empty: nothing to calibrate")
    span_s = history.size * history.step_s
    if span_s < 86_400:
        raise HistoryError(f"the history covers {span_s / 3600:.1f} h: at least a day is needed to calibrate")
    load = history.values.get("load_w")
    if load is None or not np.isfinite(load).any():
        raise HistoryError("the history has no load (load_w): the household's consumption is needed")
    loc = location.model_dump(mode="json")
    notes: list[str] = []
    if location.timezone != history.timezone:
        notes.append(f"the history's time zone {history.timezone} differs from the location's {location.timezone}: "
                     "the location's is used for the home's schedules")
        history = History(history.start_s, history.step_s, location.timezone, history.values, history.quality)
    start, t0 = fit_pv.start_of(history)
    end_s = history.start_s + span_s
    days = int(math.ceil((end_s - t0) / 86_400))
    fitted: dict[str, Any] = {}
    files: dict[str, str] = {}

    pv_devices, weather_device = _pv(history, loc, start, t0, days, weather, facts, fitted, files, notes)
    battery, inverter = _storage(history, facts, fitted, notes)
    loads = _load(history, load, fitted, files)

    devices: list[dict[str, Any]] = [{"id": "sun", "kind": "sun"}, weather_device, *pv_devices]
    if battery is not None:
        devices.append(battery)
    devices.append(inverter)
    outages: list[dict[str, Any]] = []
    if battery is not None:
        outages, fitted["grid.outages"] = find_outages(history, fitted["inverter.floors_by_hour"]["value"],
                                                       local_hours(history)[0])
    devices.append({"id": "grid", "kind": "grid",
                    **({"export_per_kwh": 0.0} if inverter["work_mode"] == "selling_first" else {}),
                    **({"outages": outages} if outages else {})})
    devices.extend(loads)
    home = {"name": "Calibrated home", "location": loc, "start": start.isoformat(), "devices": devices}
    try:
        home_from_dict(home)
    except HomeFileError as error:  # a fit out of a device's range: say which
        raise HistoryError(f"the calibrated home does not validate (a fitted value out of range): {error}") from None
    period = {"start": start.isoformat(), "days": days, "first_s": int(history.start_s), "end_s": int(end_s)}
    return Calibration(home, files, fitted, notes, period)


def _pv(history: History, loc: dict[str, Any], start: dt.date, t0: int, days: int, weather: Path | None,
        facts: dict[str, float], fitted: dict[str, Any], files: dict[str, str],
        notes: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The PV array(s) and the weather device of the calibrated home."""
    pv = history.values.get("pv_w")
    fallback = ({"id": "weather", "kind": "weather", "model": "file", "file": str(weather)} if weather is not None
                else {"id": "weather", "kind": "weather"})
    if pv is None or not np.isfinite(pv).any() or np.nansum(pv) <= 0.0:
        notes.append("no PV in the data (pv_w missing or 0): the home has no PV array")
        return [], fallback
    if history.step_s > 3600 or 3600 % history.step_s and history.step_s % fit_pv.BIN_S:
        raise HistoryError(f"the history's step is {history.step_s} s: the PV fits need a step that divides an hour "
                           "(60, 300, 900, 3600 s...); read it again with a finer step")
    model = fit_pv.pv_model(loc, start, days, max(fit_pv.BIN_S, history.step_s), model_dt_s=fit_pv.BIN_S)
    n = model.n
    all_pv = fit_pv.binned(history, t0, model.dt_s, n, pv)
    suspect = fit_pv.curtailment_suspect(history)
    clean = fit_pv.binned(history, t0, model.dt_s, n, np.where(suspect, np.nan, pv))
    fitted["sun_check"] = {"value": fit_pv.check_sun(all_pv, model, loc, history.timezone),
                           "unit": "h", "method": "the middle of the PV's day (first to last light) against solar "
                           "noon; PV share with the sun down", "uncertainty": None}
    daylight = np.nan_to_num(pv) > 10.0
    share = float(suspect[daylight].mean()) if daylight.any() else 0.0
    fitted["pv_curtailment_suspect_share"] = {"value": share, "unit": "0..1", "method": "share of daylight samples "
                                              "where PV may have been curtailed (left out of the PV fits)",
                                              "uncertainty": None}
    if share > 0.5:
        notes.append(f"PV: {100 * share:.0f} % of daylight samples may be curtailed (the battery full or charging at "
                     "its most, nothing exported): the PV's size and orientation rest on the rest and may be off "
                     "(on a synthetic home with 70 % curtailed, kWp came out 16 % low); give kwp, tilt_deg and "
                     "azimuth_deg if you know them")
    southern = loc["latitude"] < 0
    orientation = fit_pv.fit_orientation(model, clean, facts.get("tilt_deg"), facts.get("azimuth_deg"), southern,
                                         removed=np.isfinite(all_pv) & ~np.isfinite(clean))
    tilt, azimuth = orientation["tilt_deg"], orientation["azimuth_deg"]
    for key in ("tilt_deg", "azimuth_deg"):
        if key in facts:
            fitted[key] = {"value": facts[key], "unit": "degrees", "method": "given", "uncertainty": None}
        else:
            fitted[key] = {"value": orientation[key], "unit": "degrees",
                           "method": "grid search against clear-day envelopes of homesim's clear-sky PV model",
                           "uncertainty": f"envelope spread {orientation['spread']:.3f}"}
    if weather is not None:
        weather_model = fit_pv.pv_model(loc, start, days, model.dt_s, weather=weather, model_dt_s=fit_pv.BIN_S)
        k, error = fit_pv.scale_from_weather(weather_model.power(tilt, azimuth), clean)
        method = f"measured / modelled PV energy under the weather file {Path(weather).name}"
        quality = f"relative RMS error per {model.dt_s // 60} min {error:.2f}"
    else:
        k = orientation["k_w_per_kw"]
        method = "median ratio of clear-day envelopes to homesim's clear-sky model"
        quality = f"envelope spread {orientation['spread']:.3f}"
    for key in ("kwp", "dc_loss_fraction"):
        if key in facts:
            fitted[key] = {"value": facts[key], "unit": GIVEN[key], "method": "given", "uncertainty": None}
    if "kwp" in facts and "dc_loss_fraction" in facts:
        kwp, loss = facts["kwp"], facts["dc_loss_fraction"]
        notes.append("kWp and derate both given: neither fitted")
    elif "kwp" in facts:
        kwp, loss = facts["kwp"], 1.0 - k / facts["kwp"]
        fitted["dc_loss_fraction"] = {"value": loss, "unit": "0..1", "method": method + " (kWp given)",
                                      "uncertainty": quality}
        if not 0.0 <= loss < 0.6:
            notes.append(f"the derate fitted with kWp {facts['kwp']:g} given is {loss:.2f}, outside 0..0.6: is the "
                         "kWp right, and is PV measured as DC? clamped")
            loss = min(max(loss, 0.0), 0.59)
    else:
        loss = facts.get("dc_loss_fraction", fit_pv.DEFAULT_DC_LOSS)
        kwp = k / (1.0 - loss)
        fitted["kwp"] = {"value": kwp, "unit": "kWp", "method": method + f", with DC losses {loss:g}",
                         "uncertainty": quality}
        if "dc_loss_fraction" not in facts:
            notes.append(f"PV: the data hold kWp x (1 - losses) only; kWp fitted with PVWatts' default losses "
                         f"{fit_pv.DEFAULT_DC_LOSS} (give kwp to fit the derate instead)")
    fitted["pv_scale_w_per_kw"] = {"value": k, "unit": "W", "method": method, "uncertainty": quality}
    array = {"id": "pv", "kind": "pv_array", "rated_power_w": round(kwp * 1000.0, 1), "tilt_deg": tilt,
             "azimuth_deg": azimuth, "dc_loss_fraction": round(loss, 4)}
    weather_device, text, weather_notes = replay_weather.derive(history, loc, start, t0, days, array, clean,
                                                                model.dt_s, weather)
    notes.extend(weather_notes)
    if text is not None:
        files[WEATHER] = text
        weather_device["file"] = WEATHER
    return [array], weather_device


def _storage(history: History, facts: dict[str, float], fitted: dict[str, Any],
             notes: list[str]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The battery (or None) and the inverter of the calibrated home."""
    found, battery_notes = fit_battery(history)
    notes.extend(battery_notes)
    battery = None
    charge_w = discharge_w = None
    if found is not None:
        fitted.update({f"battery.{k}": v for k, v in found.items()})
        for key in ("capacity_kwh", "round_trip_efficiency"):
            if key in facts:  # what the data say stays beside it
                seen = found.get(key, {}).get("value")
                fitted[f"battery.{key}"] = {"value": facts[key], "unit": GIVEN[key], "method": "given",
                                            "uncertainty": None, "fitted": seen}
        capacity = facts.get("capacity_kwh", found.get("capacity_kwh", {}).get("value", 10.0))
        rte = facts.get("round_trip_efficiency", found.get("round_trip_efficiency", {}).get("value", 0.94))
        rte = min(max(rte, 0.6), 1.0)
        eta = round(math.sqrt(rte), 4)
        charge_w = found.get("max_charge_w", {}).get("value", 5000.0)
        discharge_w = found.get("max_discharge_w", {}).get("value", 5000.0)
        low, high = found.get("soc_seen", {}).get("value", [0.1, 1.0])
        ceiling = found.get("soc_ceiling", {}).get("value")
        soc_max = 1.0 if ceiling is None or ceiling >= 0.985 else round(min(1.0, ceiling + 0.005), 3)
        soc_min = round(max(0.0, min(low - 0.01, 0.05)), 3)
        soc = history.values.get("soc")
        first = soc[np.isfinite(soc)][0] if soc is not None and np.isfinite(soc).any() else 0.5
        battery = {"id": "battery", "kind": "battery", "capacity_kwh": round(capacity, 3), "soc_min": soc_min,
                   "soc_max": soc_max, "initial_soc": round(min(max(float(first), soc_min), soc_max), 4),
                   "max_charge_w": round(max(charge_w, 100.0), 1), "max_discharge_w": round(max(discharge_w, 100.0), 1),
                   "charge_efficiency": eta, "discharge_efficiency": eta}
    settings, setting_notes = fit_settings(history, charge_w, discharge_w)
    notes.extend(setting_notes)
    fitted.update({f"inverter.{k}": v for k, v in settings.items()})
    rated = facts.get("inverter_rated_w", settings["rated_power_w"]["value"])
    inverter: dict[str, Any] = {"id": "inverter", "kind": "inverter", "rated_power_w": rated,
                                "efficiency": settings["efficiency"]["value"],
                                "work_mode": settings["work_mode"]["value"]}
    if battery is not None and "reserve_soc" in settings:
        reserve = max(settings["reserve_soc"]["value"], battery["soc_min"])
        shutdown = min(0.1, reserve)
        low = min(0.2, reserve)
        inverter.update(battery_shutdown_soc=round(shutdown, 3), battery_low_soc=round(low, 3),
                        battery_restart_soc=round(max(0.3, low), 3), backup_reserve_soc=round(reserve, 3),
                        programs=settings["programs"]["value"])
    return battery, inverter


def _load(history: History, load: np.ndarray, fitted: dict[str, Any], files: dict[str, str]) -> list[dict[str, Any]]:
    """The household's load: measured over the period, its typical week outside it."""
    table = fit_load.typical_week(history, load)
    unix, power, step = fit_load.replay_series(history, load, table)
    files[LOAD_SERIES] = fit_load.series_csv(unix, power)
    files[LOAD_WEEK] = fit_load.typical_week_csv(table)
    fitted["load.typical_week"] = {"value": LOAD_WEEK, "unit": "W", "method": "mean load by local month, weekday "
                                   "and hour", "uncertainty": f"{int(np.isfinite(load).sum())} samples"}
    fitted["load.replay"] = {"value": LOAD_SERIES, "unit": "W", "method": f"the measured load at {step} s, gaps "
                             "from the typical week", "uncertainty": None}
    return [{"id": "household", "kind": "generic_load", "profile_csv": LOAD_SERIES, "typical_week_csv": LOAD_WEEK}]
