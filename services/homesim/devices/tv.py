"""TV: its power while watched, standby otherwise."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from homesim.devices import schedule
from homesim.devices.behaviour import ProfileLoad
from homesim.devices.base import Window, windows_steps
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity


class Config(ProfileLoad):
    """A television (or any appliance with an on power and a standby power)."""

    LABEL: ClassVar[str] = "TV"
    ICON: ClassVar[str] = "\N{TELEVISION}"
    PALETTE_ORDER: ClassVar[int | None] = 90
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a small load people want in outages (the reference home's TV)"

    kind: Literal["tv"] = "tv"
    power_w: Annotated[float, quantity("W", gt=0.0, le=5000.0, title="Power when on", description="while watching")] = 100.0
    standby_w: Annotated[float, quantity("W", ge=0.0, le=100.0, title="Standby power", description="while off")] = 0.5
    watching: list[Window] = Field(default_factory=lambda: [Window(start="18:00", end="22:30")], title="Watching times",
                                   description="when the TV is on (local time, by weekday)")

    def power(self, days: LocalDays) -> Steps:
        watching = windows_steps(self.watching, days).scaled(self.power_w - self.standby_w)
        return watching + schedule.constant(days, self.standby_w)
