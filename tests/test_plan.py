"""homesim plan: yearly simulations with ageing, priced against a baseline.

Most tests run "years" of a few days (``days=``) to stay fast; one CLI run simulates whole years.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import yaml

from homesim.planning import ageing, finance as money, plan
from homesim.planning import yearly
from homesim.engine.fastforward import simulate
from homesim.home import HomeFileError, load_home

from conftest import EXAMPLES, ROOT

DAYS = 4  # a "year" in most tests [day]


@pytest.fixture(scope="module")
def reference():
    return load_home(EXAMPLES / "home.yaml")


@pytest.fixture(scope="module")
def prices():
    return plan.load_finance(EXAMPLES / "home.yaml")[0]


def test_year_one_is_the_homes_own_simulation(reference):
    year, soc = yearly.simulate_year(reference, 1, 1.0, 1.0, days=DAYS, home_dir=EXAMPLES)
    summary = simulate(reference, DAYS).summary()
    assert year.import_cost - year.export_revenue == pytest.approx(summary["cost"], rel=1e-12, abs=1e-9)
    assert year.import_kwh == summary["energy_kwh"]["grid_import"]
    assert year.pv_kwh == summary["energy_kwh"]["pv"]
    assert year.battery_kwh == reference.battery.capacity_kwh
    assert soc is not None and soc.size == DAYS * 1440


def test_export_revenue_is_the_exports_at_the_export_price(reference):
    # an exporting variant of the reference home: the revenue is kWh exported x the flat price
    from homesim.home import with_changes

    exporting = with_changes(reference, {"inverter.work_mode": "selling_first"}, EXAMPLES)
    year, _ = yearly.simulate_year(exporting, 1, 1.0, 1.0, days=DAYS, home_dir=EXAMPLES)
    assert year.export_kwh > 1.0
    assert year.export_revenue == pytest.approx(year.export_kwh * reference.grid.export_per_kwh, rel=1e-9)


def test_the_battery_fades_year_after_year_from_its_own_soc(reference):
    years = yearly.simulate_years(reference, 3, days=DAYS, home_dir=EXAMPLES)
    shares = [y.battery_share for y in years]
    assert shares[0] == 1.0 and shares[0] > shares[1] > shares[2] > 0.9
    # year 2 runs with what year 1's SoC history left, by the chemistry's model
    _, soc = yearly.simulate_year(reference, 1, 1.0, 1.0, days=DAYS, home_dir=EXAMPLES)
    fade = ageing.capacity_fade("lfp", soc, 60)
    assert shares[1] == pytest.approx(fade.remaining, rel=1e-12)
    assert years[1].battery_kwh == pytest.approx(reference.battery.capacity_kwh * shares[1], rel=1e-12)


def test_a_replaced_battery_starts_the_next_year_full(reference):
    years = yearly.simulate_years(reference, 3, battery_replacement_year=2, days=DAYS, home_dir=EXAMPLES)
    assert years[1].battery_share < 1.0
    assert years[2].battery_share == 1.0


def test_pv_output_falls_half_a_percent_a_year(reference):
    years = yearly.simulate_years(reference, 3, days=DAYS, home_dir=EXAMPLES)
    assert [y.pv_share for y in years] == pytest.approx([1.0, 0.995, 0.99], abs=1e-12)
    aged = yearly.year_home(reference, 1.0, 0.99, EXAMPLES)
    for new, old in zip(aged.pv_arrays, reference.pv_arrays):
        assert 1 - new.dc_loss_fraction == pytest.approx(0.99 * (1 - old.dc_loss_fraction), rel=1e-12)


def test_each_year_has_its_own_weather(reference):
    years = yearly.simulate_years(reference, 2, days=DAYS, home_dir=EXAMPLES)
    # the same calendar, another seed: the clouds differ, so the PV energy does
    assert years[0].pv_kwh != years[1].pv_kwh


def test_grid_only_keeps_the_loads_and_drops_the_system(reference):
    base = plan.grid_only(reference, EXAMPLES)
    assert not base.pv_arrays and base.battery is None and base.inverter is None
    assert [load.id for load in base.loads] == [load.id for load in reference.loads]
    assert plan.system_size(base) == plan.Size(0.0, 0.0, 0.0)
    size = plan.system_size(reference)
    assert size.pv_kwp == pytest.approx(9 * 41.7 * 13.19 / 1000)
    assert size.battery_kwh == 10.24 and size.inverter_kw == 5.0


def _year(k, import_cost, export_revenue=0.0, unmet=0.0, pv=1000.0, share=1.0):
    return yearly.Year(year=k, battery_share=share, battery_kwh=10 * share, pv_share=1.0, pv_kwh=pv, load_kwh=3000.0,
                     import_kwh=import_cost / 3, export_kwh=export_revenue, import_cost=import_cost,
                     export_revenue=export_revenue, outage_hours=100.0, unmet_hours_in_outages=unmet)


def test_savings_are_the_bill_difference_escalated(reference):
    prices = money.Finance(pv_per_kwp=10_000, battery_per_kwh=5_000, inverter_per_kw=4_000, installation=20_000,
                           import_escalation=0.1, export_escalation=0.05, discount_rate=0.1, analysis_years=3)
    system = [_year(k, 2_000.0, export_revenue=300.0, unmet=2.0) for k in (1, 2, 3)]
    base = [_year(k, 12_000.0, unmet=100.0, pv=0.0) for k in (1, 2, 3)]
    result = plan.price(reference, prices, system, base, plan.grid_only(reference, EXAMPLES))
    rows = result.to_dict()["rows"]
    size = plan.system_size(reference)
    capital = 10_000 * size.pv_kwp + 5_000 * 10.24 + 4_000 * 5 + 20_000
    assert result.capital.total == pytest.approx(capital)
    assert rows[0]["net"] == pytest.approx(-capital)
    for k in (1, 2, 3):
        assert rows[k]["savings"] == pytest.approx(10_000 * 1.1 ** (k - 1))
        assert rows[k]["export_revenue"] == pytest.approx(300 * 1.05 ** (k - 1))
        assert rows[k]["baseline_bill"] - rows[k]["bill"] == pytest.approx(rows[k]["savings"] + rows[k]["export_revenue"])
    net = [r["net"] for r in rows]
    assert result.totals["npv"] == pytest.approx(money.npv(0.1, net))
    assert list(np.cumsum(net)) == pytest.approx([r["cumulative"] for r in rows])
    assert result.totals["outage_hours_avoided"] == pytest.approx(3 * 98.0)
    assert result.totals["cost_per_outage_hour_avoided"] == pytest.approx(-result.totals["npv"] / (3 * 98.0))


def test_a_baseline_with_the_same_pv_prices_only_the_battery(reference):
    from homesim.home import with_changes

    prices = money.Finance(pv_per_kwp=10_000, battery_per_kwh=5_000, inverter_per_kw=4_000, installation=1_000,
                           analysis_years=1)
    today = with_changes(reference, {"battery.capacity_kwh": 5.0}, EXAMPLES)
    result = plan.price(reference, prices, [_year(1, 1.0)], [_year(1, 2.0)], today, "today.yaml")
    assert result.capital.pv == 0 and result.capital.inverter == 0
    assert result.capital.battery == pytest.approx(5_000 * (10.24 - 5.0))
    assert result.capital.total == pytest.approx(5_000 * 5.24 + 1_000)


#: Prices where every cost a purchase can bring is there: installation, maintenance, both
#: replacements with their own cost, in years 1 and 2 of a 3-year plan.
EVERY_COST = money.Finance(pv_per_kwp=10_000, battery_per_kwh=5_000, inverter_per_kw=4_000, installation=25_000,
                           maintenance_per_year=1_000, maintenance_escalation=0.06, inverter_replacement_year=1,
                           inverter_replacement_cost=9_000, battery_replacement_year=2,
                           battery_replacement_cost=30_000, import_escalation=0.1, discount_rate=0.11,
                           analysis_years=3)


def test_a_plan_of_a_home_against_itself_is_zero_everywhere(reference):
    """Nothing bought: no installation, maintenance or replacement, the battery not renewed in
    the simulation either (it is the baseline's), so the bills are the same: 0 everywhere."""
    result = plan.plan(reference, EVERY_COST, baseline=reference, baseline_name="home.yaml", home_dir=EXAMPLES,
                       baseline_dir=EXAMPLES, days=DAYS)
    assert result.capital == money.Capital(0.0, 0.0, 0.0, 0.0)
    for row in result.to_dict()["rows"]:
        for column in ("savings", "export_revenue", "capital", "maintenance", "replacements", "loan_payment", "net",
                       "cumulative", "discounted_cumulative"):
            assert row[column] == 0.0, (row["year"], column)
        if row["year"]:
            assert row["bill"] == row["baseline_bill"]
    assert result.system[2].battery_share == result.reference[2].battery_share < 1.0  # not renewed after year 2
    t = result.totals
    assert (t["capital"], t["npv"], t["savings"], t["irr"], t["lcoe_per_kwh"]) == (0.0, 0.0, 0.0, None, None)
    assert t["simple_payback_years"] == t["discounted_payback_years"] == 0.0  # never below 0: nothing to pay back
    assert t["bill_with"] == t["bill_without"]
    text = plan.format_plan(result)
    assert "bought             nothing" in text and "IRR                none" in text
    assert "payback            none: nothing bought" in text  # not "0.0 years": there is nothing to pay back
    assert "capital            ZAR 0  (PV 0, battery 0, inverter 0, installation 0)" in text


def test_a_home_without_a_system_against_the_grid_alone_is_zero(reference):
    bare = plan.grid_only(reference, EXAMPLES)
    result = plan.plan(bare, EVERY_COST, home_dir=EXAMPLES, days=2)
    assert plan.system_size(bare) == plan.Size(0.0, 0.0, 0.0)
    assert result.capital.total == 0.0 and result.totals["npv"] == 0.0 and result.totals["irr"] is None
    assert all(row.net == 0.0 and row.maintenance == 0.0 and row.replacements == 0.0 for row in result.money.years)


def test_a_plan_adding_only_a_battery_pays_the_installation_once_and_replaces_only_the_battery(reference):
    data = reference.model_dump(mode="json")
    data["devices"] = [d for d in data["devices"] if d["kind"] != "battery"]
    for device in data["devices"]:
        if isinstance(device.get("switch"), dict):
            device["switch"]["min_battery_soc"] = None
    from homesim.home import home_from_dict

    today = home_from_dict(data, home_dir=EXAMPLES)  # the same PV and inverter, no battery
    result = plan.price(reference, EVERY_COST, [_year(k, 1_000.0) for k in (1, 2, 3)],
                        [_year(k, 5_000.0) for k in (1, 2, 3)], today, "today.yaml")
    assert result.capital == money.Capital(0.0, 5_000 * 10.24, 0.0, 25_000.0)
    rows = result.money.years
    assert rows[0].capital == pytest.approx(5_000 * 10.24 + 25_000)  # the installation once, in year 0
    assert [r.capital for r in rows[1:]] == [0.0, 0.0, 0.0]
    assert [r.maintenance for r in rows[1:]] == pytest.approx([1_000, 1_060, 1_123.6])  # the battery is serviced
    assert [r.replacements for r in rows[1:]] == [0.0, 30_000.0, 0.0]  # the inverter is today's: not this plan's


def test_a_loan_deposit_above_what_the_plan_buys_is_refused_before_any_year_runs(reference, tmp_path):
    deposit = money.Finance.model_validate({**EVERY_COST.model_dump(), "loan": {"rate": 0.1, "term_years": 3,
                                                                               "deposit": 10_000_000}})
    with pytest.raises(HomeFileError, match="loan.deposit: 1e[+]07 is not allowed: must be at most the capital"):
        plan.plan(reference, deposit, home_dir=EXAMPLES, days=DAYS)
    finance = tmp_path / "finance.yaml"
    finance.write_text(yaml.safe_dump(deposit.model_dump()))
    out = tmp_path / "out"
    done = _homesim("plan", str(EXAMPLES / "home.yaml"), "--finance", str(finance), "--out", str(out))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"{finance}: invalid finance section\n  loan.deposit: 1e+07 is not allowed" in done.stderr
    assert "years [" not in done.stderr and not out.exists()  # refused at once: no year ran, no folder made


def test_optimize_refuses_a_deposit_above_a_candidates_capital_before_any_year_runs(reference):
    from homesim.planning import optimize

    base = plan.grid_only(reference, EXAMPLES)
    small = plan.added_size(reference, base)
    with_one_kwh = money.capital_cost(EVERY_COST, small.pv_kwp, 1.0, small.inverter_kw)
    loan = {"rate": 0.1, "term_years": 3, "deposit": with_one_kwh + 1_000}  # more than 1 kWh's capital
    finance = money.Finance.model_validate({**EVERY_COST.model_dump(), "loan": loan})
    with pytest.raises(HomeFileError, match=r"loan.deposit: .* \(candidate battery.capacity_kwh=1\)"):
        optimize.optimize(reference, finance, [("battery.capacity_kwh", [1, 5, 10])], home_dir=EXAMPLES, days=1)
    optimize.check_loan(reference, finance, ["battery.capacity_kwh"], [[5, 10]], base, EXAMPLES)  # all above it


def test_homes_sharing_their_exogenous_work_get_the_years_they_get_alone(reference):
    """The home, its grid-only baseline and a bigger battery run together share sun, weather,
    loads and grid (computed once a year), and each gets exactly what it gets on its own."""
    from homesim.home import with_changes

    base = plan.grid_only(reference, EXAMPLES)
    bigger = with_changes(reference, {"battery.capacity_kwh": 15.0}, EXAMPLES)
    # its own program slots on the first home's blocks: the night charge from 23:00, to 90 %
    programs = [p.model_dump(mode="json") for p in reference.inverter.programs]
    programs[0]["soc"] = programs[5]["soc"] = 0.9
    programs[5]["start"] = "23:00"
    later = with_changes(reference, {"inverter.programs": programs}, EXAMPLES)
    homes = [reference, base, bigger, later]
    together = yearly.run_years(homes, 2, days=2, home_dirs=[EXAMPLES] * len(homes))
    for home, years in zip(homes, together):
        assert yearly.simulate_years(home, 2, days=2, home_dir=EXAMPLES) == years
    assert together[2][1].battery_kwh != together[0][1].battery_kwh
    assert together[3][0].import_kwh != together[0][0].import_kwh  # its slots, not the first home's


def test_a_grid_only_baseline_settles_the_same_every_year(reference):
    """Its loads and outages follow the calendar, which repeats, and nothing of it ages or reads
    the weather: one simulated year stands for all, and a real second year says the same."""
    from dataclasses import replace

    base = plan.grid_only(reference, EXAMPLES)
    assert yearly.same_every_year(base) and not yearly.same_every_year(reference)
    years = yearly.simulate_years(base, 3, days=2, home_dir=EXAMPLES)
    for k in (2, 3):
        real, _ = yearly.simulate_year(base, k, 1.0, 1.0, days=2, home_dir=EXAMPLES)
        assert years[k - 1] == real == replace(years[0], year=k)


def test_outages_count_the_homes_essential_loads_in_the_baseline_too(reference, prices):
    result = plan.plan(reference, plan.with_years(prices, 1), home_dir=EXAMPLES, days=7)
    t = result.totals
    # the reference home's first week holds a 4.5 h cable fault and load-shedding: on the grid
    # alone the essential loads are off in every outage hour, with the system almost never
    assert t["outage_hours"] > 4.5
    assert t["unmet_hours_in_outages_without"] == pytest.approx(t["outage_hours"])
    assert t["unmet_hours_in_outages_with"] < 0.1 * t["outage_hours"]


def test_finance_errors_name_the_field(tmp_path):
    home = tmp_path / "home.yaml"
    home.write_text((EXAMPLES / "home.yaml").read_text())
    (tmp_path / "finance.yaml").write_text("discount_rate: 2\nbattery_per_kwh: -5\npv_per_kw: 1\n")
    with pytest.raises(HomeFileError) as error:
        plan.load_finance(home)
    text = str(error.value)
    assert "discount_rate: 2 is not allowed: must be <= 1" in text
    assert "battery_per_kwh: -5 is not allowed: must be >= 0" in text
    assert "pv_per_kw: unknown field (did you mean 'pv_per_kwp'?)" in text


def test_a_plan_without_prices_says_where_to_give_them(tmp_path):
    home = tmp_path / "home.yaml"
    home.write_text((EXAMPLES / "home.yaml").read_text())
    with pytest.raises(HomeFileError, match="finance.yaml beside the home file, or with --finance FILE"):
        plan.load_finance(home)


def test_a_home_file_may_carry_its_finance_section(tmp_path):
    data = yaml.safe_load((EXAMPLES / "home.yaml").read_text())
    data["finance"] = {"battery_per_kwh": 4000, "analysis_years": 7}
    for name in ("loadshedding",):
        (tmp_path / name).symlink_to(EXAMPLES / name)
    home = tmp_path / "home.yaml"
    home.write_text(yaml.safe_dump(data))
    assert load_home(home).finance.battery_per_kwh == 4000
    found, source = plan.load_finance(home)
    assert found.analysis_years == 7 and "finance:" in source
    assert plan.with_years(found, 3).analysis_years == 3


def test_years_shorter_than_the_loan_are_refused(prices):
    with_loan = money.Finance.model_validate({**prices.model_dump(), "loan": {"rate": 0.1, "term_years": 10}})
    with pytest.raises(Exception, match="--years: .*term_years"):
        plan.with_years(with_loan, 5)


def _homesim(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "homesim", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT / "services"), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("args, message", [
    (["--years", "0"], "--years"),
    (["--years", "41"], "--years"),
    (["--baseline", "nosuch.yaml"], "--baseline 'nosuch.yaml' is not allowed: must be grid_only or an existing home file"),
    (["--finance", "nosuch.yaml"], "nosuch.yaml: invalid finance section\n  can't read the file"),
])
def test_bad_plan_options_are_named(args, message, tmp_path):
    done = _homesim("plan", str(EXAMPLES / "home.yaml"), "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_homesim_plan_writes_the_plan_its_table_and_plots(tmp_path):
    """Two whole years of the reference home, as a user runs it."""
    out = tmp_path / "plan"
    done = _homesim("plan", str(EXAMPLES / "home.yaml"), "--years", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "capital" in done.stdout and "payback" in done.stdout and "years [" in done.stderr
    data = json.loads((out / "plan.json").read_text())
    assert data["years"] == 2 and [r["year"] for r in data["rows"]] == [0, 1, 2]
    assert data["finance"]["analysis_years"] == 2
    year1 = data["rows"][1]
    full_year = simulate(load_home(EXAMPLES / "home.yaml"), 365).summary()
    assert year1["bill"] == pytest.approx(full_year["cost"], rel=1e-9)
    assert year1["baseline_bill"] > year1["bill"] > 0
    assert data["rows"][2]["battery_kwh"] < year1["battery_kwh"] == 10.24
    assert math.isclose(data["totals"]["capital"], -data["rows"][0]["net"])
    lines = (out / "plan.csv").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("year,")
    for name in ("cash_flow.png", "bills.png", "battery.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
