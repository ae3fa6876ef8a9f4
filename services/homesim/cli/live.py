"""Commands of the live home: ``up`` (a router and a process per device) and what it recorded:
``ledger``, ``report``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from homesim.cli.options import (
    iso_day,
    iso_month,
    load_home_file,
    out_dir,
    positive_float,
    seed_number,
    tick_s,
    whole_number,
)
from homesim.cli.simulation import format_summary
from homesim.errors import BadInput


def add_commands(commands) -> None:
    """This group's subcommands, each with its options and the function that runs it."""
    up = commands.add_parser("up", help="run the home live: a Crossbar router and one process per device")
    up.add_argument("home", type=Path, help="home definition file (YAML)")
    pace = up.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=positive_float, default=1.0,
                      help="ticks per wall second (default 1: with 60 s ticks, 60x real time)")
    pace.add_argument("--max", action="store_true", help="as fast as the home settles")
    up.add_argument("--step", type=tick_s, default=60, help="tick length [s] (default 60)")
    up.add_argument("--seed", type=seed_number, help="seed of the weather model (default: the home's seed)")
    up.add_argument("--port", type=whole_number(0, 65535), default=0, help="router port on 127.0.0.1 (default: a free one)")
    up.add_argument("--ticks", type=whole_number(0), default=0, help="stop after N settled and recorded ticks (default: run until Ctrl-C)")
    up.add_argument("--out", type=Path, default=Path("out/live"), help="folder for the recorder database, logs and credentials")
    up.add_argument("--db", help="recorder database: a SQLite path or postgresql://user@host/db "
                                 "(default: DIR/ledger.sqlite)")
    up.add_argument("--prometheus", action="store_true",
                    help="also start a local Prometheus (Debian's package) scraping every process; prints its URL")
    up.add_argument("--anonymous", choices=("viewer", "operator"),
                    help="let clients without credentials (e.g. wampc) join with this role; 127.0.0.1 only "
                         "(default: no anonymous access)")
    up.set_defaults(run=cmd_up)

    led = commands.add_parser("ledger", help="export a recorder database as a ledger (the format simulate writes)")
    led.add_argument("db", help="recorder database: SQLite path or postgresql:// URL")
    led.add_argument("--out", type=Path, required=True, help="output folder")
    led.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="ledger file format")
    led.set_defaults(run=cmd_ledger)

    rep = commands.add_parser("report", help="daily or monthly energy, cost, self-sufficiency of a recorded run")
    rep.add_argument("db", help="recorder database: SQLite path or postgresql:// URL")
    which = rep.add_mutually_exclusive_group()
    which.add_argument("--day", type=iso_day, help="just this local day (YYYY-MM-DD)")
    which.add_argument("--month", type=iso_month, help="just this local month (YYYY-MM); by month")
    rep.add_argument("--monthly", action="store_true", help="one row per month (default: per day)")
    rep.add_argument("--out", type=Path, default=Path("out/report"), help="folder for report.csv and report.png")
    rep.set_defaults(run=cmd_report)


def cmd_up(args: argparse.Namespace) -> int:
    from homesim.bus.up import LiveHome, run_up

    home = load_home_file(args.home)
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
    out_dir(args.out)
    path = ledger.write(args.out, args.format)
    summary = ledger.summary()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(format_summary(summary))
    print(f"\nledger:  {path}")
    return 0


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
    out_dir(args.out)
    print(reports.format_rows(rows, currency))
    with (args.out / "report.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(reports.COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    png = reports.plot(rows, args.out / "report.png", currency, f"{ledger.meta['home']}: per {by}")
    print(f"\nreport:  {args.out / 'report.csv'}\nplot:    {png}")
    return 0
