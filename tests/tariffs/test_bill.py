"""bill() on cases checked by hand: blocks, fixed charges, seasons, time-of-use and day types,
holidays, net and gross metering, a minimum charge, daylight saving; and the tariff model's
errors."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pydantic import ValidationError

from homesim.tariffs.bill import J_PER_KWH, bill, fixed_charges, tick_prices
from homesim.tariffs.model import UtilityTariff

SAST = "Africa/Johannesburg"
BLOCKS = [{"up_to_kwh": 50, "price_per_kwh": 1.5}, {"up_to_kwh": 350, "price_per_kwh": 2.2},
          {"up_to_kwh": 600, "price_per_kwh": 3.0}, {"price_per_kwh": 3.6}]


def hours(start: dt.datetime, count: int, timezone: str = SAST) -> np.ndarray:
    """``count`` hourly tick starts from local ``start`` [s since 1970 UTC]."""
    return int(start.replace(tzinfo=ZoneInfo(timezone)).timestamp()) + 3600 * np.arange(count, dtype=np.int64)


def spread(kwh: float, count: int) -> np.ndarray:
    return np.full(count, kwh * J_PER_KWH / count)


def tariff(**fields) -> UtilityTariff:
    return UtilityTariff.model_validate(fields)


@pytest.mark.parametrize("kwh, expected", [
    (600, 50 * 1.5 + 300 * 2.2 + 250 * 3.0),
    (700, 50 * 1.5 + 300 * 2.2 + 250 * 3.0 + 100 * 3.6),
    (40, 40 * 1.5),
    (0, 0.0),
])
def test_a_month_through_inclining_blocks_is_the_hand_sum(kwh, expected):
    march = hours(dt.datetime(2026, 3, 1), 31 * 24)
    got = bill(tariff(rates=[{"blocks": BLOCKS}]), march, spread(kwh, march.size), np.zeros(march.size), SAST)
    assert len(got.months) == 1 and got.months[0].month == "2026-03"
    assert got.total == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert got.import_kwh == pytest.approx(kwh)


def test_blocks_restart_every_billing_month():
    # 600 kWh in each of March and April: each month from the first block again.
    two = hours(dt.datetime(2026, 3, 1), (31 + 30) * 24)
    per_hour = np.concatenate([spread(600, 31 * 24), spread(600, 30 * 24)])
    got = bill(tariff(rates=[{"blocks": BLOCKS}]), two, per_hour, np.zeros(two.size), SAST)
    month = 50 * 1.5 + 300 * 2.2 + 250 * 3.0
    assert [m.month for m in got.months] == ["2026-03", "2026-04"]
    assert [m.energy for m in got.months] == pytest.approx([month, month])


def test_fixed_charges_per_day_and_per_month_in_whole_and_part_months():
    fixed = tariff(fixed={"per_day": 10.0, "per_month": 93.0}, rates=[{"price_per_kwh": 2.0}])
    march = hours(dt.datetime(2026, 3, 1), 31 * 24)
    whole = bill(fixed, march, np.zeros(march.size), np.zeros(march.size), SAST)
    assert whole.fixed == pytest.approx(31 * 10.0 + 93.0)
    week = hours(dt.datetime(2026, 3, 10), 7 * 24)  # 7 of March's 31 dates
    part = bill(fixed, week, spread(10, week.size), np.zeros(week.size), SAST)
    assert part.months[0].days == 7
    assert part.fixed == pytest.approx(7 * 10.0 + 93.0 * 7 / 31)
    assert part.total == pytest.approx(7 * 10.0 + 93.0 * 7 / 31 + 10 * 2.0)
    both = np.concatenate([march, week + 31 * 86400])  # March and 7 dates of April (10-16 April)
    assert fixed_charges(fixed, both, SAST) == pytest.approx(
        bill(fixed, both, np.zeros(both.size), np.zeros(both.size), SAST).fixed)
    assert fixed_charges(fixed, both, SAST) == pytest.approx(38 * 10.0 + 93.0 + 93.0 * 7 / 30)


HOMEFLEX_LIKE = dict(
    seasons={"high": [6, 7, 8], "low": [1, 2, 3, 4, 5, 9, 10, 11, 12]},
    holidays=["2026-06-16"], holidays_as="sun",
    rates=[
        {"name": "high peak", "seasons": ["high"], "days": ["mon", "tue", "wed", "thu", "fri"],
         "times": ["06:00-08:00", "17:00-19:00"], "price_per_kwh": 7.0},
        {"name": "low peak", "seasons": ["low"], "days": ["mon", "tue", "wed", "thu", "fri"],
         "times": ["07:00-09:00", "17:00-19:00"], "price_per_kwh": 3.0},
        {"name": "off-peak", "times": ["22:00-06:00"], "price_per_kwh": 1.0, "export_per_kwh": 0.5},
        {"name": "sunday", "days": ["sun"], "price_per_kwh": 1.2},
        {"name": "standard", "price_per_kwh": 2.0},
    ],
    export_per_kwh=0.8,
)


@pytest.mark.parametrize("local, buy, sell", [
    (dt.datetime(2026, 6, 15, 6), 7.0, 0.8),  # Monday 06:00 in June: high-season peak
    (dt.datetime(2026, 6, 15, 8), 2.0, 0.8),  # 08:00 in June: standard
    (dt.datetime(2026, 3, 16, 8), 3.0, 0.8),  # Monday 08:00 in March: low-season peak
    (dt.datetime(2026, 6, 16, 7), 1.2, 0.8),  # Tuesday 16 June, a holiday billed as a Sunday
    (dt.datetime(2026, 6, 20, 7), 2.0, 0.8),  # Saturday: standard
    (dt.datetime(2026, 6, 21, 3), 1.0, 0.5),  # Sunday 03:00: off-peak (the window from Saturday 22:00) first
    (dt.datetime(2026, 6, 15, 23), 1.0, 0.5),
])
def test_seasons_days_times_and_holidays_pick_the_rate(local, buy, sell):
    seasonal = tariff(**HOMEFLEX_LIKE)
    unix = hours(local, 1)
    assert [float(p[0]) for p in tick_prices(seasonal, unix, SAST)] == [buy, sell]
    one = bill(seasonal, unix, spread(2.0, 1), spread(1.0, 1), SAST)
    assert one.energy == pytest.approx(2.0 * buy) and one.export_credit == pytest.approx(1.0 * sell)


def test_net_metering_nets_each_rate_over_the_month_and_gross_does_not():
    day = hours(dt.datetime(2026, 3, 2), 24)  # a Monday in the low season
    imp, exp = np.zeros(24), np.zeros(24)
    imp[3], exp[4] = 10 * J_PER_KWH, 4 * J_PER_KWH  # off-peak: 10 in, 4 out
    imp[12], exp[13] = 1 * J_PER_KWH, 5 * J_PER_KWH  # standard: 1 in, 5 out
    gross = bill(tariff(**HOMEFLEX_LIKE), day, imp, exp, SAST)
    assert gross.energy == pytest.approx(10 * 1.0 + 1 * 2.0)
    assert gross.export_credit == pytest.approx(4 * 0.5 + 5 * 0.8)
    net = bill(tariff(**HOMEFLEX_LIKE, metering="net"), day, imp, exp, SAST)
    assert net.energy == pytest.approx(6 * 1.0)  # off-peak nets to 6 in
    assert net.export_credit == pytest.approx(4 * 0.8)  # standard nets to 4 out
    assert net.total == pytest.approx(6.0 - 3.2)


def test_blocks_across_time_of_use_rates_share_the_months_total_as_sam_does():
    # Half the month's kWh in each rate; the blocks apply to the month's total, each rate pays its share.
    two = tariff(rates=[
        {"name": "night", "times": ["00:00-12:00"], "blocks": [{"up_to_kwh": 100, "price_per_kwh": 1.0},
                                                               {"price_per_kwh": 2.0}]},
        {"name": "day", "blocks": [{"up_to_kwh": 100, "price_per_kwh": 3.0}, {"price_per_kwh": 4.0}]}])
    january = hours(dt.datetime(2029, 1, 1), 31 * 24)
    flat = spread(744, january.size)
    # 744 kWh, 1 kWh every hour: 100 in the first block, 644 above. Net (nothing exported): each
    # rate pays half of it; gross: the first 100 hours in the first block, 52 of them at night.
    # SAM's Utilityrate5 gives 2132.0 for this month either way (ur_ec_tou_mat with these tiers).
    net = bill(two.model_copy(update={"metering": "net"}), january, flat, np.zeros(january.size), SAST)
    assert net.energy == pytest.approx(0.5 * (100 * 1.0 + 644 * 2.0) + 0.5 * (100 * 3.0 + 644 * 4.0))
    assert net.energy == pytest.approx(2132.0)
    assert net.months[0].rates["night"].energy == pytest.approx(694.0)
    gross = bill(two, january, flat, np.zeros(january.size), SAST)
    assert gross.energy == pytest.approx(2132.0)
    assert gross.months[0].rates["night"].energy == pytest.approx(52 * 1.0 + 320 * 2.0)
    assert gross.months[0].rates["day"].energy == pytest.approx(48 * 3.0 + 324 * 4.0)


def test_gross_blocks_go_by_the_month_to_date_and_net_blocks_by_the_months_share():
    # SAM's Utilityrate5 on this month: 1940.0 buy all - sell all, 1723.33 net metering.
    two = tariff(rates=[
        {"name": "morning", "times": ["00:00-12:00"], "blocks": [{"up_to_kwh": 100, "price_per_kwh": 1.0},
                                                                 {"price_per_kwh": 5.0}]},
        {"name": "afternoon", "blocks": [{"up_to_kwh": 100, "price_per_kwh": 3.0}, {"price_per_kwh": 4.0}]}])
    january = hours(dt.datetime(2029, 1, 1), 31 * 24)
    day, hour = np.arange(january.size) // 24, np.arange(january.size) % 24
    kwh = np.where((day < 5) & (hour >= 12), 2.0, 0.0) + np.where((day >= 5) & (hour < 12), 1.0, 0.0)
    gross = bill(two, january, kwh * J_PER_KWH, np.zeros(january.size), SAST)
    assert gross.energy == pytest.approx(100 * 3.0 + 20 * 4.0 + 312 * 5.0) and gross.energy == pytest.approx(1940.0)
    net = bill(two.model_copy(update={"metering": "net"}), january, kwh * J_PER_KWH, np.zeros(january.size), SAST)
    assert net.energy == pytest.approx(1723.0 + 1 / 3)


def test_a_minimum_charge_tops_a_small_month_up():
    minimum = tariff(minimum_per_month=200.0, fixed={"per_month": 50.0}, rates=[{"price_per_kwh": 2.0}])
    march = hours(dt.datetime(2026, 3, 1), 31 * 24)
    small = bill(minimum, march, spread(30, march.size), np.zeros(march.size), SAST)
    assert small.minimum_topup == pytest.approx(200.0 - 50.0 - 60.0) and small.total == pytest.approx(200.0)
    big = bill(minimum, march, spread(300, march.size), np.zeros(march.size), SAST)
    assert big.minimum_topup == 0.0 and big.total == pytest.approx(650.0)


def test_time_of_use_follows_local_time_across_daylight_saving():
    peak = tariff(rates=[{"name": "peak", "times": ["07:00-09:00"], "price_per_kwh": 5.0},
                         {"name": "other", "price_per_kwh": 1.0}])
    # Berlin moves to summer time at 02:00 on 29 March 2026: 07:30 local is 05:30 UTC after, 06:30 UTC before.
    before = int(dt.datetime(2026, 3, 28, 6, 30, tzinfo=dt.timezone.utc).timestamp())
    after = int(dt.datetime(2026, 3, 29, 5, 30, tzinfo=dt.timezone.utc).timestamp())
    wrong = int(dt.datetime(2026, 3, 29, 6, 30, tzinfo=dt.timezone.utc).timestamp())  # 08:30 local: still peak
    late = int(dt.datetime(2026, 3, 29, 7, 30, tzinfo=dt.timezone.utc).timestamp())  # 09:30 local
    prices = tick_prices(peak, np.array([before, after, wrong, late]), "Europe/Berlin")[0]
    assert prices.tolist() == [5.0, 5.0, 5.0, 1.0]


def test_a_year_of_minutes_bills_every_month():
    year = int(dt.datetime(2026, 1, 1, tzinfo=ZoneInfo(SAST)).timestamp()) + 60 * np.arange(365 * 1440)
    got = bill(tariff(**HOMEFLEX_LIKE, fixed={"per_day": 1.0}), year, np.full(year.size, 6e4), np.zeros(year.size),
               SAST)
    assert [m.month for m in got.months] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert sum(m.days for m in got.months) == 365 and got.fixed == pytest.approx(365.0)
    assert got.import_kwh == pytest.approx(year.size * 6e4 / J_PER_KWH)
    assert got.total == pytest.approx(sum(m.total for m in got.months))


@pytest.mark.parametrize("fields, message", [
    (dict(rates=[{"times": ["06:00-09:00"], "price_per_kwh": 1.0}]), "no rate covers jan mon 00:00"),
    (dict(rates=[{"price_per_kwh": 1.0, "seasons": ["winter"]}]), "season 'winter' is not one of"),
    (dict(seasons={"a": [1, 2, 3]}, rates=[{"price_per_kwh": 1.0}]), "missing [4, 5, 6, 7, 8, 9, 10, 11, 12]"),
    (dict(rates=[{"price_per_kwh": 1.0, "blocks": BLOCKS}]), "give price_per_kwh or blocks"),
    (dict(rates=[{"blocks": [{"up_to_kwh": 50, "price_per_kwh": 1}, {"up_to_kwh": 40, "price_per_kwh": 2},
                             {"price_per_kwh": 3}]}]), "up_to_kwh 40.0 must be above block 1's 50.0"),
    (dict(rates=[{"blocks": [{"up_to_kwh": 50, "price_per_kwh": 1}]}]), "only the last block has no up_to_kwh"),
    (dict(rates=[{"times": ["6-9"], "price_per_kwh": 1.0}]), "time window '6-9' must be HH:MM-HH:MM"),
    (dict(rates=[{"price_per_kwh": 1.0}], metering="hourly"), "Input should be 'gross' or 'net'"),
])
def test_a_bad_tariff_says_what_is_wrong(fields, message):
    with pytest.raises(ValidationError) as caught:
        tariff(**fields)
    assert message in str(caught.value)
