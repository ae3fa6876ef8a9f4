"""Hypothesis strategies for the invariant suite: random VALID home files (as plain dicts),
with the run they are simulated over (step, horizon, start, seed).

Every device kind, every work mode and priority, time-of-use programs with and without grid
charge, tariffs (flat, time-of-use with and without a flat price), inline outages and
load-shedding (the example area rotation with an inline stage timeline), timers and smart
switches, steps from 60 s to 3600 s (and odd ones), starts at month ends, year ends and just
before DST changes (Europe/Berlin, America/New_York) besides Africa/Johannesburg.

Homes the model refuses (:class:`homesim.home.HomeFileError`) are discarded with ``assume``;
the ranges are chosen so that this is rare.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from homesim.home import Home, HomeFileError, home_from_dict

from conftest import EXAMPLES
from kinds_drawn import every_kind_example, load_kinds

#: (time zone, first day, (latitude, longitude)) — month ends, a year end, and the days just
#: before the 2026 DST changes (Europe: 29 March / 25 October; USA: 8 March / 1 November).
STARTS = [
    ("Africa/Johannesburg", dt.date(2026, 1, 30), (-33.9, 18.4)),
    ("Africa/Johannesburg", dt.date(2026, 2, 27), (-26.2, 28.0)),
    ("Africa/Johannesburg", dt.date(2026, 6, 29), (-29.1, 26.2)),
    ("Europe/Berlin", dt.date(2026, 3, 28), (52.5, 13.4)),
    ("Europe/Berlin", dt.date(2026, 10, 24), (48.1, 11.6)),
    ("Europe/Berlin", dt.date(2026, 12, 30), (52.5, 13.4)),
    ("America/New_York", dt.date(2026, 3, 7), (40.7, -74.0)),
    ("America/New_York", dt.date(2026, 10, 31), (42.4, -71.1)),
]

#: Steps of the random-home tests [s]: the usual ones and odd ones (420 s, 1260 s).
STEPS = [60, 300, 900, 3600, 420, 1260]

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def hhmm(minute: int) -> str:
    """``"HH:MM"`` of a minute of the day (1440 is ``"24:00"``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class Case:
    """A home file and the run it is simulated over."""

    data: dict[str, Any]
    days: float
    step: int
    seed: int
    home: Home = field(repr=False, compare=False)
    home_dir: str = str(EXAMPLES)

    @property
    def timezone(self) -> str:
        return self.data["location"]["timezone"]

    @property
    def start(self) -> dt.date:
        return dt.date.fromisoformat(self.data["start"])

    @property
    def ticks(self) -> int:
        return int(self.days * 86_400 // self.step)

    def __repr__(self) -> str:
        return (f"Case(days={self.days}, step={self.step}, seed={self.seed}, "
                f"home={json.dumps(self.data, sort_keys=False)})")


def report(request, line: str) -> None:
    """Write a summary line to the terminal, past pytest's output capture."""
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None:
        return
    if capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    else:
        reporter.write_line(line)


def validated(data: dict[str, Any]) -> Home:
    try:
        return home_from_dict(data, home_dir=EXAMPLES)
    except HomeFileError:
        assume(False)
        raise  # unreachable


# --- pieces -----------------------------------------------------------------------------------

@st.composite
def windows(draw, *, price: bool = False, max_windows: int = 3, min_windows: int = 1) -> list[dict[str, Any]]:
    """Daily windows, some wrapping past midnight, some on a few weekdays only."""
    out = []
    for _ in range(draw(st.integers(min_windows, max_windows))):
        start = draw(st.integers(0, 1439))
        end = (start + draw(st.integers(1, 1439))) % 1440
        if end == 0 and draw(st.booleans()):
            end = 1440  # "24:00"
        window: dict[str, Any] = {"start": hhmm(start), "end": hhmm(end)}
        if draw(st.integers(0, 3)) == 0:
            window["days"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
        if price:
            window["price_per_kwh"] = draw(st.floats(0.0, 10.0))
        out.append(window)
    return out


@st.composite
def switches(draw, has_battery: bool) -> dict[str, Any]:
    switch: dict[str, Any] = {}
    if draw(st.booleans()):
        switch["timers"] = draw(windows(max_windows=2))
    if draw(st.booleans()):
        switch["only_when_grid_on"] = True
    if has_battery and draw(st.booleans()):
        switch["min_battery_soc"] = draw(st.floats(0.0, 0.55))  # below soc_max (>= 0.6)
    if draw(st.booleans()):
        switch["min_pv_surplus_w"] = draw(st.floats(0.0, 3000.0))
    return switch


@st.composite
def scaled(draw, example: dict[str, Any]) -> dict[str, Any]:
    """A kind's example with its top-level numbers scaled (0.5x to 1.5x, then checked by the
    model: a drawn home the model refuses is discarded)."""
    out = dict(example)
    for key, value in example.items():
        if isinstance(value, float | int) and not isinstance(value, bool) and draw(st.booleans()):
            out[key] = type(value)(value * draw(st.floats(0.5, 1.5))) if isinstance(value, float) else value
    return out


@st.composite
def loads(draw, index: int, has_battery: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(load_kinds()))
    load: dict[str, Any] = {"id": f"{kind}{index}", "kind": kind,
                            "circuit": draw(st.sampled_from(["essential", "non_essential"]))}
    if kind == "ev_charger":
        # A car that arrives in the morning and leaves in the evening, so the sun meets it.
        arrive = draw(st.integers(0, 12 * 60))
        load.update(max_power_w=draw(st.floats(1500, 11000)), min_power_w=draw(st.floats(200, 1500)),
                    mode=draw(st.sampled_from(["immediate", "timed", "pv_surplus", "pv_surplus_min_rate"])),
                    min_rate_w=draw(st.floats(100, 3000)),
                    sessions=[{"arrive": hhmm(arrive), "depart": hhmm((arrive + draw(st.integers(60, 1400))) % 1440),
                               "energy_kwh": draw(st.floats(1.0, 60.0))}])
        if has_battery and draw(st.booleans()):
            load["stop_below_battery_soc"] = draw(st.floats(0.0, 0.55))
    elif kind == "pool_pump":
        earliest = draw(st.integers(0, 12 * 60))
        load.update(power_w=draw(st.floats(200, 2500)), earliest=hhmm(earliest),
                    deadline=hhmm(earliest + draw(st.integers(120, 12 * 60))),
                    hours_per_day=draw(st.floats(0.5, 2.0)), surplus_share=draw(st.floats(0.0, 1.0)))
    elif kind not in ("oven", "geyser", "kettle", "fridge", "tv", "lights", "generic_load"):
        load.update(draw(scaled(every_kind_example(kind))))
    elif kind == "oven":
        load.update(rated_power_w=draw(st.floats(800, 4000)), setpoint_c=draw(st.floats(120, 250)),
                    cooking=draw(windows(max_windows=2)))
    elif kind == "geyser":
        load.update(element_w=draw(st.floats(1000, 4000)), tank_l=draw(st.floats(50, 300)),
                    setpoint_c=draw(st.floats(45, 70)), draw_l_per_day=draw(st.floats(0, 300)),
                    initial_temp_c=draw(st.floats(20, 70)))
    elif kind == "kettle":
        # Uses at least 121 minutes apart: a kettle boils one fill at a time.
        slots = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True))
        load.update(power_w=draw(st.floats(1000, 3000)), litres=draw(st.floats(0.3, 2.0)),
                    uses=[hhmm(240 * s + draw(st.integers(0, 119))) for s in slots])
        if draw(st.booleans()):
            load["days"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    elif kind == "fridge":
        load.update(compressor_w=draw(st.floats(50, 300)), cop=draw(st.floats(1.0, 3.0)))
    elif kind == "tv":
        load.update(power_w=draw(st.floats(30, 400)), standby_w=draw(st.floats(0, 5)), watching=draw(windows()))
    elif kind == "lights":
        load.update(power_w=draw(st.floats(20, 2000)), on=draw(windows()))
    else:
        if draw(st.booleans()):
            load["power_w"] = draw(st.floats(0, 4000))
        else:
            load["hourly_w"] = draw(st.lists(st.floats(0, 3000), min_size=24, max_size=24))
    if draw(st.integers(0, 9)) == 0:
        load["enabled"] = False
    if draw(st.booleans()):
        load["switch"] = draw(switches(has_battery))
    return load


@st.composite
def tariffs(draw) -> dict[str, Any]:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return {"flat_per_kwh": draw(st.floats(0.0, 10.0))}
    if choice == 1:
        return {"flat_per_kwh": draw(st.floats(0.0, 10.0)), "periods": draw(windows(price=True))}
    # Periods alone, covering the whole week: cut the day at sorted minutes.
    cuts = sorted(draw(st.lists(st.integers(1, 1439), min_size=1, max_size=4, unique=True)))
    bounds = [0, *cuts, 1440]
    periods = [{"start": hhmm(a), "end": hhmm(b), "price_per_kwh": draw(st.floats(0.0, 10.0))}
               for a, b in zip(bounds, bounds[1:])]
    # Some on part of the week first (first match wins), the full cover after.
    extra = draw(windows(price=True, min_windows=0, max_windows=2))
    return {"periods": extra + periods}


@st.composite
def grids(draw, start: dt.date, days: float) -> dict[str, Any]:
    grid: dict[str, Any] = {"id": "grid", "kind": "grid", "import_tariff": draw(tariffs()),
                            "export_per_kwh": draw(st.floats(0.0, 3.0))}
    if draw(st.booleans()):
        grid["export_limit_w"] = draw(st.floats(0.0, 6000.0))
    if draw(st.integers(0, 3)) == 0:
        grid["max_import_w"] = draw(st.floats(500.0, 15000.0))
    midnight = dt.datetime(start.year, start.month, start.day)
    outages = []
    for _ in range(draw(st.integers(0, 3))):
        begin = midnight + dt.timedelta(minutes=draw(st.integers(-120, int(days * 1440))))
        outages.append({"start": begin.isoformat(timespec="minutes"),
                        "end": (begin + dt.timedelta(minutes=draw(st.integers(1, 900)))).isoformat(timespec="minutes")})
    if outages:
        grid["outages"] = outages
    if draw(st.integers(0, 3)) == 0:
        # The example area rotation with an inline national stage timeline over the run.
        stage_start = midnight + dt.timedelta(hours=draw(st.integers(-12, 24)))
        grid["load_shedding"] = {
            "area_schedule_csv": "loadshedding/area_schedule.csv",
            "stages": [{"stage": draw(st.integers(1, 8)), "start": stage_start.isoformat(timespec="minutes"),
                        "end": (stage_start + dt.timedelta(hours=draw(st.integers(1, 60)))).isoformat(timespec="minutes")}],
        }
    if draw(st.integers(0, 14)) == 0:
        grid["enabled"] = False
    return grid


@st.composite
def inverters(draw) -> dict[str, Any]:
    shutdown = draw(st.floats(0.0, 0.3))
    low = draw(st.floats(shutdown, 0.5))
    efficiency = draw(st.one_of(
        st.floats(0.8, 1.0),
        st.just({"curve": "pvwatts"}),
        st.builds(lambda a, b: {"curve": "points", "points": [[0.0, a], [0.3, b], [1.0, b]]},
                  st.floats(0.6, 0.95), st.floats(0.9, 0.99)),
    ))
    programs = []
    for minute in draw(st.lists(st.integers(0, 47), max_size=6, unique=True)):
        grid_charge = draw(st.booleans())
        # A grid-charge target above the restart SoC (<= 0.55), or a battery without PV never restarts.
        programs.append({"start": hhmm(minute * 30), "power_w": draw(st.floats(0, 8000)),
                         "soc": draw(st.floats(0.6, 1.0) if grid_charge else st.floats(0.0, 1.0)),
                         "grid_charge": grid_charge})
    return {
        "id": "inverter", "kind": "inverter", "rated_power_w": draw(st.floats(300, 10000)), "efficiency": efficiency,
        "work_mode": draw(st.sampled_from(["selling_first", "zero_export", "limited_to_home"])),
        "priority": draw(st.sampled_from(["load_first", "battery_first"])),
        "battery_shutdown_soc": shutdown, "battery_low_soc": low,
        "battery_restart_soc": draw(st.floats(low, 0.55)), "backup_reserve_soc": draw(st.floats(shutdown, 0.7)),
        "programs": programs,
    }


@st.composite
def homes(draw, steps: list[int] = STEPS, max_days: float = 3.0) -> Case:
    """A random valid home and its run (1 to ``max_days`` days)."""
    timezone, start, (lat, lon) = draw(st.sampled_from(STARTS))
    days = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0]))
    days = min(days, max_days)
    step = draw(st.sampled_from(steps))
    devices: list[dict[str, Any]] = []
    n_pv = draw(st.integers(0, 2))
    for i in range(n_pv):
        pv: dict[str, Any] = {"id": f"pv{i}", "kind": "pv_array", "tilt_deg": draw(st.floats(0, 60)),
                              "azimuth_deg": draw(st.floats(0, 359))}
        if draw(st.booleans()):
            pv["rated_power_w"] = draw(st.floats(300, 9000))
        else:
            pv.update(modules=draw(st.integers(1, 16)), module_vmp_v=draw(st.floats(30, 45)),
                      module_imp_a=draw(st.floats(8, 14)))
        if draw(st.integers(0, 9)) == 0:
            pv["enabled"] = False
        devices.append(pv)
    if n_pv and draw(st.booleans()):
        devices.append({"id": "sun", "kind": "sun", "linke_turbidity": draw(st.floats(2.0, 5.0))})
        devices.append({"id": "weather", "kind": "weather", "mean_cloud_cover": draw(st.floats(0.0, 1.0)),
                        "persistence": draw(st.floats(0.5, 0.95))})
    has_battery = draw(st.booleans())
    if has_battery:
        soc_min = draw(st.floats(0.0, 0.4))
        soc_max = draw(st.floats(0.6, 1.0))  # above any restart SoC drawn (<= 0.55)
        devices.append({"id": "battery", "kind": "battery", "capacity_kwh": draw(st.floats(0.5, 30)),
                        "soc_min": soc_min, "soc_max": soc_max, "initial_soc": draw(st.floats(soc_min, soc_max)),
                        "max_charge_w": draw(st.floats(200, 8000)), "max_discharge_w": draw(st.floats(200, 8000)),
                        "charge_efficiency": draw(st.floats(0.8, 1.0)),
                        "discharge_efficiency": draw(st.floats(0.8, 1.0))})
    if draw(st.integers(0, 4)) > 0 or not has_battery:
        devices.append(draw(grids(start, days)))
    if (n_pv or has_battery) and draw(st.integers(0, 4)) > 0:
        devices.append(draw(inverters()))
    for i in range(draw(st.integers(1, 6))):
        devices.append(draw(loads(i, has_battery)))
    data = {"name": "invariant home", "location": {"latitude": lat + draw(st.floats(-2, 2)),
                                                   "longitude": lon + draw(st.floats(-2, 2)), "timezone": timezone},
            "start": start.isoformat(), "seed": draw(st.integers(0, 2**16)), "devices": devices}
    home = validated(data)
    return Case(data=data, days=days, step=step, seed=draw(st.integers(0, 1000)), home=home)


