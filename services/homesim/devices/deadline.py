"""Deadline loads: activities that happen inside a daily window and want their energy by its end.

An EV charger's session (a car plugged in from its arrival to its departure) and a pool pump's
day (its hours between ``earliest`` and ``deadline``) are both a *deadline load*: each activity
is a window in local time on some weekdays, ending the next day when its end is not after its
start; each tick belongs to at most one activity; and what an activity was short of its energy
when its window closed is reported (the ledger's ``short.<id>`` at its last tick, summary.json's
``deadlines.<id>``). This module is that logic, once:

:func:`daily_windows`
    the windows' starts and ends in real time over a block's local days;
:func:`tick_windows`
    which window each tick belongs to;
:func:`spread`
    a value per window onto the ticks;
:func:`activity_deadlines`
    per activity, what it wanted, got and was short by its window's end;
:func:`counted`, :func:`count_into` (kernels)
    what a load has counted into the tick's activity, a new activity starting from 0.

An activity is named in a kind's inputs by its start (seconds since 1970 UTC; 0: none), so the
kernels see a new activity when that value changes. What the kernels count (a session's energy,
a day's running time) is the kind's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from homesim.jit import njit

from homesim.devices.base import WEEKDAYS, Deadlines, seconds_of_day
from homesim.devices.schedule import LocalDays


@njit(cache=True)
def counted(s, i, slot, count, activity):
    """What load ``i`` has counted into ``activity`` so far: its state's column ``count``, if its
    column ``slot`` names that activity, else 0 (an activity it has not begun)."""
    return s[i, count] if s[i, slot] == activity else 0.0


@njit(cache=True)
def count_into(s, i, slot, count, activity, amount):
    """Add ``amount`` to what load ``i`` counted into ``activity`` (its state's columns: ``slot``
    the activity counted, ``count`` the count); a new activity starts from 0, and outside every
    activity (0) nothing is counted."""
    if activity > 0.0:
        if s[i, slot] != activity:
            s[i, slot] = activity
            s[i, count] = 0.0
        s[i, count] += amount


def daily_windows(days: LocalDays, start: str, end: str, weekdays: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The windows from ``start`` to ``end`` (local ``"HH:MM"``) that begin on ``weekdays``
    (``"mon"``..) in ``days``: their starts and ends relative to the days' origin [s], in day
    order. An ``end`` not after ``start`` is on the next day; a window whose end lies past the
    last of ``days`` is left out."""
    start_s, end_s = seconds_of_day(start), seconds_of_day(end)
    day = days.occurring([WEEKDAYS.index(d) for d in weekdays])
    if end_s <= start_s:  # it ends on the next day
        day = day[day + 1 < days.count]
        ends = days.instants(day + 1, end_s)
    else:
        ends = days.instants(day, end_s)
    return days.instants(day, start_s).astype(np.float64), ends.astype(np.float64)


def tick_windows(bounds: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per tick, the window it belongs to (an index into ``start`` and ``end``; -1: none).

    ``bounds`` are the ticks' starts and the last tick's end, and ``start`` and ``end`` the
    windows', all on the same time axis [s]; the windows sorted by start. A tick belongs to a
    window it overlaps for any time; a tick two windows share belongs to the earlier one (a car
    leaving in a tick keeps it, the next one arriving in it starts in the next tick).
    """
    ticks = bounds.size - 1
    which = np.full(ticks, -1, dtype=np.int64)
    first = np.searchsorted(bounds, start, side="right") - 1  # the tick it starts in
    last = np.searchsorted(bounds, end, side="left") - 1  # the tick it ends in
    for k in range(start.size - 1, -1, -1):  # the earliest last: it keeps a shared tick
        lo, hi = max(int(first[k]), 0), min(int(last[k]), ticks - 1)
        if lo <= hi:
            which[lo:hi + 1] = k
    return which


def spread(which: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per tick, the value of the window it belongs to (``which``, from :func:`tick_windows`), 0
    where it belongs to none."""
    out = np.zeros(which.size)
    inside = which >= 0
    out[inside] = values[which[inside]]
    return out


def activity_deadlines(activity: np.ndarray, wanted_j: np.ndarray | int, served_j: np.ndarray, unix_s: np.ndarray,
                       dt_s: int) -> Deadlines:
    """Each activity seen in a run: what it wanted and got, and the energy it was short at its
    last tick.

    ``activity`` names each tick's activity (its start, seconds since 1970 UTC; 0: none),
    ``wanted_j`` what the tick's activity wants in all [J] (one number: every activity the same),
    ``served_j`` what the load was served in each tick [J] and ``unix_s`` each tick's start [s].
    An activity still open at the run's last tick is listed with ``ended`` false and not counted
    short: its window had not closed.
    """
    wanted_j = np.broadcast_to(wanted_j, activity.shape)
    short = np.zeros(activity.size, dtype=np.int64)
    rows: list[dict[str, Any]] = []
    ticks = np.flatnonzero(activity > 0)
    if ticks.size:
        cuts = np.flatnonzero(np.diff(activity[ticks]) != 0) + 1
        for run in np.split(ticks, cuts):
            wanted = int(wanted_j[run[0]])
            delivered = int(served_j[run].sum())
            ended = bool(run[-1] + 1 < activity.size)
            missing = max(0, wanted - delivered) if ended else 0
            short[run[-1]] = missing
            rows.append({"start": int(activity[run[0]]), "end": int(unix_s[run[-1]]) + dt_s, "wanted_j": wanted,
                         "delivered_j": delivered, "short_j": missing, "ended": ended})
    return Deadlines(short, rows)
