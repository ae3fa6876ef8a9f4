"""The household's load from a measured history: replayed as measured, and a typical week by
month for the time outside the measured period.

- The replay: a ``generic_load`` profile CSV series (``time,power_w``, ISO timestamps in UTC),
  one row per sample of at least a minute, gaps filled from the typical week.
- The typical week: the mean load by local month, weekday and hour (``month,weekday,time,
  power_w``, 12 x 7 x 24 rows); a month without data takes the nearest month with data, a
  weekday without data in a month that month's mean over all its days at that hour.
"""

from __future__ import annotations

import numpy as np

from homesim.engine.compiled import local_calendar
from homesim.history.series import History

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def typical_week(history: History, load: np.ndarray) -> np.ndarray:
    """Mean load [W] by local month (0..11), weekday (0 = Monday) and hour: ``[12, 7, 24]``."""
    calendar = local_calendar(history.unix_s, history.timezone)
    ok = np.isfinite(load)
    key = ((calendar.month - 1) * 7 + calendar.weekday) * 24 + calendar.second_of_day // 3600
    sums = np.bincount(key[ok], weights=load[ok], minlength=12 * 7 * 24).reshape(12, 7, 24)
    counts = np.bincount(key[ok], minlength=12 * 7 * 24).reshape(12, 7, 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = sums / counts
        month_hour = sums.sum(axis=1) / counts.sum(axis=1)  # [12, 24]
    month_hour = _fill_months(month_hour)
    table = np.where(np.isfinite(table), table, month_hour[:, None, :])
    return table


def _fill_months(month_hour: np.ndarray) -> np.ndarray:
    """Months with no data take the nearest month that has (circular in the year)."""
    have = np.flatnonzero(np.isfinite(month_hour).all(axis=1))
    if have.size == 0:
        return np.where(np.isfinite(month_hour), month_hour, 0.0)
    out = month_hour.copy()
    for m in range(12):
        if m in have:
            continue
        distance = np.minimum(np.abs(have - m), 12 - np.abs(have - m))
        out[m] = month_hour[have[np.argmin(distance)]]
    # an hour missing inside a month with some data
    return np.where(np.isfinite(out), out, np.nanmean(out))


def typical_week_csv(table: np.ndarray) -> str:
    """The typical week as the ``generic_load`` typical-week CSV text."""
    months, weekdays, hours = np.meshgrid(np.arange(1, 13), np.arange(7), np.arange(24), indexing="ij")
    rows = [f"{m},{WEEKDAY_NAMES[w]},{h:02d}:00,{v:.1f}"
            for m, w, h, v in zip(months.ravel(), weekdays.ravel(), hours.ravel(), table.ravel())]
    return "month,weekday,time,power_w\n" + "\n".join(rows) + "\n"


def replay_series(history: History, load: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The measured load on a grid of at least 60 s (means), gaps filled from ``table``:
    start instants [s since 1970 UTC], power [W] and the step [s]."""
    step = history.step_s
    values = load
    unix = history.unix_s
    if step < 60 and 60 % step == 0:
        per = 60 // step
        cut = history.size // per * per
        with np.errstate(invalid="ignore"):
            values = np.nanmean(load[:cut].reshape(-1, per), axis=1) if cut else load[:0]
        unix = unix[:cut:per]
        step = 60
    gaps = ~np.isfinite(values)
    if gaps.any():
        calendar = local_calendar(unix[gaps], history.timezone)
        values = values.copy()
        values[gaps] = table[calendar.month - 1, calendar.weekday, calendar.second_of_day // 3600]
    return unix, values, step


def series_csv(unix: np.ndarray, power: np.ndarray) -> str:
    """A ``generic_load`` profile CSV series: ISO timestamps in UTC and power [W]."""
    stamps = np.datetime_as_string(unix.astype("datetime64[s]"), unit="s")
    text = np.char.add(np.char.add(stamps, "+00:00,"), np.char.mod("%.1f", np.round(power, 1)))
    return "time,power_w\n" + "\n".join(text.tolist()) + "\n"
