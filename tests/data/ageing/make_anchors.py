"""Anchor figures for homesim's battery ageing: independent published models run on the
committed SoC histories (histories.npz, made by make_histories.py). Issue 24, item 3.

Run by hand, in a venv of its own (BLAST-Lite pins numpy < 2; never install it in .venv)::

    python3 -m venv /tmp/blast
    /tmp/blast/bin/pip install blast-lite==1.1.1 nrel-pysam==7.1.1.post1
    /tmp/blast/bin/python tests/data/ageing/make_anchors.py          # ~35 min on one core

It writes anchors.json beside it: per history and per model, the remaining capacity at the end
of each year (a share of the new cell's capacity [-]), the year-1 fade [-] and the years to
80 % [year] (linear between year ends; null if not within YEARS). Each history is repeated
year after year unchanged, at 25 °C.

Models (what homesim's ``ageing_model`` of the same name is anchored to):

* ``nrel_blast_lfp_sony_murata``: BLAST-Lite 1.1.1 ``Lfp_Gr_SonyMurata3Ah_Battery`` (NREL; data
  Naumann et al. 2018/2020, model identified by Gasper et al., J. Electrochem. Soc. 169 (2022)
  080518, doi:10.1149/1945-7111/ac86a8).
* ``nrel_blast_lfp_250ah_prismatic``: BLAST-Lite ``Lfp_Gr_250AhPrismatic`` (data: Gasper et al.,
  J. Energy Storage 73 (2023) 109042, doi:10.1016/j.est.2023.109042).
* ``nrel_blast_nmc_kokam``: BLAST-Lite ``Nmc111_Gr_Kokam75Ah_Battery`` (data: Smith et al.,
  ACC 2017, doi:10.23919/ACC.2017.7963578).
* ``sam_nmc``: PySAM 7.1.1 ``BatteryStateful`` ``NMCGraphite`` (SAM's lifetime model
  ``lifetime_nmc_t``, Smith et al. 2017 as implemented in ssc), driven to follow the history
  (each step the current that moves its SoC to the next sample). Remaining capacity is its
  ``q_relative`` over the new cell's ``100 c0 / Ah_ref`` = 100.9 %.

BLAST-Lite runs with ``is_conserve_energy_throughput=False``: the SoC history stays as given
(as homesim's test feeds it), its equivalent full cycles are counted in the new cell's Ah
(times the capacity left), as BLAST-Lite does.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
YEARS = 40
EOL = 0.8
TEMP_C = 25.0


def years_to(capacity: list[float], share: float = EOL) -> float | None:
    """Years until ``capacity`` (share at the end of year k = capacity[k], capacity[0] = 1)
    first falls below ``share``, linear within the year; None if never."""
    for k in range(1, len(capacity)):
        if capacity[k] < share:
            a, b = capacity[k - 1], capacity[k]
            return round(k - 1 + (a - share) / (a - b), 4)
    return None


def run_blast(model_class, soc: np.ndarray, dt_s: float) -> list[float]:
    t = np.arange(soc.size) * dt_s
    cell = model_class()
    cell.simulate_battery_life({"Time_s": t, "SOC": soc, "Temperature_C": np.full(soc.size, TEMP_C)},
                               threshold_time=YEARS + 0.01, is_conserve_energy_throughput=False)
    days = np.asarray(cell.stressors["t_days"], dtype=float)
    q = np.asarray(cell.outputs["q"], dtype=float)
    year_s = soc.size * dt_s  # one pass of the history is one year
    ends = np.arange(YEARS + 1) * year_s / 86_400
    return [float(v) for v in np.interp(ends, days, q)]


def sam_nmc(soc: np.ndarray, dt_s: float) -> list[float]:
    import PySAM.BatteryStateful as bs

    model = bs.default("NMCGraphite")
    model.ParamsCell.initial_SOC = float(soc[0]) * 100
    model.ParamsCell.minimum_SOC, model.ParamsCell.maximum_SOC = 0.0, 100.0
    model.Controls.control_mode, model.Controls.dt_hr, model.Controls.input_current = 0, dt_s / 3600, 0.0
    model.ParamsPack.T_room_init = TEMP_C
    model.ParamsPack.h = 1e4  # the cell stays at room temperature
    model.ParamsPack.cap_vs_temp = ((0.0, 100.0), (25.0, 100.0), (50.0, 100.0))
    model.ParamsPack.replacement_option = 0
    model.setup()
    fresh = 100 * 75.675 / 75
    out = [1.0]
    hours = dt_s / 3600
    targets = np.concatenate([soc[1:], soc[:1]])  # the year wraps onto its own start
    for _ in range(YEARS):
        for target in targets:
            model.Controls.input_current = -(target - model.StatePack.SOC / 100) * model.StatePack.Q_max / hours
            model.execute(0)
        out.append(model.StateCell.q_relative / fresh)
    return out


def main() -> None:
    import blast as blast_lite  # BLAST-Lite
    from blast.models import Lfp_Gr_250AhPrismatic, Lfp_Gr_SonyMurata3Ah_Battery, Nmc111_Gr_Kokam75Ah_Battery

    data = np.load(HERE / "histories.npz")
    dt_s = float(data["dt_s"])
    names = [n for n in data.files if n != "dt_s"]
    only = sys.argv[1:] or names
    path = HERE / "anchors.json"
    result = json.loads(path.read_text()) if path.exists() else {}
    result.update({
        "made_by": "tests/data/ageing/make_anchors.py",
        "blast_lite": getattr(blast_lite, "__version__", "1.1.1"),
        "pysam": "7.1.1.post1",
        "temp_c": TEMP_C,
        "years": YEARS,
        "eol_share": EOL,
    })
    histories = result.setdefault("histories", {})
    models = {
        "nrel_blast_lfp_sony_murata": lambda s: run_blast(Lfp_Gr_SonyMurata3Ah_Battery, s, dt_s),
        "nrel_blast_lfp_250ah_prismatic": lambda s: run_blast(Lfp_Gr_250AhPrismatic, s, dt_s),
        "nrel_blast_nmc_kokam": lambda s: run_blast(Nmc111_Gr_Kokam75Ah_Battery, s, dt_s),
        "sam_nmc": lambda s: sam_nmc(s, dt_s),
    }
    for name in only:
        soc = data[name].astype(float) / 10_000
        entry = {"mean_soc": round(float(soc.mean()), 4),
                 "efc_per_year": round(float(np.abs(np.diff(soc)).sum() / 2), 2), "models": {}}
        for model, run in models.items():
            start = time.time()
            capacity = run(soc)
            entry["models"][model] = {"capacity": [round(c, 6) for c in capacity],
                                      "year1_fade": round(1 - capacity[1], 6),
                                      "years_to_80": years_to(capacity)}
            print(f"{name:20s} {model:32s} year-1 fade {1 - capacity[1]:.4f}  years to 80 % "
                  f"{years_to(capacity)}  ({time.time() - start:.0f} s)", flush=True)
        histories[name] = entry
        path.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
