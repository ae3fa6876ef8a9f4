"""The fast-forward engine on whole homes: exact ledgers, deterministic, block by block."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from homesim.engine.fastforward import simulate
from homesim.home import home_from_dict, load_home

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def reference():
    return load_home(EXAMPLES / "home.yaml")


@pytest.fixture(scope="module")
def week(reference):
    return simulate(reference, days=7, dt_s=60)


def test_every_row_balances_exactly(week):
    week.check()
    assert (week.balance_residual() == 0).all()
    for load_id in week.meta["load_ids"]:
        t = week.table
        assert (-t[f"e.{load_id}"] + t[f"unmet.{load_id}"] == t[f"demand.{load_id}"]).all()


def test_ledger_columns_are_the_contract(week):
    columns = list(week.table.columns)
    assert columns[:3] == ["tick", "time", "dt_s"]
    for required in ["e.pv_east", "e.pv_west", "e.battery", "e.grid", "e.geyser", "demand.oven", "unmet.oven",
                     "loss_j", "curtailed_j", "soc.battery", "grid_on", "cost"]:
        assert required in columns
    energy = [c for c in columns if c.startswith(("e.", "demand.", "unmet.")) or c in ("loss_j", "curtailed_j")]
    assert all(week.table[c].dtype == np.int64 for c in energy)
    assert str(week.table["time"].dt.tz) == "UTC"
    assert week.table["time"].iloc[0] == pd.Timestamp("2026-01-04T22:00:00Z")  # local midnight, UTC+2


def test_the_same_seed_gives_the_same_ledger(reference, week):
    again = simulate(reference, days=7, dt_s=60)
    pd.testing.assert_frame_equal(week.table, again.table)


def test_another_seed_gives_other_weather(reference, week):
    other = simulate(reference, days=7, dt_s=60, seed=99)
    assert not week.table["e.pv_east"].equals(other.table["e.pv_east"])


def test_a_shorter_run_is_a_prefix_of_a_longer_one(reference, week):
    # What makes the live bus and the engine agree: blocks are computed identically.
    short = simulate(reference, days=2.5, dt_s=60)
    pd.testing.assert_frame_equal(short.table, week.table.iloc[: len(short.table)].reset_index(drop=True))


def test_pv_is_zero_at_night_and_peaks_near_noon(week):
    local = week.table["time"].dt.tz_convert("Africa/Johannesburg")
    pv = week.table["e.pv_east"] + week.table["e.pv_west"] + week.table["curtailed_j"]  # available PV
    available_night = pv[(local.dt.hour < 4) | (local.dt.hour >= 21)]
    assert available_night.sum() == 0
    by_hour = pv.groupby(local.dt.hour).mean()
    assert 10 <= by_hour.idxmax() <= 15


def test_outages_follow_the_schedule(week):
    t = week.table.set_index("time")
    cable_fault = t.loc["2026-01-10T11:00Z":"2026-01-10T15:29Z", "grid_on"]
    assert not cable_fault.any() and len(cable_fault) == 270
    assert (~week.table["grid_on"]).sum() > 270  # plus load-shedding


def test_non_essential_loads_are_unmet_in_outages_and_essential_ones_mostly_served(week):
    t = week.table
    off = ~t["grid_on"]
    assert (t.loc[off, "e.geyser"] == 0).all()
    assert t.loc[off, "unmet.oven"].sum() == t.loc[off, "demand.oven"].sum()
    fridge_served = -t.loc[off, "e.fridge"].sum() / max(1, t.loc[off, "demand.fridge"].sum())
    assert fridge_served > 0.9


def test_soc_stays_in_the_window_and_the_battery_backs_up_outages(week, reference):
    soc = week.table["soc.battery"]
    assert soc.min() >= reference.battery.soc_min - 1e-9 and soc.max() <= reference.battery.soc_max + 1e-9
    on = week.table["grid_on"]
    # With the grid on the battery is held at or above the reserve (30 %) ...
    assert soc[on].min() >= min(reference.battery.initial_soc, 0.3) - 1e-6
    # ... so outages start with energy in it.
    assert (week.table.loc[~on, "e.battery"] > 0).any()


def test_cost_is_import_times_the_tariff(week):
    t = week.table
    local = t["time"].dt.tz_convert("Africa/Johannesburg")
    night = ((local.dt.hour >= 22) | (local.dt.hour < 6)).to_numpy()
    imported = t["e.grid"].clip(lower=0).to_numpy()
    expected_night = (imported[night] * 2.30 / 3_600_000).sum()
    assert t["cost"].to_numpy()[night].sum() == pytest.approx(expected_night, rel=1e-9)


def test_summary_figures_add_up(week):
    s = week.summary()
    e = s["energy_kwh"]
    # Energy conservation over the run: sources - sinks - loss = 0 (in kWh).
    total = e["pv"] + e["battery_discharge"] + e["grid_import"] - e["load"] - e["battery_charge"] - e["grid_export"] - e["loss"]
    assert total == pytest.approx(0, abs=1e-9)
    assert 0 <= s["self_sufficiency"] <= 1
    assert s["ticks"] == 7 * 1440
    assert s["outage_hours"] == pytest.approx((~week.table["grid_on"]).sum() / 60)
    assert 0 < s["outage_coverage"] <= 1
    assert e["pv"] > 0 and e["load"] > 0 and s["cost"] > 0


def test_tiny_home_without_battery_runs(tmp_path):
    ledger = simulate(load_home(EXAMPLES / "tiny.yaml"), days=1, dt_s=300)
    ledger.check()
    assert "soc.battery" not in ledger.table.columns
    # 200 W load all day: served entirely (PV by day, grid by night).
    assert -ledger.table["e.load"].sum() == 200 * 86400


def test_a_grid_tied_home_exports_up_to_its_limit():
    ledger = simulate(load_home(EXAMPLES / "no_battery.yaml"), days=1, dt_s=60)
    ledger.check()
    assert -ledger.table["e.grid"].min() <= 2500 * 60
    assert (ledger.table["e.grid"] < 0).any()


def test_an_off_grid_home_has_unmet_demand_at_night():
    home = home_from_dict({
        "location": {"latitude": -30, "longitude": 25, "timezone": "Africa/Johannesburg"},
        "start": "2026-06-01",
        "devices": [{"id": "pv", "kind": "pv_array", "rated_power_w": 2000},
                    {"id": "battery", "kind": "battery", "capacity_kwh": 1, "initial_soc": 0.2},
                    {"id": "load", "kind": "generic_load", "power_w": 300}],
    })
    ledger = simulate(home, days=2, dt_s=600)
    ledger.check()
    assert ledger.table["unmet.load"].sum() > 0
    assert "e.grid" not in ledger.table.columns


def test_smart_switch_on_pv_surplus(reference):
    home = home_from_dict({
        "location": {"latitude": -30, "longitude": 25, "timezone": "Africa/Johannesburg"},
        "start": "2026-01-10",
        "devices": [{"id": "pv", "kind": "pv_array", "rated_power_w": 3000},
                    {"id": "grid", "kind": "grid"},
                    {"id": "pump", "kind": "generic_load", "power_w": 500, "switch": {"min_pv_surplus_w": 600}}],
    })
    ledger = simulate(home, days=1, dt_s=60)
    t = ledger.table
    running = t["demand.pump"] > 0
    assert running.any() and not running.all()
    assert t.loc[running, "e.grid"].max() <= 500 * 60  # it never runs on the grid alone at night
    local = t["time"].dt.tz_convert("Africa/Johannesburg")
    assert not running[(local.dt.hour < 6) | (local.dt.hour >= 20)].any()


def test_progress_is_reported(reference):
    seen = []
    simulate(reference, days=2, dt_s=60, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2880, 2880)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_bad_run_options_are_refused(reference):
    with pytest.raises(ValueError, match="must be > 0"):
        simulate(reference, days=0)
    with pytest.raises(ValueError, match="1..86400"):
        simulate(reference, days=1, dt_s=0)


def test_a_switched_off_battery_neither_charges_nor_discharges():
    """``enabled: false`` on a battery: it keeps its charge and takes no part, as a live battery
    whose process is stopped (the engine used to discharge it)."""
    home = home_from_dict({
        "name": "off", "start": "2026-01-05", "location": {"latitude": -33.9, "longitude": 18.4},
        "devices": [{"id": "grid", "kind": "grid", "import_tariff": {"flat_per_kwh": 2.0}},
                    {"id": "battery", "kind": "battery", "capacity_kwh": 5.0, "enabled": False},
                    {"id": "base", "kind": "generic_load", "power_w": 500}],
    })
    table = simulate(home, days=1, dt_s=300).table
    assert (table["e.battery"] == 0).all()
    assert (table["soc.battery"] == table["soc.battery"].iloc[0]).all()
    assert (table["e.grid"] == 500 * 300).all()  # the grid serves the load alone
