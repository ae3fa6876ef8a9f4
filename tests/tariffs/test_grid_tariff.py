"""The grid's tariff in a home file: the old simple form (import_tariff + export_per_kwh) billed as
before, the full form ``tariff:`` priced per tick and billed by month in the summary, and both at
once refused."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from homesim import reports
from homesim.cli.simulation import format_summary
from homesim.engine.fastforward import simulate
from homesim.home import HomeFileError, home_from_dict
from homesim.tariffs.bill import bill
from homesim.tariffs.model import UtilityTariff

from conftest import EXAMPLES

BLOCK_TARIFF = {
    "name": "blocks", "fixed": {"per_day": 5.0},
    "rates": [{"blocks": [{"up_to_kwh": 0.5, "price_per_kwh": 2.0}, {"price_per_kwh": 4.0}], "export_per_kwh": 0.5}],
}


def reference_data() -> dict:
    return yaml.safe_load((EXAMPLES / "home.yaml").read_text())


def with_grid(data: dict, **grid) -> dict:
    data = copy.deepcopy(data)
    for device in data["devices"]:
        if device["kind"] == "grid":
            device.pop("import_tariff", None)
            device.pop("export_per_kwh", None)
            device.update(grid)
    return data


def test_the_simple_form_bills_what_the_ledger_costs():
    home = home_from_dict(reference_data(), home_dir=EXAMPLES)
    full = home.grid.utility_tariff()
    assert [r.price_per_kwh for r in full.rates] == [5.10, 5.10, 2.30, 3.40] and full.metering == "gross"
    ledger = simulate(home, 7, dt_s=60)
    summary = ledger.summary()
    assert summary["bill"]["fixed"] == 0.0
    assert "  bill " not in format_summary(summary)  # the bill is the cost: homesim simulate prints as before
    rows = reports.report(ledger, "month")
    assert rows[0]["bill"] == pytest.approx(rows[0]["cost"], rel=1e-12)
    assert "bill" not in reports.format_rows(rows, "ZAR")  # and homesim report too
    assert summary["bill"]["total"] == pytest.approx(summary["cost"], rel=1e-12)
    assert summary["bill"]["energy"] - summary["bill"]["export_credit"] == pytest.approx(summary["cost"], rel=1e-12)


def test_a_full_tariff_prices_ticks_at_the_first_block_and_the_summary_bills_blocks_and_fixed_charges():
    home = home_from_dict(with_grid(reference_data(), tariff=BLOCK_TARIFF), home_dir=EXAMPLES)
    ledger = simulate(home, 7, dt_s=60)
    t = ledger.table
    grid = t["e.grid"].to_numpy()
    imported = grid > 0
    # the ledger's cost: the first block's price, before blocks and fixed charges
    assert t["cost"].to_numpy()[imported] == pytest.approx(grid[imported] * 2.0 / 3.6e6)
    summary = ledger.summary()
    kwh = summary["energy_kwh"]["grid_import"]
    assert kwh > 0.5  # into the second block (a January week of the reference home imports ~1 kWh)
    month = summary["bill"]["months"][0]
    assert month["days"] == 7 and summary["bill"]["fixed"] == pytest.approx(7 * 5.0)
    assert summary["bill"]["energy"] == pytest.approx(0.5 * 2.0 + (kwh - 0.5) * 4.0, rel=1e-9)
    assert summary["bill"]["total"] > summary["cost"]
    direct = bill(UtilityTariff.model_validate(BLOCK_TARIFF), ledger.meta["start_unix_s"] + 60 * np.arange(len(t)),
                  np.maximum(grid, 0), np.maximum(-grid, 0), home.location.timezone)
    assert direct.total == pytest.approx(summary["bill"]["total"], rel=1e-12)
    line = next(line for line in format_summary(summary).splitlines() if line.startswith("  bill "))
    assert f"{summary['bill']['total']:.2f} ZAR" in line and "fixed 35.00" in line and "1 billing month)" in line
    (month,) = reports.report(ledger, "month")
    assert month["bill"] == pytest.approx(summary["bill"]["total"], rel=1e-12) and month["cost"] == summary["cost"]
    assert all(day["bill"] is None for day in reports.report(ledger, "day"))
    table = reports.format_rows([month], "ZAR").splitlines()
    assert "bill ZAR" in table[0] and f"{month['bill']:.2f}" in table[1]


@pytest.mark.parametrize("simple", [{"export_per_kwh": 0.5}, {"import_tariff": {"flat_per_kwh": 2.5}}])
def test_a_grid_with_both_forms_is_refused(simple):
    data = with_grid(reference_data(), tariff=BLOCK_TARIFF, **simple)
    with pytest.raises(HomeFileError) as caught:
        home_from_dict(data, home_dir=EXAMPLES)
    said = str(caught.value)
    assert "give tariff or" in said and "not both" in said and f"devices[6].{next(iter(simple))}" in said


def test_a_bad_full_tariff_in_a_home_file_names_its_field():
    bad = copy.deepcopy(BLOCK_TARIFF)
    bad["rates"][0]["blocks"][0]["up_to_kwh"] = -5
    with pytest.raises(HomeFileError) as caught:
        home_from_dict(with_grid(reference_data(), tariff=bad), home_dir=EXAMPLES)
    said = str(caught.value)
    assert "tariff" in said and "up_to_kwh" in said and "-5" in said


def test_the_tariffs_page_shows_a_grid_that_a_home_file_takes():
    page = (EXAMPLES.parent / "docs" / "reference" / "tariffs.md").read_text()
    block = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    (grid,) = yaml.safe_load(block)
    data = reference_data()
    data["devices"] = [grid if device["kind"] == "grid" else device for device in data["devices"]]
    home = home_from_dict(data, home_dir=EXAMPLES)
    tariff = home.grid.utility_tariff()
    assert tariff.fixed.per_day == 14.0 and [r.name for r in tariff.rates] == ["off-peak", "peak", "standard"]
