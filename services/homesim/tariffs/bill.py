"""A bill from a tariff and a home's grid flows: by billing month (calendar months, local time),
fixed charges, energy charges through the blocks, the export credit, net or gross metering.

Exact and vectorised: each tick's import and export [J] go to its rate by its start (local time,
:meth:`UtilityTariff.rate_index`), summed per billing month and rate; then, per month:

* metering ``gross``: each rate's import is charged, its export credited at the rate's export
  price (SAM's "buy all, sell all", ``ur_metering_option`` 4); ``net``: each rate's import and
  export are netted over the month, a net import charged, a net export credited at the rate's
  export price (SAM's net metering with dollar credits, ``ur_metering_option`` 1, when a month's
  credit does not exceed its charges: SAM carries such a surplus to the next month);
* energy charge, gross: each tick's import through its rate's blocks, the blocks by the month's
  import before and after the tick (a month's first kWh in the first block, whatever the time of
  day); net: the month's total net import ``T`` through each rate's blocks, each rate paying its
  share, ``charged_r / T * sum_b price_rb * clamp(T - lower_rb, 0, upper_rb - lower_rb)``. Both are
  SAM's ways with tiers across time-of-use periods (Utilityrate5 bills buy all - sell all by the
  month to date, net metering by the month's share); with one rate or no blocks they are the
  plain block sum of the month;
* fixed charges: ``per_day`` for every local date with a tick in the month, ``per_month`` times
  the share of the month's dates that have one (a whole month: once);
* a minimum charge tops the month's total (fixed + energy - credit) up to ``minimum_per_month``
  times the same share.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.tariffs.model import DAYS, UtilityTariff

#: Joules in one kilowatt-hour [J/kWh].
J_PER_KWH = 3_600_000


class LocalTime:
    """The local calendar of tick starts: day number since 1970 (local), second of the day [s],
    weekday (0 = Monday, holidays mapped by the tariff), month (1..12) and year."""

    def __init__(self, unix_s: np.ndarray, timezone: str, tariff: UtilityTariff | None = None):
        unix_s = np.asarray(unix_s, dtype=np.int64)
        local = unix_s + utc_offsets(unix_s, timezone)
        self.day = local // 86_400
        self.second_of_day = local - self.day * 86_400
        self.weekday = (self.day + 3) % 7  # 1970-01-01 was a Thursday
        months = self.day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        self.month_number = months  # months since 1970-01
        self.month = months % 12 + 1
        self.year = months // 12 + 1970
        if tariff is not None and tariff.holidays:
            epoch = dt.date(1970, 1, 1)
            holiday = np.isin(self.day, [(d - epoch).days for d in tariff.holidays])
            self.weekday = np.where(holiday, DAYS.index(tariff.holidays_as), self.weekday)


def utc_offsets(unix_s: np.ndarray, timezone: str) -> np.ndarray:
    """The zone's UTC offset at each instant [s]: asked of ``zoneinfo`` at the start and end of
    each UTC day with an instant; in a day whose two differ, at each quarter hour with an instant
    (offsets change on quarter hours, at most once a day)."""
    if unix_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = ZoneInfo(timezone)
    offset = lambda s: int(dt.datetime.fromtimestamp(int(s), dt.timezone.utc).astimezone(zone)  # noqa: E731
                           .utcoffset().total_seconds())
    days, where = np.unique(unix_s // 86_400, return_inverse=True)
    start = np.array([offset(d * 86_400) for d in days], dtype=np.int64)
    end = np.array([offset(d * 86_400 + 86_399) for d in days], dtype=np.int64)
    out = start[where]
    changing = (start != end)[where]
    if changing.any():
        quarters, at = np.unique(unix_s[changing] // 900, return_inverse=True)
        out[changing] = np.array([offset(q * 900) for q in quarters], dtype=np.int64)[at]
    return out


def tick_prices(tariff: UtilityTariff, unix_s: np.ndarray, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Each tick's import and export price [currency/kWh] as the engine uses them: the rate's
    price (with blocks: the first block's) and export credit, before blocks and fixed charges."""
    when = LocalTime(unix_s, timezone, tariff)
    index = tariff.rate_index(when.month, when.weekday, when.second_of_day)
    buy = np.array([rate.tick_price() for rate in tariff.rates])
    sell = np.array([tariff.export_per_kwh if rate.export_per_kwh is None else rate.export_per_kwh
                     for rate in tariff.rates])
    return buy[index], sell[index]


