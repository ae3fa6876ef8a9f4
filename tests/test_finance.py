"""Money (services/homesim/planning/finance.py): hand-checkable cases, bad input, and the same cash
flows through NREL's SAM (PySAM's Cashloan) for NPV and payback."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError

from homesim.home.finance import Finance, Loan
from homesim.planning.finance import (
    Capital,
    annuity_payment,
    capital_breakdown,
    capital_cost,
    cash_flows,
    cost_per_outage_hour_avoided,
    discounted_payback,
    flows,
    irr,
    lcoe,
    npv,
    plan,
    simple_payback,
)
from homesim.units import unit_of

CASH = Capital(pv=0.0, battery=0.0, inverter=0.0, installation=5000.0)


# --- hand-checkable -----------------------------------------------------------------------------

def test_a_flat_1000_a_year_on_5000_pays_back_in_5_years():
    flows_ = cash_flows(Finance(analysis_years=10), 1000.0, 5000.0)
    assert flows_.tolist() == [-5000.0] + [1000.0] * 10
    assert simple_payback(flows_) == 5.0


def test_payback_interpolates_inside_the_year_it_crosses_zero():
    assert simple_payback([-2500.0, 1000.0, 1000.0, 1000.0]) == pytest.approx(2.5)


def test_payback_is_none_when_the_cumulative_flow_never_reaches_zero():
    assert simple_payback([-5000.0, 1000.0, 1000.0]) is None
    assert discounted_payback(0.1, [-5000.0] + [1000.0] * 5) is None  # 5 years of 1000 are worth 3791


def test_payback_waits_for_the_cumulative_flow_to_stay_at_or_above_zero():
    # Paid back in year 1, under water again in year 2 (a replacement), back in year 3.5.
    assert simple_payback([-100.0, 200.0, -300.0, 100.0, 200.0]) == pytest.approx(3.5)


def test_npv_at_zero_percent_is_the_sum_of_the_flows():
    values = [-5000.0, 1200.0, -300.0, 2500.0, 1700.5]
    assert npv(0.0, values) == pytest.approx(sum(values))


def test_npv_does_not_discount_year_zero_and_discounts_year_t_by_1_plus_r_to_the_t():
    assert npv(0.1, [-1000.0, 1100.0, 1210.0]) == pytest.approx(-1000.0 + 1000.0 + 1000.0)


def test_irr_of_minus_1000_then_1100_is_10_percent():
    assert irr([-1000.0, 1100.0]) == pytest.approx(0.10, abs=1e-9)


def test_irr_is_the_rate_at_which_npv_is_zero():
    values = cash_flows(Finance(analysis_years=15), 1300.0, Capital(0.0, 0.0, 0.0, 9000.0))
    rate = irr(values)
    assert rate is not None and 0.1 < rate < 0.15
    assert npv(rate, values) == pytest.approx(0.0, abs=1e-6)


def test_irr_is_none_when_npv_never_changes_sign():
    assert irr([-1000.0, -100.0, -100.0]) is None
    assert irr([100.0, 100.0]) is None


def test_irr_of_two_roots_is_the_one_nearest_zero():
    assert irr([-100.0, 230.0, -132.0]) == pytest.approx(0.10, abs=1e-9)  # roots 10 % and 20 %


def test_a_negative_irr_is_the_root_not_the_first_grid_step():
    # -1000 then 10 x 80: NPV 0 at -3.864 % (numpy-financial); the old bisection stopped one
    # step into its interval on the negative side and said -3.958 %.
    rate = irr([-1000.0] + [80.0] * 10)
    assert rate == pytest.approx(-0.0386419053, abs=1e-9)
    assert npv(rate, [-1000.0] + [80.0] * 10) == pytest.approx(0.0, abs=1e-6)


def _roots_in_bracket(values: np.ndarray) -> list[float]:
    """Every real IRR of ``values`` in -99 % .. 1000 %: the polynomial's roots in 1 / (1 + r)."""
    found = np.roots(values[::-1])
    real = found[(np.abs(found.imag) < 1e-9) & (found.real > 0)].real
    return [r for r in (1.0 / real - 1.0) if -0.99 <= r <= 10.0]


