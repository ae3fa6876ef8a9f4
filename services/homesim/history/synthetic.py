"""Histories with a known truth: a home drawn at random, run by homesim's own engine, its
ledger turned into a :class:`~homesim.history.series.History`.

Calibration (:mod:`homesim.history.calibrate`) is tested on these: the home that made the
history is known, so every fitted parameter can be compared with the value it should recover
(:func:`synthetic_history` returns both). :func:`random_home` draws a home file's data over
realistic ranges from a seed: PV rating and orientation, battery capacity and efficiencies,
inverter floors, grid-charge windows and work mode, and a household's loads.

Everything here is deterministic in its seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices.base import J_PER_KWH
from homesim.engine.compiled import CompiledHome
from homesim.engine.exogenous import block_count, block_ticks, horizon_ticks
from homesim.engine.fastforward import step
from homesim.history.series import History, Quality
from homesim.home import Home, home_from_dict

#: Where a random home is by default: Cape Town (the reference home's city).
CAPE_TOWN = {"latitude": -33.93, "longitude": 18.47, "altitude_m": 40.0, "timezone": "Africa/Johannesburg"}


def _hhmm(hour: float) -> str:
    minutes = int(round(hour * 60)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def random_home(seed: int, location: dict[str, Any] | None = None, start: dt.date = dt.date(2026, 1, 5),
                weather_file: str | None = None) -> dict[str, Any]:
    """A home file's data drawn from ``seed`` over realistic ranges.

    PV 2-10 kWp, tilt 5-40 degrees, facing the equator +-80 degrees; an LFP battery of 5-20
    kWh with charge and discharge efficiencies 0.92-0.98 each, 2.5-6 kW; a hybrid inverter
    with a backup reserve 0.15-0.4, in half the homes a night grid-charge window to 0.4-0.7,
    exporting (``selling_first``) or not (``limited_to_home``); loads: a base profile by hour
    (150-400 W base, morning and evening peaks), a 3 kW geyser on timers, a kettle. The
    weather is homesim's cloud model with a monthly cover of 0.15-0.5 (or ``weather_file``).
    """
    rng = np.random.default_rng(seed)
    where = dict(location or CAPE_TOWN)
    south = where["latitude"] < 0
    facing = (0.0 if south else 180.0) + rng.uniform(-80.0, 80.0)
    kwp = round(float(rng.uniform(2.0, 10.0)), 2)
    capacity = round(float(rng.uniform(5.0, 20.0)), 2)
    max_w = round(float(rng.uniform(2500.0, 6000.0)), -1)
    reserve = round(float(rng.uniform(0.15, 0.4)), 2)
    grid_charge = bool(rng.random() < 0.5)
    exports = bool(rng.random() < 0.5)
    base = float(rng.uniform(150.0, 400.0))
    hours = np.arange(24)
    morning = rng.uniform(300.0, 900.0) * np.exp(-0.5 * ((hours - rng.uniform(6.0, 8.0)) / 1.0) ** 2)
    evening = rng.uniform(500.0, 1500.0) * np.exp(-0.5 * ((hours - rng.uniform(18.0, 20.0)) / 1.5) ** 2)
    hourly = [round(float(v), 1) for v in base + morning + evening]
    programs = []
    if grid_charge:
        begin, end = int(rng.integers(0, 3)), int(rng.integers(4, 6))
        target = round(float(rng.uniform(0.4, 0.7)), 2)
        programs = [{"start": _hhmm(begin), "power_w": round(float(rng.uniform(1500.0, 3000.0)), -1),
                     "soc": target, "grid_charge": True},
                    {"start": _hhmm(end), "power_w": max_w, "soc": reserve}]
    weather: dict[str, Any] = {"id": "weather", "kind": "weather"}
    if weather_file is not None:
        weather.update(model="file", file=weather_file)
    else:
        weather["mean_cloud_cover"] = [round(float(v), 2) for v in rng.uniform(0.15, 0.5, 12)]
    inverter = {"id": "inverter", "kind": "inverter", "rated_power_w": max(5000.0, round(kwp * 1000.0, -2)),
                "efficiency": round(float(rng.uniform(0.94, 0.975)), 3),
                "work_mode": "selling_first" if exports else "limited_to_home",
                "battery_shutdown_soc": 0.1, "battery_low_soc": min(0.15, reserve), "battery_restart_soc": 0.3,
                "backup_reserve_soc": reserve, "programs": programs}
    return {
        "name": f"Random home {seed}",
        "location": where,
        "start": start.isoformat(),
        "seed": int(seed) % 2**32,
        "devices": [
            {"id": "sun", "kind": "sun"},
            weather,
            {"id": "pv", "kind": "pv_array", "rated_power_w": kwp * 1000.0, "tilt_deg": round(float(rng.uniform(5, 40)), 1),
             "azimuth_deg": round(facing % 360.0, 1)},
            {"id": "battery", "kind": "battery", "capacity_kwh": capacity, "soc_min": 0.05,
             "initial_soc": round(float(rng.uniform(0.4, 0.9)), 2), "max_charge_w": max_w, "max_discharge_w": max_w,
             "charge_efficiency": round(float(rng.uniform(0.92, 0.98)), 3),
             "discharge_efficiency": round(float(rng.uniform(0.92, 0.98)), 3)},
            inverter,
            {"id": "grid", "kind": "grid", "import_tariff": {"flat_per_kwh": 3.0},
             "export_per_kwh": 1.0 if exports else 0.0},
            {"id": "base", "kind": "generic_load", "hourly_w": hourly},
            {"id": "geyser", "kind": "geyser", "circuit": "non_essential", "element_w": 3000, "tank_l": 150,
             "setpoint_c": 60, "draw_l_per_day": round(float(rng.uniform(60.0, 180.0)), 0),
             "switch": {"timers": [{"start": "04:00", "end": "06:00"}, {"start": "11:00", "end": "15:00"}]}},
            {"id": "kettle", "kind": "kettle", "power_w": 2200},
        ],
    }


@dataclass
class Synthetic:
    """A history and the truth of the home that made it."""

    history: History
    truth: dict[str, Any]
    home: dict[str, Any]


def history_of(home: Home, days: float, dt_s: int = 60) -> tuple[History, dict[str, np.ndarray]]:
    """The engine's ledger of ``home`` over ``days`` at ``dt_s`` as a :class:`History`
    (PV: the DC energy used, as an inverter reports its PV power), and the raw per-tick
    arrays [J] (``grid_import``, ``grid_export``, ``curtailed``)."""
    compiled = CompiledHome(home, dt_s)
    total = horizon_ticks(days, dt_s)
    blocks = (compiled.exogenous(i, block_ticks(i, total)) for i in range(block_count(total)))
    arrays = step(compiled, blocks, total)
    values = {
        "pv_w": arrays.pv_used.sum(axis=1) / dt_s,
        "load_w": arrays.served.sum(axis=1) / dt_s,
        "grid_import_w": arrays.grid_import / dt_s,
        "grid_export_w": arrays.grid_export / dt_s,
        "battery_w": arrays.battery / dt_s,
        "soc": arrays.soc.copy(),
    }
    values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    history = History(compiled.start_unix_s, dt_s, home.location.timezone, values,
                      Quality(notes=[f"synthetic: {home.name}, {days:g} days at {dt_s} s from homesim's engine"]))
    raw = {"grid_import": arrays.grid_import, "grid_export": arrays.grid_export, "curtailed": arrays.curtailed}
    return history, raw


def monthly_kwh(history: History, quantity: str) -> dict[str, float]:
    """Energy of a power quantity by local month ``YYYY-MM`` [kWh] (gaps count as 0)."""
    zone = ZoneInfo(history.timezone)
    unix = history.unix_s
    values = np.nan_to_num(history.values[quantity]) * history.step_s / J_PER_KWH
    # the month of each sample, from the months' local starts
    first = dt.datetime.fromtimestamp(int(unix[0]), zone)
    last = dt.datetime.fromtimestamp(int(unix[-1]), zone)
    starts, labels = [], []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        starts.append(int(dt.datetime(year, month, 1, tzinfo=zone).timestamp()))
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    index = np.searchsorted(np.array(starts), unix, side="right") - 1
    sums = np.bincount(np.maximum(index, 0), weights=values, minlength=len(labels))
    return {label: float(total) for label, total in zip(labels, sums)}


def truth_of(data: dict[str, Any], history: History) -> dict[str, Any]:
    """What calibration should recover of the home ``data`` that made ``history``."""
    home = home_from_dict(data)
    pv = home.pv_arrays[0]
    battery = home.battery
    inverter = home.inverter
    windows = []
    slots = sorted(inverter.programs, key=lambda s: s.start)
    for i, slot in enumerate(slots):
        if slot.grid_charge:
            end = slots[(i + 1) % len(slots)].start
            windows.append({"start": str(slot.start)[:5], "end": str(end)[:5], "soc": slot.soc})
    floors = [max(s.soc, inverter.backup_reserve_soc, inverter.battery_low_soc) for s in slots] or [
        max(inverter.backup_reserve_soc, inverter.battery_low_soc)]
    return {
        "kwp": pv.rated_w() / 1000.0,
        "tilt_deg": pv.tilt_deg,
        "azimuth_deg": pv.azimuth_deg,
        "dc_loss_fraction": pv.dc_loss_fraction,
        "capacity_kwh": battery.capacity_kwh,
        "usable_kwh": battery.capacity_kwh * (battery.soc_max - battery.soc_min),
        "charge_efficiency": battery.charge_efficiency,
        "discharge_efficiency": battery.discharge_efficiency,
        "round_trip_efficiency": battery.charge_efficiency * battery.discharge_efficiency,
        "max_charge_w": battery.max_charge_w,
        "max_discharge_w": battery.max_discharge_w,
        "reserve_soc": inverter.backup_reserve_soc,
        "floor_soc": min(floors),
        "grid_charge_windows": windows,
        "work_mode": inverter.work_mode,
        "exports": inverter.work_mode == "selling_first",
        "monthly_import_kwh": monthly_kwh(history, "grid_import_w"),
        "monthly_load_kwh": monthly_kwh(history, "load_w"),
    }


def synthetic_history(seed: int, days: float = 28, dt_s: int = 60, location: dict[str, Any] | None = None,
                      start: dt.date = dt.date(2026, 1, 5), weather_file: str | None = None,
                      changes: dict[str, dict[str, Any]] | None = None) -> Synthetic:
    """A random home (:func:`random_home`) run ``days`` at ``dt_s``: its history and truth.

    ``changes``: device id -> fields to set on that device of the drawn home (e.g. ``{"pv":
    {"dc_loss_fraction": 0.2}}``)."""
    data = random_home(seed, location, start, weather_file)
    for device in data["devices"]:
        device.update((changes or {}).get(device["id"], {}))
    home = home_from_dict(data)
    history, _ = history_of(home, days, dt_s)
    return Synthetic(history, truth_of(data, history), data)


def corrupt(history: History, seed: int, noise: float = 0.02, soc_step: float = 0.01, gaps: int = 5,
            gap_s: int = 3 * 3600) -> History:
    """A copy of ``history`` as a real logger gives it: each power sample times ``1 + noise *
    N(0, 1)`` (clipped at 0 where a quantity can't be negative), SoC rounded to ``soc_step``
    (inverters report whole percent), and ``gaps`` spans of ``gap_s`` with nothing (NaN)."""
    rng = np.random.default_rng(seed)
    values = {}
    for name, series in history.values.items():
        if name == "soc":
            out = np.round(series / soc_step) * soc_step if soc_step else series.copy()
        else:
            out = series * (1.0 + noise * rng.standard_normal(series.size))
            if name != "battery_w":
                out = np.maximum(out, 0.0)
        values[name] = out
    width = max(1, gap_s // history.step_s)
    for begin in rng.integers(0, max(1, history.size - width), gaps):
        for series in values.values():
            series[begin:begin + width] = np.nan
    return History(history.start_s, history.step_s, history.timezone, values, Quality(notes=list(history.quality.notes)))