@dataclass
class RatePart:
    """One rate's part of a month's bill."""

    import_kwh: float
    export_kwh: float
    charged_kwh: float  # import charged: all of it (gross) or the net import (net) [kWh]
    credited_kwh: float  # export credited [kWh]
    energy: float  # [currency]
    export_credit: float  # [currency]


@dataclass
class MonthBill:
    """One billing month (a calendar month in local time; a part month as the ticks cover it)."""

    month: str  # YYYY-MM
    days: int  # local dates with a tick
    days_in_month: int
    import_kwh: float
    export_kwh: float
    fixed: float  # [currency]
    energy: float  # [currency]
    export_credit: float  # [currency]
    minimum_topup: float  # [currency]
    total: float  # fixed + energy - export_credit + minimum_topup [currency]
    rates: dict[str, RatePart] = field(default_factory=dict)


@dataclass
class Bill:
    """A bill over billing months; its totals are the months' sums."""

    metering: str
    months: list[MonthBill]

    def _sum(self, name: str) -> float:
        return float(sum(getattr(m, name) for m in self.months))

    @property
    def total(self) -> float:
        return self._sum("total")

    @property
    def fixed(self) -> float:
        return self._sum("fixed")

    @property
    def energy(self) -> float:
        return self._sum("energy")

    @property
    def export_credit(self) -> float:
        return self._sum("export_credit")

    @property
    def minimum_topup(self) -> float:
        return self._sum("minimum_topup")

    @property
    def import_kwh(self) -> float:
        return self._sum("import_kwh")

    @property
    def export_kwh(self) -> float:
        return self._sum("export_kwh")

    def to_dict(self) -> dict[str, Any]:
        """Totals and months, as plain data (summary.json's ``bill``)."""
        return {"metering": self.metering, "total": self.total, "fixed": self.fixed, "energy": self.energy,
                "export_credit": self.export_credit, "minimum_topup": self.minimum_topup,
                "import_kwh": self.import_kwh, "export_kwh": self.export_kwh,
                "months": [asdict(m) for m in self.months]}


