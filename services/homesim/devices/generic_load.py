"""Generic load: a constant power, 24 hourly values, a measured profile from a CSV file, or a
typical week by month.

The profile CSV has a header ``time,power_w``. ``time`` is either a local time of day ``HH:MM``
(a daily profile: each value holds until the next time, wrapping at midnight) or an ISO 8601
timestamp (a series: each value holds until the next timestamp, the last one on; 0 W before the
first).

The typical-week CSV (``typical_week_csv``) has a header ``month,weekday,time,power_w``: a
month 1..12, a weekday ``mon``..``sun``, a local time of day ``HH:MM`` and a power [W]; every
one of the 84 (month, weekday) days must have rows. On a day of that month and weekday, each
value holds from its time until the day's next time (before the day's first time, its last
value). Alone it is the load on every day; with a series ``profile_csv`` it is the load outside
the series' span, which then runs from the first timestamp to the last one plus the step
before it (the last value holds one step, not on forever): a measured period replayed as
measured, the typical week before and after it (``homesim.history.calibrate`` writes both).
"""

from __future__ import annotations

import csv
import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import Field, PrivateAttr, model_validator

from homesim.devices import schedule
from homesim.devices.behaviour import ProfileLoad
from homesim.devices.base import FileCheck, seconds_of_day, _check_time_of_day
from homesim.devices.schedule import LocalDays, Steps
from homesim.echo import shown
from homesim.units import quantity

Power = Annotated[float, Field(ge=0.0, le=1e6)]


class ProfileError(ValueError):
    """A profile CSV that can't be read; the message names file, line and column."""


