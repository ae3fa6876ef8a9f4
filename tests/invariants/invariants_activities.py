"""Reference integrator for bounded activities, independent of homesim's code.

Every scheduled activity becomes real-time intervals: a local wall time (date, HH:MM) is an
instant in the home's time zone (a nonexistent wall time in a spring-forward gap maps with
fold=0: ``datetime(..., tzinfo=ZoneInfo(tz)).timestamp()``); a window whose end is before its
start runs into the next day (``days`` = the day it starts on; ``24:00`` = next midnight); a
kettle use runs ``boil_s`` from its instant, past midnight and DST changes alike. A load's
demand over a tick is the exact integral of its power over the tick's real-time interval
``[t, t + dt)``, rounded to whole Joules per tick.

Loads here have no switch conditions (only timers) and are enabled.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from invariants_reference import WEEKDAYS, instant, minutes, tick_starts
from kinds_drawn import activity_kinds

WATER_J_PER_KG_K = 4186.0
INF = math.inf

#: Oven: the heat capacity and loss the file leaves at their defaults (cooling time constant
#: 7500 / 4.5 = 28 min): after COLD_GAP_S without cooking an oven is back near ambient.
COLD_GAP_S = 6 * 3600


def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def intersect(xs: list[tuple[float, float]], ys: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def days_around(case) -> list[dt.date]:
    """Local dates from the day before the start to the day after the end."""
    n = int(math.ceil(case.days)) + 2
    return [case.start + dt.timedelta(days=i) for i in range(-1, n)]


def window_set(windows: list[dict[str, Any]], case) -> list[tuple[float, float]]:
    """Real-time intervals of daily windows around the run."""
    out = []
    for day in days_around(case):
        weekday = WEEKDAYS[day.weekday()]
        for w in windows:
            if weekday not in w.get("days", WEEKDAYS):
                continue
            start, end = minutes(w["start"]), minutes(w["end"])
            if end <= start:
                end += 1440
            out.append((instant(day, start, case.timezone), instant(day, end, case.timezone)))
    return union(out)


def timer_set(load: dict[str, Any], case) -> list[tuple[float, float]]:
    timers = load.get("switch", {}).get("timers", [])
    return window_set(timers, case) if timers else [(-INF, INF)]


def boil_s(kettle: dict[str, Any]) -> float:
    litres, inlet = kettle.get("litres", 1.0), kettle.get("inlet_c", 15.0)
    return litres * WATER_J_PER_KG_K * (100.0 - inlet) / kettle.get("efficiency", 0.9) / kettle.get("power_w", 2200.0)


def power_pieces(load: dict[str, Any], case) -> list[tuple[float, float, float]]:
    """A profile load's power as ``(start, end, watts)`` pieces, summed where they overlap."""
    timers = timer_set(load, case)
    kind = load["kind"]
    pieces: list[tuple[float, float, float]] = []

    def add(intervals, watts):
        pieces.extend((a, b, watts) for a, b in intersect(union(intervals), timers))

    if kind == "kettle":
        uses = []
        for day in days_around(case):
            if load.get("days") is not None and WEEKDAYS[day.weekday()] not in load["days"]:
                continue
            for use in load.get("uses", ["06:30", "07:30", "10:30", "13:00", "16:00", "19:30"]):
                a = instant(day, minutes(use), case.timezone)
                uses.append((a, a + boil_s(load)))
        uses.sort()
        assert all(x[1] <= y[0] for x, y in zip(uses, uses[1:])), "test home error: overlapping kettle uses"
        add(uses, load.get("power_w", 2200.0))
    elif kind == "lights":
        add(window_set(load["on"], case), load.get("power_w", 150.0))
    elif kind == "tv":
        standby = load.get("standby_w", 0.5)
        add([(-INF, INF)], standby)
        add(window_set(load["watching"], case), load.get("power_w", 100.0) - standby)
    elif kind == "generic_load" and load.get("power_w") is not None:
        add([(-INF, INF)], load["power_w"])
    elif kind == "generic_load" and load.get("hourly_w") is not None:
        for day in days_around(case):
            for hour, watts in enumerate(load["hourly_w"]):
                add([(instant(day, hour * 60, case.timezone), instant(day, hour * 60 + 60, case.timezone))], watts)
    else:
        raise ValueError(f"no reference for the kind {kind!r} (a profile or thermostat kind of the registry): "
                         "add it to power_pieces (profile) or THERMOSTAT_POWER (thermostat) in "
                         f"tests/invariants/invariants_activities.py ({load})")
    return pieces


