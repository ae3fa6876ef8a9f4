"""Preflight: what a run checks before its first tick, so that ``homesim validate`` says what
``simulate`` would refuse.

A home that validates as a model can still name files that are missing or unreadable (a
weather ``file`` or a ``pvlib:`` name pvlib does not ship, a generic load's ``profile_csv``,
the grid's load-shedding files: each kind says which, ``DeviceConfig.files``).
:func:`check_files` opens and parses each through the same reader a run uses and gives one
line per problem naming the device field; :func:`check_run`
then computes the first block's exogenous inputs (sun, weather, PV, loads, grid schedule,
tariffs) as a run's first block does. :func:`preflight` does both and raises
:class:`~homesim.home.HomeFileError`.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Callable

from homesim import loadshedding
from homesim.devices import generic_load, weather
from homesim.engine.compiled import CompiledHome
from homesim.home import Home, HomeFileError

#: What a reader raises for a file it can't use: its own error (the message names the file,
#: line and column), or what the file system or decoding raise for a folder, a file without
#: permission, or a binary file.
_FILE_ERRORS = (loadshedding.ScheduleError, generic_load.ProfileError, weather.WeatherFileError, OSError,
                UnicodeDecodeError, csv.Error, ValueError)


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
    """One line per file the home names that a run could not read: ``devices[i].<field>: ...``
    (each device names its files and their readers: ``DeviceConfig.files``)."""
    problems: list[str | None] = []
    for index, device in enumerate(home.devices):
        found: list[str | None] = []
        for check in device.files(home.location.timezone):
            if check.path is None and any(found):
                continue  # the files together only once each reads
            found.append(_problem(f"devices[{index}].{check.field}", check.path, check.read))
        problems += found
    return [p for p in problems if p]


def check_run(home: Home, dt_s: int = 60, start: dt.date | None = None, seed: int | None = None) -> None:
    """Compute the first block's exogenous inputs as a run does (raises what a run would)."""
    CompiledHome(home, dt_s, start, seed).exogenous(0)


def preflight(home: Home, source: str = "", dt_s: int = 60, start: dt.date | None = None,
              seed: int | None = None) -> None:
    """Raise :class:`HomeFileError` (one line per problem, naming the device field) for what a
    run of ``home`` would refuse before its first tick: :func:`preflight_files`, then
    :func:`preflight_run`."""
    preflight_files(home, source)
    preflight_run(home, source, dt_s, start, seed)


def preflight_files(home: Home, source: str = "") -> None:
    """:func:`check_files` as a :class:`HomeFileError` (fast: each file read once)."""
    problems = check_files(home)
    if problems:
        raise HomeFileError(problems, source)


def preflight_run(home: Home, source: str = "", dt_s: int = 60, start: dt.date | None = None,
                  seed: int | None = None) -> None:
    """:func:`check_run` as a :class:`HomeFileError` (the first block: a few tenths of a second;
    ``homesim up`` runs it while its router starts)."""
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
