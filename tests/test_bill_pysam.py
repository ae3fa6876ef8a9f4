"""The yearly electricity bill of a simulated home against NREL's SAM (PySAM's Utilityrate5).

A small home (3 kWp of PV, a 5 kWh battery kept full from 06:00 to 16:00 by the inverter's
program, an inverter selling its surplus, a geyser, a kettle, a fridge, lights and a base load) is simulated for a year, fast-forward at 60 s steps, under two
tariffs: a time-of-use import tariff (weekday peaks, a night off-peak every day, cheaper weekend
days, a flat price in between; every period starts and ends on a whole hour) with an export price,
and a flat import price with no export price. homesim's bill is the ledger's ``cost``: each minute's
import at that minute's buy price minus that minute's export at the export price.

From the ledger the test builds the 8760 hourly grid energies in the home's local time and gives
them to Utilityrate5 with the same rates (``ur_ec_tou_mat``, 12x24 weekday/weekend schedules
derived from the tariff, the export price as each period's sell rate), no fixed, minimum or demand
charges, ``analysis_period`` 1, escalation and inflation 0.

Calendar: SAM's rate schedules take hour 0 of the year as Monday 1 January of a 365-day year
(checked below from its own hourly period output). The home starts on 2029-01-01, a Monday of a
non-leap year, in Africa/Johannesburg (UTC+2, no daylight saving), so local hour ``h`` of the
simulation is SAM's hour ``h`` and 365 days are exactly 8760 hours.

What differs, and the two metering settings compared:

* Hourly net billing (``ur_metering_option`` 2; ``ur_nb_*`` left at 0: credits are not carried
  over, do not expire, are not capped by the month's charge) bills each hour's NET energy: a net
  import at the hour's buy rate, a net export at its sell rate. SAM nets ``gen - load`` in each
  time step, so giving it the gross hourly import and export as ``load`` and ``gen`` gives the
  same numbers as giving it the net. homesim never nets: in an hour with both an import (a kettle
  over the PV) and an export, it bills both. That costs ``min(import, export) * (buy - sell)`` more
  per such hour, which the test asserts exactly; the bills agree within 0.5 %.
* Buy all - sell all (``ur_metering_option`` 4) bills all of ``load`` at the buy rate and pays
  all of ``gen`` at the sell rate, without netting. Given the gross hourly import as ``load`` and
  the gross hourly export as ``gen`` it is homesim's per-minute billing summed by hour, which is
  exact because the prices only change on whole hours: the bill, the import cost (SAM's energy
  charge before credits) and the export revenue (its buy-all-sell-all sales) agree to 1e-9.

Measured (seed 3; 2264 kWh imported, 4158 kWh exported, 3.62 kWh of both inside 433 hours):
time-of-use, homesim 3075.82 vs SAM's hourly net billing 3067.51 (-0.27 %; the difference is the
netting term), vs buy all - sell all on the gross hours 9e-13; flat with no export price, 7698.03
vs 7685.71 (-0.16 %) and 5e-12. (Before the inverter decided the battery's direction from the
net, the battery's program was not needed: a Joule of PV left by rounding kept the battery from
serving the kettle, and such ticks imported beside the hour's exports.)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from homesim.devices.base import J_PER_KWH
from homesim.engine.fastforward import simulate
from homesim.home import home_from_dict

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]
DAYS = WEEKDAYS + WEEKEND

#: The tariffs, as plain data: (start hour, end hour, days, price); an end before the start runs
#: past midnight (the days are the days the period starts on), first match wins, else ``flat``.
TARIFFS = {
    "time-of-use with an export price": dict(flat=3.40, export=0.95, periods=[
        (7, 10, WEEKDAYS, 5.10),
        (17, 20, WEEKDAYS, 5.10),
        (22, 6, DAYS, 2.30),
        (6, 22, WEEKEND, 2.90),
    ]),
    "flat, no export price": dict(flat=3.40, export=None, periods=[]),
}

NET_BILLING, BUY_ALL_SELL_ALL = 2, 4


def home_data(tariff: dict) -> dict:
    grid = {"id": "grid", "kind": "grid", "import_tariff": {"flat_per_kwh": tariff["flat"], "periods": [
        {"start": f"{start:02d}:00", "end": f"{end:02d}:00", "days": days, "price_per_kwh": price}
        for start, end, days, price in tariff["periods"]]}}
    if tariff["export"] is not None:
        grid["export_per_kwh"] = tariff["export"]
    return {
        "name": "Bill check",
        "location": {"latitude": -26.2, "longitude": 28.05, "altitude_m": 1750, "timezone": "Africa/Johannesburg"},
        "start": "2029-01-01",  # a Monday of a non-leap year: SAM's calendar
        "currency": "ZAR",
        "seed": 3,
        "devices": [
            {"id": "pv", "kind": "pv_array", "rated_power_w": 3000, "tilt_deg": 25, "azimuth_deg": 0},
            {"id": "battery", "kind": "battery", "capacity_kwh": 5, "initial_soc": 0.5},
            # The battery kept full for the evening from 06:00 to 16:00 (a program SoC of 100 %),
            # so a kettle over the PV in the day imports while the hour's other minutes export.
            {"id": "inverter", "kind": "inverter", "rated_power_w": 5000, "work_mode": "selling_first",
             "programs": [{"start": "06:00", "power_w": 5000, "soc": 1.0},
                          {"start": "16:00", "power_w": 5000, "soc": 0.2}]},
            {"id": "geyser", "kind": "geyser", "circuit": "non_essential", "element_w": 3000, "tank_l": 150,
             "setpoint_c": 60, "switch": {"timers": [{"start": "04:00", "end": "06:00"},
                                                     {"start": "17:00", "end": "19:00"}]}},
            {"id": "kettle", "kind": "kettle", "power_w": 2200},
            {"id": "fridge", "kind": "fridge", "compressor_w": 100},
            {"id": "lights", "kind": "lights", "power_w": 150},
            {"id": "base", "kind": "generic_load", "power_w": 120},
            grid,
        ],
    }


def price_at(tariff: dict, weekday: int, hour: int) -> float:
    """The tariff's buy price in ``hour`` of a day that is ``weekday`` (0 = Monday)."""
    for start, end, days, price in tariff["periods"]:
        on = [DAYS.index(d) for d in days]
        if start < end:
            inside = start <= hour < end and weekday in on
        else:
            inside = (hour >= start and weekday in on) or (hour < end and (weekday - 1) % 7 in on)
        if inside:
            return price
    return tariff["flat"]


