"""A utility tariff as a bill has it: fixed charges, energy rates by season, day and time of day,
monthly inclining blocks, a feed-in credit, and net or gross metering over the billing month.

The home file's grid takes it as ``tariff:`` (beside the older ``import_tariff`` +
``export_per_kwh``, which :func:`from_simple` writes in this form). What each field means for
the bill is :mod:`homesim.tariffs.bill`'s; the docs' page is docs/reference/tariffs.md.

A tick belongs to the first rate whose seasons, days and times cover its start (local time):
the season by the tick's month, the day by the day a time window starts on (a window whose end
is before its start runs past midnight, as an inverter's program does), a public holiday billed
as ``holidays_as``. Rates sharing a name are one billing period. Block limits are kWh of the
billing month's import over every rate (gross: by the month to date; net: the month's net
import shared among the rates), as NREL's SAM (Utilityrate5) applies URDB tiers across
time-of-use periods.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from homesim.units import quantity

#: Day names a rate may list (0 = Monday, as Python's ``weekday()``).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_HHMM = r"(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)"
_WINDOW = re.compile(rf"^{_HHMM}-{_HHMM}$")

Price = Annotated[float, quantity("currency/kWh", ge=0.0, le=1000.0, description="the price of a kWh")]
Money = Annotated[float, Field(ge=0.0, le=1e6)]


def window_seconds(window: str) -> tuple[int, int]:
    """``(start, end)`` seconds after local midnight [s] of ``"HH:MM-HH:MM"``."""
    start, end = window.split("-")
    seconds = lambda hhmm: int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60  # noqa: E731
    return seconds(start), seconds(end)


class TariffBlock(BaseModel):
    """One inclining block: a price for the month's kWh up to a limit."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    up_to_kwh: Annotated[float, Field(gt=0.0, le=1e9)] | None = quantity(
        "kWh", default=None, title="Up to",
        description="the block ends at this much of the billing month's import; empty: no limit (the last block)")
    price_per_kwh: Price = quantity("currency/kWh", title="Price", description="price of a kWh in this block")