@st.composite
def outage_homes(draw, steps: list[int] = STEPS, max_days: float = 3.0) -> Case:
    """A random home pushed towards battery shutdowns and restarts: a battery, long outages,
    a heavy essential load, and a start SoC not far above the inverter's shutdown SoC."""
    case = draw(homes(steps=steps, max_days=max_days))
    data = json.loads(json.dumps(case.data))
    devices = data["devices"]
    if not any(d["kind"] == "battery" for d in devices):
        devices.insert(0, {"id": "battery", "kind": "battery", "capacity_kwh": draw(st.floats(1.0, 10.0)),
                           "soc_min": 0.05, "soc_max": 0.95, "initial_soc": 0.5})
    if not any(d["kind"] == "pv_array" for d in devices) and draw(st.booleans()):
        devices.insert(0, {"id": "pv_roof", "kind": "pv_array", "rated_power_w": draw(st.floats(2000, 9000)),
                           "tilt_deg": 25, "azimuth_deg": draw(st.sampled_from([0, 90, 180, 270]))})
    battery = next(d for d in devices if d["kind"] == "battery")
    inverter = next((d for d in devices if d["kind"] == "inverter"), None)
    shutdown = (inverter or {}).get("battery_shutdown_soc", 0.1)
    battery["initial_soc"] = min(max(shutdown + draw(st.floats(0.0, 0.3)), battery.get("soc_min", 0.1)),
                                 battery.get("soc_max", 1.0))
    grid = next((d for d in devices if d["kind"] == "grid"), None)
    if grid is None:
        grid = {"id": "grid", "kind": "grid"}
        devices.append(grid)
    grid.pop("enabled", None)
    midnight = dt.datetime.fromisoformat(data["start"])
    outages = []
    for _ in range(draw(st.integers(1, 3))):
        begin = midnight + dt.timedelta(minutes=draw(st.integers(0, int(case.days * 1440))))
        outages.append({"start": begin.isoformat(timespec="minutes"),
                        "end": (begin + dt.timedelta(hours=draw(st.integers(3, 20)))).isoformat(timespec="minutes")})
    grid["outages"] = outages
    devices.append({"id": "heavy", "kind": "generic_load", "power_w": draw(st.floats(300, 3000))})
    home = validated(data)
    return Case(data=data, days=case.days, step=case.step, seed=case.seed, home=home)


