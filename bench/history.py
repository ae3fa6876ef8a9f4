"""Benchmark: ``homesim import`` of a year of 1-minute history (525,600 rows per quantity).

A random home with known truth (``homesim.history.synthetic``, seed ``--seed``) is simulated for
``--days`` at 60 s and written (``homesim.history.render``) as a wide CSV (one row a minute,
six quantities) and as a Home Assistant history export (one row per state change of each of
six entities, the grid import as a kWh counter). Each file is then imported as a person runs
it, ``homesim import FILE --location ... --out DIR`` in a fresh process, ``--repeat`` times;
the stages' seconds are read from what the command says on stderr (``reading``,
``calibrating``, ``simulating``, ``comparing and plotting``) and the whole run's wall time is
measured here (process start and imports included). Prints the machine (CPU model, cores) and
its load average before and after: a time without its machine and load says little.

Target (issue 26): read + calibrate + report of a year in <= 20 s on 2 cores.

    python bench/history.py [--days 365] [--repeat 2] [--keep DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))

from engine import load_average, machine  # noqa: E402

LOCATION = "-33.93,18.47,Africa/Johannesburg"  # the synthetic homes' (Cape Town)
STAGE = re.compile(r"^(.+?): done in ([0-9.]+) s", re.MULTILINE)
TARGET_S = 20.0


def make_files(folder: Path, days: float, seed: int) -> dict[str, Path]:
    """The year's history as each file, and how long making them took (not timed as import)."""
    from homesim.history import render
    from homesim.history.synthetic import synthetic_history

    began = time.perf_counter()
    made = synthetic_history(seed, days=days)
    print(f"history: {made.history.size:,} minutes of a random home (seed {seed}: {made.truth['kwp']} kWp, "
          f"{made.truth['capacity_kwh']} kWh) in {time.perf_counter() - began:.1f} s", flush=True)
    files = {}
    began = time.perf_counter()
    files["wide CSV"] = render.write_wide(made.history, folder / "wide.csv").path
    files["Home Assistant history"] = render.write_ha_history(made.history, folder / "ha.csv",
                                                              energy=("grid_import",)).path
    for name, path in files.items():
        rows = sum(1 for _ in path.open()) - 1
        print(f"  {name}: {path.name}, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB", flush=True)
    print(f"  written in {time.perf_counter() - began:.1f} s", flush=True)
    return files


def import_once(path: Path, out: Path) -> dict[str, float]:
    """One ``homesim import`` in a fresh process: each stage's seconds and the wall time."""
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "homesim.cli", "import", str(path), "--location", LOCATION,
                             "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"homesim import {path} exited {result.returncode}:\n{result.stderr}")
    stages = {label.split(" from ")[0].split(" 1 history")[0]: float(seconds)
              for label, seconds in STAGE.findall(result.stderr)}
    return {**stages, "wall": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the history files and the imports in this folder")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    where = machine()
    load_before = load_average()
    print(f"machine: {where['cpu']}, {where['cores']} cores usable ({where['cores_machine']} in the machine), "
          f"Python {where['python']}; load average {load_before}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = make_files(folder, args.days, args.seed)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        for round_ in range(args.repeat):  # interleaved: a busy moment slows both files alike
            for name, path in files.items():
                got = import_once(path, folder / f"import-{path.stem}")
                runs[name].append(got)
                parts = ", ".join(f"{k} {v:.2f} s" for k, v in got.items() if k != "wall")
                print(f"round {round_ + 1}, {name}: {parts}; wall {got['wall']:.2f} s", flush=True)
    load_after = load_average()
    print(f"\nload average before {load_before}, after {load_after}")
    summary = {}
    for name, rounds in runs.items():
        best = min(rounds, key=lambda r: r["wall"])
        summary[name] = best
        staged = sum(v for k, v in best.items() if k != "wall")
        verdict = "met" if best["wall"] <= TARGET_S else "NOT met"
        print(f"{name}: best wall {best['wall']:.2f} s (stages {staged:.2f} s: "
              + ", ".join(f"{k} {v:.2f}" for k, v in best.items() if k != "wall")
              + f"); target <= {TARGET_S:g} s: {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"machine": where, "load_before": load_before, "load_after": load_after,
                                         "days": args.days, "runs": runs, "best": summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