class TariffRate(BaseModel):
    """An energy rate: a price (or blocks) in some seasons, on some days, at some times."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(default="", max_length=80, title="Name", description="what the bill calls it: peak, standard...; rates sharing a name are one "
                      "billing period (netted together, one part of the bill)")
    seasons: list[str] = Field(default_factory=list, title="Seasons",
                               description="the seasons it applies in; empty: all year")
    days: list[Day] = Field(default_factory=lambda: list(DAYS), min_length=1, title="Days",
                            description="the days it applies on (a window past midnight: the day it starts on)")
    times: list[str] = Field(default_factory=list, title="Times",
                             description="local time windows HH:MM-HH:MM, an end before the start runs past "
                             "midnight; empty: all day")
    price_per_kwh: Price | None = quantity("currency/kWh", default=None, title="Price",
                                           description="the price of a kWh (or blocks)")
    blocks: list[TariffBlock] = Field(default_factory=list, title="Blocks",
                                description="inclining blocks of the billing month's import, instead of one price")
    export_per_kwh: Price | None = quantity("currency/kWh", default=None, title="Export credit",
                                            description="paid for a kWh exported in this rate's times; empty: the "
                                            "tariff's")

    @field_validator("times")
    @classmethod
    def _windows(cls, times: list[str]) -> list[str]:
        for window in times:
            if not _WINDOW.match(window):
                raise ValueError(f"time window {window!r} must be HH:MM-HH:MM (00:00 to 24:00), e.g. 06:00-09:00")
            start, end = window_seconds(window)
            if start == end:
                raise ValueError(f"time window {window!r} is empty: its end equals its start")
        return times

    @model_validator(mode="after")
    def _one_price(self) -> "TariffRate":
        if (self.price_per_kwh is None) == (not self.blocks):
            raise ValueError(f"rate {self.name or '(unnamed)'}: give price_per_kwh or blocks, one of them")
        for i, block in enumerate(self.blocks):
            last = i == len(self.blocks) - 1
            if last != (block.up_to_kwh is None):
                raise ValueError(f"rate {self.name or '(unnamed)'}: block {i + 1}: only the last block has no "
                                 "up_to_kwh, and it has none")
            if i and not last and block.up_to_kwh <= self.blocks[i - 1].up_to_kwh:
                raise ValueError(f"rate {self.name or '(unnamed)'}: block {i + 1}: up_to_kwh {block.up_to_kwh} "
                                 f"must be above block {i}'s {self.blocks[i - 1].up_to_kwh}")
        return self

    def tick_price(self) -> float:
        """The price the engine puts on a tick of this rate [currency/kWh]: the price, or the
        first block's (the energy rate before blocks: the bill applies them)."""
        return self.price_per_kwh if self.price_per_kwh is not None else self.blocks[0].price_per_kwh

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(upper limits [kWh], prices [currency/kWh])`` of its blocks (one unlimited block for a price)."""
        if not self.blocks:
            return np.array([np.inf]), np.array([self.price_per_kwh])
        return (np.array([np.inf if b.up_to_kwh is None else b.up_to_kwh for b in self.blocks]),
                np.array([b.price_per_kwh for b in self.blocks]))

    def mask(self, season_of_month: np.ndarray, month: np.ndarray, weekday: np.ndarray,
             second_of_day: np.ndarray, seasons: list[str]) -> np.ndarray:
        """Where the rate covers ticks by their local month (1..12), day type (0 = Monday) and
        second of the day [s] (bool). ``season_of_month[m]`` indexes ``seasons``."""
        in_season = np.ones(13, dtype=bool)
        if self.seasons:
            in_season[:] = False
            wanted = [seasons.index(name) for name in self.seasons]
            in_season[1:] = np.isin(season_of_month[1:], wanted)
        day_ok = np.zeros(7, dtype=bool)
        day_ok[[DAYS.index(d) for d in self.days]] = True
        on = in_season[month]
        if not self.times:
            return on & day_ok[weekday]
        inside = np.zeros(month.shape, dtype=bool)
        for window in self.times:
            start, end = window_seconds(window)
            if start < end:
                inside |= (second_of_day >= start) & (second_of_day < end) & day_ok[weekday]
            else:
                inside |= ((second_of_day >= start) & day_ok[weekday]) | (
                    (second_of_day < end) & day_ok[(weekday - 1) % 7])
        return on & inside


class FixedCharges(BaseModel):
    """Charges that do not depend on the energy: a service or network charge."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    per_day: Money = quantity("currency/day", default=0.0, title="Per day",
                              description="charged for every day of the billing month")
    per_month: Money = quantity("currency/month", default=0.0, title="Per month",
                                description="charged for every billing month (a part month: its share)")


