"""Grid outages seen in a measured history (load-shedding, faults), for the replay.

With the grid on, homesim's inverter (as a Sunsynk/Deye) never takes the battery below the
floor of the hour (:mod:`homesim.history.fit_settings`): the home imports instead. In an outage
it does, down to its shutdown SoC, and nothing is imported. So a sample with the battery
discharging (over 50 W) more than 0.015 below its hour's floor while nothing crosses the grid
(import and export under 5 W) is in an outage; the outage is the whole stretch around it with
nothing crossing the grid (a stretch of at least 10 minutes). Outages the battery rode through
above its floor can't be told from the grid standing idle: the replay does the same there
either way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.history.series import History

#: Below the hour's floor by more than this, discharging, is only possible in an outage [0..1].
BELOW_FLOOR = 0.015


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def find_outages(history: History, floors: list[float | None], hour: np.ndarray) -> tuple[list[dict[str, Any]], dict]:
    """Outage windows (home-file ``grid.outages`` entries, local times with their offset) and a
    fitted entry; ``floors``: the floor of each local hour, ``hour``: each sample's local hour."""
    values = history.values
    soc, battery = values.get("soc"), values.get("battery_w")
    imp, exp = values.get("grid_import_w"), values.get("grid_export_w")
    none = {"value": [], "unit": None, "method": "no battery SoC and power to see outages by", "uncertainty": None}
    if soc is None or battery is None or imp is None or not np.isfinite(soc).any():
        return [], none
    floor = np.array([np.nan if f is None else f for f in floors])[hour]
    idle_grid = (np.nan_to_num(imp, nan=np.inf) < 5.0) & (np.nan_to_num(exp if exp is not None else np.zeros(history.size),
                                                                        nan=np.inf) < 5.0)
    evidence = idle_grid & (np.nan_to_num(battery) > 50.0) & (np.nan_to_num(soc, nan=1.0) < floor - BELOW_FLOOR)
    starts, ends = _runs(idle_grid)
    keep = [(s, e) for s, e in zip(starts, ends)
            if (e - s) * history.step_s >= 600 and evidence[s:e].any()]
    zone = ZoneInfo(history.timezone)

    def local(index: int) -> str:
        moment = dt.datetime.fromtimestamp(int(history.start_s + index * history.step_s), zone)
        return moment.isoformat(timespec="minutes")  # with its offset: an autumn hour is not ambiguous

    windows = [{"start": local(s), "end": local(e)} for s, e in keep]
    hours = sum(e - s for s, e in keep) * history.step_s / 3600.0
    entry = {"value": windows, "unit": None,
             "method": "stretches with nothing crossing the grid in which the battery went below its floor",
             "uncertainty": f"{len(windows)} outages, {hours:.1f} h"}
    return windows, entry