def _fast_series(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A series whose timestamps all carry the same UTC offset (``+HH:MM``/``-HH:MM``) in one
    format, read with numpy in C: instants [s since 1970 UTC] and power [W], sorted; None for
    anything else (then :func:`read_profile`'s row-by-row reading names the problem). A year of
    1-minute rows (as ``homesim.history.calibrate`` writes the measured load) reads in about
    1 s instead of 4 (a loaded 2-core machine)."""
    text = path.read_text()
    head, _, body = text.partition("\n")
    if head.strip() != "time,power_w" or not body.strip():
        return None
    body = body.rstrip("\n")
    fields = body.replace("\n", ",").split(",")
    if len(fields) != 2 * (body.count("\n") + 1):
        return None
    times = np.array(fields[0::2])
    width = times.dtype.itemsize // 4
    first = str(times[0])
    if width < 22 or len(first) != width or first[-6] not in "+-" or first[-3] != ":" or "T" not in first:
        return None
    if not (np.char.str_len(times) == width).all() or not (np.char.endswith(times, first[-6:])).all():
        return None
    try:
        stamps = times.astype(f"U{width - 6}").astype("datetime64[s]").astype(np.int64)
        power = np.array(fields[1::2], dtype=object).astype(np.float64)
        sign = 1 if first[-6] == "+" else -1
        offset = sign * (int(first[-5:-3]) * 3600 + int(first[-2:]) * 60)
    except ValueError:
        return None
    if not (np.isfinite(power) & (power >= 0.0) & (power <= 1e6)).all():
        return None
    stamps = stamps - offset
    order = np.argsort(stamps, kind="stable")
    return stamps[order], power[order]


@functools.lru_cache(maxsize=32)
def read_profile(path: Path) -> tuple[str, list | np.ndarray, np.ndarray]:
    """Read a profile CSV: ``("daily" | "series", sorted keys, power_w [W])``; a series's keys
    are datetimes, or, read fast (:func:`_fast_series`), its instants [s since 1970 UTC]."""
    if not path.exists():
        raise ProfileError(f"{path}: no such profile file")
    fast = _fast_series(path) if path.is_file() else None
    if fast is not None:
        return "series", fast[0], fast[1]
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"time", "power_w"} - set(reader.fieldnames or [])
        if missing:
            raise ProfileError(f"{path}: missing column(s) {sorted(missing)}; the header must be time,power_w")
        times, powers = [], []
        for line, row in enumerate(reader, start=2):
            try:
                power = float(row["power_w"])
            except (TypeError, ValueError):
                raise ProfileError(f"{path} line {line}, column 'power_w': {shown(row['power_w'])} is not a number") from None
            if not 0.0 <= power <= 1e6:
                raise ProfileError(f"{path} line {line}, column 'power_w': {power} is not allowed: must be 0..1e6 W")
            times.append((line, row["time"]))
            powers.append(power)
    if not times:
        raise ProfileError(f"{path}: no rows")
    daily = ":" in times[0][1] and "T" not in times[0][1] and "-" not in times[0][1]
    keys = []
    for line, text in times:
        try:
            if daily:
                keys.append(seconds_of_day(_check_time_of_day(text)))
            else:
                keys.append(datetime.fromisoformat(text))
        except ValueError:
            kind = "a time of day HH:MM" if daily else "an ISO 8601 timestamp"
            raise ProfileError(f"{path} line {line}, column 'time': {shown(text)} is not {kind}") from None
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return ("daily" if daily else "series", [keys[i] for i in order], np.array([powers[i] for i in order]))


class Config(ProfileLoad):
    """Any load given by its power over time."""

    LABEL: ClassVar[str] = "Other load"
    ICON: ClassVar[str] = "\N{ELECTRIC PLUG}"
    PALETTE_ORDER: ClassVar[int | None] = 110
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "base loads (router, alarm, chargers) stay on in outages (the reference home's base_load)"

    kind: Literal["generic_load"] = "generic_load"
    power_w: Power | None = quantity("W", default=None, title="Constant power", description="all day")
    hourly_w: Annotated[list[Power], Field(min_length=24, max_length=24)] | None = quantity("W",
        default=None, title="Power by hour", description="one value for each hour, 00:00 to 23:00")
    profile_csv: str | None = quantity("W",
        default=None, title="Profile file",
        description="a CSV file of time,power_w rows (HH:MM daily or ISO timestamps)")

    typical_week_csv: str | None = quantity("W",
        default=None, title="Typical week by month",
        description="a CSV file of month,weekday,time,power_w rows (12 months x 7 weekdays, HH:MM): the load on "
        "every day, or outside a series profile_csv's span")

    _home_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _one_source(self) -> "Config":
        given = [self.power_w is not None, self.hourly_w is not None,
                 self.profile_csv is not None or self.typical_week_csv is not None]
        if sum(given) != 1:
            raise ValueError("give the load one way: power_w, or hourly_w (24 values), or profile_csv and/or "
                             "typical_week_csv")
        return self

    def _path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self._home_dir / path

    def bind_home_dir(self, home_dir: Path) -> None:
        self._home_dir = home_dir

    def files(self, timezone: str) -> list[FileCheck]:
        checks = []
        if self.profile_csv is not None:
            path = self._path(self.profile_csv)

            def profile() -> None:
                kind, _, _ = read_profile(path)
                if kind == "daily" and self.typical_week_csv is not None:
                    raise ProfileError(f"{path}: a daily profile (HH:MM times) with typical_week_csv: a typical week "
                                       "only completes a series (ISO timestamps); give one or the other")

            checks.append(FileCheck("profile_csv", path, profile))
        if self.typical_week_csv is not None:
            week = self._path(self.typical_week_csv)
            checks.append(FileCheck("typical_week_csv", week, lambda: read_typical_week(week)))
        return checks

    def power(self, days: LocalDays) -> Steps:
        if self.power_w is not None:
            return schedule.constant(days, self.power_w)
        if self.hourly_w is not None:
            return schedule.daily(days, [3600 * h for h in range(24)], list(self.hourly_w))
        week = typical_week(days, read_typical_week(self._path(self.typical_week_csv))) if self.typical_week_csv else None
        if self.profile_csv is None:
            return week
        path = self._path(self.profile_csv)
        kind, keys, power = read_profile(path)
        if kind == "daily":
            if week is not None:
                raise ProfileError(f"{path}: a daily profile (HH:MM times) with typical_week_csv: a typical week "
                                   "only completes a series (ISO timestamps); give one or the other")
            return schedule.daily(days, list(keys), list(power))
        stamps = series_instants(path, days.timezone)
        if week is None:
            return schedule.series(days, stamps, power)
        return series_within_week(days, stamps, power, week)


@functools.lru_cache(maxsize=32)
def series_instants(path: Path, timezone: str) -> np.ndarray:
    """The instants of a series profile's rows [s since 1970 UTC] (a timestamp without an
    offset is local time in ``timezone``), computed once per file: a block asks for them
    again."""
    zone = ZoneInfo(timezone)
    _, keys, _ = read_profile(path)
    if isinstance(keys, np.ndarray):
        return keys
    return np.array([int((k if k.tzinfo else k.replace(tzinfo=zone)).timestamp()) for k in keys], dtype=np.int64)


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@functools.lru_cache(maxsize=32)
def read_typical_week(path: Path) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Read a typical-week CSV: ``(month 1..12, weekday 0..6) -> (seconds of day [s], power
    [W])``, sorted by time. Raises :class:`ProfileError` naming the line and column."""
    if not path.exists():
        raise ProfileError(f"{path}: no such typical-week file")
    rows: dict[tuple[int, int], list[tuple[int, float]]] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"month", "weekday", "time", "power_w"} - set(reader.fieldnames or [])
        if missing:
            raise ProfileError(f"{path}: missing column(s) {sorted(missing)}; the header must be "
                               "month,weekday,time,power_w")
        for line, row in enumerate(reader, start=2):
            text = row["month"]
            if not (text or "").strip().isdigit() or not 1 <= int(text) <= 12:
                raise ProfileError(f"{path} line {line}, column 'month': {shown(text)} is not a month 1..12")
            day = (row["weekday"] or "").strip().lower()
            if day not in WEEKDAY_NAMES:
                raise ProfileError(f"{path} line {line}, column 'weekday': {shown(row['weekday'])} is not one of "
                                   f"{', '.join(WEEKDAY_NAMES)}")
            try:
                second = seconds_of_day(_check_time_of_day(row["time"]))
            except (ValueError, TypeError):
                raise ProfileError(f"{path} line {line}, column 'time': {shown(row['time'])} is not a time of day "
                                   "HH:MM") from None
            try:
                power = float(row["power_w"])
            except (TypeError, ValueError):
                raise ProfileError(f"{path} line {line}, column 'power_w': {shown(row['power_w'])} is not a "
                                   "number") from None
            if not 0.0 <= power <= 1e6:
                raise ProfileError(f"{path} line {line}, column 'power_w': {power} is not allowed: must be 0..1e6 W")
            rows.setdefault((int(text), WEEKDAY_NAMES.index(day)), []).append((second, power))
    absent = [f"{m}/{WEEKDAY_NAMES[w]}" for m in range(1, 13) for w in range(7) if (m, w) not in rows]
    if absent:
        raise ProfileError(f"{path}: no rows for {len(absent)} of the 84 (month, weekday) days, e.g. "
                           f"{', '.join(absent[:5])}: every month needs every weekday")
    table = {}
    for key, pairs in rows.items():
        pairs.sort()
        table[key] = (np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs]))
    return table


