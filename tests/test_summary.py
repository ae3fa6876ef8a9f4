"""summary.json says what it means: unmet energy split by cause (shed in outages by design vs.
essential loads short), demand and the share of it served, self-sufficiency of the load served.

Ledgers are built by hand: two loads (``geyser`` non-essential, ``lights`` essential), 15-minute
ticks, the grid serving every load while on and the battery serving the essential one in
outages, so that every figure can be worked out on paper.
"""

from __future__ import annotations

import numpy as np
import pytest

from homesim.cli.simulation import format_summary
from homesim.devices.base import J_PER_KWH
from homesim.ledger import Ledger, LedgerArrays

DT_S = 900  # a quarter of an hour
GEYSER = 2_700_000  # 3 kW for 15 min [J]
LIGHTS = 90_000  # 100 W for 15 min [J]


def build(grid_on, demand, served, *, with_grid: bool = True, pv=None) -> Ledger:
    """A balanced ledger: PV first, then the grid (when on) or the battery serves the rest."""
    grid_on = np.asarray(grid_on, dtype=bool)
    demand = np.asarray(demand, dtype=np.int64)
    served = np.asarray(served, dtype=np.int64)
    ticks = len(grid_on)
    pv = np.zeros(ticks, dtype=np.int64) if pv is None else np.asarray(pv, dtype=np.int64)
    rest = served.sum(axis=1) - pv
    assert (rest >= 0).all()
    on = grid_on & with_grid
    meta = {"home": "hand-built", "currency": "ZAR", "timezone": "Africa/Johannesburg",
            "start_unix_s": 1_767_564_000, "dt_s": DT_S, "seed": 1, "grid_id": "grid" if with_grid else None,
            "battery_id": "battery", "pv_ids": ["pv"], "load_ids": ["geyser", "lights"], "essential_ids": ["lights"]}
    zeros = lambda: np.zeros(ticks, dtype=np.int64)  # noqa: E731
    arrays = LedgerArrays(
        meta=meta, pv_ids=["pv"], load_ids=["geyser", "lights"], pv_used=pv.reshape(-1, 1), demand=demand,
        served=served, battery=np.where(on, 0, rest), grid_import=np.where(on, rest, 0), grid_export=zeros(),
        loss=zeros(), curtailed=zeros(), soc=np.full(ticks, 0.5), cost=np.zeros(ticks), grid_on=grid_on & with_grid)
    ledger = arrays.to_ledger()
    ledger.check()
    return ledger


def kwh(joules: float) -> float:
    return joules / J_PER_KWH


def test_all_unmet_is_non_essential_shed_in_outages():
    grid_on = [1, 1, 0, 0, 0, 1, 1, 1]
    demand = [[GEYSER, LIGHTS]] * 8
    served = [[GEYSER, LIGHTS] if on else [0, LIGHTS] for on in grid_on]
    s = build(grid_on, demand, served).summary()
    assert s["summary_version"] == 4 and s["deadlines"] == {}
    assert s["energy_kwh"]["unmet"] == pytest.approx(kwh(3 * GEYSER))
    assert s["shed_in_outages_kwh"] == pytest.approx(kwh(3 * GEYSER))
    assert s["shed_in_outages_hours"] == pytest.approx(0.75)
    for key in ("essential_short_kwh", "essential_short_hours", "essential_short_in_outages_kwh",
                "essential_short_in_outages_hours", "essential_short_outside_outages_kwh",
                "essential_short_outside_outages_hours", "non_essential_short_outside_outages_kwh",
                "non_essential_short_outside_outages_hours"):
        assert s[key] == 0, key
    # The version-1 keys keep their meanings: any load short (hours), essential short in outages.
    assert s["unmet_hours"] == pytest.approx(0.75)
    assert s["unmet_hours_in_outages"] == 0
    assert s["outage_hours"] == pytest.approx(0.75) and s["outage_coverage"] == 1.0
    assert s["demand_kwh"] == pytest.approx(kwh(8 * (GEYSER + LIGHTS)))
    assert s["demand_served"] == pytest.approx((5 * GEYSER + 8 * LIGHTS) / (8 * (GEYSER + LIGHTS)))
    # Self-sufficiency is of the load served: 3 lights-ticks from the battery, the rest from the grid.
    assert s["self_sufficiency"] == pytest.approx(3 * LIGHTS / (5 * GEYSER + 8 * LIGHTS))


