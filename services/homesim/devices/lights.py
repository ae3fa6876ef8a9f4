"""Lights: a home's lighting, on in its windows."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from homesim.devices.behaviour import ProfileLoad
from homesim.devices.base import Window, windows_steps
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity


class Config(ProfileLoad):
    """The lights of a home (or a room)."""

    LABEL: ClassVar[str] = "Lights"
    ICON: ClassVar[str] = "\N{ELECTRIC LIGHT BULB}"
    PALETTE_ORDER: ClassVar[int | None] = 100
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "lights are what a backup system is for (the reference home's lights)"

    kind: Literal["lights"] = "lights"
    power_w: Annotated[float, quantity("W", gt=0.0, le=20_000.0, title="Power", description="all lights on")] = 150.0
    on: list[Window] = Field(
        default_factory=lambda: [Window(start="05:30", end="07:00"), Window(start="17:30", end="23:00")],
        title="On times", description="when the lights are on (local time, by weekday)",
    )

    def power(self, days: LocalDays) -> Steps:
        return windows_steps(self.on, days).scaled(self.power_w)
