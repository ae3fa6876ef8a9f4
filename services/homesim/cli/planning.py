"""Commands that plan a purchase: ``plan``, ``optimize``, and the sweeps they (and ``compare``) run on
Kubernetes: ``sweep-worker``, ``sweep-results``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from homesim.cli.options import (
    EXIT_INCOMPLETE,
    load_home_file,
    out_dir,
    positive_float,
    share_0_1,
    whole_number,
)
from homesim.errors import BadInput


def add_commands(commands) -> None:
    """This group's subcommands, each with its options and the function that runs it."""
    pln = commands.add_parser(
        "plan", help="what buying the home's system pays back over the years (ageing, tariffs, loan)",
        description="Simulate the home and a baseline (the grid alone, or another home file) year after year, "
                    "the battery fading and the PV degrading, and price the difference with the finance section "
                    "(the home file's finance:, finance.yaml beside it, or --finance). Writes plan.json, plan.csv, "
                    "cash_flow.png, bills.png and battery.png.")
    pln.add_argument("home", type=Path, help="home definition file (YAML)")
    pln.add_argument("--years", type=whole_number(1, 40), help="years analysed (default: the finance section's analysis_years, 20)")
    pln.add_argument("--baseline", default="grid_only", metavar="grid_only|FILE",
                     help="what the home is without the purchase: grid_only (default) or a home file (today's system)")
    pln.add_argument("--finance", type=Path, metavar="FILE", help="finance section as its own YAML file")
    pln.add_argument("--set", action="append", dest="changes", metavar="ID.PROPERTY=VALUE",
                     help="plan the home with this change, e.g. battery.capacity_kwh=15 (repeat for more); with "
                          "--baseline the same home file: what the change adds to the home as it is")
    pln.add_argument("--out", type=Path, default=Path("out/plan"), help="output folder (default out/plan)")
    pln.set_defaults(run=cmd_plan)

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
    opt.add_argument("--budget", type=positive_float, metavar="AMOUNT", help="most capital allowed [currency]")
    opt.add_argument("--min-outage-coverage", type=share_0_1, metavar="SHARE",
                     help="least share of outage hours with the essential loads powered, 0..1")
    opt.add_argument("--years", type=whole_number(1, 40), help="years analysed (default: the finance section's)")
    opt.add_argument("--baseline", default="grid_only", metavar="grid_only|FILE",
                     help="what the home is without the purchase: grid_only (default) or a home file")
    opt.add_argument("--finance", type=Path, metavar="FILE", help="finance section as its own YAML file")
    opt.add_argument("--max-evaluations", type=whole_number(1, 100_000), default=60,
                     help="candidates simulated at most (default 60); a space this small is evaluated whole")
    opt.add_argument("--top", type=whole_number(1, 1000), default=5, help="candidates printed (default 5)")
    opt.add_argument("--workers", type=whole_number(1), help="candidates settling at once, a thread each (default: all cores)")
    opt.add_argument("--out", type=Path, default=Path("out/optimize"), help="output folder (default out/optimize)")
    okube = opt.add_argument_group(
        "on Kubernetes", "--kubernetes: run nothing here; store every candidate of the space as a sweep in "
                         "PostgreSQL (--database) and write OUT/sweep-job.yaml, an Indexed Job whose pods plan them "
                         "in shards against the grid alone; `homesim sweep-results` ranks them")
    okube.add_argument("--kubernetes", action="store_true", help="write a Kubernetes Job instead of running here")
    okube.add_argument("--database", metavar="URL", help="PostgreSQL URL the sweep and its results are stored in")
    okube.add_argument("--parallelism", type=whole_number(1), metavar="N", help="pods running at once (default 4)")
    okube.add_argument("--shards", type=whole_number(1), metavar="N", help="pods in all (default: --parallelism)")
    okube.add_argument("--image", default="homesim:0.1.0", help="the homesim image the pods run (default homesim:0.1.0)")
    okube.add_argument("--secret", default="homesim-sweep-db", metavar="NAME",
                       help="Secret holding the database URL (key 'url') in the cluster (default homesim-sweep-db)")
    opt.set_defaults(run=cmd_optimize)

    worker = commands.add_parser(
        "sweep-worker", help="evaluate one shard of a stored sweep (a pod of the Job `compare --kubernetes` writes)",
        description="Evaluate shard INDEX of COUNT of a sweep stored in PostgreSQL: every variant i with "
                    "i % COUNT == INDEX, each row stored as soon as it is done (stored again if the pod is "
                    "retried: harmless).")
    worker.add_argument("--database", metavar="URL", help="PostgreSQL URL of the sweep (default: $HOMESIM_DATABASE_URL)")
    worker.add_argument("--sweep", required=True, metavar="ID", help="the sweep's id")
    worker.add_argument("--index", type=whole_number(0), help="this shard, 0..COUNT-1 (default: $JOB_COMPLETION_INDEX, "
                                                         "which Kubernetes sets in an Indexed Job's pods)")
    worker.add_argument("--count", type=whole_number(1), help="number of shards (default: $HOMESIM_SWEEP_COUNT)")
    worker.set_defaults(run=cmd_sweep_worker)

    results = commands.add_parser("sweep-results", help="gather a stored sweep's rows: table, CSV (and plot)",
                                  description="Print a sweep's rows in variant order and write them to OUT/sweep.csv "
                                              "(and OUT/compare.png for a compare sweep). Exit status 3, naming them, "
                                              "while some variants have no result yet.")
    results.add_argument("--database", metavar="URL", help="PostgreSQL URL of the sweep (default: $HOMESIM_DATABASE_URL)")
    results.add_argument("--sweep", required=True, metavar="ID", help="the sweep's id")
    results.add_argument("--out", type=Path, default=Path("out/sweep"), help="folder for sweep.csv (default out/sweep)")
    results.set_defaults(run=cmd_sweep_results)


