"""Load-shedding schedules in the formats people already have, turned into grid-off intervals.

Formats (described, with examples, in the docs: ``docs/reference/loadshedding-formats.md``), read by
header names in any column order:

1. expanded outage events: ``area_name,start,finsh,stage,source`` (``finish``/``end`` accepted);
2. an area's rotation: ``date_of_month,start_time,finsh_time,stage`` (stages cumulative);
3. a national stage timeline: ``stage,start,finsh`` as CSV, or a JSON list of such objects;
4. saved EskomSePush responses: ``/area`` (events and per-date schedule) and ``/status``.

Every problem is a :class:`ScheduleError` naming the file, the line, the column, the bad value
and what is allowed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from homesim.echo import shown

MAX_STAGE = 8
MINUTES_PER_DAY = 1440
#: Most rows an area's monthly rotation may have: a slot for every day of the month, stage and
#: half hour (real rotations have a few hundred); more is not a rotation, and is refused early.
MAX_ROTATION_ROWS = 31 * MAX_STAGE * 48


class Outage(NamedTuple):
    """The grid off over ``[start_s, end_s)``, seconds since 1970-01-01 UTC [s]."""

    start_s: int
    end_s: int
    stage: int  # load-shedding stage 1..8, 0 for a plain outage


class StageInterval(NamedTuple):
    """A national stage over ``[start, end)``; naive times are local to the home."""

    stage: int
    start: dt.datetime
    end: dt.datetime


class ScheduleError(ValueError):
    """A schedule file that can't be used; the message says where and why."""


