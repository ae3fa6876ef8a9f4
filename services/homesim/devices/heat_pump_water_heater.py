"""Heat pump water heater: a tank like the geyser's, heated by a heat pump whose coefficient of
performance follows the outdoor air, with an optional backup element.

The heat pump draws ``heat_pump_w`` and puts ``COP`` times that into the water. Its COP is the
air-source regression of Staffell et al. (2012), fitted to the published test results of
domestic air-source heat pumps::

    COP = 6.81 - 0.121 dT + 0.000630 dT^2,   dT = T_water - T_air [K], taken within 15..60 K

(I. Staffell, D. Brett, N. Brandon, A. Hawkes, "A review of domestic heat pumps", Energy &
Environmental Science 5 (2012) 9291-9306, doi:10.1039/c2ee22653g, eq. 3 and Fig. 9),
times ``cop_scale`` to match a unit's rated figure. The sink is the tank's water, the source
the outdoor air of the home's weather device at each tick. Below ``min_air_c`` the heat pump
can't run and the backup element heats instead; the element also helps while the water is
below ``boost_below_c``. The thermostat, standing loss and hot-water draws are the geyser's.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from homesim.jit import njit
from pydantic import Field

from homesim.devices import geyser
from homesim.devices.base import Block
from homesim.devices.kernel import ALLOWED, Behaviour, layout, nearest_j, thermostat_calls
from homesim.devices.schedule import Steps
from homesim.units import quantity

#: Staffell et al. (2012), air-source heat pumps: COP = A + B dT + C dT^2, within DT_MIN..DT_MAX.
COP_A, COP_B, COP_C = 6.81, -0.121, 0.000630
DT_MIN_K, DT_MAX_K = 15.0, 60.0
#: No boost: the element only stands in for the heat pump.
NO_BOOST_C = -1000.0

P = layout("HeatPumpWaterHeaterParams",
           "heat_pump_w",  # the heat pump's electric power while it runs [W]
           "element_w",  # the backup element's power [W] (0: none)
           "cop_scale",  # times the regression's COP [ratio]
           "min_air_c",  # below this air temperature the heat pump can't run [°C]
           "boost_c",  # the element helps while the water is below this [°C]
           "capacity_j_per_k",  # the water's heat capacity [J/K]
           "loss_w_per_k",  # the tank's heat loss to the room [W/K]
           "setpoint_c", "hysteresis_k",  # the thermostat [°C, K]
           "ambient_c",  # the room around the tank [°C]
           "inlet_c",  # cold water coming in [°C]
           "volume_l",  # the tank [L]
           "decay")  # the water's relaxation towards the room over one tick (ThermostatLoad.step_parameters) [0..1]
S = layout("HeatPumpWaterHeaterState", "temp_c", "calling")
X = layout("HeatPumpWaterHeaterInputs",
           "allowed",  # share of the tick it may run [0..1]
           "draw_l",  # hot water drawn in the tick [L]
           "air_c")  # outdoor air [°C]


@njit(cache=True)
def cop(water_c, air_c, scale):
    """Coefficient of performance heating water at ``water_c`` from air at ``air_c`` [°C]
    (Staffell et al. 2012, air source) [ratio]."""
    dt_k = min(max(water_c - air_c, DT_MIN_K), DT_MAX_K)
    return scale * (COP_A + COP_B * dt_k + COP_C * dt_k * dt_k)


@njit(cache=True)
def _powers(p, s, x, i, t):
    """The heat pump's and the element's power while the thermostat calls [W]."""
    pump_ok = x[i, X.air_c, t] >= p[i, P.min_air_c]
    pump = p[i, P.heat_pump_w] if pump_ok else 0.0
    element = p[i, P.element_w] if (not pump_ok or s[i, S.temp_c] < p[i, P.boost_c]) else 0.0
    return pump, element


@njit(cache=True)
def demand(p, s, x, code, mine, t, home, dt_s, out):
    """While the thermostat calls: the heat pump's power (and the element's, when the air is too
    cold or the water below the boost temperature) for the share of the tick it may run [J]."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = 0
        if thermostat_calls(s[i, S.temp_c], p[i, P.setpoint_c], p[i, P.hysteresis_k], s[i, S.calling] > 0.0, True):
            pump, element = _powers(p, s, x, i, t)
            out[i] = nearest_j((pump + element) * dt_s * x[i, ALLOWED, t])


