"""What every ``homesim`` command shares: the exit statuses, the option types (each refuses a bad
value in one line naming it), loading a home, checking it before a run, the output folder."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
from pathlib import Path

from homesim.errors import BadInput

EXIT_BAD_INPUT = 2


#: ``sweep-results``: some variants have no stored row yet.
EXIT_INCOMPLETE = 3


#: stdout was closed by its reader (128 + SIGPIPE, what a shell reports for a process SIGPIPE ended).
EXIT_BROKEN_PIPE = 141


class Parser(argparse.ArgumentParser):
    """An option error is one line naming the option (and where to read more), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be > 0")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be a finite number")
    return value


#: The longest horizon a run takes [days] (a century).
MAX_DAYS = 36_525


def share_0_1(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be a share 0..1")
    return value


def horizon_days(text: str) -> float:
    value = positive_float(text)
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be at most {MAX_DAYS} days")
    return value


def tick_s(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 1..86400 s")
    return value


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def start_date(text: str) -> dt.date:
    from homesim.home import FIRST_START, LAST_START

    value = iso_date(text)
    if not FIRST_START <= value <= LAST_START:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be {FIRST_START}..{LAST_START}")
    return value


def iso_month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM") from None
    return text


def iso_day(text: str) -> str:
    iso_date(text)
    return text


def whole_number(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is not allowed: must be "
                                             + (f"{low}..{high}" if high is not None else f">= {low}"))
        return value
    parse.__name__ = "whole number"
    return parse


def seed_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 0..4294967295")
    return value


def load_home_file(path: Path):
    from homesim.home import load_home

    return load_home(path)


def preflight_or_refuse(home, args: argparse.Namespace, **run) -> None:
    """What a run would refuse before its first tick (files it names, the first block), as
    field-level lines (``homesim.preflight``)."""
    from homesim.preflight import preflight

    preflight(home, str(args.home), **run)


def check_ticks(args: argparse.Namespace) -> None:
    from homesim.preflight import ticks_problem

    problem = ticks_problem(args.days, args.step)
    if problem:
        raise BadInput(problem)


def out_dir(path: Path, option: str = "--out") -> Path:
    """``path`` as a folder that exists and can be written to (made if missing)."""
    if path.exists() and not path.is_dir():
        raise BadInput(f"{option} {path}: is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInput(f"{option} {path}: can't make the folder: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadInput(f"{option} {path}: can't write into the folder (permission denied)")
    return path


def run_days(home, args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    """First and last local day of the run."""
    first = args.start or home.start
    ticks = int(args.days * 86_400 // args.step)
    return first, first + dt.timedelta(days=(ticks * args.step - 1) // 86_400)


def run_options(p: argparse.ArgumentParser, default_days: float) -> None:
    """The options of a fast-forward run: the home file, its horizon, tick, first day and seed."""
    p.add_argument("home", type=Path, help="home definition file (YAML)")
    p.add_argument("--days", type=horizon_days, default=default_days, help=f"horizon [days] (default {default_days:g})")
    p.add_argument("--step", type=tick_s, default=60, help="tick length [s] (default 60)")
    p.add_argument("--start", type=start_date, help="first day YYYY-MM-DD (default: the home's start)")
    p.add_argument("--seed", type=seed_number, help="seed of the weather model (default: the home's seed)")