@dataclass
class AreaSchedule:
    """An area's rotation: rows ``(day_of_month, start_min, end_min, stage)`` in local minutes
    of the day (``end_min`` may pass 1440: the slot runs past midnight), and explicit per-date
    slots (from a saved EskomSePush response) that override the rows on their dates."""

    rows: list[tuple[int, int, int, int]] = field(default_factory=list)
    dated: dict[dt.date, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def highest_stage(self) -> int:
        stages = [r[3] for r in self.rows] + [s for slots in self.dated.values() for *_, s in slots]
        return max(stages, default=0)

    def slots(self, day: dt.date, stage: int) -> list[tuple[int, int]]:
        """Off slots ``(start_min, end_min)`` of a local day at a national stage (cumulative)."""
        if stage <= 0:
            return []
        stage = min(stage, self.highest_stage)
        if day in self.dated:
            return [(a, b) for a, b, s in self.dated[day] if s <= stage]
        return [(a, b) for d, a, b, s in self.rows if d == day.day and s <= stage]


# --- reading ---------------------------------------------------------------------------------

_ALIASES = {"finsh": ("finsh", "finish", "end"), "finsh_time": ("finsh_time", "finish_time", "end_time")}


def _rows(path: Path, required: tuple[str, ...]) -> tuple[Iterator[tuple[int, dict[str, str]]], dict[str, str]]:
    """CSV rows with their line numbers (as read: one at a time, each with the required columns
    only), and the header name found for each required column."""
    if not path.exists():
        raise ScheduleError(f"{path}: no such file")
    handle = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(handle)
    try:
        try:
            first = next(reader, [])
        except csv.Error as error:
            raise ScheduleError(f"{path} line 1: not CSV ({error})") from None
        header = [h.strip() for h in first]
        names: dict[str, str] = {}
        for column in required:
            found = [h for h in _ALIASES.get(column, (column,)) if h in header]
            if not found:
                raise ScheduleError(f"{path}: missing column {column!r}; the header is {_header(header)}")
            names[column] = found[0]
    except BaseException:
        handle.close()
        raise
    at = {name: header.index(name) for name in names.values()}

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with handle:
            line = 1
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise ScheduleError(f"{path} line {reader.line_num}: not CSV ({error})") from None
                if not fields:
                    continue  # rows counted as csv.DictReader counts them: blank ones skipped
                line += 1
                yield line, {name: fields[i].strip() if i < len(fields) else "" for name, i in at.items()}

    return rows(), names


def _header(header: list[str], limit: int = 200) -> str:
    """A CSV header as an error shows it: its names joined, cut at ``limit`` characters."""
    text = ",".join(name[: limit + 1] for name in header[:limit])
    if len(text) <= limit:
        return text or "(empty)"
    return f"{text[:limit]}... ({len(header):,} columns)"


def _stage(path: Path, line: int, column: str, text: str, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    try:
        stage = int(text)
    except ValueError:
        stage = -1
    if not low <= stage <= MAX_STAGE:
        raise ScheduleError(f"{path} line {line}, column {column!r}: {shown(text)} is not allowed: must be an integer {low}..{MAX_STAGE}")
    return stage


def _instant(path: Path, line: int, column: str, text: str, need_offset: bool) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleError(f"{path} line {line}, column {column!r}: {shown(text)} is not an ISO 8601 date and time") from None
    if need_offset and value.tzinfo is None:
        raise ScheduleError(f"{path} line {line}, column {column!r}: {shown(text)} needs a UTC offset, e.g. +02:00")
    return value


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _minute(path: Path, line: int, column: str, text: str) -> int:
    match = _HHMM.match(text)
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and int(match[2]) > 0):
        raise ScheduleError(f"{path} line {line}, column {column!r}: {shown(text)} is not a time of day HH:MM")
    return int(match[1]) * 60 + int(match[2])


def read_outage_events(path: str | Path, area_name: str) -> list[Outage]:
    """Format 1: the outages of one area (rows of other areas are skipped)."""
    path = Path(path)
    rows, names = _rows(path, ("area_name", "start", "finsh", "stage"))
    found = []
    for line, row in rows:
        if row[names["area_name"]] != area_name:
            continue
        start = _instant(path, line, names["start"], row[names["start"]], need_offset=True)
        end = _instant(path, line, names["finsh"], row[names["finsh"]], need_offset=True)
        if end <= start:
            raise ScheduleError(f"{path} line {line}, column {names['finsh']!r}: {row[names['finsh']]!r} is not after the start")
        found.append(Outage(int(start.timestamp()), int(end.timestamp()), _stage(path, line, names["stage"], row[names["stage"]])))
    return found


def read_event_areas(path: str | Path) -> dict[str, int]:
    """Format 1: every area of an events file with its number of outages, in the order first
    met; every row is checked (not only one area's)."""
    path = Path(path)
    rows, names = _rows(path, ("area_name", "start", "finsh", "stage"))
    areas: dict[str, int] = {}
    for line, row in rows:
        area = row[names["area_name"]]
        if not area:
            raise ScheduleError(f"{path} line {line}, column {names['area_name']!r}: empty: every row needs its area")
        start = _instant(path, line, names["start"], row[names["start"]], need_offset=True)
        end = _instant(path, line, names["finsh"], row[names["finsh"]], need_offset=True)
        if end <= start:
            raise ScheduleError(f"{path} line {line}, column {names['finsh']!r}: {row[names['finsh']]!r} is not after the start")
        _stage(path, line, names["stage"], row[names["stage"]])
        areas[area] = areas.get(area, 0) + 1
    return areas


def read_area_schedule(path: str | Path) -> AreaSchedule:
    """Format 2: an area's monthly rotation."""
    path = Path(path)
    rows, names = _rows(path, ("date_of_month", "start_time", "finsh_time", "stage"))
    schedule = AreaSchedule()
    for line, row in rows:
        if len(schedule.rows) == MAX_ROTATION_ROWS:
            raise ScheduleError(f"{path} line {line}: more than {MAX_ROTATION_ROWS:,} rows is not allowed: a monthly "
                                "rotation has at most a row for each day of the month, stage and half hour")
        day_text = row[names["date_of_month"]]
        if not day_text.isdigit() or not 1 <= int(day_text) <= 31:
            raise ScheduleError(f"{path} line {line}, column 'date_of_month': {shown(day_text)} is not allowed: must be 1..31")
        start = _minute(path, line, names["start_time"], row[names["start_time"]])
        end = _minute(path, line, names["finsh_time"], row[names["finsh_time"]])
        if end <= start:
            end += MINUTES_PER_DAY  # 22:00-00:30: past midnight into the next day
        schedule.rows.append((int(day_text), start, end, _stage(path, line, names["stage"], row[names["stage"]])))
    return schedule


def read_stage_timeline(path: str | Path) -> list[StageInterval]:
    """Format 3: a stage timeline, CSV ``stage,start,finsh`` or a JSON list of such objects."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ScheduleError(f"{path}: not readable JSON: {error}") from None
        except RecursionError:
            raise ScheduleError(f"{path}: nested too deeply to be a stage timeline") from None
        if not isinstance(items, list):
            raise ScheduleError(f"{path}: must be a JSON list of {{stage, start, finsh}} objects")
        rows = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ScheduleError(f"{path} item {number}: must be an object with stage, start, finsh")
            end = item.get("finsh", item.get("finish", item.get("end")))
            rows.append((number, {"stage": str(item.get("stage", "")), "start": str(item.get("start", "")), "finsh": str(end or "")}))
        names = {"stage": "stage", "start": "start", "finsh": "finsh"}
    else:
        rows, names = _rows(path, ("stage", "start", "finsh"))
    timeline = []
    for line, row in rows:
        stage = _stage(path, line, names["stage"], row[names["stage"]], allow_zero=True)
        start = _instant(path, line, names["start"], row[names["start"]], need_offset=False)
        end = _instant(path, line, names["finsh"], row[names["finsh"]], need_offset=False)
        if end <= start:
            raise ScheduleError(f"{path} line {line}, column {names['finsh']!r}: {row[names['finsh']]!r} is not after the start")
        timeline.append(StageInterval(stage, start, end))
    return timeline


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise ScheduleError(f"{path}: can't read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ScheduleError(f"{path}: not valid JSON: {error}") from None
    except RecursionError:
        raise ScheduleError(f"{path}: nested too deeply to be a saved response") from None


def read_esp_area(path: str | Path) -> tuple[list[Outage], AreaSchedule]:
    """Format 4: a saved EskomSePush ``/area`` response: its events and its per-date schedule."""
    path = Path(path)
    data = _load_json(path)
    if not isinstance(data, dict):
        raise ScheduleError(f"{path}: must be the JSON object of an /area response")
    events, days = data.get("events", []), data.get("schedule", {})
    days = days.get("days", []) if isinstance(days, dict) else None
    if not isinstance(events, list) or not isinstance(days, list):
        raise ScheduleError(f"{path}: events and schedule.days must be lists, as in an /area response")
    outages = []
    for number, event in enumerate(events, start=1):
        try:
            start = dt.datetime.fromisoformat(event["start"])
            end = dt.datetime.fromisoformat(event["end"])
            match = re.search(r"(\d+)", str(event.get("note", "")))
            stage = int(match[1]) if match else 0
        except (KeyError, TypeError, ValueError):
            raise ScheduleError(f"{path} events[{number - 1}]: needs start and end as ISO 8601 and a note 'Stage N'") from None
        if start.tzinfo is None or end <= start or not 0 <= stage <= MAX_STAGE:
            raise ScheduleError(f"{path} events[{number - 1}]: start/end must have a UTC offset, end after start, stage 0..8")
        outages.append(Outage(int(start.timestamp()), int(end.timestamp()), stage))
    schedule = AreaSchedule()
    for number, day in enumerate(days):
        try:
            date = dt.date.fromisoformat(day["date"])
            stages = day["stages"]
        except (KeyError, TypeError, ValueError):
            raise ScheduleError(f"{path} schedule.days[{number}]: needs date YYYY-MM-DD and stages") from None
        if not isinstance(stages, list) or not all(isinstance(ranges, list) for ranges in stages):
            raise ScheduleError(f"{path} schedule.days[{number}].stages: must be a list of lists of HH:MM-HH:MM")
        slots = []
        for index, ranges in enumerate(stages):
            for text in ranges:
                parts = str(text).split("-")
                if len(parts) != 2:
                    raise ScheduleError(f"{path} schedule.days[{number}].stages[{index}]: {shown(text)} is not HH:MM-HH:MM")
                where = f"schedule.days[{number}].stages[{index}]"
                start = _minute(path, 0, where, parts[0])
                end = _minute(path, 0, where, parts[1])
                slots.append((start, end if end > start else end + MINUTES_PER_DAY, index + 1))
        schedule.dated[date] = slots
    return outages, schedule


def esp_area_name(path: str | Path) -> str:
    """A saved ``/area`` response's area in words: ``info.name`` (``info.region``), or ``""``."""
    data = _load_json(Path(path))
    info = data.get("info") if isinstance(data, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        return ""
    region = info.get("region")
    return f"{info['name']} ({region})" if isinstance(region, str) and region else info["name"]


def read_esp_status(path: str | Path) -> list[StageInterval]:
    """Format 4: a saved ``/status`` response as a stage timeline: the current stage from its
    update, then each of ``next_stages`` until the next one starts (the last for a day)."""
    path = Path(path)
    data = _load_json(path)
    try:
        eskom = data["status"]["eskom"]
        changes = [(int(eskom["stage"]), dt.datetime.fromisoformat(eskom["stage_updated"]))]
        for item in eskom.get("next_stages", []):
            changes.append((int(item["stage"]), dt.datetime.fromisoformat(item["stage_start_timestamp"])))
    except (KeyError, TypeError, ValueError):
        raise ScheduleError(f"{path}: needs status.eskom.stage, stage_updated and next_stages[].stage/stage_start_timestamp") from None
    timeline = []
    for (stage, start), (_, following) in zip(changes, changes[1:] + [(0, changes[-1][1] + dt.timedelta(days=1))]):
        if following > start:
            timeline.append(StageInterval(min(max(stage, 0), MAX_STAGE), start, following))
    return timeline


# --- combining --------------------------------------------------------------------------------


def merge_outages(outages: list[Outage]) -> list[Outage]:
    """Sorted, with overlapping or touching intervals merged (keeping the highest stage)."""
    merged: list[Outage] = []
    for outage in sorted(outages):
        if merged and outage.start_s <= merged[-1].end_s:
            last = merged[-1]
            merged[-1] = Outage(last.start_s, max(last.end_s, outage.end_s), max(last.stage, outage.stage))
        else:
            merged.append(outage)
    return merged


def outages_from_stages(schedule: AreaSchedule, timeline: list[StageInterval], timezone: str) -> list[Outage]:
    """The area's outages under a stage timeline: each interval's slots at its stage (stages
    cumulative, capped at the area's highest listed stage), cut to the interval, merged."""
    zone = ZoneInfo(timezone)
    found = []
    for interval in timeline:
        if interval.stage <= 0:
            continue
        start = interval.start if interval.start.tzinfo else interval.start.replace(tzinfo=zone)
        end = interval.end if interval.end.tzinfo else interval.end.replace(tzinfo=zone)
        start_s, end_s = int(start.timestamp()), int(end.timestamp())
        # A slot may start the day before and run past midnight into the interval.
        day = start.astimezone(zone).date() - dt.timedelta(days=1)
        last_day = end.astimezone(zone).date()
        while day <= last_day:
            midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
            for slot_start, slot_end in schedule.slots(day, interval.stage):
                a = int((midnight + dt.timedelta(minutes=slot_start)).timestamp())
                b = int((midnight + dt.timedelta(minutes=slot_end)).timestamp())
                a, b = max(a, start_s), min(b, end_s)
                if a < b:
                    found.append(Outage(a, b, interval.stage))
            day += dt.timedelta(days=1)
    return merge_outages(found)


def grid_on_mask(outages: list[Outage], unix_s: np.ndarray) -> np.ndarray:
    """False where an instant lies in an outage (``start <= t < end``), vectorized."""
    merged = merge_outages(list(outages))
    times = np.asarray(unix_s)
    if not merged:
        return np.ones(times.shape, dtype=bool)
    starts = np.array([o.start_s for o in merged], dtype=np.int64)
    ends = np.array([o.end_s for o in merged], dtype=np.int64)
    index = np.searchsorted(starts, times, side="right") - 1
    inside = (index >= 0) & (times < ends[np.maximum(index, 0)])
    return ~inside


def average_hours_off_per_day(schedule: AreaSchedule, stage: int) -> float:
    """Mean hours off per day at a stage, over the 31-day rotation of the area's rows, or over
    the dated days of a saved EskomSePush schedule when it has no rows [h]."""
    if not schedule.rows and schedule.dated:
        minutes_off = 0
        for day in schedule.dated:
            minutes = np.zeros(2 * MINUTES_PER_DAY, dtype=bool)
            for a, b in schedule.slots(day, stage):
                minutes[a:b] = True
            minutes_off += int(minutes.sum())
        return minutes_off / len(schedule.dated) / 60
    total = 0
    for day in range(1, 32):
        minutes = np.zeros(2 * MINUTES_PER_DAY, dtype=bool)
        for d, a, b, s in schedule.rows:
            if d == day and 0 < s <= min(stage, schedule.highest_stage):
                minutes[a:b] = True
        total += int(minutes.sum())
    return total / 31 / 60


class OutageStatus(NamedTuple):
    """The grid's schedule as seen at one instant: the present outage (if any) and the next."""

    stage: int  # the present outage's load-shedding stage; 0 with no outage or a plain outage
    outage_start_s: int | None  # the present outage [s], None with the grid on
    outage_end_s: int | None
    next_start_s: int | None  # the next outage after ``unix_s`` (after the present one) [s]
    next_end_s: int | None
    next_stage: int | None = None  # the next outage's stage (0: a plain outage), None with none known


def outage_status(outages: list[Outage], unix_s: int) -> OutageStatus:
    """Where ``unix_s`` stands in a (merged, sorted) outage list: inside an outage
    (``start <= t < end``: its stage and end) and the next outage starting after ``t``."""
    merged = merge_outages(list(outages))
    starts = [o.start_s for o in merged]
    index = int(np.searchsorted(np.asarray(starts, dtype=np.int64), unix_s, side="right")) - 1 if merged else -1
    present = merged[index] if index >= 0 and unix_s < merged[index].end_s else None
    following = merged[index + 1] if index + 1 < len(merged) else None
    after = (following.start_s, following.end_s, following.stage) if following else (None, None, None)
    if present is None:
        return OutageStatus(0, None, None, *after)
    return OutageStatus(present.stage, present.start_s, present.end_s, *after)