def typical_week(days: LocalDays, table: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]) -> Steps:
    """The typical week's power over ``days``: each day takes its (month, weekday) profile,
    each value from its time to the day's next (before the first time, the day's last value)."""
    starts, ends, values = [], [], []
    for index in range(days.count):
        seconds, power = table[(days.dates[index].month, int(days.weekday[index]))]
        keys, level = seconds, power
        if keys[0] > 0:  # the day's start takes the day's last value
            keys, level = np.concatenate([[0], keys]), np.concatenate([[power[-1]], power])
        bounds = days.instants(np.full(keys.size + 1, index), np.concatenate([keys, [schedule.DAY_S]]))
        starts.append(bounds[:-1])
        ends.append(bounds[1:])
        values.append(level)
    if not starts:
        return Steps.empty()
    return Steps.from_intervals(np.concatenate(starts), np.concatenate(ends), np.concatenate(values))


def series_within_week(days: LocalDays, stamps: np.ndarray, power: np.ndarray, week: Steps) -> Steps:
    """A series over its span (first timestamp to the last plus the step before it) and the
    typical ``week`` outside it, over ``days``."""
    step = float(stamps[-1] - stamps[-2]) if stamps.size > 1 else 3600.0
    first, end = float(stamps[0] - days.origin), float(stamps[-1] - days.origin) + step
    low, high = float(days.midnight[0]), float(days.midnight[-1])
    # only the rows that reach into these days
    lo = max(0, int(np.searchsorted(stamps, days.origin + low, side="right")) - 1)
    hi = int(np.searchsorted(stamps, days.origin + high, side="left")) + 1
    start = stamps[lo:hi].astype(np.float64) - days.origin
    stop = np.concatenate([start[1:], [end]]) if hi >= stamps.size else stamps[lo + 1:hi + 1].astype(np.float64) - days.origin
    measured = Steps.from_intervals(start, stop[: start.size], power[lo:hi])
    outside = Steps.from_intervals(np.array([low, end]), np.array([first, high]), union=True)
    return measured + week * outside