def cmd_plan(args: argparse.Namespace) -> int:
    from homesim.planning import plan
    from homesim.progress import ProgressBar

    home, finance, source, baseline, name, baseline_dir = _plan_inputs(args)
    out_dir(args.out)
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

    home = _changed(load_home_file(args.home), getattr(args, "changes", None), args.home.parent)
    finance, source = plan.load_finance(args.home, args.finance)
    finance = plan.with_years(finance, args.years)
    if args.baseline == plan.GRID_ONLY:
        baseline, name, baseline_dir = None, plan.GRID_ONLY, None
    else:
        path = Path(args.baseline)
        if not path.is_file():
            raise BadInput(f"--baseline {args.baseline!r} is not allowed: must be grid_only or an existing home file")
        baseline, name, baseline_dir = load_home_file(path), str(path), path.parent
    if args.command == "plan":  # a loan's deposit against what it buys, before any year runs or --out is made
        plan.check_loan(home, baseline if baseline is not None else plan.grid_only(home, args.home.parent), finance,
                        source)
    preflight(home, str(args.home), dt_s=60)
    if baseline is not None:
        preflight(baseline, name, dt_s=60)
    return home, finance, source, baseline, name, baseline_dir


def _changed(home, specs: list[str] | None, home_dir: Path):
    """The home with ``--set`` changes (``<device_id>.<property>=<value>``, values read as a home
    file reads them), validated; its name says what changed."""
    if not specs:
        return home
    import yaml

    from homesim.home import parse_yaml, with_changes

    changes = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        if not sep or "." not in key or not text.strip():
            raise BadInput(f"--set {spec!r} is not allowed: must be <device_id>.<property>=<value>, "
                           f"e.g. battery.capacity_kwh=15")
        try:
            changes[key.strip()] = parse_yaml(text.strip())
        except (yaml.YAMLError, RecursionError):
            raise BadInput(f"--set {spec!r}: {text.strip()!r} is not a value (a number, a word, true/false, or a "
                           f"YAML list/mapping in quotes)") from None
    changed = with_changes(home, changes, home_dir)
    label = ", ".join(f"{k}={v}" for k, v in changes.items())
    return changed.model_copy(update={"name": f"{home.name} ({label})"})


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
        return sweep_on_kubernetes(args, home, "plan", changes, optimize.plan_options(
            finance, args.objective, args.budget, args.min_outage_coverage))
    else:
        given = [o for o in ("database", "parallelism", "shards") if getattr(args, o) is not None]
        if given:
            raise BadInput(f"--{given[0]} is only for --kubernetes (a sweep run as a Kubernetes Job)")
    out_dir(args.out)
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


def sweep_on_kubernetes(args: argparse.Namespace, home, kind: str, changes: list, options: dict) -> int:
    """Store a sweep of ``kind``, write its Job, say how to run and gather it."""
    from homesim.k8s import manifests
    from homesim.planning import sweep

    parallelism = args.parallelism or 4
    shards = min(len(changes), args.shards or parallelism)
    data = home.model_dump(mode="json")
    spec = {"id": sweep.new_id(args.home.stem), "kind": kind, "home": data,
            "home_dir": str(args.home.parent.resolve()), "files": sweep.files_of(data, changes, args.home.parent),
            "variants": changes, "options": options}
    sweep.check_spec(spec)
    out_dir(args.out)
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


def _database(args: argparse.Namespace) -> str:
    url = args.database or os.environ.get("HOMESIM_DATABASE_URL")
    if not url:
        raise BadInput("--database is missing (and HOMESIM_DATABASE_URL is not set): give the sweep's "
                       "PostgreSQL URL, postgresql://user:password@host:5432/db")
    return url


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

    from homesim.engine import compare
    from homesim.planning import sweep

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
    out_dir(args.out)
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