def test_irr_matches_numpy_financial_on_random_conventional_cash_flows():
    import numpy_financial as npf

    rng = np.random.default_rng(24)
    negative = 0
    for _ in range(500):
        n = int(rng.integers(2, 41))
        values = np.concatenate(([-rng.uniform(1e4, 2e5)], rng.uniform(0.0, 3e4, n)))
        expected = npf.irr(values)
        rate = irr(values)
        if math.isnan(expected) or not -0.99 <= expected <= 10.0:  # none in -99 % .. 1000 %
            assert rate is None, values
            continue
        negative += expected < 0
        assert rate == pytest.approx(expected, abs=1e-9), values
    assert negative > 50  # the cases the old bisection got wrong are among them


def test_irr_of_random_flows_with_several_sign_changes_is_the_root_nearest_zero():
    import numpy_financial as npf

    rng = np.random.default_rng(7)
    several = none = 0
    for _ in range(400):
        values = rng.normal(0.0, 1e4, int(rng.integers(3, 21)))
        values[0] = -abs(values[0])
        roots = _roots_in_bracket(values)
        rate = irr(values)
        if not roots:
            none += 1
            assert rate is None, values
            continue
        several += len(roots) > 1
        # a root nearer 0 % than the grid's spacing to another could be missed: none here
        assert rate == pytest.approx(min(roots, key=abs), abs=1e-8), (values, roots)
        expected = npf.irr(values)
        if not math.isnan(expected):
            assert rate == pytest.approx(expected, abs=1e-8)
    assert several > 20 and none > 20  # both shapes were drawn


def test_irr_is_none_for_flows_that_never_pay_back_and_for_nothing_at_all():
    assert irr([-1000.0, 10.0, 10.0]) == pytest.approx(-0.8948750780, abs=1e-9)  # pays back a little
    assert irr([-1000.0, 0.001, 0.001]) is None  # -99.9 % a year: none in the bracket
    assert irr([0.0] * 21) is None
    assert irr([-5000.0] + [0.0] * 20) is None


def test_annuity_payment_of_10000_at_10_percent_over_5_years_is_2637_97():
    assert annuity_payment(10000.0, 0.10, 5) == pytest.approx(2637.97, abs=0.005)
    assert annuity_payment(10000.0, 0.0, 5) == 2000.0


def test_import_escalation_compounds():
    values = cash_flows(Finance(analysis_years=3, import_escalation=0.08), 1000.0, 0.0)
    assert values[1:] == pytest.approx([1000.0, 1080.0, 1166.4])


def test_export_revenue_escalates_with_the_export_escalation():
    parts = flows(Finance(analysis_years=3, import_escalation=0.5, export_escalation=-0.1), 0.0, 0.0,
                  export_revenue=100.0)
    assert parts.export_revenue[1:] == pytest.approx([100.0, 90.0, 81.0])
    assert parts.savings.tolist() == [0.0] * 4


def test_maintenance_is_paid_every_year_and_escalates():
    parts = flows(Finance(analysis_years=3, maintenance_per_year=200.0, maintenance_escalation=0.05), 0.0, 0.0)
    assert parts.maintenance == pytest.approx([0.0, 200.0, 210.0, 220.5])
    assert parts.net == pytest.approx([0.0, -200.0, -210.0, -220.5])


def test_yearly_savings_given_as_an_array_are_used_as_given():
    given = [1000.0, 990.0, 975.0]  # ageing: less each year
    values = cash_flows(Finance(analysis_years=3, import_escalation=0.08), given, 2000.0)
    assert values.tolist() == [-2000.0, 1000.0, 990.0, 975.0]