@njit(cache=True)
def advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """The water gains what was served: the heat pump's share times its COP at this tick's air
    and water temperatures, the element's share as it is (served shared in proportion to their
    powers); then loses heat to the room and takes cold water for what was drawn."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        temp = s[i, S.temp_c]
        pump, element = _powers(p, s, x, i, t)
        heat = 0.0
        if served[i] > 0 and pump + element > 0.0:
            per_j = (pump * cop(temp, x[i, X.air_c, t], p[i, P.cop_scale]) + element) / (pump + element)
            heat = served[i] * per_j
        if asked[i] > 0:
            s[i, S.calling] = 1.0
        else:
            calling = thermostat_calls(temp, p[i, P.setpoint_c], p[i, P.hysteresis_k], s[i, S.calling] > 0.0, True)
            s[i, S.calling] = 1.0 if calling else 0.0
        capacity = p[i, P.capacity_j_per_k]
        ambient = p[i, P.ambient_c]
        temp = ambient + (temp - ambient) * p[i, P.decay] + heat / capacity
        drawn = x[i, X.draw_l, t]
        if drawn > 0.0:
            temp = temp - min(drawn / p[i, P.volume_l], 1.0) * (temp - p[i, P.inlet_c])
        s[i, S.temp_c] = temp


BEHAVIOUR = Behaviour("heat_pump_water_heater", __name__, "demand", "advance", P, S, X)


class Config(geyser.Config):
    """A heat pump water heater (its tank, thermostat and hot-water use as a geyser's)."""

    BEHAVIOUR: ClassVar[Behaviour] = BEHAVIOUR
    READS_ENVIRONMENT: ClassVar[bool] = True
    LABEL: ClassVar[str] = "Heat pump water heater"
    ICON: ClassVar[str] = "\N{SHOWER}\N{CYCLONE}"
    PALETTE_ORDER: ClassVar[int | None] = 62
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a 0.5 kW heat pump the battery can carry: hot water through outages"

    kind: Literal["heat_pump_water_heater"] = "heat_pump_water_heater"  # type: ignore[assignment]
    heat_pump_w: Annotated[float, quantity("W", gt=0.0, le=10_000.0, title="Heat pump power",
                                                description="the heat pump's electric power while it runs")] = 500.0
    element_w: Annotated[float, quantity("W", ge=0.0, le=20_000.0, title="Backup element",
                                              description="the backup element's power; 0: none")] = 2000.0
    cop_scale: Annotated[float, quantity("ratio", gt=0.1, le=3.0, title="COP scale",
                                                  description="times the published air-source COP curve, to match a unit's "
                                                  "rated COP")] = 1.0
    min_air_c: Annotated[float, quantity("°C", ge=-40.0, le=30.0, title="Lowest air temperature",
                                               description="below this outdoor temperature the heat pump can't run and the "
                                               "element heats")] = -7.0
    boost_below_c: Annotated[float, Field(ge=0.0, le=85.0)] | None = quantity("°C",
        default=None, title="Element boost below",
        description="the element helps the heat pump while the water is below this; empty: never")

    def requires(self) -> tuple[str, ...]:
        return ("sun", "weather")  # the outdoor air comes from the weather, over the sun's clear sky

    def parameters(self) -> dict[str, float]:
        return {"heat_pump_w": self.heat_pump_w, "element_w": self.element_w, "cop_scale": self.cop_scale,
                "min_air_c": self.min_air_c, "boost_c": NO_BOOST_C if self.boost_below_c is None else self.boost_below_c,
                "capacity_j_per_k": self.heat_capacity_j_per_k(), "loss_w_per_k": self.loss_w_per_k(),
                "setpoint_c": self.setpoint_c, "hysteresis_k": self.hysteresis_k, "ambient_c": self.ambient_c,
                "inlet_c": self.inlet_c, "volume_l": self.tank_l}

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        return {**super().inputs(block, gate), "air_c": np.asarray(block.values["weather"].temp_air, dtype=np.float64)}
