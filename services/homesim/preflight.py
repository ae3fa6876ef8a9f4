"""Preflight: what a run checks before its first tick, so that ``homesim validate`` says what
``simulate`` would refuse.

A home that validates as a model can still name files that are missing or unreadable: a
weather ``file`` (or a ``pvlib:`` name pvlib does not ship), a generic load's ``profile_csv``,
the grid's load-shedding files. :func:`check_files` opens and parses each through the same
reader a run uses and gives one line per problem naming the device field; :func:`check_run`
then computes the first block's exogenous inputs (sun, weather, PV, loads, grid schedule,
tariffs) as a run's first block does. :func:`preflight` does both and raises
:class:`~homesim.home.HomeFileError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable

from homesim.devices import generic_load, weather
from homesim import loadshedding
from homesim.home import Home, HomeFileError

#: What a reader raises for a file it can't use: its own error (the message names the file,
#: line and column), or what the file system or decoding raise for a folder, a file without
#: permission, or a binary file.
_FILE_ERRORS = (loadshedding.ScheduleError, generic_load.ProfileError, weather.WeatherFileError, OSError,
                UnicodeDecodeError, csv.Error, ValueError)


#: pvlib's shipped weather files: TMY3 (``...TY.csv``, ``...TYA.CSV``), TMY2, EPW.
_WEATHER_NAME = re.compile(r"TYA?\.csv$|\.tm2$|\.epw$", re.IGNORECASE)


def _problem(field: str, path: Path | None, check: Callable[[], Any]) -> str | None:
    """``None`` when ``check()`` reads the file, else the line naming ``field``."""
    try:
        check()
    except _FILE_ERRORS as error:
        message = str(error)
        if isinstance(error, OSError):
            message = f"{error.filename or path}: can't read: {error.strerror or error}"
        elif isinstance(error, UnicodeDecodeError):
            message = f"{path}: not a text file: byte {error.start} is not UTF-8"
        return f"{field}: {message}"
    return None


def check_files(home: Home) -> list[str]:
    """One line per file the home names that a run could not read: ``devices[i].<field>: ...``."""
    problems: list[str | None] = []
    for index, device in enumerate(home.devices):
        where = f"devices[{index}]"
        if device.kind == "weather" and device.model == "file" and device.file:
            path = device.resolved_file()
            problem = _problem(f"{where}.file", path, lambda path=path: weather._read_weather_file(path))
            if problem and device.file.startswith("pvlib:") and not path.exists():
                shipped = sorted(p.name for p in path.parent.glob("*") if _WEATHER_NAME.search(p.name))
                problem = (f"{where}.file: {device.file!r} is not a weather file shipped with pvlib; "
                           f"it ships: {', '.join(shipped[:8])}{', ...' if len(shipped) > 8 else ''}")
            problems.append(problem)
        elif device.kind == "generic_load" and device.profile_csv is not None:
            path = Path(device.profile_csv)
            path = path if path.is_absolute() else device._home_dir / path
            problems.append(_problem(f"{where}.profile_csv", path, lambda path=path: generic_load.read_profile(path)))
        elif device.kind == "grid" and device.load_shedding is not None:
            problems += _load_shedding_problems(where, device, home.location.timezone)
    return [p for p in problems if p]


def _load_shedding_problems(where: str, grid: Any, timezone: str) -> list[str | None]:
    shedding, base = grid.load_shedding, grid._home_dir
    readers = {
        "events_csv": lambda path: loadshedding.read_outage_events(path, shedding.area),
        "esp_area_json": loadshedding.read_esp_area,
        "area_schedule_csv": loadshedding.read_area_schedule,
        "stage_timeline": loadshedding.read_stage_timeline,
        "esp_status_json": loadshedding.read_esp_status,
    }
    problems: list[str | None] = []
    for field, reader in readers.items():
        name = getattr(shedding, field)
        if name is not None:
            path = base / name
            problems.append(_problem(f"{where}.load_shedding.{field}", path, lambda path=path, reader=reader: reader(path)))
    if not any(problems):  # each file reads: now together (a timeline against the rotation)
        problems.append(_problem(f"{where}.load_shedding", None, lambda: grid.all_outages(timezone)))
    return problems


def check_run(home: Home, dt_s: int = 60, start: dt.date | None = None, seed: int | None = None) -> None:
    """Compute the first block's exogenous inputs as a run does (raises what a run would)."""
    from homesim.engine.compiled import CompiledHome

    CompiledHome(home, dt_s, start, seed).exogenous(0)


def preflight(home: Home, source: str = "", dt_s: int = 60, start: dt.date | None = None,
              seed: int | None = None) -> None:
    """Raise :class:`HomeFileError` (one line per problem, naming the device field) for what a
    run of ``home`` would refuse before its first tick."""
    problems = check_files(home)
    if problems:
        raise HomeFileError(problems, source)
    try:
        check_run(home, dt_s, start, seed)
    except _FILE_ERRORS as error:  # read after the files above changed, or an input they combine into
        raise HomeFileError([f"(run): {error}"], source) from None


def ticks_problem(days: float, dt_s: int) -> str | None:
    """Why ``--days``/``--step`` give no tick to run, or ``None``."""
    if int(days * 86_400 // dt_s) >= 1:
        return None
    return (f"--days {days:g} at --step {dt_s} is less than one tick: give --days of at least "
            f"{dt_s / 86_400:.6g} (one {dt_s} s step), or a shorter --step")
