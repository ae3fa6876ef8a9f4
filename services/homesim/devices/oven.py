"""Oven: an element heating a cavity to its set point, then cycling on its thermostat.

Cold, the element runs flat out (a 2000 W oven on for 10 minutes draws exactly 1,200,000 J);
once hot it holds the set point at a duty cycle given by the cavity's heat loss.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from homesim.devices import behaviour
from homesim.devices.base import Block, LoadConfig, Window, windows_mask


class Config(LoadConfig):
    """An electric oven used in daily cooking windows."""

    BEHAVIOUR: ClassVar[int] = behaviour.THERMOSTAT

    kind: Literal["oven"] = "oven"
    rated_power_w: Annotated[float, Field(gt=0.0, le=20_000.0, description="element power [W]")] = 2000.0
    setpoint_c: Annotated[float, Field(ge=50.0, le=300.0, description="[degrees C]")] = 180.0
    hysteresis_k: Annotated[float, Field(gt=0.0, le=50.0, description="thermostat dead band [K]")] = 10.0
    heat_capacity_j_per_k: Annotated[float, Field(gt=0.0, le=1e7, description="cavity [J/K]")] = 7500.0
    loss_w_per_k: Annotated[float, Field(gt=0.0, le=1000.0, description="cavity heat loss [W/K]")] = 4.5
    ambient_c: Annotated[float, Field(ge=-30.0, le=50.0, description="kitchen [degrees C]")] = 22.0
    cooking: list[Window] = Field(
        default_factory=lambda: [Window(start="17:30", end="18:30")], description="when the oven is on"
    )

    def fill_params(self, params: np.ndarray) -> None:
        behaviour.set_thermostat(
            params, power_w=self.rated_power_w, heat_per_j=1.0, capacity_j_per_k=self.heat_capacity_j_per_k,
            loss_w_per_k=self.loss_w_per_k, setpoint_c=self.setpoint_c, hysteresis_k=self.hysteresis_k,
            ambient_c=self.ambient_c,
        )

    def initial_state(self) -> np.ndarray:
        return np.array([self.ambient_c, 0.0])

    def usage_mask(self, block: Block) -> np.ndarray:
        return windows_mask(self.cooking, block.second_of_day, block.weekday)