def test_yearly_savings_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="analysis_years"):
        cash_flows(Finance(analysis_years=3), [1.0, 2.0], 0.0)


def test_capital_cost_adds_the_parts():
    finance = Finance(pv_per_kwp=9000.0, battery_per_kwh=6000.0, inverter_per_kw=2500.0, installation=15000.0)
    assert capital_breakdown(finance, 5.0, 10.0, 8.0) == Capital(45000.0, 60000.0, 20000.0, 15000.0)
    assert capital_cost(finance, 5.0, 10.0, 8.0) == 140000.0


def test_a_replacement_lands_in_its_year_at_the_parts_capital_cost():
    finance = Finance(inverter_per_kw=2500.0, analysis_years=20, inverter_replacement_year=12)
    parts = flows(finance, 0.0, capital_breakdown(finance, 0.0, 0.0, 8.0))
    assert parts.replacements[12] == 20000.0
    assert np.count_nonzero(parts.replacements) == 1


def test_a_replacement_repeats_every_life_and_an_explicit_cost_wins():
    finance = Finance(analysis_years=25, inverter_replacement_year=30, battery_replacement_year=10,
                      battery_replacement_cost=7000.0)
    parts = flows(finance, 0.0, Capital(0.0, 50000.0, 0.0, 0.0))
    assert np.flatnonzero(parts.replacements).tolist() == [10, 20]
    assert parts.replacements[10] == parts.replacements[20] == 7000.0


def test_a_total_capital_cannot_price_a_replacement_that_defaults_to_a_parts_cost():
    with pytest.raises(ValueError, match="inverter_replacement_cost"):
        cash_flows(Finance(analysis_years=20), 1000.0, 5000.0)
    # Given the cost, a total will do.
    values = cash_flows(Finance(analysis_years=20, inverter_replacement_cost=3000.0), 1000.0, 5000.0)
    assert values[12] == -2000.0


def test_a_loan_turns_year_zero_into_the_deposit_and_pays_an_annuity_for_its_term():
    finance = Finance(analysis_years=8, loan=Loan(rate=0.10, term_years=5, deposit_share=0.2))
    parts = flows(finance, 3000.0, Capital(0.0, 0.0, 0.0, 12500.0))
    assert parts.capital[0] == 2500.0
    assert parts.loan_payment[1:6] == pytest.approx([2637.97] * 5, abs=0.005)
    assert parts.loan_payment[6:].tolist() == [0.0] * 3
    assert parts.net[1] == pytest.approx(3000.0 - 2637.97, abs=0.005)


def test_a_loan_at_the_discount_rate_leaves_the_npv_unchanged():
    cash = Finance(analysis_years=10, discount_rate=0.09)
    borrowed = cash.model_copy(update={"loan": Loan(rate=0.09, term_years=7, deposit=1000.0)})
    assert npv(0.09, cash_flows(borrowed, 1500.0, CASH)) == pytest.approx(npv(0.09, cash_flows(cash, 1500.0, CASH)))


def test_a_deposit_above_the_capital_is_refused():
    finance = Finance(analysis_years=5, loan=Loan(rate=0.1, term_years=5, deposit=6000.0))
    with pytest.raises(ValueError, match="loan.deposit"):
        cash_flows(finance, 1000.0, CASH)


def test_discounted_payback_is_later_than_simple_payback_when_the_rate_is_positive():
    values = cash_flows(Finance(analysis_years=10), 1000.0, 5000.0)
    assert simple_payback(values) == 5.0
    assert discounted_payback(0.08, values) == pytest.approx(6.6463, abs=1e-4)  # 6 + 377.1 / 583.5
    assert discounted_payback(0.0, values) == 5.0


