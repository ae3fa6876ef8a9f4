"""The controller's load-shedding RPCs: pick a grid's schedule in the UI instead of typing it.

``loadshedding.upload(name, text, role)``: a file's text checked by its reader in
:mod:`homesim.loadshedding` (outage events, an area's rotation, a stage timeline, a saved
EskomSePush response), then stored beside the home file (``HOMESIM_HOME_DIR``) under
``loadshedding/NAME``: written to a temporary file in that folder and renamed into place, so a
reader sees no half-written file; a name with a folder in it, or another ending than ``.csv`` or
``.json``, is refused; a file of that name with other contents is kept and the new one gets a
free name (``events-2.csv``), so that nothing a running home reads changes under it.

``loadshedding.preview(load_shedding, start, days)``: what a grid's ``load_shedding`` would
give, without setting it: the area, the stage timeline, the outages of the days asked, the hours
off each day and the average hours off per day at each stage. It reads files in the home file's
folder only (a path leading out of it is refused: a reader's error quotes a file's first line).

A bad request or file gets ``homesim.error.invalid_property`` naming the file, line and column
(the readers' :class:`~homesim.loadshedding.ScheduleError`), never a traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from autobahn.wamp.exception import ApplicationError
from pydantic import ValidationError

from homesim import loadshedding as ls
from homesim.bus.arguments import rpc_arguments
from homesim.bus.session import checked
from homesim.bus.uris import INVALID_PROPERTY, Uris
from homesim.devices.grid import LoadShedding
from homesim.echo import shown
from homesim.home import Home
from homesim.messages import SchedulePreviewRequest, ScheduleUpload

#: Where uploaded files go, in the home file's folder.
FOLDER = "loadshedding"
#: A file name as stored: letters, digits, ``.``, ``_``, ``-``, ending in .csv or .json.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,94}\.(csv|json)$", re.IGNORECASE)
#: Most outages a preview lists (the days' totals count them all).
MAX_LISTED = 500
FIELDS_IN_WORDS = {"events_csv": "outage list", "area_schedule_csv": "area rotation", "esp_area_json":
                   "saved EskomSePush area", "stage_timeline": "stage timeline", "esp_status_json":
                   "saved EskomSePush status"}


def refused(message: str) -> ApplicationError:
    return ApplicationError(INVALID_PROPERTY, message)


# --- upload ------------------------------------------------------------------------------------


def _kind(name: str, text: str, role: str) -> str:
    """The ``load_shedding`` field a file goes in, from its role, ending and first line."""
    if role == "stages":
        if name.lower().endswith(".json"):
            try:
                data = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as error:
                raise refused(f"{name}: not valid JSON: {error}") from None
            if isinstance(data, dict) and "status" in data:
                return "esp_status_json"
            if isinstance(data, list):
                return "stage_timeline"
            raise refused(f"{name}: a stage timeline in JSON is a list of {{stage, start, finsh}} objects, or a saved "
                          "EskomSePush /status response ({\"status\": {\"eskom\": ...}})")
        return "stage_timeline"
    if name.lower().endswith(".json"):
        return "esp_area_json"
    header = [h.strip().lstrip("\ufeff") for h in text.split("\n", 1)[0].split(",")]
    if "area_name" in header:
        return "events_csv"
    if "date_of_month" in header:
        return "area_schedule_csv"
    raise refused(f"{name} line 1: the header is {shown(','.join(header)[:200])}: an area's file is an outage list "
                  "(area_name,start,finsh,stage,source) or an area rotation (date_of_month,start_time,finsh_time,stage)")


def _check(kind: str, path: Path) -> tuple[list[str], int, str]:
    """Read ``path`` as ``kind``: its areas, rows and what it holds in words (or ScheduleError)."""
    if kind == "events_csv":
        areas = ls.read_event_areas(path)
        if not areas:
            raise ls.ScheduleError(f"{path}: no outages: the file has a header and no rows")
        count = sum(areas.values())
        return list(areas), count, f"{count} outages of {len(areas)} areas"
    if kind == "area_schedule_csv":
        schedule = ls.read_area_schedule(path)
        if not schedule.rows:
            raise ls.ScheduleError(f"{path}: no rows: the file has a header and no slots")
        return [], len(schedule.rows), f"a rotation of {len(schedule.rows)} slots, stages 1 to {schedule.highest_stage}"
    if kind == "esp_area_json":
        events, schedule = ls.read_esp_area(path)
        if not events and not schedule.dated:
            raise ls.ScheduleError(f"{path}: no events and no schedule.days: not a saved /area response")
        area = ls.esp_area_name(path) or "an area"
        return [], len(events) + len(schedule.dated), (f"{area}: {len(events)} outages and the schedule of "
                                                        f"{len(schedule.dated)} days")
    timeline = ls.read_esp_status(path) if kind == "esp_status_json" else ls.read_stage_timeline(path)
    if not timeline:
        raise ls.ScheduleError(f"{path}: no stage periods")
    first, last = min(s.start for s in timeline), max(s.end for s in timeline)
    return [], len(timeline), (f"{len(timeline)} stage periods from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}, "
                               f"up to stage {max(s.stage for s in timeline)}")


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def upload(base: Path, name: str, text: str, role: str) -> dict[str, Any]:
    """Check ``text`` as the file ``name`` and store it in ``base/loadshedding/`` (blocking)."""
    if not NAME.match(name) or ".." in name:
        raise refused(f"name: {shown(name)} is not allowed: a file name of letters, digits, '.', '_' and '-', "
                      "ending in .csv or .json, without folders")
    if not text.strip():
        raise refused(f"{name}: the file is empty")
    kind = _kind(name, text, role)
    folder = base / FOLDER
    data = text.encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=folder, prefix=".upload-"))
    except OSError as error:
        raise refused(f"{name}: can't write in {folder}: {error.strerror}") from None
    try:
        staged = scratch / name
        staged.write_bytes(data)
        try:
            areas, rows, summary = _check(kind, staged)
        except ls.ScheduleError as error:
            raise refused(str(error).replace(str(staged), name)) from None
        except (OSError, UnicodeDecodeError) as error:
            raise refused(f"{name}: can't be read as text: {error}") from None
        stem, suffix = name.rsplit(".", 1)
        target, number = folder / name, 1
        while target.exists() and not _same(target, data):
            number += 1
            target = folder / f"{stem}-{number}.{suffix}"
        if target.resolve().parent != folder.resolve():
            raise refused(f"name: {shown(name)} is not allowed: it would be stored outside {FOLDER}/")
        if not target.exists():
            os.replace(staged, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"path": f"{FOLDER}/{target.name}", "field": kind, "areas": areas, "rows": rows, "summary": summary}


# --- preview -----------------------------------------------------------------------------------


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    return aware.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _where(source: LoadShedding) -> tuple[str, str]:
    """The area and where the outages come from, in words (files by their names)."""
    source = source.model_copy(update={f: Path(getattr(source, f)).name for f in FIELDS_IN_WORDS
                                       if getattr(source, f) is not None})
    if source.events_csv is not None:
        area, used = source.area or "", [f"the outage list {source.events_csv}"]
    elif source.esp_area_json is not None:
        area, used = "", [f"the saved EskomSePush area {source.esp_area_json}"]
    else:
        area, used = f"Your area ({source.area_schedule_csv})", [f"the area rotation {source.area_schedule_csv}"]
    if source.events_csv is not None and source.esp_area_json is not None:
        used.append(f"the saved EskomSePush area {source.esp_area_json}")
    if source.area_schedule_csv is not None and source.events_csv is not None:
        used.append(f"the area rotation {source.area_schedule_csv}")
    timelines = [f"the stage timeline {source.stage_timeline}"] * (source.stage_timeline is not None) + \
                [f"the saved EskomSePush status {source.esp_status_json}"] * (source.esp_status_json is not None) + \
                [f"{len(source.stages)} stage periods typed in"] * bool(source.stages)
    text = " and ".join(used) + (" at the stages of " + " and ".join(timelines) if timelines else "")
    return area, text


def _averages(source: LoadShedding, base: Path, events: list[ls.Outage], zone: ZoneInfo) -> tuple[list[dict], str]:
    schedule = None
    if source.area_schedule_csv is not None:
        schedule, basis = ls.read_area_schedule(base / source.area_schedule_csv), "the area's rotation, a whole month at each stage"
    elif source.esp_area_json is not None:
        schedule = ls.read_esp_area(base / source.esp_area_json)[1]
        basis = f"the {len(schedule.dated)} days of the saved area's schedule, each at that stage all day"
    if schedule is not None and schedule.highest_stage > 0:
        return [{"stage": s, "hours": round(ls.average_hours_off_per_day(schedule, s), 2)}
                for s in range(1, ls.MAX_STAGE + 1)], basis
    by_stage: dict[int, tuple[float, set[dt.date]]] = {}
    for outage in events:
        if outage.stage > 0:
            hours, days = by_stage.get(outage.stage, (0.0, set()))
            days.add(dt.datetime.fromtimestamp(outage.start_s, zone).date())
            by_stage[outage.stage] = (hours + (outage.end_s - outage.start_s) / 3600, days)
    return ([{"stage": s, "hours": round(min(h / len(d), 24.0), 2)} for s, (h, d) in sorted(by_stage.items())],
            "the outage list: the hours at each stage over the days with outages at that stage")


def preview(base: Path, home: Home, load_shedding: dict[str, Any], start: str | None, days: int) -> dict[str, Any]:
    """What ``load_shedding`` gives over ``days`` from ``start`` (blocking; reads its files)."""
    try:
        source = LoadShedding.model_validate(load_shedding)
    except ValidationError as error:
        raise refused("; ".join(f"load_shedding.{'.'.join(str(p) for p in e['loc'])}".rstrip(".") + f": {e['msg']}"
                                for e in error.errors()[:5])) from None
    inside = base.resolve()
    for name in FIELDS_IN_WORDS:
        path = getattr(source, name)
        if path is not None and not (base / path).resolve().is_relative_to(inside):
            raise refused(f"load_shedding.{name}: {shown(path)} is not allowed: the preview reads files in the home "
                          "file's folder only")
    timezone = home.location.timezone
    zone = ZoneInfo(timezone)
    prefix = f"{base}/"
    try:
        areas = list(ls.read_event_areas(base / source.events_csv)) if source.events_csv is not None else []
        if source.events_csv is not None and source.area not in areas:
            raise ls.ScheduleError(f"{source.events_csv}: no outages of area {source.area!r}; its areas: "
                                   f"{', '.join(areas[:20])}{' ...' if len(areas) > 20 else ''}")
        outages = ls.merge_outages(source.outages(base, timezone))
        timeline = source.timeline(base)
        averages, basis = _averages(source, base, outages, zone)
        area, text = _where(source)
        if source.esp_area_json is not None and source.events_csv is None:
            area = ls.esp_area_name(base / source.esp_area_json) or f"Your area ({Path(source.esp_area_json).name})"
    except ls.ScheduleError as error:
        raise refused(str(error).replace(prefix, "")) from None
    except OSError as error:
        raise refused(f"load_shedding: can't read {str(error.filename or '').replace(prefix, '')}: {error.strerror}") from None
    if start is None:
        first = dt.datetime.fromtimestamp(outages[0].start_s, zone).date() if outages else home.start
    else:
        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            raise refused(f"start: {shown(start)} is not allowed: must be a date YYYY-MM-DD") from None
    midnights = [int(dt.datetime.combine(first + dt.timedelta(days=d), dt.time(), zone).timestamp())
                 for d in range(days + 1)]
    daily, shown_outages = [], [o for o in outages if o.end_s > midnights[0] and o.start_s < midnights[-1]]
    for d in range(days):
        a, b = midnights[d], midnights[d + 1]
        inside = [o for o in shown_outages if o.end_s > a and o.start_s < b]
        seconds = sum(min(o.end_s, b) - max(o.start_s, a) for o in inside)
        daily.append({"date": (first + dt.timedelta(days=d)).isoformat(), "hours": round(seconds / 3600, 2),
                      "stage": max((o.stage for o in inside), default=0)})

    def iso(s: int) -> str:
        return dt.datetime.fromtimestamp(s, zone).strftime("%Y-%m-%dT%H:%M")

    return {
        "area": area, "areas": areas, "source": text, "timezone": timezone, "start": first.isoformat(), "days": days,
        "stages": [{"stage": s.stage, "start": _local(s.start, zone), "end": _local(s.end, zone)}
                   for s in sorted(timeline, key=lambda s: _local(s.start, zone))][:MAX_LISTED],
        "outages": [{"stage": o.stage, "start": iso(o.start_s), "end": iso(o.end_s)} for o in shown_outages[:MAX_LISTED]],
        "outage_count": len(shown_outages), "daily": daily, "averages": averages, "averages_basis": basis,
    }


async def register(session: Any, uris: Uris, home: Callable[[], Home], base: Path) -> None:
    """Register ``loadshedding.upload`` and ``loadshedding.preview`` (their work off the loop)."""

    async def upload_rpc(name: Any = None, text: Any = None, role: Any = None) -> dict[str, Any]:
        request = rpc_arguments(ScheduleUpload, name=name, text=text, role=role)
        return await asyncio.get_running_loop().run_in_executor(None, upload, base, request.name, request.text,
                                                                request.role)

    async def preview_rpc(load_shedding: Any = None, start: Any = None, days: Any = 28) -> dict[str, Any]:
        request = rpc_arguments(SchedulePreviewRequest, load_shedding=load_shedding, start=start, days=days)
        return await asyncio.get_running_loop().run_in_executor(None, preview, base, home(), request.load_shedding,
                                                                request.start, request.days)

    await session.register(checked(upload_rpc), uris.loadshedding("upload"))
    await session.register(checked(preview_rpc), uris.loadshedding("preview"))
