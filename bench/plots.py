"""Benchmark: what the plots cost. ``homesim simulate`` on the reference home for a year at 60 s
steps, with ``--no-plots`` and with its three plots, side by side.

Each run is the command as a person runs it (a fresh process: start, imports, simulation,
ledger and summary files, plots), alternating without and with plots so that both see the
same machine load; a warm-up run first loads (or compiles) the JIT kernels. Prints each run,
the median of each and their ratio; exits 1 if the ratio is above ``--max-ratio`` (1.5).

    python bench/plots.py [--home examples/home.yaml] [--days 365] [--repeat 3] [--max-ratio 1.5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(home: Path, days: float, out: Path, plots: bool) -> float:
    command = [sys.executable, "-m", "homesim.cli", "simulate", str(home), "--days", f"{days:g}", "--out", str(out)]
    if not plots:
        command.append("--no-plots")
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"bench/plots.py: {' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    if plots and not all((out / name).is_file() for name in ("day_flows.png", "soc_grid.png", "monthly_energy.png")):
        sys.exit("bench/plots.py: a plot is missing")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / "examples" / "home.yaml")
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="homesim-bench-plots-") as tmp:
        out = Path(tmp)
        run(args.home, 1, out / "warm-up", plots=True)  # loads (or compiles) the JIT kernels
        without, with_ = [], []
        for i in range(args.repeat):
            without.append(run(args.home, args.days, out / f"no-plots-{i}", plots=False))
            with_.append(run(args.home, args.days, out / f"plots-{i}", plots=True))
            print(f"  run {i + 1}: --no-plots {without[-1]:6.2f} s   with plots {with_[-1]:6.2f} s", flush=True)
    plain, plotted = statistics.median(without), statistics.median(with_)
    ratio = plotted / plain
    print(f"homesim simulate {args.home.name} --days {args.days:g} (a fresh process each, median of {args.repeat}):")
    print(f"  --no-plots:        {plain:6.2f} s")
    print(f"  with plots:        {plotted:6.2f} s   (the plots: {plotted - plain:+.2f} s)")
    print(f"  ratio:             {ratio:6.2f} x   target <= {args.max_ratio:g} x: {'met' if ratio <= args.max_ratio else 'NOT met'}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
