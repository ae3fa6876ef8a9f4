"""The ``homesim`` command: ``simulate``, ``compare``, ``validate``, ``up``, ``ledger``, ``report``, ``specs``,
``credentials``, ``sweep-worker``, ``sweep-results``.

Exit status: 0 done, 2 bad input (home file, option or schedule file: one clear message,
no traceback, nothing written), 3 ``sweep-results``: some variants have no result yet (named),
141 the reader of stdout went away (``homesim ... | head -1``: the conventional status of a
process ended by SIGPIPE, quietly), 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from pathlib import Path

from homesim.errors import BadInput

EXIT_BAD_INPUT = 2
#: ``sweep-results``: some variants have no stored row yet.
EXIT_INCOMPLETE = 3
#: stdout was closed by its reader (128 + SIGPIPE, what a shell reports for a process SIGPIPE ended).
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """An option error is one line naming the option (and where to read more), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")




def _positive_float(text: str) -> float:
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


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be a share 0..1")
    return value


def _days(text: str) -> float:
    value = _positive_float(text)
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be at most {MAX_DAYS} days")
    return value


def _step(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 1..86400 s")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _start(text: str) -> dt.date:
    from homesim.home import FIRST_START, LAST_START

    value = _date(text)
    if not FIRST_START <= value <= LAST_START:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be {FIRST_START}..{LAST_START}")
    return value


def _month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM") from None
    return text


def _day(text: str) -> str:
    _date(text)
    return text


def _whole(low: int, high: int | None = None):
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


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 0..4294967295")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="homesim",
        description="Home energy simulator: PV, battery, hybrid inverter, grid and loads, Joule for Joule.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def run_options(p: argparse.ArgumentParser, default_days: float) -> None:
        p.add_argument("home", type=Path, help="home definition file (YAML)")
        p.add_argument("--days", type=_days, default=default_days, help=f"horizon [days] (default {default_days:g})")
        p.add_argument("--step", type=_step, default=60, help="tick length [s] (default 60)")
        p.add_argument("--start", type=_start, help="first day YYYY-MM-DD (default: the home's start)")
        p.add_argument("--seed", type=_seed, help="seed of the weather model (default: the home's seed)")

    sim = commands.add_parser("simulate", help="simulate a home fast-forward and write its ledger, summary and plots")
    run_options(sim, 7)
    sim.add_argument("--out", type=Path, required=True, help="output folder")
    sim.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="ledger file format")
    sim.add_argument("--plot-day", type=_date, help="day shown in day_flows.png (default: first day with an outage)")
    sim.add_argument("--no-plots", action="store_true", help="skip the PNG plots")

    cmp_ = commands.add_parser("compare", help="what-if: vary properties, simulate every combination, compare")
    run_options(cmp_, 365)
    cmp_.add_argument("--vary", action="append", required=True, metavar="ID.PROPERTY=V1,V2,...",
                      help="a device property and the values to try (repeat for more; every combination runs)")
    cmp_.add_argument("--out", type=Path, default=Path("out/compare"), help="folder for compare.csv and compare.png (with --kubernetes: sweep-job.yaml)")
    cmp_.add_argument("--workers", type=_whole(1), help="processes (default: all cores)")
    kube = cmp_.add_argument_group(
        "on Kubernetes", "--kubernetes: run nothing here; store the sweep in PostgreSQL (--database) and write "
                         "OUT/sweep-job.yaml, an Indexed Job whose pods evaluate it in shards; then "
                         "`kubectl apply -f OUT/sweep-job.yaml` and `homesim sweep-results`")
    kube.add_argument("--kubernetes", action="store_true", help="write a Kubernetes Job for the sweep instead of running it")
    kube.add_argument("--database", metavar="URL", help="PostgreSQL URL the sweep and its results are stored in "
                                                         "(postgresql://user:password@host:5432/db)")
    kube.add_argument("--parallelism", type=_whole(1), metavar="N", help="pods running at once (default 4)")
    kube.add_argument("--shards", type=_whole(1), metavar="N", help="pods in all, each evaluating every N-th variant "
                                                      "(default: --parallelism, at most one per variant)")
    kube.add_argument("--image", default="homesim:0.1.0", help="the homesim image the pods run (default homesim:0.1.0)")
    kube.add_argument("--secret", default="homesim-sweep-db", metavar="NAME",
                      help="Secret holding the database URL (key 'url') in the cluster (default homesim-sweep-db)")

    pln = commands.add_parser(
        "plan", help="what buying the home's system pays back over the years (ageing, tariffs, loan)",
        description="Simulate the home and a baseline (the grid alone, or another home file) year after year, "
                    "the battery fading and the PV degrading, and price the difference with the finance section "
                    "(the home file's finance:, finance.yaml beside it, or --finance). Writes plan.json, plan.csv, "
                    "cash_flow.png, bills.png and battery.png.")
    pln.add_argument("home", type=Path, help="home definition file (YAML)")
    pln.add_argument("--years", type=_whole(1, 40), help="years analysed (default: the finance section's analysis_years, 20)")
    pln.add_argument("--baseline", default="grid_only", metavar="grid_only|FILE",
                     help="what the home is without the purchase: grid_only (default) or a home file (today's system)")
    pln.add_argument("--finance", type=Path, metavar="FILE", help="finance section as its own YAML file")
    pln.add_argument("--out", type=Path, default=Path("out/plan"), help="output folder (default out/plan)")

    opt = commands.add_parser(
        "optimize", help="the size and settings that pay best (or ride through outages best) over the plan's years",
        description="Vary properties over ranges, plan every candidate over the finance section's years against one "
                    "baseline, and rank them by the objective. A space of at most --max-evaluations candidates is "
                    "evaluated whole; a larger one is searched by differential evolution (SciPy). Writes "
                    "optimize.csv, optimize.json and optimize.png.")
    opt.add_argument("home", type=Path, help="home definition file (YAML)")
    opt.add_argument("--vary", action="append", required=True, metavar="ID.PROPERTY=START:END[:STEP]",
                     help="a property and its range (or V1,V2,...); repeat for more")
    opt.add_argument("--objective", choices=("npv", "payback", "outage_coverage"), default="npv",
                     help="what is best: highest NPV (default), shortest payback, most outage hours covered")
    opt.add_argument("--budget", type=_positive_float, metavar="AMOUNT", help="most capital allowed [currency]")
    opt.add_argument("--min-outage-coverage", type=_share, metavar="SHARE",
                     help="least share of outage hours with the essential loads powered, 0..1")
    opt.add_argument("--years", type=_whole(1, 40), help="years analysed (default: the finance section's)")
    opt.add_argument("--baseline", default="grid_only", metavar="grid_only|FILE",
                     help="what the home is without the purchase: grid_only (default) or a home file")
    opt.add_argument("--finance", type=Path, metavar="FILE", help="finance section as its own YAML file")
    opt.add_argument("--max-evaluations", type=_whole(1, 100_000), default=60,
                     help="candidates simulated at most (default 60); a space this small is evaluated whole")
    opt.add_argument("--top", type=_whole(1, 1000), default=5, help="candidates printed (default 5)")
    opt.add_argument("--workers", type=_whole(1), help="candidates settling at once, a thread each (default: all cores)")
    opt.add_argument("--out", type=Path, default=Path("out/optimize"), help="output folder (default out/optimize)")
    okube = opt.add_argument_group(
        "on Kubernetes", "--kubernetes: run nothing here; store every candidate of the space as a sweep in "
                         "PostgreSQL (--database) and write OUT/sweep-job.yaml, an Indexed Job whose pods plan them "
                         "in shards against the grid alone; `homesim sweep-results` ranks them")
    okube.add_argument("--kubernetes", action="store_true", help="write a Kubernetes Job instead of running here")
    okube.add_argument("--database", metavar="URL", help="PostgreSQL URL the sweep and its results are stored in")
    okube.add_argument("--parallelism", type=_whole(1), metavar="N", help="pods running at once (default 4)")
    okube.add_argument("--shards", type=_whole(1), metavar="N", help="pods in all (default: --parallelism)")
    okube.add_argument("--image", default="homesim:0.1.0", help="the homesim image the pods run (default homesim:0.1.0)")
    okube.add_argument("--secret", default="homesim-sweep-db", metavar="NAME",
                       help="Secret holding the database URL (key 'url') in the cluster (default homesim-sweep-db)")

    up = commands.add_parser("up", help="run the home live: a Crossbar router and one process per device")
    up.add_argument("home", type=Path, help="home definition file (YAML)")
    pace = up.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_positive_float, default=1.0,
                      help="ticks per wall second (default 1: with 60 s ticks, 60x real time)")
    pace.add_argument("--max", action="store_true", help="as fast as the home settles")
    up.add_argument("--step", type=_step, default=60, help="tick length [s] (default 60)")
    up.add_argument("--seed", type=_seed, help="seed of the weather model (default: the home's seed)")
    up.add_argument("--port", type=_whole(0, 65535), default=0, help="router port on 127.0.0.1 (default: a free one)")
    up.add_argument("--ticks", type=_whole(0), default=0, help="stop after N settled and recorded ticks (default: run until Ctrl-C)")
    up.add_argument("--out", type=Path, default=Path("out/live"), help="folder for the recorder database, logs and credentials")
    up.add_argument("--db", help="recorder database: a SQLite path or postgresql://user@host/db "
                                 "(default: DIR/ledger.sqlite)")
    up.add_argument("--prometheus", action="store_true",
                    help="also start a local Prometheus (Debian's package) scraping every process; prints its URL")
    up.add_argument("--anonymous", choices=("viewer", "operator"),
                    help="let clients without credentials (e.g. wampc) join with this role; 127.0.0.1 only "
                         "(default: no anonymous access)")

    led = commands.add_parser("ledger", help="export a recorder database as a ledger (the format simulate writes)")
    led.add_argument("db", help="recorder database: SQLite path or postgresql:// URL")
    led.add_argument("--out", type=Path, required=True, help="output folder")
    led.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="ledger file format")

    rep = commands.add_parser("report", help="daily or monthly energy, cost, self-sufficiency of a recorded run")
    rep.add_argument("db", help="recorder database: SQLite path or postgresql:// URL")
    which = rep.add_mutually_exclusive_group()
    which.add_argument("--day", type=_day, help="just this local day (YYYY-MM-DD)")
    which.add_argument("--month", type=_month, help="just this local month (YYYY-MM); by month")
    rep.add_argument("--monthly", action="store_true", help="one row per month (default: per day)")
    rep.add_argument("--out", type=Path, default=Path("out/report"), help="folder for report.csv and report.png")

    worker = commands.add_parser(
        "sweep-worker", help="evaluate one shard of a stored sweep (a pod of the Job `compare --kubernetes` writes)",
        description="Evaluate shard INDEX of COUNT of a sweep stored in PostgreSQL: every variant i with "
                    "i % COUNT == INDEX, each row stored as soon as it is done (stored again if the pod is "
                    "retried: harmless).")
    worker.add_argument("--database", metavar="URL", help="PostgreSQL URL of the sweep (default: $HOMESIM_DATABASE_URL)")
    worker.add_argument("--sweep", required=True, metavar="ID", help="the sweep's id")
    worker.add_argument("--index", type=_whole(0), help="this shard, 0..COUNT-1 (default: $JOB_COMPLETION_INDEX, "
                                                         "which Kubernetes sets in an Indexed Job's pods)")
    worker.add_argument("--count", type=_whole(1), help="number of shards (default: $HOMESIM_SWEEP_COUNT)")

    results = commands.add_parser("sweep-results", help="gather a stored sweep's rows: table, CSV (and plot)",
                                  description="Print a sweep's rows in variant order and write them to OUT/sweep.csv "
                                              "(and OUT/compare.png for a compare sweep). Exit status 3, naming them, "
                                              "while some variants have no result yet.")
    results.add_argument("--database", metavar="URL", help="PostgreSQL URL of the sweep (default: $HOMESIM_DATABASE_URL)")
    results.add_argument("--sweep", required=True, metavar="ID", help="the sweep's id")
    results.add_argument("--out", type=Path, default=Path("out/sweep"), help="folder for sweep.csv (default out/sweep)")

    spec = commands.add_parser("specs", help="write the AsyncAPI document of the bus (from homesim/messages.py)")
    spec.add_argument("--out", type=Path, default=Path("specs"), help="output folder (default specs/)")

    val = commands.add_parser("validate", help="check a home file and list its devices")
    val.add_argument("home", type=Path, help="home definition file (YAML)")

    cred = commands.add_parser("credentials", help="print fresh random credentials of a home for Docker Compose (.env)",
                               description="Print a .env file with fresh random credentials for the home's router, "
                                           "services and devices: `homesim credentials HOME > .env`, then "
                                           "`docker compose up`. Keep it private; never commit it.")
    cred.add_argument("home", type=Path, help="home definition file (YAML)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; the exit status (see the module's doc). A closed stdout (``| head -1``)
    ends any command quietly with :data:`EXIT_BROKEN_PIPE`."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, not at exit: a reader gone is seen here
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (captured, replaced)
        pass


def _main(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or an option error (2, already printed)
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    from homesim.home import HomeFileError
    from homesim.loadshedding import ScheduleError
    from homesim.devices.generic_load import ProfileError
    from homesim.devices.weather import WeatherFileError

    try:
        commands = {"simulate": cmd_simulate, "compare": cmd_compare, "validate": cmd_validate, "up": cmd_up,
                    "ledger": cmd_ledger, "specs": cmd_specs, "report": cmd_report, "credentials": cmd_credentials,
                    "plan": cmd_plan, "optimize": cmd_optimize,
                    "sweep-worker": cmd_sweep_worker, "sweep-results": cmd_sweep_results}
        return commands[args.command](args)
    except (HomeFileError, ScheduleError, ProfileError, WeatherFileError, BadInput) as error:
        print(f"homesim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _load(path: Path):
    from homesim.home import load_home

    return load_home(path)


def _preflight(home, args: argparse.Namespace, **run) -> None:
    """What a run would refuse before its first tick (files it names, the first block), as
    field-level lines (``homesim.preflight``)."""
    from homesim.preflight import preflight

    preflight(home, str(args.home), **run)


def _ticks(args: argparse.Namespace) -> None:
    from homesim.preflight import ticks_problem

    problem = ticks_problem(args.days, args.step)
    if problem:
        raise BadInput(problem)


def _out_dir(path: Path, option: str = "--out") -> Path:
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


def _run_days(home, args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    """First and last local day of the run."""
    first = args.start or home.start
    ticks = int(args.days * 86_400 // args.step)
    return first, first + dt.timedelta(days=(ticks * args.step - 1) // 86_400)


def cmd_validate(args: argparse.Namespace) -> int:
    home = _load(args.home)
    _preflight(home, args)
    print(f"{args.home}: valid home {home.name!r} at {home.location.latitude}, {home.location.longitude} "
          f"({home.location.timezone}), {len(home.devices)} devices:")
    for device in home.devices:
        print(f"  {device.id:<16} {device.kind:<13} {device.ROLE}")
    from homesim.home.consistency import warnings

    for line in warnings(home):  # legal but probably not meant (homesim.home.consistency)
        print(f"warning: {line}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from homesim import plots
    from homesim.engine.fastforward import simulate
    from homesim.progress import ProgressBar

    _ticks(args)
    home = _load(args.home)
    _preflight(home, args, dt_s=args.step, start=args.start, seed=args.seed)
    if args.plot_day is not None and not args.no_plots:
        first, last = _run_days(home, args)
        if not first <= args.plot_day <= last:
            raise BadInput(f"--plot-day {args.plot_day} is not allowed: must be a day of the run, {first}..{last}")
    _out_dir(args.out)
    ledger = simulate(home, args.days, args.step, args.start, args.seed, on_progress=ProgressBar("simulating"))
    ledger.check()
    path = ledger.write(args.out, args.format)
    summary = ledger.summary()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    written = [] if args.no_plots else plots.write_all(ledger, args.out, day=_plot_day(args.plot_day, home))
    print(format_summary(summary))
    print(f"\nledger:  {path}")
    print(f"summary: {args.out / 'summary.json'}")
    for plot in written:
        print(f"plot:    {plot}")
    return 0


def _plot_day(day: dt.date | None, home):
    if day is None:
        return None
    import pandas as pd

    return pd.Timestamp(day).tz_localize(home.location.timezone)


def format_summary(summary: dict) -> str:
    """The summary as a person reads it."""
    e = summary["energy_kwh"]
    days = summary["ticks"] * summary["dt_s"] / 86_400
    lines = [
        f"{summary['home']}: {days:g} days from {summary['start']} at {summary['dt_s']} s steps "
        f"({summary['ticks']:,} ticks, engine {summary['engine_wall_s']:.2f} s)",
        f"  PV generated      {e['pv']:10.1f} kWh   curtailed {e['curtailed']:.1f} kWh",
        f"  demand            {summary['demand_kwh']:10.1f} kWh   what the loads asked for",
        f"  load served       {e['load']:10.1f} kWh   {100 * summary['demand_served']:.1f} % of demand",
        f"  grid import       {e['grid_import']:10.1f} kWh   export {e['grid_export']:.1f} kWh",
        f"  battery charge    {e['battery_charge']:10.1f} kWh   discharge {e['battery_discharge']:.1f} kWh",
        f"  conversion loss   {e['loss']:10.1f} kWh",
        f"  cost              {summary['cost']:10.2f} {summary['currency']}",
        f"  self-sufficiency  {100 * summary['self_sufficiency']:10.1f} %     "
        f"of the load served, not from the grid (1 - grid import / load served)",
        f"  outages           {summary['outage_hours']:10.1f} h     "
        f"essential loads fully served in {100 * summary['outage_coverage']:.1f} % of outage time",
        f"  not served        {e['unmet']:10.1f} kWh   in {summary['unmet_hours']:.1f} h with any load short:",
        f"    shed in outages {summary['shed_in_outages_kwh']:10.2f} kWh {summary['shed_in_outages_hours']:7.2f} h  "
        f"non-essential loads, off in outages by design",
        f"    essential short {summary['essential_short_kwh']:10.2f} kWh {summary['essential_short_hours']:7.2f} h  "
        f"in outages {summary['essential_short_in_outages_kwh']:.2f} kWh, {summary['essential_short_in_outages_hours']:.2f} h; "
        f"grid on {summary['essential_short_outside_outages_kwh']:.2f} kWh, "
        f"{summary['essential_short_outside_outages_hours']:.2f} h",
    ]
    if summary["non_essential_short_outside_outages_kwh"] > 0:
        lines.append(f"    non-essential   {summary['non_essential_short_outside_outages_kwh']:10.2f} kWh "
                     f"{summary['non_essential_short_outside_outages_hours']:7.2f} h  short outside outages")
    for load_id, d in summary.get("deadlines", {}).items():
        plural = "" if d["activities"] == 1 else "s"
        line = (f"  {load_id:<17} {d['delivered_kwh']:10.1f} kWh   of {d['wanted_kwh']:.1f} kWh wanted in "
                f"{d['activities']} {d['activity']}{plural}")
        if d["short_activities"]:
            line += f"; {d['short_activities']} ended {d['short_kwh']:.1f} kWh short"
        lines.append(line)
    return "\n".join(lines)


def cmd_up(args: argparse.Namespace) -> int:
    from homesim.bus.up import LiveHome, run_up

    home = _load(args.home)
    if args.ticks < 0:
        raise BadInput(f"--ticks {args.ticks} is not allowed: must be >= 0")
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port {args.port} is not allowed: must be 0..65535")
    from homesim.preflight import preflight_files, preflight_run

    preflight_files(home, str(args.home))  # before any process starts (the first block: while the router does)
    live = LiveHome(home, args.home, args.out, step=args.step, seed=args.seed, port=args.port or None,
                    ticks=args.ticks, speed="max" if args.max else str(args.speed), anonymous=args.anonymous, prometheus=args.prometheus,
                    db=args.db)
    try:
        return run_up(live, first_block=lambda: preflight_run(home, str(args.home), dt_s=args.step, seed=args.seed))
    except (RuntimeError, FileNotFoundError, TimeoutError) as error:  # the router, Prometheus, a process
        print(f"homesim: {error}", file=sys.stderr)
        return 1


def cmd_report(args: argparse.Namespace) -> int:
    import csv
    import re

    from homesim import reports

    if args.day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.day):
        raise BadInput(f"--day {args.day!r} is not allowed: must be YYYY-MM-DD")
    if args.month and not re.fullmatch(r"\d{4}-\d{2}", args.month):
        raise BadInput(f"--month {args.month!r} is not allowed: must be YYYY-MM")
    by = "month" if (args.month or args.monthly) else "day"
    ledger = _ledger_from_db(args.db)
    rows = reports.report(ledger, by, args.day or args.month)
    if not rows:
        raise BadInput(f"{args.db}: no recorded ticks{' in ' + (args.day or args.month) if args.day or args.month else ''}")
    currency = ledger.meta["currency"]
    _out_dir(args.out)
    print(reports.format_rows(rows, currency))
    with (args.out / "report.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(reports.COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    png = reports.plot(rows, args.out / "report.png", currency, f"{ledger.meta['home']}: per {by}")
    print(f"\nreport:  {args.out / 'report.csv'}\nplot:    {png}")
    return 0


def cmd_specs(args: argparse.Namespace) -> int:
    from homesim import specs

    _out_dir(args.out)
    print(f"wrote {specs.write(args.out)}")
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    from homesim.compose import credentials_env
    from homesim.home import home_from_dict, read_home_file

    home = home_from_dict(read_home_file(args.home), source=str(args.home), home_dir=args.home.parent)
    sys.stdout.write(credentials_env(home))
    return 0


def _ledger_from_db(db: str):
    """The ledger of a recorder database; a file that is not one is bad input."""
    import sqlite3

    from homesim.bus.ledger import ledger_from_db

    try:
        return ledger_from_db(db)
    except sqlite3.Error as error:
        raise BadInput(f"{db}: not a homesim recorder database ({error})") from None


def cmd_ledger(args: argparse.Namespace) -> int:
    ledger = _ledger_from_db(args.db)
    _out_dir(args.out)
    path = ledger.write(args.out, args.format)
    summary = ledger.summary()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(format_summary(summary))
    print(f"\nledger:  {path}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from homesim.planning import plan
    from homesim.progress import ProgressBar

    home, finance, source, baseline, name, baseline_dir = _plan_inputs(args)
    _out_dir(args.out)
    result = plan.plan(home, finance, baseline, name, on_progress=ProgressBar("years", delay_s=0.0, unit="years"),
                       home_dir=args.home.parent, baseline_dir=baseline_dir)
    written = plan.write(result, args.out)
    print(plan.format_plan(result))
    print(f"\nfinance: {source}")
    for path in written:
        print(f"wrote:   {path}")
    return 0


def _plan_inputs(args: argparse.Namespace):
    """The home, its finance section (with --years), the baseline, its name and folder."""
    from homesim.planning import plan
    from homesim.preflight import preflight

    home = _load(args.home)
    finance, source = plan.load_finance(args.home, args.finance)
    finance = plan.with_years(finance, args.years)
    if args.baseline == plan.GRID_ONLY:
        baseline, name, baseline_dir = None, plan.GRID_ONLY, None
    else:
        path = Path(args.baseline)
        if not path.is_file():
            raise BadInput(f"--baseline {args.baseline!r} is not allowed: must be grid_only or an existing home file")
        baseline, name, baseline_dir = _load(path), str(path), path.parent
    if args.command == "plan":  # a loan's deposit against what it buys, before any year runs or --out is made
        plan.check_loan(home, baseline if baseline is not None else plan.grid_only(home, args.home.parent), finance,
                        source)
    preflight(home, str(args.home), dt_s=60)
    if baseline is not None:
        preflight(baseline, name, dt_s=60)
    return home, finance, source, baseline, name, baseline_dir


def cmd_optimize(args: argparse.Namespace) -> int:
    import json

    from homesim.planning import optimize, plan
    from homesim.progress import ProgressBar

    home, finance, source, baseline, name, _ = _plan_inputs(args)
    varies = [optimize.parse_range(v) for v in args.vary]
    if args.kubernetes:
        import itertools

        if not args.database:
            raise BadInput("--kubernetes needs --database URL: the PostgreSQL the pods store their results in")
        if baseline is not None:
            raise BadInput("--baseline: on Kubernetes only grid_only is supported")
        optimize.check_candidates(home, [k for k, _ in varies], [v for _, v in varies], args.home.parent)
        optimize.check_loan(home, finance, [k for k, _ in varies], [v for _, v in varies],
                            plan.grid_only(home, args.home.parent), args.home.parent)
        keys = [k for k, _ in varies]
        changes = [dict(zip(keys, combo)) for combo in itertools.product(*[v for _, v in varies])]
        return _sweep_on_kubernetes(args, home, "plan", changes, optimize.plan_options(
            finance, args.objective, args.budget, args.min_outage_coverage))
    else:
        given = [o for o in ("database", "parallelism", "shards") if getattr(args, o) is not None]
        if given:
            raise BadInput(f"--{given[0]} is only for --kubernetes (a sweep run as a Kubernetes Job)")
    _out_dir(args.out)
    result = optimize.optimize(home, finance, varies, args.objective, args.budget, args.min_outage_coverage,
                               baseline, name, home_dir=args.home.parent, workers=args.workers,
                               max_evaluations=args.max_evaluations,
                               on_progress=ProgressBar("candidates", delay_s=0.0, unit="candidates"))
    args.out.mkdir(parents=True, exist_ok=True)
    import csv

    rows = result["rows"]
    with (args.out / "optimize.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "optimize.json").write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    chart = optimize.plot(result, args.out / "optimize.png")
    print(f"{result['evaluated']} of {result['space']} candidates simulated over {result['years']} years "
          f"({result['method'].replace('_', ' ')}), best by {result['objective']} first:\n")
    print(optimize.format_rows(result, args.top))
    best = result["best"]
    if best is None:
        print("\nno candidate keeps the budget and the outage coverage asked for")
    else:
        print("\nrecommended: " + ", ".join(f"{k}={best[k]}" for k in result["varied"]))
    print(f"\nfinance: {source}\nwrote:   {args.out / 'optimize.csv'}\nwrote:   {args.out / 'optimize.json'}"
          f"\nwrote:   {chart}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from homesim.engine import compare
    from homesim.home import HomeFileError
    from homesim.progress import ProgressBar

    _ticks(args)
    home = _load(args.home)
    varies = [compare.parse_vary(v) for v in args.vary]
    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers} is not allowed: must be >= 1")
    problems = []
    for changes, variant in compare.variants(home, varies, home_dir=args.home.parent):
        try:
            _preflight(variant, args, dt_s=args.step, start=args.start, seed=args.seed)
        except HomeFileError as error:
            label = ", ".join(f"{k}={v}" for k, v in changes.items())
            problems += [f"variant {label}: {p}" for p in error.problems]
    if problems:  # every bad variant named, not only the first
        raise HomeFileError(problems, str(args.home))
    if args.kubernetes:
        return _compare_on_kubernetes(args, home, varies)
    for option, given in (("--database", args.database), ("--shards", args.shards), ("--parallelism", args.parallelism)):
        if given is not None:
            raise BadInput(f"{option} is only for --kubernetes (a sweep run as a Kubernetes Job)")
    _out_dir(args.out)
    rows = compare.compare(home, varies, args.days, args.step, args.start, args.seed, args.workers,
                           home_dir=args.home.parent, on_progress=ProgressBar("variants", delay_s=0.0))
    args.out.mkdir(parents=True, exist_ok=True)
    import csv

    csv_path = args.out / "compare.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot_path = compare.plot(rows, [k for k, _ in varies], args.out / "compare.png", home.currency)
    print(compare.format_table(rows))
    print(f"\ntable: {csv_path}\nplot:  {plot_path}")
    return 0


def _database(args: argparse.Namespace) -> str:
    url = args.database or os.environ.get("HOMESIM_DATABASE_URL")
    if not url:
        raise BadInput("--database is missing (and HOMESIM_DATABASE_URL is not set): give the sweep's "
                       "PostgreSQL URL, postgresql://user:password@host:5432/db")
    return url


def _compare_on_kubernetes(args: argparse.Namespace, home, varies) -> int:
    """Store the sweep, write its Job, say how to run and gather it."""
    from homesim.planning import sweep
    from homesim.engine import compare

    if not args.database:
        raise BadInput("--kubernetes needs --database URL: the PostgreSQL the pods store their results in")
    changes = [c for c, _ in compare.variants(home, varies, home_dir=args.home.parent)]
    return _sweep_on_kubernetes(args, home, "compare", changes,
                                sweep.compare_options(args.days, args.step, args.start, args.seed))


def _sweep_on_kubernetes(args: argparse.Namespace, home, kind: str, changes: list, options: dict) -> int:
    """Store a sweep of ``kind``, write its Job, say how to run and gather it."""
    from homesim.planning import sweep
    from homesim.k8s import manifests

    parallelism = args.parallelism or 4
    shards = min(len(changes), args.shards or parallelism)
    data = home.model_dump(mode="json")
    spec = {"id": sweep.new_id(args.home.stem), "kind": kind, "home": data,
            "home_dir": str(args.home.parent.resolve()), "files": sweep.files_of(data, changes, args.home.parent),
            "variants": changes, "options": options}
    sweep.check_spec(spec)
    _out_dir(args.out)
    import yaml

    job = manifests.sweep_job(spec["id"], shards, parallelism, image=args.image, database_secret=args.secret)
    db = sweep.connect(args.database)
    with db:
        sweep.create(db, spec)
    path = args.out / "sweep-job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    url = sweep.safe_url(args.database)
    print(f"sweep {spec['id']}: {len(changes)} variants in {shards} shards ({job['spec']['parallelism']} at once), "
          f"stored in {url}")
    print(f"job:   {path}")
    print("\nrun it (the Secret once per namespace: the URL as the cluster reaches the database):")
    print(f"  kubectl create secret generic {args.secret} --from-literal=url='postgresql://USER:PASSWORD@HOST:5432/DB'")
    print(f"  kubectl apply -f {path}")
    print(f"  kubectl wait --for=condition=complete job/{job['metadata']['name']} --timeout=6h")
    print("gather the rows (a table, sweep.csv and " + ("compare.png" if kind == "compare" else "optimize.png") + "):")
    print(f"  homesim sweep-results --database '{url}' --sweep {spec['id']} --out {args.out}")
    return 0


def _env_whole(value: int | None, option: str, env: str, low: int) -> int:
    """An option's value, else its environment variable's; missing or bad: one line naming both."""
    if value is not None:
        return value
    text = os.environ.get(env)
    if text is None or not text.strip():
        raise BadInput(f"{option} is missing (and {env} is not set)")
    try:
        number = int(text)
    except ValueError:
        raise BadInput(f"{env} {text!r} is not allowed: must be a whole number (or give {option})") from None
    if number < low:
        raise BadInput(f"{env} {number} is not allowed: must be >= {low} (or give {option})")
    return number


def cmd_sweep_worker(args: argparse.Namespace) -> int:
    import psycopg

    from homesim.planning import sweep

    url = _database(args)
    index = _env_whole(args.index, "--index", "JOB_COMPLETION_INDEX", 0)
    count = _env_whole(args.count, "--count", "HOMESIM_SWEEP_COUNT", 1)
    if index >= count:
        raise BadInput(f"--index {index} is not allowed: must be 0..{count - 1} (--count {count})")
    db = sweep.connect(url)
    try:
        with db:
            spec = sweep.load(db, args.sweep)
            mine = sweep.shard(len(spec["variants"]), index, count)
            print(f"sweep {args.sweep}: shard {index} of {count}: variants {mine}", flush=True)

            def stored(i: int, row: dict) -> None:
                sweep.store(db, args.sweep, i, row)
                print(f"  variant {i} ({sweep.label(spec['variants'][i])}): stored", flush=True)

            sweep.run_shard(spec, index, count, on_row=stored)
    except psycopg.Error as error:
        print(f"homesim: sweep {args.sweep}: database error: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"sweep {args.sweep}: shard {index} of {count}: {len(mine)} variants done", flush=True)
    return 0


def cmd_sweep_results(args: argparse.Namespace) -> int:
    import csv

    from homesim.planning import sweep
    from homesim.engine import compare

    url = _database(args)
    db = sweep.connect(url)
    with db:
        spec = sweep.load(db, args.sweep)
        try:
            rows = sweep.gather(db, args.sweep)
        except sweep.SweepIncomplete as incomplete:
            print(f"homesim: {incomplete}", file=sys.stderr)
            print(f"  (is the Job still running? kubectl get job sweep-{args.sweep})", file=sys.stderr)
            return EXIT_INCOMPLETE
    _out_dir(args.out)
    csv_path = args.out / "sweep.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if spec["kind"] == "plan":  # optimize --kubernetes: every candidate, ranked here
        from homesim.planning import optimize

        options = spec["options"]
        rows = optimize.ranked(rows, options)
        varied = list(spec["variants"][0])
        result = {"objective": options["objective"], "method": "grid", "space": len(rows), "evaluated": len(rows),
                  "rows": rows, "best": next((r for r in rows if r["feasible"]), None),
                  "currency": spec["home"].get("currency", ""), "years": options["finance"]["analysis_years"],
                  "varied": varied, "budget": options.get("budget")}
        print(optimize.format_rows(result, 10))
        best = result["best"]
        print("\nrecommended: " + (", ".join(f"{k}={best[k]}" for k in varied) if best else
                                   "none (no candidate keeps the budget and the outage coverage asked for)"))
        print(f"\ntable: {csv_path}\nplot:  {optimize.plot(result, args.out / 'optimize.png')}")
        return 0
    print(compare.format_table(rows))
    print(f"\ntable: {csv_path}")
    if spec["kind"] == "compare":
        varied = list(spec["variants"][0])
        plot_path = compare.plot(rows, varied, args.out / "compare.png", spec["home"].get("currency", ""))
        print(f"plot:  {plot_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