def test_lcoe_of_constant_costs_is_nrels_capital_recovery_factor_formula():
    capital, om, energy, r, n = 100000.0, 1500.0, 7000.0, 0.07, 20
    crf = r * (1 + r) ** n / ((1 + r) ** n - 1)
    expected = (capital * crf + om) / energy  # NREL simple LCOE, no fuel
    assert lcoe(r, [capital] + [om] * n, [0.0] + [energy] * n) == pytest.approx(expected, rel=1e-12)


def test_lcoe_refuses_no_energy_and_mismatched_lengths():
    with pytest.raises(ValueError, match="more than 0 kWh"):
        lcoe(0.05, [100.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="differ in length"):
        lcoe(0.05, [100.0, 0.0], [0.0])


def test_cost_per_outage_hour_avoided_divides_and_is_none_without_hours():
    assert cost_per_outage_hour_avoided(36000.0, 120.0) == 300.0
    assert cost_per_outage_hour_avoided(36000.0, 0.0) is None


def test_a_plans_table_adds_up_and_goes_to_json():
    finance = Finance(analysis_years=12, maintenance_per_year=100.0, inverter_replacement_year=10,
                      inverter_replacement_cost=2000.0, import_escalation=0.06, discount_rate=0.1,
                      loan=Loan(rate=0.12, term_years=4, deposit=1000.0))
    result = plan(finance, 1500.0, CASH, export_revenue=200.0, energy_kwh_per_year=6000.0)
    table = result.to_dict()
    rows = json.loads(json.dumps(table))["years"]
    assert [row["year"] for row in rows] == list(range(13))
    for row in rows:
        assert row["net"] == pytest.approx(row["savings"] + row["export_revenue"] - row["capital"]
                                           - row["maintenance"] - row["replacements"] - row["loan_payment"])
    net = [row["net"] for row in rows]
    assert rows[-1]["cumulative"] == pytest.approx(sum(net))
    assert rows[-1]["discounted_cumulative"] == pytest.approx(result.npv)
    assert result.npv == pytest.approx(npv(0.1, net))
    assert rows[0]["capital"] == 1000.0 and rows[10]["replacements"] == 2000.0
    assert result.simple_payback == pytest.approx(simple_payback(net))
    assert result.irr is not None and npv(result.irr, net) == pytest.approx(0.0, abs=1e-6)
    costs = [row["capital"] + row["maintenance"] + row["replacements"] + row["loan_payment"] for row in rows]
    assert result.lcoe == pytest.approx(lcoe(0.1, costs, [0.0] + [6000.0] * 12))
    assert table["capital"] == 5000.0 and table["discount_rate"] == 0.1


# --- bad input names the field ----------------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"discount_rate": 2}, "discount_rate"),
    ({"discount_rate": -0.1}, "discount_rate"),
    ({"analysis_years": 0}, "analysis_years"),
    ({"analysis_years": 41}, "analysis_years"),
    ({"import_escalation": 1.5}, "import_escalation"),
    ({"export_escalation": -0.6}, "export_escalation"),
    ({"pv_per_kwp": -1}, "pv_per_kwp"),
    ({"pv_per_kwp": True}, "pv_per_kwp"),
    ({"inverter_replacement_year": 0}, "inverter_replacement_year"),
    ({"installation": float("nan")}, "installation"),
    ({"maintenance": 100}, "maintenance"),
    ({"loan": {"rate": 0.1, "term_years": 5, "deposit": 1000, "deposit_share": 0.1}}, "loan.deposit_share"),
    ({"loan": {"rate": 0.1, "term_years": 25}}, "loan.term_years"),
    ({"loan": {"rate": 0.1, "term_years": True}}, "loan.term_years"),
    ({"loan": {"rate": 1.5, "term_years": 5}}, "loan.rate"),
    ({"loan": {"rate": 0.1, "term_years": 5, "deposit_share": 1.2}}, "loan.deposit_share"),
])
def test_bad_input_names_the_field(data, field):
    with pytest.raises(ValidationError) as caught:
        Finance(**data)
    located = [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]
    assert located == [field]
    assert field in str(caught.value)


