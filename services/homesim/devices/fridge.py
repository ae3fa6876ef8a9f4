"""Fridge: a compressor cooling an insulated box on a thermostat (its duty cycle follows from
the box's heat gain and the compressor's coefficient of performance)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from homesim.devices.behaviour import ThermostatLoad, thermostat
from homesim.units import quantity


class Config(ThermostatLoad):
    """A fridge or freezer."""

    LABEL: ClassVar[str] = "Fridge"
    ICON: ClassVar[str] = "\N{SNOWFLAKE}\N{VARIATION SELECTOR-16}"
    PALETTE_ORDER: ClassVar[int | None] = 80
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "keeps food cold through outages on ~100 W (the reference home's fridge)"

    kind: Literal["fridge"] = "fridge"
    compressor_w: Annotated[float, quantity("W", gt=0.0, le=5000.0, title="Compressor power",
                                                 description="while the compressor runs")] = 100.0
    cop: Annotated[float, quantity("ratio", gt=0.0, le=10.0, title="Efficiency (COP)",
                                            description="heat removed per unit of electric energy")] = 1.5
    setpoint_c: Annotated[float, quantity("°C", ge=-40.0, le=15.0, title="Temperature",
                                                description="the thermostat's setting")] = 4.0
    hysteresis_k: Annotated[float, quantity("K", gt=0.0, le=10.0, title="Thermostat band",
                                                 description="how far it warms before the compressor starts")] = 2.0
    heat_capacity_j_per_k: Annotated[float, quantity("J/K", gt=0.0, le=1e7, title="Heat capacity",
                                                            description="energy to warm the contents and box by one degree")] = 50_000.0
    loss_w_per_k: Annotated[float, quantity("W/K", gt=0.0, le=100.0, title="Heat gain",
                                                   description="heat coming in through the walls per degree of difference")] = 2.5
    ambient_c: Annotated[float, quantity("°C", ge=-30.0, le=50.0, title="Kitchen temperature",
                                               description="the air around the fridge")] = 22.0

    def parameters(self) -> dict[str, float]:
        return thermostat(
            power_w=self.compressor_w, heat_per_j=-self.cop, capacity_j_per_k=self.heat_capacity_j_per_k,
            loss_w_per_k=self.loss_w_per_k, setpoint_c=self.setpoint_c, hysteresis_k=self.hysteresis_k,
            ambient_c=self.ambient_c,
        )

    def start_temp_c(self) -> float:
        return self.setpoint_c
