"""Local schedules in real time: activities as intervals of real time, integrated exactly per tick.

People write schedules in local wall-clock time: lights on 17:30-23:00, a kettle use at 06:30,
a geyser's hot-water draw by hour of day, a smart switch's timer. Every occurrence of such an
activity is turned into an interval of real time (seconds since 1970-01-01 UTC) with the
home's time zone, and a tick ``[t, t + dt_s)`` takes the exact integral of the activity over
its own real-time interval. So an activity delivers its whole energy whatever the step
(a window 17:10-17:50 gives 40 minutes of a 3600 s tick), across local midnight (a kettle
boil started at 23:58 goes on after 00:00), across the end of a block of ticks (the
intervals do not depend on where a block ends), and across a DST change: a window
01:00-04:00 on the night the clocks go forward lasts two real hours, a boil lasts its
minutes of real time. A wall time that does not exist (in the hour skipped in spring) maps
as Python's ``fold=0`` does: onto the instant the clocks jumped at, shifted by the gap; one that
occurs twice (in autumn) maps to its first occurrence.

Glossary
--------
days
    :class:`LocalDays`: the local dates around a block (with margins), their midnights in
    real time and weekdays.
steps
    :class:`Steps`: a piecewise-constant function of real time: ``value[i]`` on
    ``[start[i], end[i])``, 0 elsewhere, segments sorted and disjoint. Times are seconds
    relative to the block's first tick start [s], so sums stay exact to far below a Joule.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from homesim.jit import njit

#: Seconds in a day [s].
DAY_S = 86_400

#: Local days kept before the block's first tick and after its last tick's end: an activity
#: starting on the day before (a window past midnight, a boil) still reaches into the block.
MARGIN_DAYS = 2


@dataclass(frozen=True)
class LocalDays:
    """The local dates around a block of ticks.

    Attributes
    ----------
    origin : int
        Real-time origin of the block's relative times: its first tick start [s since 1970 UTC].
    dates : list of datetime.date
        Local dates, consecutive; one more than the days with occurrences (its midnight ends
        the last day).
    midnight : ndarray of int64
        Each date's local midnight, relative to ``origin`` [s].
    weekday : ndarray of int64
        Each date's weekday, 0 = Monday.
    timezone : str
        IANA time zone of the home.
    """

    origin: int
    dates: list[dt.date]
    midnight: np.ndarray
    weekday: np.ndarray
    timezone: str

    @classmethod
    def around(cls, unix_s: np.ndarray, dt_s: int, timezone: str) -> "LocalDays":
        """The local days covering ticks starting at ``unix_s`` [s] and lasting ``dt_s`` [s]."""
        zone = ZoneInfo(timezone)
        origin = int(unix_s[0])
        first = dt.datetime.fromtimestamp(origin, zone).date() - dt.timedelta(days=MARGIN_DAYS)
        last = dt.datetime.fromtimestamp(int(unix_s[-1]) + dt_s, zone).date() + dt.timedelta(days=MARGIN_DAYS)
        dates = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
        midnight = np.array([_wall(d, 0, zone) for d in dates], dtype=np.int64) - origin
        weekday = np.array([d.weekday() for d in dates], dtype=np.int64)
        return cls(origin, dates, midnight, weekday, timezone)

    @property
    def count(self) -> int:
        """Days that can hold occurrences (every date but the last) [-]."""
        return len(self.dates) - 1

    def instants(self, day: np.ndarray, second_of_day: np.ndarray | int) -> np.ndarray:
        """Real time of local wall times: ``second_of_day`` [s] after the midnight of ``day``
        (indexes into ``dates``; 86400 is the next midnight), relative to ``origin`` [s]."""
        day = np.asarray(day, dtype=np.int64)
        second = np.asarray(second_of_day, dtype=np.int64)
        out = self.midnight[day] + second
        # A day without a clock change is 86400 s long and its wall times are its midnight plus
        # the seconds; on the (at most two a year) days with a change, ask the time zone.
        if self.changes:
            odd = np.flatnonzero(np.isin(day, self.changes))
        else:
            return out
        if odd.size:
            zone = ZoneInfo(self.timezone)
            for k in odd:
                out[k] = _wall(self.dates[day[k]], int(second if second.ndim == 0 else second[k]), zone) - self.origin
        return out

    @functools.cached_property
    def changes(self) -> list[int]:
        """Days (indexes) whose length is not 86400 s: the clocks change on them."""
        return [int(k) for k in np.flatnonzero(np.diff(self.midnight) != DAY_S)]

    def occurring(self, weekdays: list[int] | None = None) -> np.ndarray:
        """Days (indexes) that can hold occurrences, on the given weekdays (None: all)."""
        days = np.arange(self.count, dtype=np.int64)
        if weekdays is None:
            return days
        on = np.zeros(7, dtype=np.bool_)
        on[weekdays] = True
        return days[on[self.weekday[: self.count]]]


def _wall(date: dt.date, second_of_day: int, zone: ZoneInfo) -> int:
    """Real time of a local wall time [s since 1970 UTC] (``fold=0`` in gaps and repeats)."""
    midnight = dt.datetime(date.year, date.month, date.day, tzinfo=zone)
    return int((midnight + dt.timedelta(seconds=second_of_day)).timestamp())


@dataclass(frozen=True)
class Steps:
    """A piecewise-constant function of real time (see the module's glossary).

    ``start``, ``end`` [s, relative to the block's origin] and ``value`` (in the function's
    unit, e.g. [W] or [L/s]) are float64 arrays; the segments are sorted and disjoint.
    """

    start: np.ndarray
    end: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> "Steps":
        nothing = np.zeros(0)
        return cls(nothing, nothing, nothing)

    @classmethod
    def from_intervals(cls, start: np.ndarray, end: np.ndarray, value: np.ndarray | float = 1.0,
                       union: bool = False) -> "Steps":
        """The sum of ``value`` over possibly overlapping intervals ``[start, end)``; with
        ``union`` 1 wherever any interval is (the value is then ignored)."""
        start = np.asarray(start, dtype=np.float64)
        end = np.asarray(end, dtype=np.float64)
        value = np.broadcast_to(np.asarray(value, dtype=np.float64), start.shape)
        keep = end > start
        start, end, value = start[keep], end[keep], value[keep]
        if start.size == 0:
            return cls.empty()
        order = np.argsort(start, kind="stable")
        first, last = start[order], end[order]
        if np.all(first[1:] >= last[:-1]):  # already disjoint: kept exactly as given
            if union:  # what the sweep below gives for them: each interval at 1
                return cls(first, last, np.ones(first.size))
            value = value[order]
            keep = value != 0.0
            return cls(first[keep], last[keep], value[keep])
        if not union:
            start, end, value = first, last, value[order]
        times = np.concatenate([start, end])
        if union:
            deltas = np.concatenate([np.ones(start.size, np.int64), -np.ones(start.size, np.int64)])
        else:
            deltas = np.concatenate([value, -value])
        order = np.argsort(times, kind="stable")
        times, level = times[order], np.cumsum(deltas[order])
        if union:
            level = (level > 0).astype(np.float64)
        seg_start, seg_end, seg_value = times[:-1], times[1:], level[:-1]
        keep = (seg_end > seg_start) & (seg_value != 0.0)
        return cls(seg_start[keep], seg_end[keep], seg_value[keep].astype(np.float64))

    def at(self, x: np.ndarray) -> np.ndarray:
        """The function's value at times ``x`` [s]."""
        if self.start.size == 0:
            return np.zeros(np.shape(x))
        k = np.searchsorted(self.start, x, side="right") - 1
        kk = np.maximum(k, 0)
        inside = (k >= 0) & (x < self.end[kk])
        return np.where(inside, self.value[kk], 0.0)

    def __mul__(self, other: "Steps") -> "Steps":
        """The product of two step functions (e.g. a power [W] times a timer's 0/1)."""
        times = np.unique(np.concatenate([self.start, self.end, other.start, other.end]))
        if times.size < 2:
            return Steps.empty()
        middle = (times[:-1] + times[1:]) / 2.0
        value = self.at(middle) * other.at(middle)
        keep = value != 0.0
        return Steps(times[:-1][keep], times[1:][keep], value[keep])

    def __add__(self, other: "Steps") -> "Steps":
        times = np.unique(np.concatenate([self.start, self.end, other.start, other.end]))
        if times.size < 2:
            return Steps.empty()
        middle = (times[:-1] + times[1:]) / 2.0
        value = self.at(middle) + other.at(middle)
        keep = value != 0.0
        return Steps(times[:-1][keep], times[1:][keep], value[keep])

    def scaled(self, factor: float) -> "Steps":
        return Steps(self.start, self.end, self.value * factor)

    def per_tick(self, bounds: np.ndarray) -> np.ndarray:
        """The integral over each tick [value x s], the ticks given by their ``n + 1`` bounds
        (consecutive tick starts and the last tick's end, relative to the origin [s], sorted)."""
        out = np.zeros(bounds.shape[0] - 1)
        if self.start.size == 0:
            return out
        length = self.end - self.start
        before = np.concatenate([[0.0], np.cumsum(self.value * length)])[:-1]
        _per_tick(self.start, length, self.value, before, np.asarray(bounds, dtype=np.float64), out)
        return out


@njit(cache=True, nogil=True)
def _per_tick(start, length, value, before, bounds, out):
    """``out[i] = F(bounds[i + 1]) - F(bounds[i])``, ``F`` the integral of the steps
    (``start``, ``length`` [s], ``value``; ``before``: the integral up to each segment's
    start) from the beginning of time [value x s]. The bounds are sorted, so the segment each
    lies in is found by walking forward once (the same ``k`` as ``np.searchsorted(start, x,
    side='right') - 1``)."""
    k = -1
    previous = 0.0
    for i in range(bounds.shape[0]):
        x = bounds[i]
        while k + 1 < start.shape[0] and start[k + 1] <= x:
            k += 1
        if k >= 0:
            inside = min(max(x - start[k], 0.0), length[k]) * value[k]
            cumulative = before[k] + inside
        else:
            cumulative = 0.0
        if i > 0:
            out[i - 1] = cumulative - previous
        previous = cumulative


def constant(days: LocalDays, value: float) -> Steps:
    """``value`` over every day of ``days``."""
    if value == 0.0:
        return Steps.empty()
    return Steps(np.array([float(days.midnight[0])]), np.array([float(days.midnight[-1])]), np.array([float(value)]))


def windows(days: LocalDays, spans: list[tuple[int, int, list[int]]]) -> Steps:
    """1 inside any of the daily windows, 0 elsewhere.

    ``spans``: ``(start_s, end_s, weekdays)`` per window, seconds of the local day [s]; an
    end at or before the start runs past midnight into the next day; the weekdays (0 =
    Monday) are those the window starts on.
    """
    starts, ends = [], []
    for start_s, end_s, weekdays in spans:
        day = days.occurring(weekdays)
        if end_s <= start_s:  # past midnight: ends on the next day
            day = day[day + 1 < days.count]
            ends.append(days.instants(day + 1, end_s))
        else:
            ends.append(days.instants(day, end_s))
        starts.append(days.instants(day, start_s))
    if not starts:
        return Steps.empty()
    return Steps.from_intervals(np.concatenate(starts), np.concatenate(ends), union=True)


def occurrences(days: LocalDays, seconds_of_day: list[int], duration_s: float,
                weekdays: list[int] | None = None, value: float = 1.0) -> Steps:
    """``value`` for ``duration_s`` of real time [s] from each of the daily start times
    (seconds of the local day [s]) on the given weekdays (None: every day); overlapping
    occurrences add up."""
    day = days.occurring(weekdays)
    if day.size == 0 or not seconds_of_day:
        return Steps.empty()
    starts = np.concatenate([days.instants(day, s) for s in seconds_of_day]).astype(np.float64)
    return Steps.from_intervals(starts, starts + duration_s, value)


def daily(days: LocalDays, seconds_of_day: list[int], values: list[float]) -> Steps:
    """A daily profile: ``values[i]`` from local time ``seconds_of_day[i]`` [s] (sorted) until the
    next one; before the first, the last value of the day before (it wraps at midnight)."""
    keys = list(seconds_of_day)
    level = list(values)
    if keys[0] > 0:  # the day's start carries the previous day's last value
        keys, level = [0] + keys, [values[-1]] + level
    bounds = np.array(keys + [DAY_S], dtype=np.int64)
    day = np.repeat(np.arange(days.count, dtype=np.int64), len(keys) + 1)
    instants = days.instants(day, np.tile(bounds, days.count)).reshape(days.count, len(keys) + 1)
    return Steps.from_intervals(instants[:, :-1].ravel(), instants[:, 1:].ravel(), np.tile(level, days.count))


def series(days: LocalDays, unix_s: np.ndarray, values: np.ndarray) -> Steps:
    """A measured series: ``values[i]`` from instant ``unix_s[i]`` [s since 1970 UTC, sorted]
    until the next one, the last one on; nothing before the first."""
    start = np.asarray(unix_s, dtype=np.float64) - days.origin
    end = np.concatenate([start[1:], [max(float(days.midnight[-1]), float(start[-1]) + 1.0)]])
    return Steps.from_intervals(start, end, np.asarray(values, dtype=np.float64))