def sam_rates(tariff: dict) -> tuple[list[list[float]], list[list[int]], list[list[int]]]:
    """``ur_ec_tou_mat`` and the 12x24 weekday and weekend schedules: one SAM period per price."""
    by_day = [[price_at(tariff, weekday, hour) for hour in range(24)] for weekday in range(7)]
    if any(day != by_day[0] for day in by_day[:5]) or by_day[5] != by_day[6]:
        raise ValueError("the tariff is not one weekday day and one weekend day: SAM's schedules can't carry it")
    prices = sorted({p for day in by_day for p in day})
    sell = tariff["export"] or 0.0
    tou_mat = [[i + 1, 1, 1e38, 0, price, sell] for i, price in enumerate(prices)]
    schedule = lambda day: [[prices.index(p) + 1 for p in day]] * 12  # noqa: E731
    return tou_mat, schedule(by_day[0]), schedule(by_day[5])


def sam_bill(tariff: dict, metering: int, load_kwh, gen_kwh):
    """Utilityrate5 for one year: hourly ``load`` and ``gen`` [kWh], this tariff, this metering."""
    utilityrate = pytest.importorskip("PySAM.Utilityrate5")
    tou_mat, weekday, weekend = sam_rates(tariff)
    model = utilityrate.new()
    model.Lifetime.assign(dict(analysis_period=1, inflation_rate=0, system_use_lifetime_output=0))
    model.SystemOutput.assign(dict(gen=[float(x) for x in gen_kwh], degradation=[0]))
    model.Load.assign(dict(load=[float(x) for x in load_kwh], load_escalation=[0]))
    model.ElectricityRates.assign(dict(
        en_electricity_rates=1, rate_escalation=[0], ur_metering_option=metering,
        ur_ec_tou_mat=tou_mat, ur_ec_sched_weekday=weekday, ur_ec_sched_weekend=weekend,
        ur_sell_eq_buy=0, ur_en_ts_buy_rate=0, ur_en_ts_sell_rate=0,
        ur_nb_apply_credit_current_month=0, ur_nb_credit_expire=0, ur_nm_credit_rollover=0, ur_nm_yearend_sell_rate=0,
        ur_monthly_fixed_charge=0, ur_monthly_min_charge=0, ur_annual_min_charge=0,
        ur_dc_enable=0, ur_enable_billing_demand=0, TOU_demand_single_peak=0, ur_yearzero_usage_peaks=[0] * 12))
    model.execute(0)
    return model  # keep it: its Outputs are gone with it


class Year:
    """homesim's year of a tariff: its bill and its hourly gross import and export in local time."""

    def __init__(self, tariff: dict):
        self.tariff = tariff
        self.home = home_from_dict(home_data(tariff))
        ledger = simulate(self.home, 365, dt_s=60)
        t = ledger.table
        grid = t["e.grid"].to_numpy()
        hour = t["time"].dt.tz_convert(self.home.location.timezone).dt.floor("h")
        self.hours = pd.DatetimeIndex(hour.unique())
        by_hour = lambda values: pd.Series(values).groupby(hour.to_numpy()).sum().to_numpy()  # noqa: E731
        self.import_kwh = by_hour(np.where(grid > 0, grid, 0)) / J_PER_KWH
        self.export_kwh = by_hour(np.where(grid < 0, -grid, 0)) / J_PER_KWH
        cost = t["cost"].to_numpy()
        self.bill = ledger.summary()["cost"]
        self.import_cost = float(cost[grid > 0].sum())
        self.export_revenue = float(-cost[grid < 0].sum())


