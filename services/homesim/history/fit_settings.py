"""The inverter's settings as far as a measured history shows them.

- SoC floors: with the grid on, homesim's inverter (as a Sunsynk/Deye) stops discharging at the
  largest of the active program's SoC, the backup reserve and the low-battery SoC. A sample
  where the home imports while the battery stands idle, PV below the load, is the battery at
  its floor: the SoC there, by local hour (median), is that hour's floor.
- Grid-charge windows: the battery charging (more than 100 W) with no PV (under 30 W) while
  the home imports at least half of that power. An hour of the day in which that happens on at
  least one day (10 minutes or more) is a grid-charge hour; the hours after it held at its
  target belong to the window; its target is the floor seen there, else the median over the
  days it charged of the highest SoC in it.
- Work mode: export seen (more than 1 kWh and 0.5 % of the PV energy) means ``selling_first``;
  none, ``limited_to_home``.
- Efficiency: AC out (``load + export - import``) over DC in (``pv + battery_w``) summed in
  bins of DC power (fraction of the rating), a ``points`` curve; the rating: the most AC seen.

Hours are hours of local time (the history's time zone).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from homesim.engine.compiled import local_calendar
from homesim.history.series import History

#: DC power bins of the efficiency curve, as fractions of the rating.
EFFICIENCY_BINS = (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.2)


def local_hours(history: History) -> tuple[np.ndarray, np.ndarray]:
    """Local hour of the day (0..23) and local day number of each sample."""
    calendar = local_calendar(history.unix_s, history.timezone)
    day = (history.unix_s - calendar.second_of_day + 43_200) // 86_400  # from the day's local midnight
    return calendar.second_of_day // 3600, day


def _get(history: History, name: str) -> np.ndarray:
    series = history.values.get(name)
    return np.full(history.size, np.nan) if series is None else series


def fit_settings(history: History, max_charge_w: float | None, max_discharge_w: float | None) -> tuple[dict[str, Any], list[str]]:
    """The settings (see the module docstring): ``floors`` by hour, ``grid_charge`` hours and
    targets, ``programs`` (home-file slots), reserve, work mode, rating and efficiency."""
    notes: list[str] = []
    hour, day = local_hours(history)
    pv, load = _get(history, "pv_w"), _get(history, "load_w")
    imp, exp = _get(history, "grid_import_w"), _get(history, "grid_export_w")
    bat, soc = _get(history, "battery_w"), _get(history, "soc")
    out: dict[str, Any] = {}
    have_battery = np.isfinite(bat).any() and np.isfinite(soc).any()
    floors = np.full(24, np.nan)
    gc_hours = np.zeros(24, dtype=bool)
    gc_power = np.full(24, np.nan)
    if have_battery:
        idle = (np.abs(bat) < 30.0) & (imp > 50.0) & (np.nan_to_num(pv, nan=0.0) < load) & np.isfinite(soc)
        for h in range(24):
            at = idle & (hour == h)
            if at.sum() >= 10:
                floors[h] = float(np.median(soc[at]))
        charging = (bat < -100.0) & (np.nan_to_num(pv, nan=1e9) < 30.0) & (imp >= 0.5 * -bat)
        days = np.unique(day)
        if days.size:
            for h in range(24):
                at = charging & (hour == h)
                on_days = np.unique(day[at]).size
                if on_days >= 1 and at.sum() * history.step_s >= 600:
                    gc_hours[h] = True
                    gc_power[h] = float(np.median(-bat[at]))
        for h in np.flatnonzero(gc_hours & ~np.isfinite(floors)):
            at = (hour == h) & np.isfinite(soc)
            charged = np.unique(day[charging & (hour == h)])  # days it charged: it stops at the target
            daily_max = [np.max(soc[at & (day == d)]) for d in charged]
            if daily_max:
                floors[h] = float(np.median(daily_max))
    known = np.isfinite(floors)
    reserve = None
    if have_battery:
        if not known.any():
            notes.append("the battery never stood idle while the home imported: no SoC floor seen; the floor is "
                         "taken below the lowest SoC seen (at most homesim's default reserve 0.2)")
        # An hour without evidence: the battery was never held there; its floor is below anything seen.
        lowest_seen = float(np.nanmin(soc))
        lowest_known = float(np.min(floors[known])) if known.any() else min(0.2, lowest_seen - 0.01)
        floors[~known] = max(0.0, min(lowest_known, lowest_seen))
        reserve = float(np.min(floors))
    out["floors_by_hour"] = {"value": [None if not np.isfinite(f) else round(float(f), 3) for f in floors],
                             "unit": "0..1", "method": "median SoC while the home imports and the battery is idle, "
                             "by local hour", "uncertainty": "hours without such samples: the lowest floor seen, "
                             "at most 0.01 below the lowest SoC seen", "evidence_hours": int(known.sum())}
    out["grid_charge_hours"] = {"value": [int(h) for h in np.flatnonzero(gc_hours)], "unit": "h",
                                "method": "local hours with grid charging (battery charging, no PV, import) for "
                                "10 minutes or more", "uncertainty": None}
    if reserve is not None:
        out["reserve_soc"] = {"value": round(reserve, 3), "unit": "0..1", "method": "the lowest floor",
                              "uncertainty": None}
        out["programs"] = {"value": _programs(floors, gc_hours, gc_power, max_discharge_w or 5000.0, known),
                           "unit": None, "method": "hours of equal floor and grid charge merged into slots "
                           "(at most 6)", "uncertainty": None}
    exported = np.nansum(exp) * history.step_s / 3.6e6 if np.isfinite(exp).any() else 0.0
    produced = np.nansum(pv) * history.step_s / 3.6e6 if np.isfinite(pv).any() else 0.0
    exports = exported > 1.0 and exported > 0.005 * produced
    if not np.isfinite(exp).any():
        notes.append("no grid export column: work mode taken as limited_to_home (no export)")
    out["work_mode"] = {"value": "selling_first" if exports else "limited_to_home", "unit": None,
                        "method": "export seen" if exports else "no export seen",
                        "uncertainty": f"{exported:.1f} kWh exported, {produced:.1f} kWh PV"}
    out.update(_efficiency(pv, bat, load, imp, exp, max_charge_w, max_discharge_w, notes,
                           per=max(1, 900 // history.step_s)))
    return out, notes


def _programs(floors: np.ndarray, gc_hours: np.ndarray, gc_power: np.ndarray, discharge_w: float,
              evidence: np.ndarray) -> list[dict[str, Any]]:
    """Home-file program slots (at most 6) from hourly floors (``evidence``: seen, not assumed)
    and grid-charge hours."""
    level = np.round(floors / 0.01) * 0.01
    slots: list[list[Any]] = []  # [start hour, soc, grid_charge, power]
    for h in range(24):
        power = float(gc_power[h]) if gc_hours[h] else float(discharge_w)
        if slots and slots[-1][2] and gc_hours[h]:  # one grid-charge window: its target is the highest reached
            slots[-1][1] = max(slots[-1][1], float(level[h]))
            slots[-1][3] = max(slots[-1][3], power)
            continue
        if slots and slots[-1][2] and abs(slots[-1][1] - level[h]) <= 0.035:
            # held at the target after a grid charge: the same window (it charges on when short)
            slots[-1][1] = max(slots[-1][1], float(level[h]))
            continue
        if slots and slots[-1][2] == bool(gc_hours[h]) and abs(slots[-1][1] - level[h]) <= 0.02:
            if evidence[h] and not evidence[slots[-1][0]]:
                slots[-1][1] = float(level[h])  # a floor seen beats one assumed
            continue
        slots.append([h, float(level[h]), bool(gc_hours[h]), power])
    # wrap: a first slot equal to the last one is the last one going on past midnight
    if len(slots) > 1 and slots[-1][2] == slots[0][2] and abs(slots[-1][1] - slots[0][1]) <= 0.02:
        slots[-1][1] = max(slots[-1][1], slots[0][1])
        slots.pop(0)
    while len(slots) > 6:  # merge the two neighbouring slots most alike
        gaps = [abs(slots[i][1] - slots[i + 1][1]) + (1.0 if slots[i][2] != slots[i + 1][2] else 0.0)
                for i in range(len(slots) - 1)]
        i = int(np.argmin(gaps))
        slots[i][1] = max(slots[i][1], slots[i + 1][1])
        del slots[i + 1]
    return [{"start": f"{h:02d}:00", "power_w": float(round(max(power, 100.0), -1)),
             "soc": float(round(min(max(s, 0.0), 1.0), 2)),
             **({"grid_charge": True} if gc else {})} for h, s, gc, power in slots]


def _efficiency(pv, bat, load, imp, exp, max_charge_w, max_discharge_w, notes, per=15) -> dict[str, Any]:  # noqa: ANN001
    """Rating and efficiency curve; the ratio is taken over windows of ``per`` samples (noise in
    the readings, averaged out, would otherwise bias the bins of low power: a bin chosen by a
    noisy DC power holds the samples whose DC reading came out high)."""
    out: dict[str, Any] = {}
    dc_raw = np.nan_to_num(pv) + np.nan_to_num(bat)
    ac_raw = load + np.nan_to_num(exp) - np.nan_to_num(imp)
    # (no condition on the AC side: AC out is a difference of readings, its noise would select)
    valid = np.isfinite(pv) & np.isfinite(load) & np.isfinite(imp) & (dc_raw > 20.0)
    if np.isfinite(bat).any():
        valid &= np.isfinite(bat)
    most_ac = float(np.percentile(ac_raw[valid], 99.9)) if valid.sum() > 100 else 5000.0
    valid &= np.abs(ac_raw) < 10.0 * np.maximum(dc_raw, 100.0)  # a spike or a unit slip left in
    cut = dc_raw.size // per * per
    ok = valid[:cut].reshape(-1, per).all(axis=1)
    dc = dc_raw[:cut].reshape(-1, per).mean(axis=1)
    ac = np.where(valid, ac_raw, 0.0)[:cut].reshape(-1, per).mean(axis=1)
    # Each side is a sum of readings; its noise grows with their gross size. A window is put in
    # the bin of the side with less (the AC side as DC by the overall efficiency): a bin chosen
    # by the noisier side would hold the windows whose reading of it came out high or low.
    gross_dc = (np.abs(np.nan_to_num(pv)) + np.abs(np.nan_to_num(bat)))[:cut].reshape(-1, per).mean(axis=1)
    gross_ac = (np.nan_to_num(load) + np.nan_to_num(exp) + np.nan_to_num(imp))[:cut].reshape(-1, per).mean(axis=1)
    most_pv = float(np.nanpercentile(pv, 99.9)) if np.isfinite(pv).any() else 0.0
    rated = float(max(3000.0, np.ceil(max(most_ac * 1.05, most_pv, max_discharge_w or 0.0) / 100.0) * 100.0))
    out["rated_power_w"] = {"value": rated, "unit": "W", "method": "1.05 x the 99.9th percentile of AC out "
                            "(load + export - import), at least the most PV and battery discharge power seen",
                            "uncertainty": None}
    if ok.sum() < 20:
        notes.append("too few samples with PV or battery power to fit the inverter's efficiency: 0.96 used")
        out["efficiency"] = {"value": 0.96, "unit": "0..1", "method": "default", "uncertainty": None}
        return out
    overall = float(ac[ok].sum() / dc[ok].sum())
    fraction = np.where(gross_dc <= gross_ac, dc, ac / max(overall, 0.5))[ok] / rated
    index = np.digitize(fraction, EFFICIENCY_BINS) - 1
    points = []
    for i in range(len(EFFICIENCY_BINS) - 1):
        at = index == i
        if at.sum() >= 8 and dc[ok][at].sum() > 0:
            eta = float(ac[ok][at].sum() / dc[ok][at].sum())
            points.append([round(float(np.mean(fraction[at])), 4), round(min(max(eta, 0.06), 1.0), 4)])
    total = overall
    if len(points) >= 2:
        out["efficiency"] = {"value": {"curve": "points", "points": points}, "unit": "0..1",
                             "method": "sum of AC out over sum of DC in over 15-minute windows, by bin of DC power "
                             "(read on the side of fewer and smaller readings)", "uncertainty": None,
                             "overall": round(total, 4)}
    else:
        out["efficiency"] = {"value": round(min(max(total, 0.51), 1.0), 4), "unit": "0..1",
                             "method": "sum of AC out over sum of DC in", "uncertainty": None}
    return out
