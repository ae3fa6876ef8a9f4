"""Kettle: boils a fill of water at each use; it runs for as long as that takes at its power.

A boil lasts its real time from the use's local time on, past midnight or a clock change
if it must: every boil draws its whole energy, at any step.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from homesim.devices import schedule
from homesim.devices.behaviour import ProfileLoad
from homesim.devices.base import (SECONDS_PER_DAY, WATER_J_PER_KG_K, WEEKDAYS, TimeOfDay, field_error,
                                  seconds_of_day)
from homesim.devices.base import Weekday
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity


class Config(ProfileLoad):
    """An electric kettle."""

    LABEL: ClassVar[str] = "Kettle"
    ICON: ClassVar[str] = "\N{HOT BEVERAGE}"
    PALETTE_ORDER: ClassVar[int | None] = 70
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "short boils the battery can carry, wanted in outages (the reference home's kettle)"

    kind: Literal["kettle"] = "kettle"
    power_w: Annotated[float, quantity("W", gt=0.0, le=5000.0, title="Power", description="while it boils")] = 2200.0
    litres: Annotated[float, quantity("L", gt=0.0, le=5.0, title="Water per boil", description="water heated each time")] = 1.0
    inlet_c: Annotated[float, quantity("°C", ge=0.0, le=99.0, title="Tap water temperature",
                                             description="the water before it boils")] = 15.0
    efficiency: Annotated[float, quantity("0..1", gt=0.1, le=1.0, title="Efficiency",
                                                  description="share of the electric energy that heats the water")] = 0.9
    uses: list[TimeOfDay] = Field(
        default_factory=lambda: ["06:30", "07:30", "10:30", "13:00", "16:00", "19:30"], title="Boils at",
        description="the times of day it is switched on (local time)")
    days: list[Weekday] | None = Field(
        default=None, title="Days", description="the weekdays it is used; empty: every day")

    @model_validator(mode="after")
    def _boils_apart(self) -> "Config":
        """A kettle boils one fill at a time: each boil must end before the next use."""
        uses = sorted((seconds_of_day(use), use) for use in self.uses)
        boil = self.boil_s()
        for i, (start, here) in enumerate(uses):
            following, nxt = uses[(i + 1) % len(uses)]
            if start + boil > following + (SECONDS_PER_DAY if i + 1 == len(uses) else 0):
                raise field_error(
                    "uses", self.uses,
                    f"the boil at {here} takes {boil / 60:.1f} min and would still run at the next use {nxt}: "
                    "uses must be at least one boil apart (fewer litres, more power_w, or uses further apart)",
                )
        return self

    def boil_s(self) -> float:
        """Time one boil takes [s]."""
        return self.litres * WATER_J_PER_KG_K * (100.0 - self.inlet_c) / self.efficiency / self.power_w

    def power(self, days: LocalDays) -> Steps:
        weekdays = None if self.days is None else [WEEKDAYS.index(d) for d in self.days]
        return schedule.occurrences(days, [seconds_of_day(use) for use in self.uses], self.boil_s(), weekdays,
                                    self.power_w)