def test_an_essential_load_short_with_the_grid_on_and_in_an_outage():
    grid_on = [1, 1, 0, 0, 1, 1]
    demand = [[0, LIGHTS]] * 6
    served = [[0, LIGHTS], [0, LIGHTS // 3],  # grid on, lights short by 2/3 (e.g. an import limit)
              [0, LIGHTS], [0, LIGHTS // 2],  # outage, the battery runs dry half way
              [0, LIGHTS], [0, LIGHTS]]
    s = build(grid_on, demand, served).summary()
    outside, inside = LIGHTS - LIGHTS // 3, LIGHTS - LIGHTS // 2
    assert s["essential_short_outside_outages_kwh"] == pytest.approx(kwh(outside))
    assert s["essential_short_outside_outages_hours"] == pytest.approx(0.25)
    assert s["essential_short_in_outages_kwh"] == pytest.approx(kwh(inside))
    assert s["essential_short_in_outages_hours"] == pytest.approx(0.25)
    assert s["essential_short_kwh"] == pytest.approx(kwh(outside + inside))
    assert s["essential_short_hours"] == pytest.approx(0.5)
    assert s["shed_in_outages_kwh"] == 0 and s["shed_in_outages_hours"] == 0
    assert s["unmet_hours_in_outages"] == s["essential_short_in_outages_hours"]
    assert s["outage_coverage"] == pytest.approx(0.5)
    assert s["unmet_hours"] == pytest.approx(0.5)


def test_the_parts_add_up_to_the_unmet_energy_and_hours_overlap():
    rng = np.random.default_rng(13)
    ticks = 500
    grid_on = rng.random(ticks) > 0.3
    demand = np.column_stack((rng.integers(0, GEYSER, ticks), rng.integers(0, LIGHTS, ticks)))
    served = demand.copy()
    served[~grid_on, 0] = 0  # non-essential: off in outages
    short = rng.random((ticks, 2)) < 0.1
    served[short] //= 4
    s = build(grid_on, demand, served).summary()
    unmet = demand - served
    outage = ~grid_on
    assert s["shed_in_outages_kwh"] + s["essential_short_kwh"] + s["non_essential_short_outside_outages_kwh"] == \
        pytest.approx(s["energy_kwh"]["unmet"])
    assert s["essential_short_in_outages_kwh"] + s["essential_short_outside_outages_kwh"] == \
        pytest.approx(s["essential_short_kwh"])
    assert s["non_essential_short_outside_outages_kwh"] == pytest.approx(kwh(unmet[grid_on, 0].sum()))
    assert s["non_essential_short_outside_outages_hours"] == pytest.approx((unmet[grid_on, 0] > 0).sum() / 4)
    assert s["shed_in_outages_hours"] == pytest.approx((unmet[outage, 0] > 0).sum() / 4)
    assert s["essential_short_hours"] == pytest.approx(
        s["essential_short_in_outages_hours"] + s["essential_short_outside_outages_hours"])
    parts = (s["shed_in_outages_hours"], s["essential_short_hours"], s["non_essential_short_outside_outages_hours"])
    assert max(parts) <= s["unmet_hours"] <= sum(parts)
    assert s["unmet_hours"] == pytest.approx((unmet > 0).any(axis=1).sum() / 4)
    assert s["demand_kwh"] == pytest.approx(s["energy_kwh"]["load"] + s["energy_kwh"]["unmet"])


def test_a_home_without_a_grid_has_no_outages_and_sheds_nothing():
    served = [[0, LIGHTS], [0, 0], [0, LIGHTS]]
    s = build([0, 0, 0], [[GEYSER, LIGHTS]] * 3, served, with_grid=False).summary()
    assert s["outage_hours"] == 0 and s["shed_in_outages_kwh"] == 0
    assert s["non_essential_short_outside_outages_kwh"] == pytest.approx(kwh(3 * GEYSER))
    assert s["essential_short_outside_outages_kwh"] == pytest.approx(kwh(LIGHTS))
    assert s["self_sufficiency"] == 1.0  # no grid import at all


def test_the_summary_line_names_each_figure():
    grid_on = [1, 1, 0, 0, 0, 1, 1, 1]
    served = [[GEYSER, LIGHTS] if on else [0, LIGHTS] for on in grid_on]
    served[6] = [GEYSER, 0]  # lights short with the grid on
    text = format_summary(build(grid_on, [[GEYSER, LIGHTS]] * 8, served).summary())
    line = lambda label: next(l for l in text.splitlines() if l.strip().startswith(label))  # noqa: E731, E741
    assert "of the load served, not from the grid" in line("self-sufficiency")
    assert "what the loads asked for" in line("demand")
    assert "% of demand" in line("load served")
    assert "2.3 kWh" in line("not served")  # 3 x 2.7 MJ + 90 kJ = 2.275 kWh
    shed = line("shed in outages")
    assert "2.25 kWh" in shed and "0.75 h" in shed and "non-essential loads, off in outages by design" in shed
    essential = line("essential short")
    assert "0.03 kWh" in essential and "0.25 h" in essential
    assert "in outages 0.00 kWh, 0.00 h" in essential and "grid on 0.03 kWh, 0.25 h" in essential
    assert not any(l.strip().startswith("non-essential") for l in text.splitlines())  # noqa: E741 (none short)