@pytest.fixture(scope="module")
def years():
    return {name: Year(tariff) for name, tariff in TARIFFS.items()}


def test_sams_year_starts_on_a_monday_and_the_home_on_a_monday_of_a_365_day_year():
    noon_weekends = {"flat": 1.0, "export": None, "periods": [(12, 13, WEEKEND, 2.0)]}
    model = sam_bill(noon_weekends, BUY_ALL_SELL_ALL, [1.0] * 8760, [0.0] * 8760)
    out = model.Outputs
    noon_periods = [int(out.year1_hourly_ec_tou_schedule[24 * day + 12]) for day in range(14)]
    assert noon_periods == ([1] * 5 + [2] * 2) * 2  # period 2 is the 2.0 price: Saturday and Sunday
    start = dt.date.fromisoformat(home_data(TARIFFS["flat, no export price"])["start"])
    assert start.weekday() == 0 and start.month == start.day == 1
    assert (dt.date(start.year + 1, 1, 1) - start).days == 365


@pytest.mark.parametrize("name", TARIFFS)
def test_the_hours_are_the_8760_local_hours_from_midnight_1_january(name, years):
    year = years[name]
    assert len(year.hours) == len(year.import_kwh) == 8760
    assert year.hours[0] == pd.Timestamp("2029-01-01 00:00", tz="Africa/Johannesburg")
    assert (year.hours[1:] - year.hours[:-1] == pd.Timedelta(hours=1)).all()
    assert year.import_kwh.sum() > 100 and year.export_kwh.sum() > 100  # both directions are exercised


@pytest.mark.parametrize("name", TARIFFS)
def test_the_bill_matches_sams_buy_all_sell_all_on_the_gross_hourly_import_and_export(name, years):
    year = years[name]
    model = sam_bill(year.tariff, BUY_ALL_SELL_ALL, year.import_kwh, year.export_kwh)
    out = model.Outputs
    assert year.bill == pytest.approx(out.utility_bill_w_sys_year1, rel=0.005)  # asked: 0.5 %
    assert year.bill == pytest.approx(out.utility_bill_w_sys_year1, rel=1e-9)  # the same sums, by hour
    assert year.import_cost == pytest.approx(sum(out.year1_monthly_ec_charge_gross_with_system), rel=1e-9)
    assert year.export_revenue == pytest.approx(sum(out.year1_two_meter_sales), rel=1e-9, abs=1e-9)
    if year.tariff["export"] is None:
        assert year.export_revenue == 0.0 and sum(out.year1_two_meter_sales) == 0.0


@pytest.mark.parametrize("name", TARIFFS)
def test_hourly_net_billing_in_sam_differs_by_exactly_the_energy_netted_inside_the_hours(name, years):
    year = years[name]
    net = year.import_kwh - year.export_kwh
    model = sam_bill(year.tariff, NET_BILLING, np.maximum(net, 0.0), np.maximum(-net, 0.0))
    out = model.Outputs
    assert year.bill == pytest.approx(out.utility_bill_w_sys_year1, rel=0.005)  # asked: 0.5 %
    # SAM nets gen - load in each step: the gross hourly energies give the same bill.
    gross = sam_bill(year.tariff, NET_BILLING, year.import_kwh, year.export_kwh)
    assert gross.Outputs.utility_bill_w_sys_year1 == pytest.approx(out.utility_bill_w_sys_year1, rel=1e-12)
    # homesim bills both directions of an hour that has both: min(import, export) more at each.
    tou_mat = sam_rates(year.tariff)[0]
    buy = np.array([tou_mat[int(period) - 1][4] for period in out.year1_hourly_ec_tou_schedule])
    sell = year.tariff["export"] or 0.0
    netted = np.minimum(year.import_kwh, year.export_kwh)
    assert np.count_nonzero(netted) > 0  # else this case checks nothing the other one doesn't
    assert year.import_cost - sum(out.year1_monthly_ec_charge_gross_with_system) == pytest.approx(
        float((netted * buy).sum()), rel=1e-9)
    assert year.export_revenue - sum(out.year1_net_billing_credits) == pytest.approx(
        float((netted * sell).sum()), rel=1e-9, abs=1e-9)
    assert year.bill - out.utility_bill_w_sys_year1 == pytest.approx(float((netted * (buy - sell)).sum()), rel=1e-9)


def test_a_tariff_sams_weekday_and_weekend_schedules_cannot_carry_is_refused():
    # An off-peak night from Friday evening only: Saturday and Sunday mornings differ.
    with pytest.raises(ValueError, match="weekday day and one weekend day"):
        sam_rates({"flat": 1.0, "export": None, "periods": [(22, 6, ["fri"], 0.5)]})
