"""Record the battery SoC histories the ageing anchor tests run on (issue 24, item 3).

Run by hand from the repository root, with the project's venv::

    .venv/bin/python tests/data/ageing/make_histories.py

(recorded from a clean export of commit 8aab0e5: ``git archive 8aab0e5 services examples``
unpacked in /tmp/ageing_src, run with ``PYTHONPATH=/tmp/ageing_src/services
HOMESIM_ROOT=/tmp/ageing_src``: the dispatch was being changed in the work tree)

It simulates one year (365 days at 60 s steps, :func:`homesim.planning.yearly.simulate_year`, the same
call ``homesim plan`` makes for year 1) of the reference home (examples/home.yaml) and of
variants of it, and writes ``histories.npz``: per history, the battery's SoC every 5 minutes
(every 5th tick, instantaneous) as ``uint16`` of ``SoC * 10000`` [-], and ``dt_s`` = 300 [s].

The histories are FIXED test inputs: the inverter's dispatch changes over time, so re-running
this gives other histories; the anchor figures (anchors.json, make_anchors.py) must then be
made again from the new file. Recorded 2026-12-07 on main 8aab0e5.

Histories (what each stresses):

* ``reference``: the reference home as it is (10.24 kWh LFP, ToU programs, load-shedding).
* ``small_battery``: 5.12 kWh: deeper daily cycles.
* ``big_battery``: 20.48 kWh: shallow cycles, long hours near the top.
* ``grid_charge_full``: grid-charged to 100 % every night (22:00-05:00), used down to 20 % by
  day: a deep daily cycle from full.
* ``cloudy_other_seed``: another weather seed (11) and a cloudier sky all year.
* ``heavy_loadshedding``: stage 6 most of the year, no grid charging: deep, irregular cycles.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from homesim.home import load_home, with_changes
from homesim.planning.yearly import simulate_year

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("HOMESIM_ROOT", HERE.parents[2]))
EXAMPLES = ROOT / "examples"
STEP = 5  # ticks of 60 s per stored sample
DT_S = 60 * STEP

FULL_PROGRAMS = [{"start": "00:00", "power_w": 3000, "soc": 1.0, "grid_charge": True},
                 *({"start": s, "power_w": 5000, "soc": 0.2} for s in ("05:00", "09:00", "12:00", "17:00")),
                 {"start": "22:00", "power_w": 3000, "soc": 1.0, "grid_charge": True}]
HEAVY_STAGES = [{"stage": 6, "start": "2026-01-05T00:00", "end": "2026-04-30T00:00"},
                {"stage": 4, "start": "2026-04-30T00:00", "end": "2026-07-31T00:00"},
                {"stage": 6, "start": "2026-07-31T00:00", "end": "2027-01-10T00:00"}]
NO_GRID_CHARGE = [{"start": s, "power_w": 5000, "soc": 0.2}
                  for s in ("00:00", "05:00", "09:00", "12:00", "17:00", "22:00")]

VARIANTS: dict[str, dict] = {
    "reference": {},
    "small_battery": {"battery.capacity_kwh": 5.12},
    "big_battery": {"battery.capacity_kwh": 20.48},
    "grid_charge_full": {"inverter.programs": FULL_PROGRAMS},
    "cloudy_other_seed": {"weather.mean_cloud_cover": [0.45] * 6 + [0.6] * 3 + [0.45] * 3},
    "heavy_loadshedding": {"grid.load_shedding": {"area_schedule_csv": "loadshedding/area_schedule.csv",
                                                  "stages": HEAVY_STAGES},
                           "inverter.programs": NO_GRID_CHARGE},
}


def main() -> None:
    home = load_home(EXAMPLES / "home.yaml")
    out: dict[str, np.ndarray] = {"dt_s": np.array(DT_S)}
    for name, changes in VARIANTS.items():
        variant = with_changes(home, changes, home_dir=EXAMPLES) if changes else home
        if name == "cloudy_other_seed":
            variant = variant.model_copy(update={"seed": 11})
        _figures, soc = simulate_year(variant, 1, 1.0, 1.0, dt_s=60, home_dir=EXAMPLES)
        sampled = soc[::STEP]
        out[name] = np.round(np.clip(sampled, 0.0, 1.0) * 10_000).astype(np.uint16)
        swing = np.abs(np.diff(sampled)).sum() / 2
        print(f"{name:20s} mean SoC {sampled.mean():.3f}  EFC {swing:6.1f}  samples {sampled.size}")
    np.savez_compressed(HERE / "histories.npz", **out)


if __name__ == "__main__":
    main()
