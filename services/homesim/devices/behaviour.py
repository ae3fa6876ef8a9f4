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
from homesim.jit import njit

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


def set_thermostat(params: np.ndarray, *, power_w: float, heat_per_j: float, capacity_j_per_k: float,
                   loss_w_per_k: float, setpoint_c: float, hysteresis_k: float, ambient_c: float,
                   inlet_c: float = 0.0, volume_l: float = 0.0) -> None:
    """Fill a parameter vector's thermostat entries (units as the ``P_*`` constants say)."""
    params[P_POWER_W] = power_w
    params[P_HEAT_PER_J] = heat_per_j
    params[P_CAPACITY_J_PER_K] = capacity_j_per_k
    params[P_LOSS_W_PER_K] = loss_w_per_k
    params[P_SETPOINT_C] = setpoint_c
    params[P_HYSTERESIS_K] = hysteresis_k
    params[P_AMBIENT_C] = ambient_c
    params[P_INLET_C] = inlet_c
    params[P_VOLUME_L] = volume_l


@njit(cache=True)
def loads_demand(behaviours, params, state, allowed, profile_j, t, grid_on_prev, soc_prev, surplus_w_prev, dt_s,
                 demand):
    """Energy each load asks for in tick ``t`` [J] (integer, >= 0), into ``demand``.

    Parameters
    ----------
    behaviours : ndarray of int64
        ``PROFILE`` or ``THERMOSTAT`` per load.
    params, state : ndarray
        Parameter and state tables, a row per load.
    allowed : ndarray of float64, [n_loads, n_ticks]
        Share of the tick inside the load's timers/usage windows [0..1] (0 when disabled): a
        thermostat's element runs at most that share of the tick.
    profile_j : ndarray of int64, [n_loads, n_ticks]
        Demand of profile loads [J].
    t : int
        Column of ``allowed`` and ``profile_j`` for this tick.
    grid_on_prev : bool
        Grid state in the previous settlement.
    soc_prev : float
        Battery state of charge at the start of the tick [0..1].
    surplus_w_prev : float
        PV power not used by loads in the previous settlement [W].
    dt_s : int
        Tick length [s].
    demand : ndarray of int64
        Filled in [J].

    Notes
    -----
    Whole tables, with the per-load logic written inline rather than in helper kernels: a
    compiled call per load per tick costs more than the load's own arithmetic.
    """
    for i in range(behaviours.shape[0]):
        demand[i] = 0
        share = allowed[i, t]
        if share <= 0.0:
            continue
        if params[i, P_NEEDS_GRID] > 0.0 and not grid_on_prev:
            continue
        if params[i, P_MIN_SOC] >= 0.0 and soc_prev < params[i, P_MIN_SOC]:
            continue
        if params[i, P_MIN_SURPLUS_W] >= 0.0 and surplus_w_prev < params[i, P_MIN_SURPLUS_W]:
            continue
        if behaviours[i] == PROFILE:
            demand[i] = profile_j[i, t]
            continue
        # Thermostat: heating switches on at or below set point minus the dead band and off at
        # or above the set point; cooling on at or above set point plus the band, off at or below.
        temp = state[i, S_TEMP_C]
        setpoint = params[i, P_SETPOINT_C]
        band = params[i, P_HYSTERESIS_K]
        calling = state[i, S_CALLING] > 0.0
        if params[i, P_HEAT_PER_J] >= 0.0:
            calling = temp <= setpoint - band or (calling and temp < setpoint)
        else:
            calling = temp >= setpoint + band or (calling and temp > setpoint)
        if calling:
            demand[i] = math.floor(params[i, P_POWER_W] * dt_s * share + 0.5)


@njit(cache=True)
def loads_advance(behaviours, params, state, demand, served, draw_l, t, dt_s):
    """Advance every load's state over tick ``t`` given what was served (in place).

    A thermostat's mass relaxes exactly (exponentially) towards ambient, gains the served
    energy times ``P_HEAT_PER_J``, then drawn water is replaced by inlet water; it remembers
    whether it called for power.

    Parameters
    ----------
    demand, served : ndarray of int64
        Energy asked for and served this tick [J].
    draw_l : ndarray of float64, [n_loads, n_ticks]
        Hot water drawn [L].
    """
    for i in range(behaviours.shape[0]):
        if behaviours[i] != THERMOSTAT:
            continue
        temp = state[i, S_TEMP_C]
        if demand[i] > 0:
            state[i, S_CALLING] = 1.0
        else:
            setpoint = params[i, P_SETPOINT_C]
            band = params[i, P_HYSTERESIS_K]
            calling = state[i, S_CALLING] > 0.0
            if params[i, P_HEAT_PER_J] >= 0.0:
                calling = temp <= setpoint - band or (calling and temp < setpoint)
            else:
                calling = temp >= setpoint + band or (calling and temp > setpoint)
            state[i, S_CALLING] = 1.0 if calling else 0.0
        capacity = params[i, P_CAPACITY_J_PER_K]
        ambient = params[i, P_AMBIENT_C]
        decay = math.exp(-params[i, P_LOSS_W_PER_K] * dt_s / capacity)
        temp = ambient + (temp - ambient) * decay + served[i] * params[i, P_HEAT_PER_J] / capacity
        volume = params[i, P_VOLUME_L]
        drawn = draw_l[i, t]
        if volume > 0.0 and drawn > 0.0:
            temp = temp - min(drawn / volume, 1.0) * (temp - params[i, P_INLET_C])
        state[i, S_TEMP_C] = temp
