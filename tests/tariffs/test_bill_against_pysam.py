"""The anchor: homesim's bill of a URDB rate against NREL SAM's (PySAM ``Utilityrate5``), the same
rate and the same hourly flows, on a block tariff, a seasonal time-of-use tariff and one with
fixed charges (and blocks across time-of-use periods), each with gross and net metering.

The flows: a year of a small home that imports and exports (2.5 kWp of PV, a 5 kWh battery, an
inverter selling its surplus), simulated fast-forward at 60 s ticks from Monday 1 January 2029,
Africa/Johannesburg (no daylight saving): SAM's year starts on a Monday of 365 days, so local hour
``h`` is SAM's hour ``h`` (tests/test_bill_pysam.py checks SAM's calendar).

The rates are URDB records (https://openei.org/services/doc/rest/util_rates/?version=7). SAM gets
them through PySAM's own ``UtilityRateTools.URDBv8_to_ElectricityRates``; homesim through
:func:`homesim.tariffs.urdb.from_urdb`. Metering: homesim's ``gross`` is SAM's buy all - sell all
(``ur_metering_option`` 4, what URDB's ``dgrules: Buy All Sell All`` gives); homesim's ``net`` is
SAM's net metering with dollar credits (``ur_metering_option`` 1: each TOU period's import and
export netted over the month, a surplus credited at the period's sell rate), with no credit
carried into another month (``ur_nm_credit_rollover`` 0; no month of this home has a credit larger
than its charges, where SAM would carry it over). URDB's ``dgrules: Net Metering`` is read by
PySAM as option 0, credits in kWh carried to later months and paid at a year-end rate: homesim
bills that as option 1, and this test also measures the difference.

SAM bills the hourly sums; homesim bills the minutes (the rates change on whole hours, so the
two are the same sums) and, below, the hourly sums too.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from homesim.engine.fastforward import simulate
from homesim.home import home_from_dict
from homesim.tariffs.bill import J_PER_KWH, LocalTime, bill
from homesim.tariffs.urdb import from_urdb

utilityrate5 = pytest.importorskip("PySAM.Utilityrate5")
rate_tools = pytest.importorskip("PySAM.UtilityRateTools")

TZ = "Africa/Johannesburg"
GROSS, NET = "Buy All Sell All", "Net Metering"


def schedule(by_month_hour) -> list[list[int]]:
    return [[by_month_hour(m, h) for h in range(24)] for m in range(12)]


#: Inclining blocks as a municipal domestic tariff has them, one period all year, a feed-in credit.
BLOCKS = {
    "name": "Inclining blocks", "utility": "Test municipality",
    "energyratestructure": [[{"max": 50, "rate": 1.50, "sell": 0.90}, {"max": 100, "rate": 2.10, "adj": 0.10,
                                                                        "sell": 0.90},
                             {"max": 150, "rate": 3.00, "sell": 0.90}, {"rate": 3.60, "sell": 0.90}]],
    "energyweekdayschedule": schedule(lambda m, h: 0), "energyweekendschedule": schedule(lambda m, h: 0),
}

HIGH = (5, 6, 7)  # June to August, 0-based months


def _tou(m: int, h: int, weekend: bool) -> int:
    """Six periods: 0-2 high season peak/standard/off-peak, 3-5 the same in the low season."""
    base = 0 if m in HIGH else 3
    if h < 6 or h >= 22:
        return base + 2
    if weekend:
        return base + 1
    peak = (6 <= h < 9 or 17 <= h < 19) if m in HIGH else (7 <= h < 10 or 18 <= h < 20)
    return base if peak else base + 1


#: Seasonal time-of-use, Homeflex-like: high-demand June-August, weekday peaks, weekends standard.
SEASONAL_TOU = {
    "name": "Seasonal time-of-use", "utility": "Test utility",
    "energyratestructure": [[{"rate": 7.10, "sell": 1.20}], [{"rate": 2.40, "sell": 0.95}],
                            [{"rate": 1.60, "sell": 0.80}], [{"rate": 3.30, "sell": 1.10}],
                            [{"rate": 2.20, "sell": 0.95}], [{"rate": 1.50, "sell": 0.80}]],
    "energyweekdayschedule": schedule(lambda m, h: _tou(m, h, False)),
    "energyweekendschedule": schedule(lambda m, h: _tou(m, h, True)),
}

#: Fixed charges per day, blocks in each of two time-of-use periods (SAM's tiers across periods).
FIXED = {
    "name": "Fixed charges with tiered time-of-use", "utility": "Test utility",
    "fixedchargefirstmeter": 12.50, "fixedchargeunits": "$/day",
    "energyratestructure": [[{"max": 100, "rate": 2.00, "sell": 0.70}, {"rate": 2.80, "sell": 0.70}],
                            [{"max": 100, "rate": 3.50, "sell": 0.70}, {"rate": 4.40, "sell": 0.70}]],
    "energyweekdayschedule": schedule(lambda m, h: 1 if 7 <= h < 21 else 0),
    "energyweekendschedule": schedule(lambda m, h: 0),
}

RATES = {"blocks": BLOCKS, "seasonal time-of-use": SEASONAL_TOU, "fixed charges": FIXED}

HOME = {
    "name": "Tariff anchor", "currency": "ZAR", "seed": 3, "start": "2029-01-01",
    "location": {"latitude": -26.2, "longitude": 28.05, "altitude_m": 1750, "timezone": TZ},
    "devices": [
        {"id": "pv", "kind": "pv_array", "rated_power_w": 2500, "tilt_deg": 25, "azimuth_deg": 0},
        {"id": "battery", "kind": "battery", "capacity_kwh": 5, "initial_soc": 0.5},
        {"id": "inverter", "kind": "inverter", "rated_power_w": 5000, "work_mode": "selling_first"},
        {"id": "geyser", "kind": "geyser", "circuit": "non_essential", "element_w": 3000, "tank_l": 150,
         "setpoint_c": 60},
        {"id": "kettle", "kind": "kettle", "power_w": 2200},
        {"id": "fridge", "kind": "fridge", "compressor_w": 100},
        {"id": "lights", "kind": "lights", "power_w": 150},
        {"id": "base", "kind": "generic_load", "power_w": 250},
        {"id": "grid", "kind": "grid"},
    ],
}


class Flows:
    """A year of the home: per-minute and hourly (local) grid import and export."""

    def __init__(self):
        ledger = simulate(home_from_dict(HOME), 365, dt_s=60)
        t = ledger.table
        grid = t["e.grid"].to_numpy()
        self.minute_s = ledger.meta["start_unix_s"] + 60 * np.arange(len(t), dtype=np.int64)
        self.minute_import, self.minute_export = np.maximum(grid, 0), np.maximum(-grid, 0)
        hour = t["time"].dt.tz_convert(TZ).dt.floor("h")
        by_hour = lambda values: pd.Series(values).groupby(hour.to_numpy()).sum().to_numpy()  # noqa: E731
        self.hour_s = self.minute_s[::60]
        self.import_kwh = by_hour(self.minute_import) / J_PER_KWH
        self.export_kwh = by_hour(self.minute_export) / J_PER_KWH


@pytest.fixture(scope="module")
def flows():
    return Flows()


def with_rules(rate: dict, rules: str) -> dict:
    return {**copy.deepcopy(rate), "dgrules": rules}


def sam(rate: dict, metering: int, flows: Flows):
    """Utilityrate5 for the year: PySAM's reading of the URDB rate, this metering option."""
    model = utilityrate5.new()
    model.Lifetime.assign(dict(analysis_period=1, inflation_rate=0, system_use_lifetime_output=0))
    model.SystemOutput.assign(dict(gen=[float(x) for x in flows.export_kwh], degradation=[0]))
    model.Load.assign(dict(load=[float(x) for x in flows.import_kwh], load_escalation=[0]))
    rates = rate_tools.URDBv8_to_ElectricityRates(copy.deepcopy(rate))  # it changes the schedules in place
    rates.update(rate_escalation=[0], ur_metering_option=metering, ur_sell_eq_buy=0, ur_en_ts_buy_rate=0,
                 ur_en_ts_sell_rate=0, ur_nb_apply_credit_current_month=0, ur_nb_credit_expire=0,
                 ur_nm_credit_rollover=0, ur_nm_yearend_sell_rate=0, ur_monthly_min_charge=0,
                 ur_annual_min_charge=0, TOU_demand_single_peak=0, ur_yearzero_usage_peaks=[0] * 12)
    rates.setdefault("ur_monthly_fixed_charge", 0)
    model.ElectricityRates.assign(rates)
    model.execute(0)
    return model  # keep it: its Outputs go with it


