"""A throwaway kind for tests/contracts/test_generated_churn.py, never installed: copied into a
temporary copy of ``homesim.devices`` to see which generated files adding a kind changes.

It uses what a new kind typically does: the shared types (a list of :class:`Window`, the
weekdays), an enumeration of its own, and a plain power profile.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from homesim.devices import schedule
from homesim.devices.base import Weekday, Window, windows_steps
from homesim.devices.behaviour import ProfileLoad
from homesim.devices.schedule import LocalDays, Steps


class Config(ProfileLoad):
    """A dishwasher that runs its program in the windows it is started in."""

    LABEL: ClassVar[str] = "Dishwasher"
    ICON: ClassVar[str] = "\N{FORK AND KNIFE}"
    PALETTE_ORDER: ClassVar[int | None] = 71
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "it can wait for the grid"

    kind: Literal["dishwasher"] = "dishwasher"
    power_w: Annotated[float, Field(gt=0.0, le=5000.0, title="Power", description="while it runs [W]")] = 1800.0
    program: Literal["eco", "normal", "intensive"] = Field(default="eco", title="Program",
                                                          description="the washing program")
    runs: list[Window] = Field(default_factory=lambda: [Window(start="20:00", end="21:30")], title="Runs",
                               description="when it runs (local time, by weekday)")
    rest_days: list[Weekday] = Field(default_factory=list, title="Rest days", description="days it is not used")

    def power(self, days: LocalDays) -> Steps:
        return windows_steps(self.runs, days).scaled(self.power_w) + schedule.constant(days, 0.0)
