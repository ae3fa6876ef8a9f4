"""Commands on one home, fast-forward: ``validate``, ``simulate``, ``compare``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from homesim.cli.options import (
    check_ticks,
    iso_date,
    load_home_file,
    out_dir,
    preflight_or_refuse,
    run_days,
    run_options,
    whole_number,
)
from homesim.cli.planning import sweep_on_kubernetes
from homesim.errors import BadInput


def add_commands(commands) -> None:
    """This group's subcommands, each with its options and the function that runs it."""
    val = commands.add_parser("validate", help="check a home file and list its devices")
    val.add_argument("home", type=Path, help="home definition file (YAML)")
    val.set_defaults(run=cmd_validate)

    sim = commands.add_parser("simulate", help="simulate a home fast-forward and write its ledger, summary and plots")
    run_options(sim, 7)
    sim.add_argument("--out", type=Path, required=True, help="output folder")
    sim.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="ledger file format")
    sim.add_argument("--plot-day", type=iso_date, help="day shown in day_flows.png (default: first day with an outage)")
    sim.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    sim.set_defaults(run=cmd_simulate)

    cmp_ = commands.add_parser("compare", help="what-if: vary properties, simulate every combination, compare")
    run_options(cmp_, 365)
    cmp_.add_argument("--vary", action="append", required=True, metavar="ID.PROPERTY=V1,V2,...",
                      help="a device property and the values to try (repeat for more; every combination runs)")
    cmp_.add_argument("--out", type=Path, default=Path("out/compare"), help="folder for compare.csv and compare.png (with --kubernetes: sweep-job.yaml)")
    cmp_.add_argument("--workers", type=whole_number(1), help="processes (default: all cores)")
    kube = cmp_.add_argument_group(
        "on Kubernetes", "--kubernetes: run nothing here; store the sweep in PostgreSQL (--database) and write "
                         "OUT/sweep-job.yaml, an Indexed Job whose pods evaluate it in shards; then "
                         "`kubectl apply -f OUT/sweep-job.yaml` and `homesim sweep-results`")
    kube.add_argument("--kubernetes", action="store_true", help="write a Kubernetes Job for the sweep instead of running it")
    kube.add_argument("--database", metavar="URL", help="PostgreSQL URL the sweep and its results are stored in "
                                                         "(postgresql://user:password@host:5432/db)")
    kube.add_argument("--parallelism", type=whole_number(1), metavar="N", help="pods running at once (default 4)")
    kube.add_argument("--shards", type=whole_number(1), metavar="N", help="pods in all, each evaluating every N-th variant "
                                                      "(default: --parallelism, at most one per variant)")
    kube.add_argument("--image", default="homesim:0.1.0", help="the homesim image the pods run (default homesim:0.1.0)")
    kube.add_argument("--secret", default="homesim-sweep-db", metavar="NAME",
                      help="Secret holding the database URL (key 'url') in the cluster (default homesim-sweep-db)")
    cmp_.set_defaults(run=cmd_compare)


def cmd_validate(args: argparse.Namespace) -> int:
    home = load_home_file(args.home)
    preflight_or_refuse(home, args)
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

    check_ticks(args)
    home = load_home_file(args.home)
    preflight_or_refuse(home, args, dt_s=args.step, start=args.start, seed=args.seed)
    if args.plot_day is not None and not args.no_plots:
        first, last = run_days(home, args)
        if not first <= args.plot_day <= last:
            raise BadInput(f"--plot-day {args.plot_day} is not allowed: must be a day of the run, {first}..{last}")
    out_dir(args.out)
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


def _bill_line(summary: dict) -> list[str]:
    """The tariff's bill when it differs from the cost (fixed charges, blocks, net metering)."""
    bill = summary.get("bill")
    if not bill or abs(bill["total"] - summary["cost"]) <= 1e-6 * max(1.0, abs(summary["cost"])):
        return []
    return [f"  bill              {bill['total']:10.2f} {summary['currency']}   fixed {bill['fixed']:.2f}, "
            f"energy {bill['energy']:.2f}, export credit {bill['export_credit']:.2f}"
            + (f", minimum top-up {bill['minimum_topup']:.2f}" if bill["minimum_topup"] else "")
            + f" ({bill['metering']} metering, {len(bill['months'])} billing month"
            + ("s)" if len(bill["months"]) != 1 else ")")]


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
        *_bill_line(summary),
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


def cmd_compare(args: argparse.Namespace) -> int:
    from homesim.engine import compare
    from homesim.home import HomeFileError
    from homesim.progress import ProgressBar

    check_ticks(args)
    home = load_home_file(args.home)
    varies = [compare.parse_vary(v) for v in args.vary]
    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers} is not allowed: must be >= 1")
    problems = []
    for changes, variant in compare.variants(home, varies, home_dir=args.home.parent):
        try:
            preflight_or_refuse(variant, args, dt_s=args.step, start=args.start, seed=args.seed)
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
    out_dir(args.out)
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


def _compare_on_kubernetes(args: argparse.Namespace, home, varies) -> int:
    """Store the sweep, write its Job, say how to run and gather it."""
    from homesim.engine import compare
    from homesim.planning import sweep

    if not args.database:
        raise BadInput("--kubernetes needs --database URL: the PostgreSQL the pods store their results in")
    changes = [c for c, _ in compare.variants(home, varies, home_dir=args.home.parent)]
    return sweep_on_kubernetes(args, home, "compare", changes,
                                sweep.compare_options(args.days, args.step, args.start, args.seed))
