"""Reference physics for the invariant suite, written from the README and the home file alone
(Python ``datetime`` + ``zoneinfo``, pvlib for the sun), never from homesim's own helpers.

Each ``check_*`` takes a :class:`~invariants_homes.Case` and the ledger a runtime wrote for it
and raises ``AssertionError`` naming the first tick that breaks the fact, with what was
expected and what the ledger has.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

J_PER_KWH = 3_600_000
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# --- time ---------------------------------------------------------------------------------------

def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def instant(day: dt.date, minute: int, timezone: str) -> float:
    """The instant [unix s] of local wall time ``minute`` after midnight of ``day`` (1440 is the
    next midnight); a nonexistent wall time maps with fold=0."""
    day = day + dt.timedelta(days=minute // 1440)
    minute %= 1440
    return dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=ZoneInfo(timezone)).timestamp()


def tick_starts(case) -> np.ndarray:
    """Tick start instants [unix s]: local midnight of the first day plus whole steps."""
    first = instant(case.start, 0, case.timezone)
    return first + np.arange(case.ticks, dtype=np.float64) * case.step


def local_fields(unix_s: np.ndarray, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local minute-of-day (float, seconds included) and weekday (0 = Monday) of instants."""
    zone = ZoneInfo(timezone)
    sod = np.empty(unix_s.shape[0])
    wd = np.empty(unix_s.shape[0], dtype=np.int64)
    for i, t in enumerate(unix_s):
        local = dt.datetime.fromtimestamp(float(t), zone)
        sod[i] = local.hour * 60 + local.minute + local.second / 60
        wd[i] = local.weekday()
    return sod, wd


def in_window(window: dict[str, Any], minute_of_day: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Whether a local wall time lies in a daily window (a wrapping window's weekday is the day
    it starts on)."""
    start, end = minutes(window["start"]), minutes(window["end"])
    days = np.zeros(7, dtype=bool)
    days[[WEEKDAYS.index(d) for d in window.get("days", WEEKDAYS)]] = True
    if start < end:
        return (minute_of_day >= start) & (minute_of_day < end) & days[weekday]
    return ((minute_of_day >= start) & days[weekday]) | ((minute_of_day < end) & days[(weekday - 1) % 7])


# --- home file reading ------------------------------------------------------------------------

def device(case, kind: str) -> dict[str, Any] | None:
    found = [d for d in case.data["devices"] if d["kind"] == kind]
    return found[0] if found else None


def inverter_settings(case) -> dict[str, Any] | None:
    """The inverter's settings with the documented defaults (a home with PV or a battery gets a
    default inverter)."""
    inv = device(case, "inverter")
    has_dc = device(case, "pv_array") is not None or device(case, "battery") is not None
    if inv is None and not has_dc:
        return None
    defaults = {"rated_power_w": 5000.0, "work_mode": "limited_to_home", "priority": "load_first", "programs": [],
                "battery_shutdown_soc": 0.1, "battery_low_soc": 0.2, "battery_restart_soc": 0.3,
                "backup_reserve_soc": 0.2}
    return {**defaults, **(inv or {})}


def battery_settings(case) -> dict[str, Any] | None:
    bat = device(case, "battery")
    if bat is None:
        return None
    defaults = {"soc_min": 0.1, "soc_max": 1.0, "initial_soc": 0.5, "max_charge_w": 5000.0,
                "max_discharge_w": 5000.0, "charge_efficiency": 0.97, "discharge_efficiency": 0.97}
    out = {**defaults, **bat}
    out["capacity_j"] = int(round(out["capacity_kwh"] * J_PER_KWH))
    cap = out["capacity_j"]
    out["initial_j"] = min(max(int(round(out["initial_soc"] * cap)), math.ceil(out["soc_min"] * cap)),
                           math.floor(out["soc_max"] * cap))
    return out


def program_slots(case, inv: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The active program's (soc floor, power_w) at each tick start (a slot lasts until the next
    slot's start, wrapping; no programs: one slot at the rated power and SoC 0)."""
    programs = sorted(inv["programs"], key=lambda p: minutes(p["start"]))
    if not programs:
        programs = [{"start": "00:00", "power_w": inv["rated_power_w"], "soc": 0.0}]
    starts = np.array([minutes(p["start"]) for p in programs])
    sod, _ = local_fields(tick_starts(case), case.timezone)
    index = np.searchsorted(starts, sod, side="right") - 1  # -1: before the first, the last one runs on
    soc = np.array([programs[i]["soc"] for i in index])
    power = np.array([programs[i]["power_w"] for i in index])
    return soc, power


