"""Grid: the infinite source and sink that closes the balance while it is on.

On/off from outage windows and from load-shedding (any of the formats in
``homesim.loadshedding``); a tariff: either the simple form, an import tariff (flat, or
time-of-use periods in local time) and an export price, or the full form ``tariff``
(:class:`homesim.tariffs.model.UtilityTariff`: fixed charges, seasons, blocks, metering); and
optional export and import limits.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from homesim import loadshedding
from homesim import messages
from homesim.devices.base import WEEKDAYS, Block, DeviceConfig, FileCheck, Window, field_error
from homesim.tariffs.bill import tick_prices
from homesim.tariffs.model import TariffRate, UtilityTariff
from homesim.units import quantity

Price = Annotated[float, quantity("currency/kWh", ge=0.0, le=1000.0, description="the price of a kWh")]


class TouPeriod(Window):
    """A time-of-use period: a price inside a daily window."""

    price_per_kwh: Price


class Tariff(BaseModel):
    """Import tariff: time-of-use periods, first match wins, else the flat price."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    flat_per_kwh: Price | None = quantity("currency/kWh",
        default=None, description="price outside every period, or always without periods")
    periods: list[TouPeriod] = Field(
        default_factory=list, description="time-of-use periods, each a daily window with its price; the first that "
        "covers a tick sets its price")

    @model_validator(mode="after")
    def _has_price(self) -> "Tariff":
        if self.flat_per_kwh is None and not self.periods:
            raise ValueError("give flat_per_kwh, or periods, or both (flat is the price outside the periods)")
        if self.flat_per_kwh is None:
            minutes = np.arange(7 * 1440)
            second_of_day, weekday = (minutes % 1440) * 60, minutes // 1440
            covered = np.zeros(minutes.shape, dtype=bool)
            for period in self.periods:
                covered |= period.mask(second_of_day, weekday)
            if not covered.all():
                first = int(np.flatnonzero(~covered)[0])
                day, minute = WEEKDAYS[first // 1440], first % 1440
                raise ValueError(
                    f"the periods leave {day} {minute // 60:02d}:{minute % 60:02d} without a price: "
                    "cover the whole week or give flat_per_kwh"
                )
        return self

    def price_per_kwh(self, block: Block) -> np.ndarray:
        """Import price of each tick [currency/kWh]; NaN where no period covers and no flat price."""
        price = np.full(block.size, np.nan if self.flat_per_kwh is None else self.flat_per_kwh)
        assigned = np.zeros(block.size, dtype=bool)
        for period in self.periods:
            inside = period.mask(block.second_of_day, block.weekday) & ~assigned
            price[inside] = period.price_per_kwh
            assigned |= inside
        return price


#: The simple form's import tariff when none is given [currency/kWh].
_DEFAULT_TARIFF = Tariff(flat_per_kwh=3.0)


class OutageWindow(BaseModel):
    """A grid outage; times without an offset are local to the home."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    start: datetime = Field(description="the grid goes off, local time unless an offset is given [YYYY-MM-DDTHH:MM]")
    end: datetime = Field(description="the grid comes back, after the start [YYYY-MM-DDTHH:MM]")

    @model_validator(mode="after")
    def _ordered(self) -> "OutageWindow":
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):  # (found by tests/faults/test_fuzz.py)
            raise field_error("end", str(self.end), f"start {self.start.isoformat()} and end must both be local "
                              "times or both carry an offset (a number is seconds since 1970 UTC)")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class StageInterval(BaseModel):
    """A national load-shedding stage over an interval (local times)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    stage: Annotated[int, quantity("stage", ge=0, le=8, description="national load-shedding stage, 0 (none) to 8")]
    start: datetime = Field(description="the stage starts, local time [YYYY-MM-DDTHH:MM]")
    end: datetime = Field(description="the stage ends, local time [YYYY-MM-DDTHH:MM]")


class LoadShedding(BaseModel):
    """Where the home's load-shedding comes from (paths relative to the home file).

    Either ``events_csv`` + ``area`` (expanded outage events,
    ``area_name,start,finsh,stage,source``), or ``area_schedule_csv`` (the area's rotation,
    ``date_of_month,start_time,finsh_time,stage``) with a stage timeline (``stages`` inline or
    ``stage_timeline`` as CSV/JSON ``stage,start,finsh``), or saved EskomSePush responses.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    events_csv: str | None = Field(
        default=None, description="CSV of expanded outage events, area_name,start,finsh,stage,source [path]")
    area: str | None = Field(default=None, description="the home's area_name in events_csv")
    area_schedule_csv: str | None = Field(
        default=None, description="the area's rotation, date_of_month,start_time,finsh_time,stage; stages "
        "cumulative [path]")
    stage_timeline: str | None = Field(
        default=None, description="the national stage over time, CSV or JSON stage,start,finsh [path]")
    stages: list[StageInterval] = Field(
        default_factory=list, description="the national stage over time, inline (instead of stage_timeline)")
    esp_area_json: str | None = Field(default=None, description="a saved EskomSePush /area response [path]")
    esp_status_json: str | None = Field(default=None, description="a saved EskomSePush /status response [path]")

    @model_validator(mode="after")
    def _one_source(self) -> "LoadShedding":
        if self.events_csv is not None and self.area is None:
            raise ValueError("events_csv needs 'area': the area_name of the home's area")
        has_schedule = self.area_schedule_csv is not None or self.esp_area_json is not None
        has_timeline = bool(self.stages) or self.stage_timeline is not None or self.esp_status_json is not None
        if self.area_schedule_csv is not None and not has_timeline:
            raise ValueError("area_schedule_csv needs a stage timeline: 'stages' or 'stage_timeline'")
        if self.events_csv is None and not has_schedule:
            raise ValueError("give events_csv + area, or area_schedule_csv + stages, or esp_area_json")
        return self

    def outages(self, home_dir: Path, timezone: str) -> list[loadshedding.Outage]:
        found: list[loadshedding.Outage] = []
        if self.events_csv is not None:
            found += loadshedding.read_outage_events(home_dir / self.events_csv, self.area)
        schedule = None
        if self.esp_area_json is not None:
            events, schedule = loadshedding.read_esp_area(home_dir / self.esp_area_json)
            found += events
        if self.area_schedule_csv is not None:
            schedule = loadshedding.read_area_schedule(home_dir / self.area_schedule_csv)
        timeline = self.timeline(home_dir)
        if schedule is not None and timeline:
            found += loadshedding.outages_from_stages(schedule, timeline, timezone)
        return found

    def timeline(self, home_dir: Path) -> list[loadshedding.StageInterval]:
        """The national stage over time: the stage timeline file, a saved EskomSePush status and
        the inline ``stages``, in that order."""
        timeline: list[loadshedding.StageInterval] = []
        if self.stage_timeline is not None:
            timeline += loadshedding.read_stage_timeline(home_dir / self.stage_timeline)
        if self.esp_status_json is not None:
            timeline += loadshedding.read_esp_status(home_dir / self.esp_status_json)
        timeline += [loadshedding.StageInterval(s.stage, s.start, s.end) for s in self.stages]
        return timeline


class Config(DeviceConfig):
    """The grid connection."""

    ROLE: ClassVar[str] = "grid"
    ONE_PER_HOME: ClassVar[bool] = True
    METRICS: ClassVar[frozenset[str]] = frozenset({"flow", "grid_on"})
    STATE_MODEL: ClassVar[type] = messages.GridState
    LABEL: ClassVar[str] = "Grid connection"
    ICON: ClassVar[str] = "\N{HIGH VOLTAGE SIGN}"
    PALETTE_ORDER: ClassVar[int | None] = 40

    kind: Literal["grid"] = "grid"
    import_tariff: Tariff = Field(default_factory=lambda: _DEFAULT_TARIFF.model_copy(), title="Import tariff",
                                  description="what a kWh from the grid costs: a flat price and time-of-use periods")
    export_per_kwh: Annotated[Price, quantity("currency/kWh", title="Export price",
                                                              description="paid for a kWh sent to the grid")] = 0.0
    tariff: UtilityTariff | None = Field(
        default=None, title="Tariff", description="a utility's full tariff: fixed charges, seasons, blocks, "
        "time-of-use, export credit, net or gross metering; instead of the simple import and export prices")
    export_limit_w: Annotated[float, Field(ge=0.0, le=1e7)] | None = quantity("W",
        default=None, title="Export limit", description="most power the home may send to the grid; empty: no limit")
    max_import_w: Annotated[float, Field(gt=0.0, le=1e7)] | None = quantity("W",
        default=None, title="Main breaker", description="most power the home may draw from the grid; empty: no limit")
    outages: list[OutageWindow] = Field(default_factory=list, title="Outages",
                                        description="known outages, from and to a date and time (local time)")
    load_shedding: LoadShedding | None = Field(default=None, title="Load-shedding",
                                               description="where the load-shedding schedule comes from (files)")

    _home_dir: Path = PrivateAttr(default=Path("."))
    _outages: dict = PrivateAttr(default_factory=dict)
    _priced: tuple = PrivateAttr(default=(None, None))

    def runs_ahead(self) -> bool:
        return True  # its outages, load-shedding and prices are schedules

    def bind_home_dir(self, home_dir: Path) -> None:
        self._home_dir = home_dir

    def files(self, timezone: str) -> list[FileCheck]:
        """Its load-shedding files, each with its reader, then all of them together (a stage
        timeline against the area's rotation)."""
        shedding = self.load_shedding
        if shedding is None:
            return []
        readers = {
            "events_csv": lambda path: loadshedding.read_outage_events(path, shedding.area),
            "esp_area_json": loadshedding.read_esp_area,
            "area_schedule_csv": loadshedding.read_area_schedule,
            "stage_timeline": loadshedding.read_stage_timeline,
            "esp_status_json": loadshedding.read_esp_status,
        }
        checks = []
        for field, reader in readers.items():
            name = getattr(shedding, field)
            if name is not None:
                path = self._home_dir / name
                checks.append(FileCheck(f"load_shedding.{field}", path, lambda path=path, reader=reader: reader(path)))
        return checks + [FileCheck("load_shedding", None, lambda: self.all_outages(timezone))]

    def seeded(self) -> bool:
        return False  # outages and prices follow the calendar and the files alone

    def all_outages(self, timezone: str) -> list[loadshedding.Outage]:
        """Every grid-off interval (merged), read once per timezone."""
        if timezone not in self._outages:
            zone = ZoneInfo(timezone)
            found = []
            for window in self.outages:
                start = window.start if window.start.tzinfo else window.start.replace(tzinfo=zone)
                end = window.end if window.end.tzinfo else window.end.replace(tzinfo=zone)
                found.append(loadshedding.Outage(int(start.timestamp()), int(end.timestamp()), 0))
            if self.load_shedding is not None:
                found += self.load_shedding.outages(self._home_dir, timezone)
            self._outages[timezone] = loadshedding.merge_outages(found)
        return self._outages[timezone]

    def grid_on(self, block: Block) -> np.ndarray:
        """Whether the grid is on at each tick start (bool)."""
        if not self.enabled:
            return np.zeros(block.size, dtype=bool)
        return loadshedding.grid_on_mask(self.all_outages(block.timezone), block.unix_s)

    def status_at(self, unix_s: int, timezone: str) -> dict:
        """The grid's schedule at an instant, for the bus: ``stage`` (the present outage's
        load-shedding stage; 0 with the grid on or in a plain outage), ``outage_end`` (the
        present outage's end) and ``next_outage_start``/``next_outage_end``, as local ISO
        times with their offset (``None`` where there is none), and ``next_outage_stage``."""
        zone = ZoneInfo(timezone)
        status = loadshedding.outage_status(self.all_outages(timezone) if self.enabled else [], int(unix_s))

        def iso(s: int | None) -> str | None:
            return None if s is None else datetime.fromtimestamp(s, zone).isoformat()

        return {"stage": status.stage, "outage_end": iso(status.outage_end_s),
                "next_outage_start": iso(status.next_start_s), "next_outage_end": iso(status.next_end_s),
                "next_outage_stage": status.next_stage}

    @model_validator(mode="after")
    def _one_tariff(self) -> "Config":
        # (the simple form's defaults are allowed beside it: a home dumped and read again has them)
        simple = [name for name, default in (("import_tariff", _DEFAULT_TARIFF), ("export_per_kwh", 0.0))
                  if getattr(self, name) != default]
        if self.tariff is not None and simple:
            value = getattr(self, simple[0])
            raise field_error(simple[0], value.model_dump(exclude_defaults=True) if isinstance(value, BaseModel)
                              else value, f"give tariff or {' and '.join(simple)}, not both: tariff holds the "
                              "import rates and the export credit (its export_per_kwh) itself")
        return self

    def utility_tariff(self) -> UtilityTariff:
        """The tariff in its full form: ``tariff``, or the simple form written as one (each
        time-of-use period a rate, then the flat price; gross metering, no fixed charges)."""
        if self.tariff is not None:
            return self.tariff
        rates = [TariffRate(name=f"period {i + 1}", days=list(p.days), times=[f"{p.start}-{p.end}"],
                      price_per_kwh=p.price_per_kwh)
                 for i, p in enumerate(self.import_tariff.periods)]
        if self.import_tariff.flat_per_kwh is not None:
            rates.append(TariffRate(name="flat", price_per_kwh=self.import_tariff.flat_per_kwh))
        return UtilityTariff(rates=rates, export_per_kwh=self.export_per_kwh)

    def import_price(self, block: Block) -> np.ndarray:
        """Import price per tick [currency/kWh] (with blocks: the first block's; the bill
        applies the blocks, :mod:`homesim.tariffs.bill`)."""
        if self.tariff is not None:
            return self._tick_prices(block)[0]
        return self.import_tariff.price_per_kwh(block)

    def export_price(self, block: Block) -> np.ndarray:
        """Export price per tick [currency/kWh]."""
        if self.tariff is not None:
            return self._tick_prices(block)[1]
        return np.full(block.size, self.export_per_kwh)

    def _tick_prices(self, block: Block) -> tuple[np.ndarray, np.ndarray]:
        """Both prices of the block's ticks, computed once for the block this grid last priced
        (kept on the grid, not in the block: homes with other tariffs share blocks)."""
        priced = self._priced  # read once: blocks are priced on several threads
        if priced[0] is not block:
            priced = (block, tick_prices(self.tariff, block.unix_s, block.timezone))
            self._priced = priced
        return priced[1]
