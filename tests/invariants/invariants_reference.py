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


def _loads(case) -> list[dict[str, Any]]:
    from homesim.devices import KINDS
    from homesim.devices.base import LoadConfig

    return [d for d in case.data["devices"] if issubclass(KINDS[d["kind"]].Config, LoadConfig)
            and d.get("enabled", True)]


def _pv_only_upper(case, load: dict[str, Any], served: np.ndarray) -> np.ndarray | None:
    """At most how much of a PV-surplus charger's service each tick was its PV-only part [J]
    (``pv_surplus``: all of it; ``pv_surplus_min_rate``: beyond the least rate); None for other
    loads."""
    if load["kind"] != "ev_charger" or load.get("mode") not in ("pv_surplus", "pv_surplus_min_rate"):
        return None
    if load["mode"] == "pv_surplus":
        return served
    return np.maximum(served - math.floor(load.get("min_rate_w", 1400.0) * case.step + 0.5), 0)  # its nearest Joule


def _grid_charging_possible(case, inv, bat, stored_start: np.ndarray) -> np.ndarray:
    """Ticks whose program slot charges from the grid with the battery below the slot's SoC."""
    programs = sorted(inv["programs"], key=lambda p: minutes(p["start"]))
    if not programs:
        return np.zeros(stored_start.shape[0], dtype=bool)
    starts = np.array([minutes(p["start"]) for p in programs])
    sod, _ = local_fields(tick_starts(case), case.timezone)
    index = np.searchsorted(starts, sod, side="right") - 1
    charge = np.array([bool(programs[i].get("grid_charge", False)) for i in index])
    slot_soc = np.array([programs[i]["soc"] for i in index])
    return charge & (stored_start < slot_soc * bat["capacity_j"])


def _stored_at_start(bat, ledger) -> np.ndarray:
    soc = col(ledger, "soc.battery")
    after = np.round(soc * bat["capacity_j"]).astype(np.int64)
    return np.concatenate([[bat["initial_j"]], after[:-1]])


#: Rounding allowed per tick [J]: the DC-to-AC floor and ceiling, the efficiencies' ceilings
#: and the SoC read back from the ledger (a float of up to ~1e11 J of capacity).
ROUNDING_J = 8
#: The battery's room below which it is not expected to give more [J]: one DC-to-AC rounding at
#: the lowest efficiency an inverter curve reaches (0.05: 20 J), with margin (under 1 W for a minute).
ROOM_J = 50


def check_battery_serves_before_the_grid(case, ledger) -> dict[str, int]:
    """No tick leaves a load unserved, or imports for a load, while the battery could have given
    more: above the floor that applies then (grid on: program SoC, reserve and low SoC; outage:
    shutdown SoC; not shut down), below its power limits (the battery's, the program's with the
    grid on) and the inverter's AC rating, and allowed by the settings in force (battery_first
    with the grid on keeps the battery charging from PV; zero_export serves non-essential loads
    from the grid; a PV-surplus charger's PV-only part is for PV alone)."""
    bat, inv = battery_settings(case), inverter_settings(case)
    grid = device(case, "grid")
    if bat is None or inv is None:
        return {}
    cap, dt_s = bat["capacity_j"], case.step
    n = len(ledger.table)
    grid_on = col(ledger, "grid_on").astype(bool)
    battery = col(ledger, "e.battery").astype(np.int64)
    imported = np.maximum(col(ledger, f"e.{grid['id']}").astype(np.int64), 0) if grid is not None else np.zeros(n, np.int64)
    stored = _stored_at_start(bat, ledger)
    slot_soc, slot_power = program_slots(case, inv)
    # the reference's shutdown state machine, on the ledger's own SoC
    after = np.round(col(ledger, "soc.battery") * cap)
    tripped = np.zeros(n, dtype=bool)
    state = False
    for k in range(n):
        if state and stored[k] / cap >= inv["battery_restart_soc"]:
            state = False
        tripped[k] = state
        if not grid_on[k] and after[k] / cap <= inv["battery_shutdown_soc"]:
            state = True
    floor_soc = np.where(grid_on, np.maximum(np.maximum(slot_soc, inv["backup_reserve_soc"]), inv["battery_low_soc"]),
                         inv["battery_shutdown_soc"])
    floor_j = np.ceil(np.maximum(floor_soc, bat["soc_min"]) * cap)
    room = np.floor((stored - floor_j) * bat["discharge_efficiency"])  # terminal energy to the floor [J]
    room = np.minimum(room, math.floor(bat["max_discharge_w"] * dt_s))
    room = np.where(grid_on, np.minimum(room, np.floor(slot_power * dt_s)), room)
    ac_out = pv_total(case, ledger) + battery - col(ledger, "loss_j").astype(np.int64)
    ac_full = ac_out >= math.floor(inv["rated_power_w"] * dt_s) - ROUNDING_J
    zero_export = inv["work_mode"] == "zero_export"
    short = np.zeros(n, dtype=np.int64)
    direct = np.zeros(n, dtype=np.int64)  # what zero_export serves from the grid by design
    for load in _loads(case):
        unmet = col(ledger, f"unmet.{load['id']}").astype(np.int64)
        served = -col(ledger, f"e.{load['id']}").astype(np.int64)
        essential = load.get("circuit", "essential") == "essential"
        if not essential and zero_export:
            direct += np.where(grid_on, served, 0)
            continue
        powered = grid_on | essential
        flex = _pv_only_upper(case, load, served)
        if flex is not None:
            demand = col(ledger, f"demand.{load['id']}").astype(np.int64)
            firm = demand if load["mode"] == "pv_surplus_min_rate" else np.zeros(n, np.int64)
            firm = np.minimum(firm, math.floor(load.get("min_rate_w", 1400.0) * dt_s + 0.5))
            unmet = np.maximum(firm - served, 0)
        short += np.where(powered, unmet, 0)
    short += np.maximum(imported - direct, 0)
    pv_first = grid_on & (inv["priority"] == "battery_first") & (battery < 0)
    # the SoC read back from the ledger is a float: a tick within a Joule of the restart SoC
    # may be either side of it
    near_restart = np.abs(stored - inv["battery_restart_soc"] * cap) <= 2
    could = (~tripped) & ~near_restart & (room - np.maximum(battery, 0) > ROOM_J) & ~ac_full & ~pv_first
    if grid is not None:
        could &= ~_grid_charging_possible(case, inv, bat, stored)
    if (k := first(could & (short > ROUNDING_J))) is not None:
        fail(case, k, f"no load short or imported for while the battery could give more (room {int(room[k])} J, "
             f"gave {int(battery[k])} J, soc at start {stored[k] / cap:.4f}, grid_on={bool(grid_on[k])})",
             "short <= rounding", f"short {int(short[k])} J")
    return {"ticks the battery could serve": int(could.sum())}


