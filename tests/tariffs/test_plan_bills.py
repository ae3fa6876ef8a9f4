"""A plan's bills by the home's full tariff: blocks count in the savings, fixed charges are in
both bills and cancel in the savings (the baseline on the same grid connection), and a year's
energy charges are bill()'s."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from homesim.home import home_from_dict
from homesim.planning import plan, yearly
from homesim.tariffs.bill import bill

from conftest import EXAMPLES

DAYS = 6  # a "year" of a few days

TOU = [{"name": "peak", "days": ["mon", "tue", "wed", "thu", "fri"], "times": ["07:00-10:00", "18:00-20:00"],
        "price_per_kwh": 5.10}, {"name": "off-peak", "times": ["22:00-06:00"], "price_per_kwh": 2.30}]


def home(tariff: dict):
    data = yaml.safe_load((EXAMPLES / "home.yaml").read_text())
    for device in data["devices"]:
        if device["kind"] == "grid":
            device.pop("import_tariff"), device.pop("export_per_kwh", None)
            device["tariff"] = copy.deepcopy(tariff)
    return home_from_dict(data, home_dir=EXAMPLES)


def run(tariff: dict):
    h = home(tariff)
    finance, _ = plan.load_finance(EXAMPLES / "home.yaml")
    return plan.plan(h, plan.with_years(finance, 2), home_dir=EXAMPLES, days=DAYS)


FLAT = {"rates": TOU + [{"name": "standard", "price_per_kwh": 3.40}], "export_per_kwh": 0.0}
WITH_FIXED = {**FLAT, "fixed": {"per_day": 10.0, "per_month": 100.0}}
BLOCKS = {"rates": TOU + [{"name": "standard", "blocks": [{"up_to_kwh": 0.1, "price_per_kwh": 1.0},
                                                          {"price_per_kwh": 6.0}]}]}


@pytest.fixture(scope="module")
def plans():
    return {"flat": run(FLAT), "fixed": run(WITH_FIXED), "blocks": run(BLOCKS)}


def test_fixed_charges_are_in_both_bills_and_cancel_in_the_savings(plans):
    flat, fixed = plans["flat"], plans["fixed"]
    per_year = DAYS * 10.0 + 100.0 * DAYS / 31  # a January week: 6 of 31 dates
    assert [y.fixed_charges for y in fixed.system] == pytest.approx([per_year, per_year])
    assert [y.fixed_charges for y in fixed.reference] == pytest.approx([per_year, per_year])
    assert fixed.totals["savings"] == pytest.approx(flat.totals["savings"], rel=1e-12)
    assert fixed.totals["npv"] == pytest.approx(flat.totals["npv"], rel=1e-12)
    growth = 1 + fixed.finance.import_escalation
    assert fixed.totals["bill_with"] - flat.totals["bill_with"] == pytest.approx(per_year * (1 + growth))
    assert fixed.totals["bill_without"] - flat.totals["bill_without"] == pytest.approx(per_year * (1 + growth))
    said = plan.format_plan(fixed)
    assert "fixed charges" in said and "they cancel in the savings" in said
    assert "fixed charges" not in plan.format_plan(flat)


def test_blocks_count_in_the_bills_and_the_savings(plans):
    flat, blocks = plans["flat"], plans["blocks"]
    # the baseline imports far more than 0.1 kWh at standard times: most of it at 6.0 instead of 3.40
    assert blocks.reference[0].import_cost > flat.reference[0].import_cost
    assert blocks.totals["savings"] != pytest.approx(flat.totals["savings"], rel=1e-3)


def test_a_years_energy_charges_are_the_bill_of_its_flows():
    h = home(BLOCKS)
    year, _ = yearly.simulate_year(h, 1, 1.0, 1.0, days=DAYS, home_dir=EXAMPLES)
    from homesim.engine.fastforward import simulate

    ledger = simulate(h, DAYS)
    grid = ledger.table["e.grid"].to_numpy()
    unix_s = ledger.meta["start_unix_s"] + 60 * np.arange(grid.size)
    direct = bill(h.grid.utility_tariff(), unix_s, np.maximum(grid, 0), np.maximum(-grid, 0), h.location.timezone)
    assert year.import_cost == pytest.approx(direct.energy, rel=1e-12)
    assert year.import_cost == pytest.approx(ledger.summary()["bill"]["energy"], rel=1e-12)
    assert year.import_cost > ledger.summary()["cost"]  # the blocks: above 0.1 kWh at 6.0, not the first block's 1.0


def test_homes_that_share_blocks_are_priced_by_their_own_tariffs():
    # Same sun, weather and loads (their blocks shared in one run), other tariffs: each year is
    # what the home's own simulation gives.
    cheap = {"rates": [{"name": "all day", "price_per_kwh": 1.0}]}
    dear = {"rates": [{"name": "all day", "price_per_kwh": 9.0}]}
    homes = [home(cheap), home(dear)]
    years = yearly.run_years(homes, 1, days=2, home_dirs=[EXAMPLES, EXAMPLES])
    for h, (year,) in zip(homes, years):
        own, _ = yearly.simulate_year(h, 1, 1.0, 1.0, days=2, home_dir=EXAMPLES)
        assert year.import_kwh == own.import_kwh > 0
        assert year.import_cost == pytest.approx(own.import_cost, rel=1e-12)
    assert years[1][0].import_cost == pytest.approx(9.0 * years[0][0].import_cost, rel=1e-9)