class UtilityTariff(BaseModel):
    """A full tariff: fixed charges, rates by season, day and time, blocks, export credit, metering."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(default="", max_length=200, title="Name", description="the tariff's name")
    source: str = Field(default="", max_length=2000, title="Source",
                        description="where its figures come from, and their year")
    metering: Literal["gross", "net"] = Field(
        default="gross", title="Metering",
        description="gross: every kWh imported is charged and every kWh exported credited; net: in each billing "
        "month, each rate's import and export are netted first (a surplus credited at the export price)")
    fixed: FixedCharges = Field(default_factory=FixedCharges, title="Fixed charges",
                                description="charges that do not depend on the energy, per day and per month")
    minimum_per_month: Money = quantity("currency/month", default=0.0, title="Minimum charge",
                                        description="a billing month's bill is at least this")
    seasons: dict[str, list[Annotated[int, Field(ge=1, le=12)]]] = quantity(
        "1", default_factory=dict, title="Seasons",
        description="season name -> its months (1 = January); every month in exactly one; empty: one season")
    holidays: list[dt.date] = Field(default_factory=list, title="Public holidays",
                                    description="dates billed as another day (Holidays billed as) [YYYY-MM-DD]")
    holidays_as: Day = Field(default="sun", title="Holidays billed as", description="the day a holiday is billed as")
    rates: list[TariffRate] = Field(min_length=1, title="Energy rates",
                              description="first match wins; together they cover every hour of the year")
    export_per_kwh: Price = quantity("currency/kWh", default=0.0, title="Export credit",
                                     description="feed-in credit for a kWh exported (0: none)")

    @model_validator(mode="after")
    def _consistent(self) -> "UtilityTariff":
        if self.seasons:
            months = sorted(m for ms in self.seasons.values() for m in ms)
            if months != list(range(1, 13)):
                missing = sorted(set(range(1, 13)) - set(months))
                twice = sorted({m for m in months if months.count(m) > 1})
                raise ValueError("seasons must hold every month 1-12 exactly once"
                                 + (f"; missing {missing}" if missing else "") + (f"; twice {twice}" if twice else ""))
        for i, rate in enumerate(self.rates):
            unknown = [s for s in rate.seasons if s not in self.seasons]
            if unknown:
                raise ValueError(f"rates[{i}] ({rate.name or 'unnamed'}): season {unknown[0]!r} is not one of the "
                                 f"tariff's seasons ({', '.join(self.seasons) or 'none given'})")
        names = self.rate_names()
        for i, rate in enumerate(self.rates):
            first = self.rates[names.index(names[i])]
            if (rate.price_per_kwh, rate.blocks, rate.export_per_kwh) != (
                    first.price_per_kwh, first.blocks, first.export_per_kwh):
                raise ValueError(f"rates[{i}] is named {names[i]!r} like rates[{names.index(names[i])}] but prices "
                                 "differently: rates sharing a name are one billing period, with one price (or "
                                 "blocks) and export credit; rename one")
        gap = self._first_gap()
        if gap is not None:
            raise ValueError(f"no rate covers {gap}: add a rate for it, or a last rate without seasons, days or times")
        return self

    def season_of_month(self) -> np.ndarray:
        """Index into ``list(self.seasons)`` by month (1..12; entry 0 unused; 0 without seasons)."""
        out = np.zeros(13, dtype=np.int64)
        for i, months in enumerate(self.seasons.values()):
            out[months] = i
        return out

    def rate_index(self, month: np.ndarray, weekday: np.ndarray, second_of_day: np.ndarray) -> np.ndarray:
        """The first covering rate of each tick (int; -1 where none) by its local month, day type
        (0 = Monday, holidays already mapped) and second of the day [s]."""
        index = np.full(month.shape, -1, dtype=np.int64)
        seasons, by_month = list(self.seasons), self.season_of_month()
        for i, rate in enumerate(self.rates):
            free = index < 0
            if not free.any():
                break
            index[free & rate.mask(by_month, month, weekday, second_of_day, seasons)] = i
        return index

    def _first_gap(self) -> str | None:
        """The first (month, day, minute) no rate covers, said as words; ``None`` when all are covered."""
        minute = np.arange(12 * 7 * 1440)
        month, weekday, second = minute // (7 * 1440) + 1, (minute // 1440) % 7, (minute % 1440) * 60
        index = self.rate_index(month, weekday, second)
        if (index >= 0).all():
            return None
        first = int(np.flatnonzero(index < 0)[0])
        m, d, s = int(month[first]), int(weekday[first]), int(second[first])
        return f"{MONTH_NAMES[m - 1]} {DAYS[d]} {s // 3600:02d}:{s // 60 % 60:02d}"

    def priced_per_tick(self) -> bool:
        """Whether each tick's energy is billed at its own prices alone: gross metering, no
        blocks, no minimum charge (then the energy charges are the ledger's cost)."""
        return self.metering == "gross" and self.minimum_per_month == 0 and not any(r.blocks for r in self.rates)

    def rate_names(self) -> list[str]:
        """Each rate's name, or ``rate N`` (1-based) for an unnamed one."""
        return [rate.name or f"rate {i + 1}" for i, rate in enumerate(self.rates)]

    def periods(self) -> tuple[list[str], np.ndarray]:
        """The billing periods: the distinct rate names in order, and each rate's period (int
        array). Rates sharing a name are one period: netted together, one part of the bill."""
        names = self.rate_names()
        distinct = list(dict.fromkeys(names))
        return distinct, np.array([distinct.index(n) for n in names], dtype=np.int64)