def check_surplus_loads_take_no_grid_or_battery(case, ledger) -> dict[str, int]:
    """A PV-surplus charger's PV-only part comes from PV alone: in a tick where it is served,
    the battery does not discharge, the grid imports nothing for the loads (beyond zero_export's
    non-essential loads and a program's grid charge) and it took no more than the PV used."""
    grid = device(case, "grid")
    inv, bat = inverter_settings(case), battery_settings(case)
    n = len(ledger.table)
    grid_on = col(ledger, "grid_on").astype(bool)
    imported = np.maximum(col(ledger, f"e.{grid['id']}").astype(np.int64), 0) if grid is not None else np.zeros(n, np.int64)
    battery = col(ledger, "e.battery").astype(np.int64) if bat is not None else np.zeros(n, np.int64)
    charging_from_grid = (_grid_charging_possible(case, inv, bat, _stored_at_start(bat, ledger))
                          if bat is not None and inv is not None else np.zeros(n, dtype=bool))
    direct = np.zeros(n, dtype=np.int64)
    flex = np.zeros(n, dtype=np.int64)
    loads = _loads(case)
    for load in loads:
        served = -col(ledger, f"e.{load['id']}").astype(np.int64)
        if inv is not None and inv["work_mode"] == "zero_export" and load.get("circuit", "essential") != "essential":
            direct += np.where(grid_on, served, 0)
        part = _pv_only_upper(case, load, served)
        if part is not None:
            flex += part
    if (k := first(flex > pv_total(case, ledger))) is not None:
        fail(case, k, "PV-only service <= PV used", f"<= {int(pv_total(case, ledger)[k])}", int(flex[k]))
    took = flex > ROUNDING_J
    if (k := first(took & (battery > ROUNDING_J))) is not None:
        fail(case, k, "no battery discharge while a PV-surplus load is served", 0, int(battery[k]))
    if (k := first(took & ~charging_from_grid & (imported - direct > ROUNDING_J))) is not None:
        fail(case, k, "no grid import for the loads while a PV-surplus load is served", 0, int(imported[k] - direct[k]))
    return {"ticks a PV-surplus load was served": int(took.sum())}


LEDGER_CHECKS = [check_balance, check_battery_conservation, check_battery_window_and_shutdown, check_no_grid_flow_while_off, check_export_rules,
                 check_non_essential_off_in_outages, check_inverter_ac_rating, check_no_pv_at_night, check_cost,
                 check_battery_serves_before_the_grid, check_surplus_loads_take_no_grid_or_battery]
