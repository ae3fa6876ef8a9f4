"""The ``homesim`` command: ``simulate``, ``compare``, ``validate``, ``up``, ``ledger``, ``report``, ``specs``,
``credentials``.

Exit status: 0 done, 2 bad input (home file, option or schedule file: one clear message,
no traceback), 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from homesim.errors import BadInput

EXIT_BAD_INPUT = 2




def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be > 0")
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


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 0..4294967295")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homesim",
        description="Home energy simulator: PV, battery, hybrid inverter, grid and loads, Joule for Joule.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def run_options(p: argparse.ArgumentParser, default_days: float) -> None:
        p.add_argument("home", type=Path, help="home definition file (YAML)")
        p.add_argument("--days", type=_positive_float, default=default_days, help=f"horizon [days] (default {default_days:g})")
        p.add_argument("--step", type=_step, default=60, help="tick length [s] (default 60)")
        p.add_argument("--start", type=_date, help="first day YYYY-MM-DD (default: the home's start)")
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
    cmp_.add_argument("--out", type=Path, default=Path("out/compare"), help="folder for compare.csv and compare.png")
    cmp_.add_argument("--workers", type=int, help="processes (default: all cores)")

    up = commands.add_parser("up", help="run the home live: a Crossbar router and one process per device")
    up.add_argument("home", type=Path, help="home definition file (YAML)")
    pace = up.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_positive_float, default=1.0,
                      help="ticks per wall second (default 1: with 60 s ticks, 60x real time)")
    pace.add_argument("--max", action="store_true", help="as fast as the home settles")
    up.add_argument("--step", type=_step, default=60, help="tick length [s] (default 60)")
    up.add_argument("--seed", type=_seed, help="seed of the weather model (default: the home's seed)")
    up.add_argument("--port", type=int, default=0, help="router port on 127.0.0.1 (default: a free one)")
    up.add_argument("--ticks", type=int, default=0, help="stop after N settled and recorded ticks (default: run until Ctrl-C)")
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
    which.add_argument("--day", help="just this local day (YYYY-MM-DD)")
    which.add_argument("--month", help="just this local month (YYYY-MM); by month")
    rep.add_argument("--monthly", action="store_true", help="one row per month (default: per day)")
    rep.add_argument("--out", type=Path, default=Path("out/report"), help="folder for report.csv and report.png")

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
    args = build_parser().parse_args(argv)
    from homesim.home import HomeFileError
    from homesim.loadshedding import ScheduleError
    from homesim.devices.generic_load import ProfileError
    from homesim.devices.weather import WeatherFileError

    try:
        commands = {"simulate": cmd_simulate, "compare": cmd_compare, "validate": cmd_validate, "up": cmd_up,
                    "ledger": cmd_ledger, "specs": cmd_specs, "report": cmd_report, "credentials": cmd_credentials}
        return commands[args.command](args)
    except (HomeFileError, ScheduleError, ProfileError, WeatherFileError, BadInput) as error:
        print(f"homesim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _load(path: Path):
    from homesim.home import load_home

    return load_home(path)


def cmd_validate(args: argparse.Namespace) -> int:
    home = _load(args.home)
    print(f"{args.home}: valid home {home.name!r} at {home.location.latitude}, {home.location.longitude} "
          f"({home.location.timezone}), {len(home.devices)} devices:")
    for device in home.devices:
        print(f"  {device.id:<16} {device.kind:<13} {device.ROLE}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from homesim import plots
    from homesim.engine.fastforward import simulate
    from homesim.progress import ProgressBar

    home = _load(args.home)
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
        f"  load served       {e['load']:10.1f} kWh   unmet {e['unmet']:.1f} kWh",
        f"  grid import       {e['grid_import']:10.1f} kWh   export {e['grid_export']:.1f} kWh",
        f"  battery charge    {e['battery_charge']:10.1f} kWh   discharge {e['battery_discharge']:.1f} kWh",
        f"  conversion loss   {e['loss']:10.1f} kWh",
        f"  cost              {summary['cost']:10.2f} {summary['currency']}",
        f"  self-sufficiency  {100 * summary['self_sufficiency']:10.1f} %",
        f"  outages           {summary['outage_hours']:10.1f} h     covered {100 * summary['outage_coverage']:.1f} %",
        f"  unmet             {summary['unmet_hours']:10.1f} h     of which in outages {summary['unmet_hours_in_outages']:.1f} h",
    ]
    return "\n".join(lines)


def cmd_up(args: argparse.Namespace) -> int:
    from homesim.bus.up import LiveHome, run_up

    home = _load(args.home)
    if args.ticks < 0:
        raise BadInput(f"--ticks {args.ticks} is not allowed: must be >= 0")
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port {args.port} is not allowed: must be 0..65535")
    live = LiveHome(home, args.home, args.out, step=args.step, seed=args.seed, port=args.port or None,
                    ticks=args.ticks, speed="max" if args.max else str(args.speed), anonymous=args.anonymous, prometheus=args.prometheus,
                    db=args.db)
    try:
        return run_up(live)
    except (RuntimeError, FileNotFoundError, TimeoutError) as error:  # the router, Prometheus, a process
        print(f"homesim: {error}", file=sys.stderr)
        return 1


def cmd_report(args: argparse.Namespace) -> int:
    import csv
    import re

    from homesim import reports
    from homesim.bus.ledger import ledger_from_db

    if args.day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.day):
        raise BadInput(f"--day {args.day!r} is not allowed: must be YYYY-MM-DD")
    if args.month and not re.fullmatch(r"\d{4}-\d{2}", args.month):
        raise BadInput(f"--month {args.month!r} is not allowed: must be YYYY-MM")
    by = "month" if (args.month or args.monthly) else "day"
    ledger = ledger_from_db(args.db)
    rows = reports.report(ledger, by, args.day or args.month)
    if not rows:
        raise BadInput(f"{args.db}: no recorded ticks{' in ' + (args.day or args.month) if args.day or args.month else ''}")
    currency = ledger.meta["currency"]
    print(reports.format_rows(rows, currency))
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "report.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(reports.COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    png = reports.plot(rows, args.out / "report.png", currency, f"{ledger.meta['home']}: per {by}")
    print(f"\nreport:  {args.out / 'report.csv'}\nplot:    {png}")
    return 0


def cmd_specs(args: argparse.Namespace) -> int:
    from homesim import specs

    print(f"wrote {specs.write(args.out)}")
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    from homesim.compose import credentials_env
    from homesim.home import home_from_dict, read_home_file

    home = home_from_dict(read_home_file(args.home), source=str(args.home), home_dir=args.home.parent)
    sys.stdout.write(credentials_env(home))
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    from homesim.bus.ledger import ledger_from_db

    ledger = ledger_from_db(args.db)
    path = ledger.write(args.out, args.format)
    summary = ledger.summary()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(format_summary(summary))
    print(f"\nledger:  {path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from homesim.engine import compare
    from homesim.progress import ProgressBar

    home = _load(args.home)
    varies = [compare.parse_vary(v) for v in args.vary]
    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers} is not allowed: must be >= 1")
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


if __name__ == "__main__":
    sys.exit(main())