def outage_intervals(case) -> list[tuple[float, float]]:
    grid = device(case, "grid")
    zone = ZoneInfo(case.timezone)
    out = []
    for window in (grid or {}).get("outages", []):
        start = dt.datetime.fromisoformat(window["start"]).replace(tzinfo=zone).timestamp()
        end = dt.datetime.fromisoformat(window["end"]).replace(tzinfo=zone).timestamp()
        out.append((start, end))
    return out


def import_price(case) -> np.ndarray:
    """The grid's import price at each tick start (first matching period, else flat)."""
    tariff = device(case, "grid").get("import_tariff", {"flat_per_kwh": 3.0})
    sod, wd = local_fields(tick_starts(case), case.timezone)
    price = np.full(sod.shape[0], np.nan if tariff.get("flat_per_kwh") is None else tariff["flat_per_kwh"])
    assigned = np.zeros(sod.shape[0], dtype=bool)
    for period in tariff.get("periods", []):
        inside = in_window(period, sod, wd) & ~assigned
        price[inside] = period["price_per_kwh"]
        assigned |= inside
    return price


# --- ledger access ----------------------------------------------------------------------------

def col(ledger, name: str) -> np.ndarray:
    return ledger.table[name].to_numpy()


def pv_total(case, ledger) -> np.ndarray:
    ids = [d["id"] for d in case.data["devices"] if d["kind"] == "pv_array"]
    return sum((col(ledger, f"e.{i}").astype(np.int64) for i in ids), np.zeros(len(ledger.table), dtype=np.int64))


def fail(case, tick: int, what: str, expected: Any, got: Any) -> None:
    raise AssertionError(f"tick {tick}: {what}: expected {expected}, got {got}\n{case!r}")


def first(mask: np.ndarray) -> int | None:
    bad = np.flatnonzero(mask)
    return int(bad[0]) if bad.size else None


# --- the facts --------------------------------------------------------------------------------

