"""How loads behave per tick: the compiled kernels shared by every load kind.

A load kind (oven, geyser, fridge, TV...) compiles its config into one of two behaviours:

profile
    Demand is exogenous: a power per tick computed for a whole block (TV, lights, kettle,
    a measured profile). Being unserved changes nothing later.
thermostat
    A first-order thermal mass with a hysteresis thermostat (geyser, oven, fridge). Demand
    is the element (or compressor) power while the thermostat calls; what was actually
    served heats (or cools) the mass, so an unserved geyser really does go cold.

Both runtimes call these same compiled functions: the fast-forward engine in its loop, a
live device service once per tick. Parameters are a float64 vector indexed by the ``P_*``
constants, state a float64 vector indexed by ``S_*``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

PROFILE = 0
THERMOSTAT = 1

# Parameter vector layout.
P_POWER_W = 0  # electric power while on [W]
P_HEAT_PER_J = 1  # heat put into the mass per Joule served (+ heats, - cools, e.g. -COP) [J/J]
P_CAPACITY_J_PER_K = 2  # heat capacity of the mass [J/K]
P_LOSS_W_PER_K = 3  # heat loss coefficient to ambient [W/K]
P_SETPOINT_C = 4  # thermostat set point [degrees C]
P_HYSTERESIS_K = 5  # thermostat dead band [K]
P_AMBIENT_C = 6  # surroundings [degrees C]
P_INLET_C = 7  # temperature of water replacing drawn water [degrees C]
P_VOLUME_L = 8  # water volume [L] (0 when the mass is not water)
P_NEEDS_GRID = 9  # 1: only while the grid is on
P_MIN_SOC = 10  # only while battery SoC >= this (-1: no condition)
P_MIN_SURPLUS_W = 11  # only while PV surplus >= this [W] (-1: no condition)
N_PARAMS = 12

# State vector layout.
S_TEMP_C = 0  # temperature of the mass [degrees C]
S_CALLING = 1  # 1 while the thermostat calls for power
N_STATE = 2


def new_params() -> np.ndarray:
    """A parameter vector with no conditions set."""
    params = np.zeros(N_PARAMS, dtype=np.float64)
    params[P_MIN_SOC] = -1.0
    params[P_MIN_SURPLUS_W] = -1.0
    return params


@njit(cache=True)
def thermostat_calls(heating, setpoint_c, hysteresis_k, temp_c, calling):
    """Whether a thermostat calls for power at ``temp_c`` given it called before (bool).

    Heating: switches on at or below set point minus the dead band, off at or above the set
    point. Cooling: on at or above set point plus the dead band, off at or below the set point.
    Scalars only: a kernel taking no arrays compiles into its caller without reference counting.
    """
    if heating:
        if temp_c <= setpoint_c - hysteresis_k:
            return True
        if temp_c >= setpoint_c:
            return False
        return calling
    if temp_c >= setpoint_c + hysteresis_k:
        return True
    if temp_c <= setpoint_c:
        return False
    return calling


@njit(cache=True)
def load_demand(behaviour, params, state, i, allowed, profile_j, grid_on_prev, soc_prev, surplus_w_prev, dt_s):
    """Energy the load asks for this tick [J] (integer, >= 0).

    Parameters
    ----------
    behaviour : int
        ``PROFILE`` or ``THERMOSTAT``.
    params, state : ndarray
        Parameter and state tables; the load is row ``i``.
    i : int
    allowed : bool
        Inside the load's timers/usage windows and enabled.
    profile_j : int
        Demand of a profile load this tick [J].
    grid_on_prev : bool
        Grid state in the previous settlement.
    soc_prev : float
        Battery state of charge at the start of the tick [0..1].
    surplus_w_prev : float
        PV power not used by loads in the previous settlement [W].
    dt_s : int
        Tick length [s].
    """
    if not allowed:
        return 0
    if params[i, P_NEEDS_GRID] > 0.0 and not grid_on_prev:
        return 0
    if params[i, P_MIN_SOC] >= 0.0 and soc_prev < params[i, P_MIN_SOC]:
        return 0
    if params[i, P_MIN_SURPLUS_W] >= 0.0 and surplus_w_prev < params[i, P_MIN_SURPLUS_W]:
        return 0
    if behaviour == PROFILE:
        return profile_j
    if thermostat_calls(params[i, P_HEAT_PER_J] >= 0.0, params[i, P_SETPOINT_C], params[i, P_HYSTERESIS_K],
                        state[i, S_TEMP_C], state[i, S_CALLING] > 0.0):
        return np.int64(math.floor(params[i, P_POWER_W] * dt_s + 0.5))
    return 0


@njit(cache=True)
def load_advance(behaviour, params, state, i, demand_j, served_j, draw_l, dt_s):
    """Advance the load's state over the tick given what was served (in place).

    The thermal mass relaxes exactly (exponentially) towards ambient, gains the served
    energy times ``P_HEAT_PER_J``, then drawn water is replaced by inlet water.

    Parameters
    ----------
    demand_j, served_j : int
        Energy asked for and energy served this tick [J].
    draw_l : float
        Hot water drawn this tick [L].
    """
    if behaviour != THERMOSTAT:
        return
    temp = state[i, S_TEMP_C]
    if demand_j > 0:
        state[i, S_CALLING] = 1.0
    else:
        calls = thermostat_calls(params[i, P_HEAT_PER_J] >= 0.0, params[i, P_SETPOINT_C], params[i, P_HYSTERESIS_K],
                                 temp, state[i, S_CALLING] > 0.0)
        state[i, S_CALLING] = 1.0 if calls else 0.0
    capacity = params[i, P_CAPACITY_J_PER_K]
    ambient = params[i, P_AMBIENT_C]
    decay = math.exp(-params[i, P_LOSS_W_PER_K] * dt_s / capacity)
    temp = ambient + (temp - ambient) * decay + served_j * params[i, P_HEAT_PER_J] / capacity
    volume = params[i, P_VOLUME_L]
    if volume > 0.0 and draw_l > 0.0:
        fraction = min(draw_l / volume, 1.0)
        temp = temp - fraction * (temp - params[i, P_INLET_C])
    state[i, S_TEMP_C] = temp