def test_every_field_has_a_title_a_description_and_a_unit():
    for model in (Finance, Loan):
        for name, info in model.model_fields.items():
            assert info.title, f"{model.__name__}.{name} has no title"
            if name != "loan":
                assert info.description, f"{model.__name__}.{name}: no description"
                assert unit_of(info), f"{model.__name__}.{name}: no unit (homesim.units.quantity)"


# --- against NREL's SAM (PySAM's Cashloan, the residential cash/loan financial model) ---------------

def sam_cashloan(capital: float, income, expenses, discount_rate: float, loan: Loan | None):
    """SAM's Cashloan on the same flows, with taxes, insurance, property tax, incentives, inflation
    and salvage at 0: ``income`` (savings + export revenue) goes in as the yearly energy value and
    ``expenses`` (maintenance + replacements) as the yearly fixed O&M schedule, years 1..N.
    With inflation 0 SAM's nominal discount rate is its real one, ours."""
    cashloan = pytest.importorskip("PySAM.Cashloan")
    from PySAM.PySSC import PySSC

    years = len(income)
    model = cashloan.new()
    debt = 0.0 if loan is None else 1.0 - loan.deposit_for(capital) / capital
    by_month = ((0.0,) * 12,) * (years + 1)
    model.FinancialParameters.assign(dict(
        analysis_period=years, debt_fraction=100 * debt, loan_rate=100 * (loan.rate if loan else 0.0),
        loan_term=loan.term_years if loan else 0, real_discount_rate=100 * discount_rate, inflation_rate=0,
        federal_tax_rate=(0,), state_tax_rate=(0,), insurance_rate=0, market=0, mortgage=0,
        prop_tax_assessed_decline=0, prop_tax_cost_assessed_percent=100, property_tax_rate=0, salvage_percentage=0,
        system_capacity=5, system_heat_rate=0))
    model.SystemCosts.assign(dict(
        total_installed_cost=capital, om_fixed=tuple(float(x) for x in expenses), om_fixed_escal=0,
        om_capacity=(0,), om_capacity_escal=0, om_production=(0,), om_production_escal=0, om_fuel_cost=(0,),
        om_fuel_cost_escal=0, annual_fuel_usage=0, om_replacement_cost_escal=0, om_opt_fuel_1_cost=(0,),
        om_opt_fuel_1_cost_escal=0, om_opt_fuel_1_usage=0, om_opt_fuel_2_cost=(0,), om_opt_fuel_2_cost_escal=0,
        om_opt_fuel_2_usage=0, add_om_num_types=0))
    model.SystemOutput.assign(dict(gen=(1.0,) * 8760, degradation=(0,),
                                   annual_energy_value=(0.0,) + tuple(float(x) for x in income)))
    model.Lifetime.assign(dict(system_use_lifetime_output=0))
    model.ElectricityRates.assign(dict(rate_escalation=(0,)))
    model.TimeSeries.assign(dict(year1_hourly_dc_with_system=(0.0,) * 8760, year1_hourly_e_fromgrid=(0.0,) * 8760,
                                 year1_hourly_ec_with_system=(0.0,) * 8760))
    model.ChargesByMonth.assign(dict(
        utility_bill_w_sys=(0.0,) * (years + 1), charge_w_sys_dc_tou_ym=by_month, charge_w_sys_ec_ym=by_month,
        charge_w_sys_fixed_ym=by_month, net_billing_credits_ym=by_month, nm_dollars_applied_ym=by_month,
        true_up_credits_ym=by_month))
    PySSC().data_set_array(model.get_data_ptr(), b"utility_bill_wo_sys", [0.0] * (years + 1))
    model.execute(0)
    return model  # keep it: its Outputs are gone with it