def check_balance(case, ledger) -> None:
    """sum(e.*) - loss_j == 0 and -e + unmet == demand per load, every row; signs."""
    t = ledger.table
    assert len(t) == case.ticks, f"{len(t)} rows for {case.ticks} ticks\n{case!r}"
    times = ((pd.to_datetime(t["time"], utc=True) - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy()
    if (k := first(times != tick_starts(case))) is not None:
        fail(case, k, "tick start (local midnight of the first day + k x dt)", int(tick_starts(case)[k]), int(times[k]))
    e_cols = [c for c in t.columns if c.startswith("e.")]
    residual = t[e_cols].to_numpy(dtype=np.int64).sum(axis=1) - col(ledger, "loss_j").astype(np.int64)
    if (k := first(residual != 0)) is not None:
        fail(case, k, "sum(e.*) - loss_j", 0, int(residual[k]))
    for c in [c for c in t.columns if c.startswith("demand.")]:
        load = c.removeprefix("demand.")
        e, unmet, demand = col(ledger, f"e.{load}"), col(ledger, f"unmet.{load}"), col(ledger, c)
        if (k := first(-e + unmet != demand)) is not None:
            fail(case, k, f"-e.{load} + unmet.{load}", int(demand[k]), int(-e[k] + unmet[k]))
        for name, values in ((f"demand.{load}", demand), (f"unmet.{load}", unmet), (f"-e.{load}", -e)):
            if (k := first(values < 0)) is not None:
                fail(case, k, name, ">= 0", int(values[k]))
    for name in ("loss_j", "curtailed_j"):
        if (k := first(col(ledger, name) < 0)) is not None:
            fail(case, k, name, ">= 0", int(col(ledger, name)[k]))


def check_battery_conservation(case, ledger) -> None:
    """Stored energy follows the terminal energy through the efficiencies, Joule for Joule:
    ``floor(charge x charge_efficiency)`` in, ``ceil(discharge / discharge_efficiency)`` out."""
    return check_battery(case, ledger, conservation=True, limits=False)


def check_battery_window_and_shutdown(case, ledger) -> None:
    """SoC stays in [soc_min, soc_max]; charge/discharge rates; discharge floors (grid on: the
    program's SoC, the backup reserve and the low SoC, at most the program's power; outage: the
    shutdown SoC); after a shutdown no discharge until the restart SoC (a reference state machine
    over the ledger)."""
    return check_battery(case, ledger, conservation=False, limits=True)


def check_battery(case, ledger, conservation: bool = True, limits: bool = True) -> dict[str, int]:
    bat = battery_settings(case)
    if bat is None:
        return {}
    inv = inverter_settings(case)
    seen = {"battery ticks": len(ledger.table), "shutdowns": 0, "restarts": 0}
    cap = bat["capacity_j"]
    flows = col(ledger, "e.battery").astype(np.int64)
    soc = col(ledger, "soc.battery")
    grid_on = col(ledger, "grid_on")
    slot_soc, slot_power = program_slots(case, inv)
    lo_j, hi_j = math.ceil(bat["soc_min"] * cap), math.floor(bat["soc_max"] * cap)
    stored, tripped = bat["initial_j"], False
    for k, flow in enumerate(flows):
        flow = int(flow)
        if tripped and stored / cap >= inv["battery_restart_soc"]:
            tripped = False
            seen["restarts"] += 1
        if flow > 0:
            new = stored - math.ceil(flow / bat["discharge_efficiency"])
        else:
            new = stored + math.floor(-flow * bat["charge_efficiency"])
        if not conservation:
            new = round(soc[k] * cap)  # follow the ledger's own state
        elif round(soc[k] * cap) != new:
            fail(case, k, "stored energy (soc x capacity) after e.battery", new, soc[k] * cap)
        if not limits:
            stored = new
            continue  # (shutdowns are counted by the limits check)
        if not lo_j <= new <= hi_j and not (new == stored and flow == 0):
            fail(case, k, "stored energy inside [soc_min, soc_max] x capacity", f"[{lo_j}, {hi_j}]", new)
        if not bat["soc_min"] - 1e-12 <= soc[k] <= bat["soc_max"] + 1e-12:
            fail(case, k, "soc inside [soc_min, soc_max]", f"[{bat['soc_min']}, {bat['soc_max']}]", soc[k])
        if flow > math.floor(bat["max_discharge_w"] * case.step):
            fail(case, k, "discharge <= max_discharge_w x dt", math.floor(bat["max_discharge_w"] * case.step), flow)
        if -flow > math.floor(bat["max_charge_w"] * case.step):
            fail(case, k, "charge <= max_charge_w x dt", math.floor(bat["max_charge_w"] * case.step), -flow)
        if flow > 0:
            if tripped:
                fail(case, k, "no discharge after a shutdown until the restart SoC "
                     f"(soc at tick start {stored / cap})", 0, flow)
            if grid_on[k]:
                floor_soc = max(slot_soc[k], inv["backup_reserve_soc"], inv["battery_low_soc"])
                if flow > math.floor(slot_power[k] * case.step):
                    fail(case, k, "discharge <= program power_w x dt", math.floor(slot_power[k] * case.step), flow)
            else:
                floor_soc = inv["battery_shutdown_soc"]
            floor_j = math.ceil(max(floor_soc, bat["soc_min"]) * cap)
            if new < floor_j:
                fail(case, k, f"stored energy after discharge >= floor SoC {floor_soc} (grid_on={bool(grid_on[k])})",
                     f">= {floor_j}", new)
        if not grid_on[k] and new / cap <= inv["battery_shutdown_soc"]:
            seen["shutdowns"] += not tripped
            tripped = True
        stored = new
    return seen if limits else {"battery ticks": seen["battery ticks"]}


def check_no_grid_flow_while_off(case, ledger) -> None:
    """e.grid == 0 whenever grid_on is false; and the grid is off exactly in the home file's
    outages (for homes without load-shedding; with it, at least in the inline outages)."""
    grid = device(case, "grid")
    grid_on = col(ledger, "grid_on").astype(bool)
    if grid is None:
        if (k := first(grid_on)) is not None:
            fail(case, k, "grid_on without a grid", False, True)
        return
    flow = col(ledger, f"e.{grid['id']}")
    if (k := first(~grid_on & (flow != 0))) is not None:
        fail(case, k, "e.grid while the grid is off", 0, int(flow[k]))
    starts = tick_starts(case)
    off = np.zeros(starts.shape[0], dtype=bool)
    for a, b in outage_intervals(case):
        off |= (starts >= a) & (starts < b)
    if grid.get("enabled", True) is False:
        off[:] = True
    if "load_shedding" in grid:
        if (k := first(off & grid_on)) is not None:
            fail(case, k, "grid_on inside an inline outage", False, True)
    elif (k := first(off == grid_on)) is not None:
        fail(case, k, "grid_on (reference from the outages)", bool(~off[k]), bool(grid_on[k]))


def check_export_rules(case, ledger) -> None:
    """No export in limited_to_home / zero_export or with the grid off; in selling_first, export
    within export_limit_w x dt, never more than the PV used, and never while the battery
    discharges (selling_first exports PV only); import within max_import_w x dt."""
    grid = device(case, "grid")
    if grid is None:
        return
    inv = inverter_settings(case)
    flow = col(ledger, f"e.{grid['id']}").astype(np.int64)
    export = np.maximum(-flow, 0)
    imported = np.maximum(flow, 0)
    mode = inv["work_mode"] if inv is not None else None
    if mode != "selling_first":
        if (k := first(export > 0)) is not None:
            fail(case, k, f"export in work mode {mode}", 0, int(export[k]))
    else:
        if (k := first((export > 0) & ~col(ledger, "grid_on").astype(bool))) is not None:
            fail(case, k, "export with the grid off", 0, int(export[k]))
        if grid.get("export_limit_w") is not None:
            limit = math.floor(grid["export_limit_w"] * case.step)
            if (k := first(export > limit + 1)) is not None:
                fail(case, k, "export <= export_limit_w x dt", f"<= {limit}", int(export[k]))
        pv = pv_total(case, ledger)
        if (k := first(export > pv)) is not None:
            fail(case, k, "export <= PV used (AC out of DC in)", f"<= {int(pv[k])}", int(export[k]))
        if device(case, "battery") is not None:
            battery = col(ledger, "e.battery")
            if (k := first((export > 0) & (battery > 0))) is not None:
                fail(case, k, "no battery discharge while exporting (PV only is exported)",
                     "export 0 or battery <= 0", f"export {int(export[k])}, battery {int(battery[k])}")
    if grid.get("max_import_w") is not None:
        limit = math.floor(grid["max_import_w"] * case.step)
        if (k := first(imported > limit + 1)) is not None:
            fail(case, k, "import <= max_import_w x dt", f"<= {limit}", int(imported[k]))


def check_non_essential_off_in_outages(case, ledger) -> None:
    grid_on = col(ledger, "grid_on").astype(bool)
    for d in case.data["devices"]:
        if d.get("circuit") == "non_essential":
            served = -col(ledger, f"e.{d['id']}")
            if (k := first(~grid_on & (served != 0))) is not None:
                fail(case, k, f"non-essential load {d['id']} served in an outage", 0, int(served[k]))


def check_inverter_ac_rating(case, ledger) -> None:
    """AC out of the inverter (its DC side, PV used + battery terminal energy, less the
    conversion loss: PV and battery to loads and export minus grid charging) within the AC
    rating x dt; in an outage everything served passes the inverter."""
    inv = inverter_settings(case)
    if inv is None:
        return
    rating = math.floor(inv["rated_power_w"] * case.step)
    dc = pv_total(case, ledger)
    if device(case, "battery") is not None:
        dc = dc + col(ledger, "e.battery").astype(np.int64)
    ac = dc - col(ledger, "loss_j").astype(np.int64)
    if (k := first(np.abs(ac) > rating + 1)) is not None:
        fail(case, k, "|AC out of the inverter| <= rated_power_w x dt", f"<= {rating}", int(ac[k]))


def sun_elevation(case) -> np.ndarray:
    """The sun's elevation at each tick's middle [degrees] (pvlib's SPA)."""
    import pvlib

    loc = case.data["location"]
    middle = pd.to_datetime(tick_starts(case) + case.step / 2.0, unit="s", utc=True)
    position = pvlib.solarposition.get_solarposition(middle, loc["latitude"], loc["longitude"],
                                                     altitude=loc.get("altitude_m", 0.0))
    return position["elevation"].to_numpy()


def check_no_pv_at_night(case, ledger) -> None:
    """PV used and PV curtailed (so PV available) are 0 when the sun is more than 1 degree below
    the horizon at the tick's middle."""
    if device(case, "pv_array") is None:
        return
    night = sun_elevation(case) < -1.0
    pv = pv_total(case, ledger)
    curtailed = col(ledger, "curtailed_j")
    if (k := first(night & ((pv != 0) | (curtailed != 0)))) is not None:
        fail(case, k, "PV at night (elevation < -1 degree)", "0 used, 0 curtailed",
             f"{int(pv[k])} used, {int(curtailed[k])} curtailed")
    return int(night.sum())


def check_cost(case, ledger) -> None:
    """cost == import x import price - export x export price, per tick (1e-9 relative)."""
    grid = device(case, "grid")
    cost = col(ledger, "cost")
    if grid is None:
        if (k := first(cost != 0)) is not None:
            fail(case, k, "cost without a grid", 0.0, cost[k])
        return
    flow = col(ledger, f"e.{grid['id']}").astype(np.int64)
    price = import_price(case)
    expected = (np.maximum(flow, 0) * price - np.maximum(-flow, 0) * grid.get("export_per_kwh", 0.0)) / J_PER_KWH
    if (k := first(~(np.abs(cost - expected) <= 1e-9 * np.abs(expected) + 1e-12))) is not None:
        fail(case, k, f"cost (e.grid {int(flow[k])} J at {price[k]}/kWh)", expected[k], cost[k])


LEDGER_CHECKS = [check_balance, check_battery_conservation, check_battery_window_and_shutdown, check_no_grid_flow_while_off, check_export_rules,
                 check_non_essential_off_in_outages, check_inverter_ac_rating, check_no_pv_at_night, check_cost]