def fixed_charges(tariff: UtilityTariff, unix_s: np.ndarray, timezone: str) -> float:
    """The fixed charges of ticks starting at ``unix_s`` [currency], as :func:`bill` counts them."""
    if unix_s.size == 0 or (tariff.fixed.per_day == 0 and tariff.fixed.per_month == 0):
        return 0.0
    when = LocalTime(np.asarray(unix_s, dtype=np.int64), timezone)
    _, first = np.unique(when.day, return_index=True)
    months, dates = np.unique(when.month_number[first], return_counts=True)  # local dates with a tick, by month
    in_month = np.array([calendar.monthrange(int(m) // 12 + 1970, int(m) % 12 + 1)[1] for m in months])
    return float(tariff.fixed.per_day * dates.sum() + tariff.fixed.per_month * (dates / in_month).sum())


def block_charge(total_kwh: float, upper: np.ndarray, price: np.ndarray) -> float:
    """``total_kwh`` through blocks with upper limits ``upper`` [kWh] and prices [currency/kWh]."""
    lower = np.concatenate(([0.0], upper[:-1]))
    return float((np.clip(total_kwh - lower, 0.0, upper - lower) * price).sum())


def _month_to_date_charges(kwh: np.ndarray, month_of_tick: np.ndarray, period: np.ndarray,
                           bounds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each tick's import charge [currency] through its period's blocks, the blocks by the
    billing month's import before and after the tick (ticks in time order)."""
    total = np.cumsum(kwh)
    starts = np.flatnonzero(np.r_[True, month_of_tick[1:] != month_of_tick[:-1]])
    before_month = (total[starts] - kwh[starts])[np.cumsum(np.r_[True, month_of_tick[1:] != month_of_tick[:-1]]) - 1]
    after = total - before_month
    before = after - kwh
    out = np.zeros(kwh.shape)
    for p, (upper, price) in enumerate(bounds):
        at = period == p
        lower = np.concatenate(([0.0], upper[:-1]))
        inside = np.minimum(after[at, None], upper) - np.maximum(before[at, None], lower)
        out[at] = (np.clip(inside, 0.0, None) * price).sum(axis=1)
    return out


def bill(tariff: UtilityTariff, unix_s: np.ndarray, import_j: np.ndarray, export_j: np.ndarray,
         timezone: str) -> Bill:
    """The bill of ticks starting at ``unix_s`` [s since 1970 UTC] with grid import and export
    ``import_j``, ``export_j`` [J] (each >= 0), in the home's ``timezone``."""
    unix_s = np.asarray(unix_s, dtype=np.int64)
    import_j, export_j = np.asarray(import_j, dtype=np.float64), np.asarray(export_j, dtype=np.float64)
    if not unix_s.shape == import_j.shape == export_j.shape:
        raise ValueError(f"unix_s, import_j and export_j differ in length: {unix_s.shape}, {import_j.shape}, "
                         f"{export_j.shape}")
    if unix_s.size == 0:
        return Bill(tariff.metering, [])
    if (np.diff(unix_s) < 0).any():
        order = np.argsort(unix_s, kind="stable")
        unix_s, import_j, export_j = unix_s[order], import_j[order], export_j[order]
    when = LocalTime(unix_s, timezone, tariff)
    # rates sharing a name are one billing period (a URDB period on weekdays and at weekends)
    names, group = tariff.periods()
    rate = group[tariff.rate_index(when.month, when.weekday, when.second_of_day)]
    months, month_of_tick = np.unique(when.month_number, return_inverse=True)
    n_rates = len(names)
    key = month_of_tick * n_rates + rate
    size = len(months) * n_rates
    imp = np.bincount(key, weights=import_j, minlength=size).reshape(len(months), n_rates) / J_PER_KWH
    exp = np.bincount(key, weights=export_j, minlength=size).reshape(len(months), n_rates) / J_PER_KWH
    dates, first = np.unique(when.day, return_index=True)
    days = np.bincount(month_of_tick[first], minlength=len(months))  # local dates with a tick, by month
    first_rate = [tariff.rates[int(np.flatnonzero(group == g)[0])] for g in range(n_rates)]
    sell = np.array([tariff.export_per_kwh if r.export_per_kwh is None else r.export_per_kwh for r in first_rate])
    bounds = [r.bounds() for r in first_rate]
    if tariff.metering == "gross":
        by_tick = _month_to_date_charges(import_j / J_PER_KWH, month_of_tick, rate, bounds)
        gross_energy = np.bincount(key, weights=by_tick, minlength=size).reshape(len(months), n_rates)
    out = []
    for m, number in enumerate(months):
        year, month = int(number) // 12 + 1970, int(number) % 12 + 1
        if tariff.metering == "net":
            charged, credited = np.maximum(imp[m] - exp[m], 0.0), np.maximum(exp[m] - imp[m], 0.0)
            total = float(charged.sum())
            energy = np.array([charged[r] / total * block_charge(total, *bounds[r]) if total > 0 else 0.0
                               for r in range(n_rates)])
        else:
            charged, credited, energy = imp[m], exp[m], gross_energy[m]
        credit = credited * sell
        in_month = calendar.monthrange(year, month)[1]
        share = int(days[m]) / in_month
        fixed = tariff.fixed.per_day * int(days[m]) + tariff.fixed.per_month * share
        before = fixed + float(energy.sum()) - float(credit.sum())
        topup = max(0.0, tariff.minimum_per_month * share - before) if tariff.minimum_per_month > 0 else 0.0
        out.append(MonthBill(
            month=f"{year:04d}-{month:02d}", days=int(days[m]), days_in_month=in_month,
            import_kwh=float(imp[m].sum()), export_kwh=float(exp[m].sum()), fixed=fixed,
            energy=float(energy.sum()), export_credit=float(credit.sum()), minimum_topup=topup,
            total=before + topup,
            rates={names[r]: RatePart(float(imp[m, r]), float(exp[m, r]), float(charged[r]), float(credited[r]),
                                      float(energy[r]), float(credit[r]))
                   for r in range(n_rates) if imp[m, r] or exp[m, r]}))
    return Bill(tariff.metering, out)