SAM_CASES = {  # finance, capital, year-one savings, year-one export revenue
    "flat, cash": (Finance(analysis_years=10, discount_rate=0.05), CASH, 1000.0, 0.0),
    "escalating, maintenance, two replacements": (Finance(
        analysis_years=20, import_escalation=0.08, export_escalation=0.02, maintenance_per_year=900.0,
        maintenance_escalation=0.05, inverter_replacement_year=12, battery_replacement_year=10,
        battery_replacement_cost=55000.0, discount_rate=0.1),
        Capital(pv=60000.0, battery=70000.0, inverter=25000.0, installation=20000.0), 26000.0, 3000.0),
    "loan with a deposit share": (Finance(
        analysis_years=25, import_escalation=0.1, maintenance_per_year=1200.0, inverter_replacement_year=12,
        battery_replacement_year=15, discount_rate=0.11, loan=Loan(rate=0.115, term_years=10, deposit_share=0.15)),
        Capital(pv=60000.0, battery=70000.0, inverter=25000.0, installation=20000.0), 24000.0, 0.0),
}


@pytest.mark.parametrize("name", SAM_CASES)
def test_flows_npv_and_paybacks_match_sams_cashloan(name):
    finance, capital, savings, export = SAM_CASES[name]
    ours = flows(finance, savings, capital, export_revenue=export)
    sam = sam_cashloan(capital.total, (ours.savings + ours.export_revenue)[1:],
                       (ours.maintenance + ours.replacements)[1:], finance.discount_rate, finance.loan)
    out = sam.Outputs
    # The yearly flows, the loan's annuity included, are SAM's after-tax cash flow (taxes at 0).
    assert ours.net == pytest.approx(out.cf_after_tax_cash_flow, rel=1e-9, abs=1e-6)
    assert ours.loan_payment == pytest.approx(out.cf_debt_payment_total, rel=1e-9, abs=1e-6)
    assert npv(finance.discount_rate, ours.net) == pytest.approx(out.npv, rel=1e-9)  # asked: 1 %; found: 1e-15
    # SAM's paybacks are of the investment, financing left out: compare on the flows paid in cash.
    cash = cash_flows(finance.model_copy(update={"loan": None}), savings, capital, export_revenue=export)
    for ours_years, sams_years in ((simple_payback(cash), out.payback),
                                   (discounted_payback(finance.discount_rate, cash), out.discounted_payback)):
        assert ours_years is not None and 0 < ours_years < finance.analysis_years
        assert ours_years == pytest.approx(sams_years, rel=1e-9)


def test_a_purchase_that_never_pays_back_has_no_payback_here_or_in_sam():
    values = cash_flows(Finance(analysis_years=5), 100.0, CASH)
    sam = sam_cashloan(5000.0, [100.0] * 5, [0.0] * 5, 0.05, None)
    out = sam.Outputs
    assert simple_payback(values) is None and math.isnan(out.payback)
    assert discounted_payback(0.05, values) is None and math.isnan(out.discounted_payback)


@pytest.mark.parametrize("name", [n for n, case in SAM_CASES.items() if case[0].loan is None])
def test_lcoe_matches_sams_cashloan_for_the_same_costs_and_energy(name):
    """SAM's nominal LCOE is the NPV of the costs over the NPV of the energy [cents/kWh]; here 1 kW
    all year (8,760 kWh a year), the capital paid in cash in year 0."""
    finance, capital, savings, export = SAM_CASES[name]
    ours = flows(finance, savings, capital, export_revenue=export)
    expenses = (ours.maintenance + ours.replacements)[1:]
    sam = sam_cashloan(capital.total, (ours.savings + ours.export_revenue)[1:], expenses, finance.discount_rate, None)
    costs = [capital.total] + [float(x) for x in expenses]
    energy = [0.0] + [8760.0] * finance.analysis_years
    assert lcoe(finance.discount_rate, costs, energy) == pytest.approx(sam.Outputs.lcoe_nom / 100, rel=1e-9)
