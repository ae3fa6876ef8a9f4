"""Accuracy of calibration on homes whose truth is known, and its time on a year.

Each seed is a random home (``homesim.history.synthetic.random_home``) run by homesim's engine
for ``--days`` at 60 s; its history is made rough as a logger's is (``synthetic.corrupt``: 2 %
noise on every power, SoC in whole percent, five 3-hour gaps), calibrated
(``homesim.history.calibrate``) and the calibrated home simulated over the measured period (the
replay). One row per home: the errors of kWp, battery capacity, round-trip efficiency, the
orientation, and the replay's grid import over the period, with the home's import and the
share of its daylight PV suspected of curtailment. Then, with ``--year``, one home's year of
1-minute history calibrated (calibrate alone, timed).

    python bench/calibration.py [--days 31] [--seeds 1-12] [--place cape_town|berlin] [--year]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))

from engine import load_average, machine  # noqa: E402

from homesim.history.calibrate import calibrate  # noqa: E402
from homesim.history.synthetic import CAPE_TOWN, corrupt, history_of, monthly_kwh, synthetic_history  # noqa: E402
from homesim.home import Location, load_home  # noqa: E402

PLACES = {"cape_town": (CAPE_TOWN, dt.date(2026, 1, 1)),
          "berlin": ({"latitude": 52.52, "longitude": 13.40, "altitude_m": 34.0, "timezone": "Europe/Berlin"},
                     dt.date(2026, 3, 22))}


def seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        out += list(range(int(first), int(last or first) + 1))
    return out


def one(seed: int, days: float, place: str, folder: Path) -> dict:
    location, start = PLACES[place]
    synthetic = synthetic_history(seed, days=days, start=start, location=location)
    truth = synthetic.truth
    began = time.perf_counter()
    calibration = calibrate(corrupt(synthetic.history, seed), Location(**location))
    seconds = time.perf_counter() - began
    fitted = calibration.fitted
    replay, _ = history_of(load_home(calibration.write(folder / f"{place}{seed}")), calibration.period["days"], 60)
    measured = sum(monthly_kwh(synthetic.history, "grid_import_w").values())
    replayed = sum(monthly_kwh(replay, "grid_import_w").values())
    azimuth = (fitted["azimuth_deg"]["value"] - truth["azimuth_deg"] + 180.0) % 360.0 - 180.0
    return {"seed": seed, "kwp_pct": 100 * (fitted["kwp"]["value"] / truth["kwp"] - 1),
            "capacity_pct": 100 * (fitted["battery.capacity_kwh"]["value"] / truth["capacity_kwh"] - 1),
            "rte_points": 100 * (fitted["battery.round_trip_efficiency"]["value"] - truth["round_trip_efficiency"]),
            "tilt_deg": fitted["tilt_deg"]["value"] - truth["tilt_deg"], "azimuth_deg": azimuth,
            "import_kwh": measured, "import_pct": 100 * (replayed / measured - 1) if measured > 0 else float("nan"),
            "curtailed": fitted["pv_curtailment_suspect_share"]["value"], "mode": truth["work_mode"],
            "calibrate_s": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=31.0)
    parser.add_argument("--seeds", type=seeds, default=seeds("1-12"))
    parser.add_argument("--place", choices=sorted(PLACES), default="cape_town")
    parser.add_argument("--year", action="store_true", help="also time calibrate on a year of 1-minute history")
    args = parser.parse_args()
    print(machine(), "load", load_average())
    print(f"{args.place}, {args.days:g} days from {PLACES[args.place][1]}, 60 s, 2 % noise, SoC in whole %, 5 gaps of 3 h")
    print(" seed    kWp  capacity    RTE   tilt azimuth  import (of kWh)  curtailed  mode             calibrate")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            r = one(seed, args.days, args.place, Path(folder))
            rows.append(r)
            print(f"{r['seed']:5d} {r['kwp_pct']:+5.1f}%   {r['capacity_pct']:+5.1f}%  {r['rte_points']:+4.1f}pt "
                  f"{r['tilt_deg']:+5.1f} {r['azimuth_deg']:+6.1f}   {r['import_pct']:+6.1f}% ({r['import_kwh']:5.0f})"
                  f"     {r['curtailed']:4.2f}   {r['mode']:<16} {r['calibrate_s']:5.2f} s")
    within = lambda key, limit: sum(abs(r[key]) <= limit for r in rows)  # noqa: E731
    print(f"within target: kWp {within('kwp_pct', 5)}/{len(rows)}, capacity {within('capacity_pct', 5)}/{len(rows)}, "
          f"RTE {within('rte_points', 3)}/{len(rows)}, import (homes importing 50 kWh or more) "
          f"{sum(abs(r['import_pct']) <= 5 for r in rows if r['import_kwh'] >= 50)}/"
          f"{sum(r['import_kwh'] >= 50 for r in rows)}")
    if args.year:
        synthetic = synthetic_history(args.seeds[0], days=365, start=dt.date(2025, 7, 1))
        history = corrupt(synthetic.history, args.seeds[0])
        began = time.perf_counter()
        calibrate(history, Location(**synthetic.home["location"]))
        print(f"a year of 1-minute history ({history.size:,} samples a quantity): calibrate "
              f"{time.perf_counter() - began:.2f} s; load {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