def overlap_seconds(intervals, starts: np.ndarray, dt_s: int) -> np.ndarray:
    """Seconds of each tick ``[t, t + dt)`` inside each interval: ``[n_intervals, n_ticks]``."""
    if not intervals:
        return np.zeros((0, starts.shape[0]))
    a = np.array([i[0] for i in intervals])[:, None]
    b = np.array([i[1] for i in intervals])[:, None]
    return np.clip(np.minimum(b, starts[None, :] + dt_s) - np.maximum(a, starts[None, :]), 0.0, None)


def expected_demand_j(load: dict[str, Any], case) -> np.ndarray:
    """The exact integral of a profile load's power over each tick [J] (not rounded)."""
    pieces = power_pieces(load, case)
    if not pieces:
        return np.zeros(case.ticks)
    watts = np.array([p[2] for p in pieces])
    return watts @ overlap_seconds([(p[0], p[1]) for p in pieces], tick_starts(case), case.step)


THERMOSTAT_POWER = {"oven": ("rated_power_w", 2000.0), "geyser": ("element_w", 3000.0), "fridge": ("compressor_w", 100.0)}


def allowed_set(load: dict[str, Any], case) -> list[tuple[float, float]]:
    """Where a thermostat load may draw: its cooking windows (oven) and its timers."""
    allowed = timer_set(load, case)
    if load["kind"] == "oven":
        cooking = load.get("cooking", [{"start": "17:30", "end": "18:30"}])
        allowed = intersect(window_set(cooking, case), allowed)
    return allowed


def local_time(case, tick: int) -> str:
    from zoneinfo import ZoneInfo

    t = tick_starts(case)[tick]
    return dt.datetime.fromtimestamp(t, ZoneInfo(case.timezone)).isoformat()


def check_bounded_activities(case, ledger) -> dict[str, int]:
    """Profile loads: demand per tick == the integral of their power over the tick (<= 1 J);
    thermostat loads: demand only while allowed, at most power x allowed seconds (+1 J), and a
    cold oven gets demand in every cooking window inside the run. Returns counts checked."""
    starts = tick_starts(case)
    checked = {"profile loads": 0, "thermostat loads": 0, "cooking windows": 0}
    for load in case.data["devices"]:
        if load.get("kind") not in activity_kinds():
            continue
        demand = ledger.table[f"demand.{load['id']}"].to_numpy().astype(np.int64)
        if load["kind"] in THERMOSTAT_POWER:
            field, default = THERMOSTAT_POWER[load["kind"]]
            power = load.get(field, default)
            allowed = allowed_set(load, case)
            seconds = overlap_seconds(allowed, starts, case.step).sum(axis=0)
            bound = power * seconds + 1.0
            bad = np.flatnonzero(demand > bound)
            if bad.size:
                k = int(bad[0])
                raise AssertionError(
                    f"tick {k} ({local_time(case, k)}): {load['kind']} {load['id']}: demand <= power x seconds "
                    f"allowed ({seconds[k]:.0f} s): expected <= {bound[k]:.0f} J, got {demand[k]} J\n{case!r}")
            checked["thermostat loads"] += 1
            if load["kind"] == "oven":
                end_s = starts[-1] + case.step
                previous_end = -INF
                for a, b in allowed:
                    cold = a - previous_end >= COLD_GAP_S
                    previous_end = b
                    if not (cold and starts[0] <= a and b <= end_s):
                        continue
                    inside = (starts < b) & (starts + case.step > a)
                    checked["cooking windows"] += 1
                    if demand[inside].sum() <= 0:
                        k = int(np.flatnonzero(inside)[0]) if inside.any() else -1
                        raise AssertionError(
                            f"oven {load['id']}: cooking {dt.datetime.fromtimestamp(a, dt.timezone.utc).isoformat()} to "
                            f"{dt.datetime.fromtimestamp(b, dt.timezone.utc).isoformat()} (first tick {k}): a cold oven in its window: expected demand > 0, "
                            f"got 0 in every tick overlapping it\n{case!r}")
            continue
        expected = expected_demand_j(load, case)
        bad = np.flatnonzero(np.abs(demand - expected) > 1.0)
        if bad.size:
            k = int(bad[0])
            raise AssertionError(
                f"tick {k} ({local_time(case, k)}): {load['kind']} {load['id']}: demand = integral of its power over "
                f"the tick: expected {expected[k]:.1f} J, got {demand[k]} J ({bad.size} ticks off; run total "
                f"expected {expected.sum():.0f} J, got {demand.sum()} J)\n{case!r}")
        assert abs(demand.sum() - expected.sum()) <= case.ticks, f"{load['id']}: run total\n{case!r}"
        checked["profile loads"] += 1
    return checked