def test_the_flows_are_a_year_of_local_hours_both_ways(flows):
    assert len(flows.import_kwh) == len(flows.export_kwh) == 8760
    assert flows.import_kwh.sum() > 1000 and flows.export_kwh.sum() > 300  # both directions are billed


@pytest.mark.parametrize("name", RATES)
def test_the_urdb_schedule_becomes_rates_that_pick_sams_period_every_hour(name, flows):
    tariff, _ = from_urdb(with_rules(RATES[name], GROSS))
    model = sam(with_rules(RATES[name], GROSS), 4, flows)
    sams = np.array(model.Outputs.year1_hourly_ec_tou_schedule, dtype=int)
    when = LocalTime(flows.hour_s, TZ, tariff)
    ours = tariff.rate_index(when.month, when.weekday, when.second_of_day)
    period = np.array([int(r.name.split()[-1]) for r in tariff.rates])[ours]
    assert (period == sams).all()
    assert len(set(sams)) == len(RATES[name]["energyratestructure"])  # every period occurs


@pytest.mark.parametrize("metering, rules, option", [("gross", GROSS, 4), ("net", NET, 1)])
@pytest.mark.parametrize("name", RATES)
def test_the_yearly_bill_equals_sams(name, metering, rules, option, flows):
    tariff, _ = from_urdb(with_rules(RATES[name], rules))
    assert tariff.metering == metering
    model = sam(with_rules(RATES[name], rules), option, flows)
    sams = model.Outputs.utility_bill_w_sys_year1
    by_minute = bill(tariff, flows.minute_s, flows.minute_import, flows.minute_export, TZ)
    by_hour = bill(tariff, flows.hour_s, flows.import_kwh * J_PER_KWH, flows.export_kwh * J_PER_KWH, TZ)
    assert by_minute.total == pytest.approx(sams, rel=0.005)  # asked: 0.5 %
    assert by_minute.total == pytest.approx(sams, rel=1e-9)  # measured: the same sums
    assert by_hour.total == pytest.approx(by_minute.total, rel=1e-12)
    assert by_minute.fixed == pytest.approx(sum(model.Outputs.year1_monthly_fixed_with_system), rel=1e-12, abs=1e-9)
    monthly = np.array(model.Outputs.year1_monthly_utility_bill_w_sys)
    assert (monthly > 0).all()  # no month's credit carried over by SAM (see the module's docstring)
    if name == "fixed charges":
        assert by_minute.fixed == pytest.approx(365 * 12.50)
    if name == "blocks":
        assert max(m.import_kwh for m in by_minute.months) > 150  # every block is used


def test_urdbs_net_metering_read_as_sams_kwh_rollover_differs_by_the_carried_credits(flows):
    """PySAM reads dgrules Net Metering as option 0 (kWh credits to later months, paid at a
    year-end rate of 0 here): that bill is the larger, by what homesim credits at the sell rate
    for a period's surplus kWh in a month."""
    rate = with_rules(SEASONAL_TOU, NET)
    tariff, _ = from_urdb(rate)
    ours = bill(tariff, flows.minute_s, flows.minute_import, flows.minute_export, TZ)
    model = sam(rate, 0, flows)
    option0 = model.Outputs.utility_bill_w_sys_year1
    assert option0 >= ours.total
    surplus = sum(part.export_credit for month in ours.months for part in month.rates.values())
    assert option0 - ours.total <= surplus + 1e-6
