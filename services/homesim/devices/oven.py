"""Oven: an element heating a cavity to its set point, then cycling on its thermostat.

Cold, the element runs flat out (a 2000 W oven on for 10 minutes draws exactly 1,200,000 J);
once hot it holds the set point at a duty cycle given by the cavity's heat loss.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from homesim.devices.base import Window, windows_steps
from homesim.devices.behaviour import ThermostatLoad, thermostat
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity


class Config(ThermostatLoad):
    """An electric oven used in daily cooking windows."""

    LABEL: ClassVar[str] = "Oven"
    ICON: ClassVar[str] = "\N{COOKING}"
    PALETTE_ORDER: ClassVar[int | None] = 50
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a 2-3 kW element would drain the battery in an outage (the reference home's oven)"

    kind: Literal["oven"] = "oven"
    rated_power_w: Annotated[float, quantity("W", gt=0.0, le=20_000.0, title="Element power",
                                                  description="power of the element while it heats")] = 2000.0
    setpoint_c: Annotated[float, quantity("°C", ge=50.0, le=300.0, title="Temperature",
                                                description="the thermostat's setting")] = 180.0
    hysteresis_k: Annotated[float, quantity("K", gt=0.0, le=50.0, title="Thermostat band",
                                                 description="how far the cavity cools before the element comes on again")] = 10.0
    heat_capacity_j_per_k: Annotated[float, quantity("J/K", gt=0.0, le=1e7, title="Heat capacity",
                                                            description="energy to warm the cavity by one degree")] = 7500.0
    loss_w_per_k: Annotated[float, quantity("W/K", gt=0.0, le=1000.0, title="Heat loss",
                                                   description="heat lost through the door and walls per degree above the kitchen")] = 4.5
    ambient_c: Annotated[float, quantity("°C", ge=-30.0, le=50.0, title="Kitchen temperature",
                                               description="the air around the oven")] = 22.0
    cooking: list[Window] = Field(
        default_factory=lambda: [Window(start="17:30", end="18:30")], title="Cooking times",
        description="when the oven is on (local time, by weekday)",
    )

    def parameters(self) -> dict[str, float]:
        return thermostat(
            power_w=self.rated_power_w, heat_per_j=1.0, capacity_j_per_k=self.heat_capacity_j_per_k,
            loss_w_per_k=self.loss_w_per_k, setpoint_c=self.setpoint_c, hysteresis_k=self.hysteresis_k,
            ambient_c=self.ambient_c,
        )

    def start_temp_c(self) -> float:
        return self.ambient_c

    def usage(self, days: LocalDays) -> Steps:
        return windows_steps(self.cooking, days)
