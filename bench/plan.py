"""Benchmark: a whole-life plan of the reference home (homesim plan), and an optimization over
many candidates (homesim optimize), side by side with pvlib's PV-only ModelChain on one year.

A plan simulates the home and its grid-only baseline for every year (60 s steps, the battery
fading, the PV degrading, its own weather each year) and prices them; the anchor is what pvlib
takes for ONE year of the PV alone (PVWatts ModelChain on homesim's weather, as bench/engine.py),
so ``ratio`` = pvlib's time for a year x years / homesim's time for the whole plan.

    python bench/plan.py [--years 20] [--candidates 200] [--skip-optimize]

Targets (issue 15): a 20-year plan <= 10 s; >= 200 candidates x 20 years optimized <= 10 min on
2 cores. Both are timed in this process after a warm-up (the JIT kernels loaded).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))

from engine import pvlib_chain  # noqa: E402  (bench/engine.py)

from homesim.planning import optimize, plan  # noqa: E402
from homesim.engine.fastforward import simulate  # noqa: E402
from homesim.home import load_home  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / "examples" / "home.yaml")
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=200, help="candidates of the optimization (>= 2)")
    parser.add_argument("--skip-optimize", action="store_true", help="time the plan only")
    args = parser.parse_args()
    home = load_home(args.home)
    finance = plan.with_years(plan.load_finance(args.home)[0], args.years)
    simulate(home, days=1)  # warm-up: loads (or compiles) the JIT kernels

    chain, weather = pvlib_chain(home, 365, 60)
    began = time.perf_counter()
    chain.run_model(weather)
    pvlib_year_s = time.perf_counter() - began

    began = time.perf_counter()
    result = plan.plan(home, finance, home_dir=args.home.parent)
    plan_s = time.perf_counter() - began
    t = result.totals
    print(f"home: {home.name}; {os.cpu_count()} cores")
    print(f"  homesim plan, {args.years} years (home + grid-only baseline): {plan_s:8.2f} s "
          f"({plan_s / args.years:.2f} s a year; payback {t['simple_payback_years'] or float('nan'):.1f} y, NPV {t['npv']:,.0f})")
    print(f"  pvlib ModelChain (PVWatts), PV only, one year:        {pvlib_year_s:8.2f} s")
    print(f"  ratio pvlib x {args.years} years / homesim plan:            {pvlib_year_s * args.years / plan_s:8.1f} x")
    print(f"target: {args.years}-year plan <= 10 s: {'met' if plan_s <= 10 else 'NOT met'}")
    if args.skip_optimize:
        return

    # candidates: battery sizes x backup reserve, all differing only in battery and inverter
    reserves = [0.1, 0.2, 0.3, 0.4, 0.5]
    sizes = max(1, -(-args.candidates // len(reserves)))
    varies = [("battery.capacity_kwh", [round(2.5 + 0.5 * k, 2) for k in range(sizes)]),
              ("inverter.backup_reserve_soc", reserves)]
    count = sizes * len(reserves)
    began = time.perf_counter()
    found = optimize.optimize(home, finance, varies, "npv", home_dir=args.home.parent, max_evaluations=count)
    optimize_s = time.perf_counter() - began
    best = found["best"]
    print(f"  homesim optimize, {found['evaluated']} candidates x {args.years} years: {optimize_s:8.1f} s "
          f"({optimize_s / found['evaluated']:.2f} s a candidate; best battery {best['battery.capacity_kwh']} kWh, "
          f"reserve {best['inverter.backup_reserve_soc']})")
    print(f"  ratio pvlib x {found['evaluated'] * args.years} years / homesim optimize: "
          f"{pvlib_year_s * found['evaluated'] * args.years / optimize_s:8.1f} x")
    print(f"target: >= 200 candidates x 20 years <= 600 s: "
          f"{'met' if optimize_s <= 600 and found['evaluated'] >= 200 and args.years >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