@st.composite
def surplus_homes(draw, steps: list[int] = STEPS, max_days: float = 3.0) -> Case:
    """A random home with PV and a car charging on PV surplus through the day (``pv_surplus`` or
    ``pv_surplus_min_rate``), the inverter's rating sometimes below the PV's."""
    case = draw(homes(steps=steps, max_days=max_days))
    data = json.loads(json.dumps(case.data))
    devices = data["devices"]
    if not any(d["kind"] == "pv_array" and d.get("enabled", True) for d in devices):
        devices.insert(0, {"id": "pv_roof", "kind": "pv_array", "rated_power_w": draw(st.floats(2000, 9000)),
                           "tilt_deg": 25, "azimuth_deg": draw(st.sampled_from([0, 90, 180, 270]))})
    devices.append({"id": "car", "kind": "ev_charger", "circuit": draw(st.sampled_from(["essential", "non_essential"])),
                    "mode": draw(st.sampled_from(["pv_surplus", "pv_surplus_min_rate"])),
                    "max_power_w": draw(st.floats(3000, 11000)), "min_power_w": draw(st.floats(200, 1500)),
                    "min_rate_w": draw(st.floats(100, 2000)),
                    "sessions": [{"arrive": "07:00", "depart": "18:00", "energy_kwh": draw(st.floats(20.0, 80.0))}]})
    home = validated(data)
    return Case(data=data, days=case.days, step=case.step, seed=case.seed, home=home)
