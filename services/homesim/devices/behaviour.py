"""The two behaviours most load kinds share, and their base classes.

profile (:class:`ProfileLoad`: TV, lights, kettle, a measured profile)
    Demand is exogenous: a power per tick computed for a whole block. Being unserved changes
    nothing later.
thermostat (:class:`ThermostatLoad`: geyser, oven, fridge)
    A first-order thermal mass with a hysteresis thermostat. Demand is the element (or
    compressor) power while the thermostat calls; what was actually served heats (or cools)
    the mass, so an unserved geyser really does go cold.

A kind with a behaviour of its own (an EV charger, a pool pump) declares it in its own module
the same way (see :mod:`homesim.devices.kernel`). Both runtimes call the same kernels: the
fast-forward engine in its compiled loop, a live device process once per tick.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from homesim.jit import njit

from homesim.devices.base import Block, LoadConfig, joules
from homesim.devices.kernel import ALLOWED, Behaviour, layout, nearest_j, thermostat_calls
from homesim.devices.schedule import LocalDays, Steps

# --- profile --------------------------------------------------------------------------------

PROFILE_PARAMS = layout("ProfileParams")
PROFILE_STATE = layout("ProfileState")
#: ``profile_j``: the load's demand in the tick, already cut to its timers and windows [J].
PROFILE_INPUTS = layout("ProfileInputs", "allowed", "profile_j")


@njit(cache=True)
def profile_demand(p, s, x, code, mine, t, home, dt_s, out):
    """A profile load asks for its block's demand of the tick [J]."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = int(x[i, PROFILE_INPUTS.profile_j, t])


@njit(cache=True)
def profile_advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """Nothing carries over: an unserved TV is simply off."""


PROFILE = Behaviour("profile", __name__, "profile_demand", "profile_advance",
                    PROFILE_PARAMS, PROFILE_STATE, PROFILE_INPUTS, exogenous=True)


class ProfileLoad(LoadConfig):
    """A load whose demand is a function of time alone (:meth:`power`)."""

    BEHAVIOUR: ClassVar[Behaviour] = PROFILE

    def power(self, days: LocalDays) -> Steps:
        """Power over time [W]."""
        return Steps.empty()

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        power = self.power(block.local_days)
        if gate is not None:
            power = power * gate
        profile_w = power.per_tick(block.relative_bounds) / block.dt_s
        return {"profile_j": joules(profile_w, block.dt_s)}


# --- thermostat -----------------------------------------------------------------------------

THERMOSTAT_PARAMS = layout(
    "ThermostatParams",
    "power_w",  # electric power while on [W]
    "heat_per_j",  # heat into the mass per Joule served (+ heats, - cools: -COP) [J/J]
    "capacity_j_per_k",  # heat capacity of the mass [J/K]
    "loss_w_per_k",  # heat loss coefficient to ambient [W/K]
    "setpoint_c",  # thermostat set point [°C]
    "hysteresis_k",  # thermostat dead band [K]
    "ambient_c",  # surroundings [°C]
    "inlet_c",  # temperature of water replacing drawn water [°C]
    "volume_l",  # water volume [L] (0 when the mass is not water)
    "decay",  # the mass's relaxation towards ambient over one tick, exp(-loss_w_per_k dt / capacity_j_per_k) [0..1]
)
THERMOSTAT_STATE = layout("ThermostatState", "temp_c", "calling")
#: ``draw_l``: hot water drawn in the tick [L].
THERMOSTAT_INPUTS = layout("ThermostatInputs", "allowed", "draw_l")

P = THERMOSTAT_PARAMS
S = THERMOSTAT_STATE


@njit(cache=True)
def thermostat_demand(p, s, x, code, mine, t, home, dt_s, out):
    """The element's (compressor's) power for the share of the tick it may run, while the
    thermostat calls [J]."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = 0
        if thermostat_calls(s[i, S.temp_c], p[i, P.setpoint_c], p[i, P.hysteresis_k], s[i, S.calling] > 0.0,
                            p[i, P.heat_per_j] >= 0.0):
            out[i] = nearest_j(p[i, P.power_w] * dt_s * x[i, ALLOWED, t])


@njit(cache=True)
def thermostat_advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """The mass relaxes exactly (exponentially) towards ambient, gains the served energy times
    ``heat_per_j``, then drawn water is replaced by inlet water; the thermostat remembers
    whether it called."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        temp = s[i, S.temp_c]
        if asked[i] > 0:
            s[i, S.calling] = 1.0
        else:
            calling = thermostat_calls(temp, p[i, P.setpoint_c], p[i, P.hysteresis_k], s[i, S.calling] > 0.0,
                                       p[i, P.heat_per_j] >= 0.0)
            s[i, S.calling] = 1.0 if calling else 0.0
        capacity = p[i, P.capacity_j_per_k]
        ambient = p[i, P.ambient_c]
        temp = ambient + (temp - ambient) * p[i, P.decay] + served[i] * p[i, P.heat_per_j] / capacity
        volume = p[i, P.volume_l]
        drawn = x[i, THERMOSTAT_INPUTS.draw_l, t]
        if volume > 0.0 and drawn > 0.0:
            temp = temp - min(drawn / volume, 1.0) * (temp - p[i, P.inlet_c])
        s[i, S.temp_c] = temp


THERMOSTAT = Behaviour("thermostat", __name__, "thermostat_demand", "thermostat_advance",
                       THERMOSTAT_PARAMS, THERMOSTAT_STATE, THERMOSTAT_INPUTS)


class ThermostatLoad(LoadConfig):
    """A thermal mass on a thermostat: the kind gives :meth:`parameters` (the names of
    :data:`THERMOSTAT_PARAMS`), its starting temperature and, for water, :meth:`draw`."""

    BEHAVIOUR: ClassVar[Behaviour] = THERMOSTAT

    def step_parameters(self, dt_s: int) -> dict[str, float]:
        """The mass's relaxation over a tick (``decay``), the same number the kernel computed every
        tick before (an exponential a tick cost about a fifth of a year's dispatch)."""
        parameters = self.parameters()
        return {"decay": math.exp(-float(parameters["loss_w_per_k"]) * dt_s / float(parameters["capacity_j_per_k"]))}

    def start_temp_c(self) -> float:
        """Temperature of the mass at the start [°C]."""
        raise NotImplementedError

    def initial_values(self) -> dict[str, float]:
        return {"temp_c": self.start_temp_c(), "calling": 0.0}

    def draw(self, days: LocalDays) -> Steps:
        """Hot water drawn over time [L/s]."""
        return Steps.empty()

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        return {"draw_l": self.draw(block.local_days).per_tick(block.relative_bounds)}


def thermostat(*, power_w: float, heat_per_j: float, capacity_j_per_k: float, loss_w_per_k: float,
               setpoint_c: float, hysteresis_k: float, ambient_c: float, inlet_c: float = 0.0,
               volume_l: float = 0.0) -> dict[str, Any]:
    """A thermostat's parameters by name (units as :data:`THERMOSTAT_PARAMS` says)."""
    return {"power_w": power_w, "heat_per_j": heat_per_j, "capacity_j_per_k": capacity_j_per_k,
            "loss_w_per_k": loss_w_per_k, "setpoint_c": setpoint_c, "hysteresis_k": hysteresis_k,
            "ambient_c": ambient_c, "inlet_c": inlet_c, "volume_l": volume_l}
