"""Geyser (electric water heater): a tank of water, an element on a thermostat, standing
losses and hot-water draws.

The tank is one well-mixed mass of water (``tank_l * 4186`` J/K): heating 150 L by 45 K takes
150 * 4186 * 45 J = 7.85 kWh. Standing loss is given as people read it off the label: kWh per
day with the tank at its set point in 20 degrees C. Drawn hot water is replaced by inlet water.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from homesim.devices import schedule
from homesim.devices.base import J_PER_KWH, SECONDS_PER_DAY, WATER_J_PER_KG_K
from homesim.devices.behaviour import ThermostatLoad, thermostat
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity

#: A South African household's hot water use by hour of day (fractions of the daily volume).
DEFAULT_DRAW_PROFILE = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.12, 0.16, 0.08, 0.04, 0.03, 0.03,
    0.04, 0.03, 0.03, 0.03, 0.04, 0.07, 0.1, 0.08, 0.05, 0.03, 0.02, 0.0,
]


class Config(ThermostatLoad):
    """An electric geyser."""

    LABEL: ClassVar[str] = "Geyser"
    ICON: ClassVar[str] = "\N{SHOWER}"
    PALETTE_ORDER: ClassVar[int | None] = 60
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a 3 kW element would drain the battery in an outage; the tank stays hot for hours"

    kind: Literal["geyser"] = "geyser"
    element_w: Annotated[float, quantity("W", gt=0.0, le=20_000.0, title="Element power",
                                              description="power of the heating element")] = 3000.0
    tank_l: Annotated[float, quantity("L", gt=0.0, le=5000.0, title="Tank size", description="water in the tank")] = 150.0
    setpoint_c: Annotated[float, quantity("°C", ge=30.0, le=85.0, title="Water temperature",
                                                description="the thermostat's setting")] = 60.0
    hysteresis_k: Annotated[float, quantity("K", gt=0.0, le=20.0, title="Thermostat band",
                                                 description="how far the water cools before the element comes on again")] = 4.0
    standing_loss_kwh_per_day: Annotated[
        float, quantity("kWh/day", ge=0.0, le=20.0, title="Standing loss",
                                   description="heat lost by the tank per day at its set point in a 20 °C room (on its label)")
    ] = 1.6
    ambient_c: Annotated[float, quantity("°C", ge=-30.0, le=50.0, title="Room temperature",
                                               description="the air around the tank")] = 20.0
    inlet_c: Annotated[float, quantity("°C", ge=0.0, le=40.0, title="Cold water temperature",
                                             description="water coming into the tank")] = 15.0
    draw_l_per_day: Annotated[float, quantity("L/day", ge=0.0, le=10_000.0, title="Hot water per day",
                                                       description="hot water used in a day")] = 140.0
    draw_profile: list[Annotated[float, Field(ge=0.0, le=1e6)]] = quantity("weight",
        default_factory=lambda: list(DEFAULT_DRAW_PROFILE), min_length=24, max_length=24, title="Hot water by hour",
        description="relative use in each hour of the day, 00:00 to 23:00, scaled to the daily use",
    )
    initial_temp_c: Annotated[float, Field(ge=0.0, le=100.0)] | None = quantity("°C",
        default=None, title="Starting temperature", description="the water at the start; empty: the set point")

    @model_validator(mode="after")
    def _profile(self) -> "Config":
        if self.draw_l_per_day > 0 and sum(self.draw_profile) <= 0:
            raise ValueError("draw_profile must have some use when draw_l_per_day > 0")
        if self.setpoint_c <= 20.0 and self.standing_loss_kwh_per_day > 0:
            raise ValueError("setpoint_c must be above 20 degrees C to define a standing loss")
        return self

    def heat_capacity_j_per_k(self) -> float:
        """Heat capacity of the tank's water [J/K]."""
        return self.tank_l * WATER_J_PER_KG_K

    def loss_w_per_k(self) -> float:
        """Heat loss coefficient from the rated standing loss [W/K]."""
        return self.standing_loss_kwh_per_day * J_PER_KWH / SECONDS_PER_DAY / (self.setpoint_c - 20.0)

    def parameters(self) -> dict[str, float]:
        return thermostat(
            power_w=self.element_w, heat_per_j=1.0, capacity_j_per_k=self.heat_capacity_j_per_k(),
            loss_w_per_k=self.loss_w_per_k(), setpoint_c=self.setpoint_c, hysteresis_k=self.hysteresis_k,
            ambient_c=self.ambient_c, inlet_c=self.inlet_c, volume_l=self.tank_l,
        )

    def start_temp_c(self) -> float:
        return self.setpoint_c if self.initial_temp_c is None else self.initial_temp_c

    def draw(self, days: LocalDays) -> Steps:
        """Hot water drawn [L/s]: each local hour's share of the day's volume, spread over the hour."""
        if self.draw_l_per_day == 0:
            return Steps.empty()
        shares = np.asarray(self.draw_profile) / sum(self.draw_profile)
        return schedule.daily(days, [3600 * h for h in range(24)], list(self.draw_l_per_day * shares / 3600.0))
