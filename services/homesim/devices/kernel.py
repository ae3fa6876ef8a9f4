"""How a load kind's kernel is described: its parts by name, and the conditions it may read.

A load kind steps with a *behaviour*: a pair of kernels and the names of what they use.

parameters
    Fixed for a run (a thermostat's set point, a charger's power) [SI units, float64]; those
    that follow from others and the step are computed once a run
    (``LoadConfig.step_parameters``: a thermostat's relaxation over a tick), not every tick.
state
    Carried from tick to tick (a tank's temperature, a car's energy still wanted) [float64].
inputs
    Known in advance for every tick of a block, computed by the kind from the calendar and
    the environment (the share of a tick the load may run, a kettle's demand, the air
    temperature) [float64, one row per name]. Input 0 is always ``allowed``: the share of the
    tick inside the load's timers and its own usage windows [0..1].
home
    What the load may read of the whole home at the start of a tick, from the previous
    settlement (:class:`Home`): whether the grid was on, the battery's state of charge, the PV
    surplus (the AC power PV could have given the loads beyond what charged the battery, after
    the inverter's losses and within its rating, less what they drew: negative when they drew
    more), the PV power
    available (DC) and the power all loads were served [W].

Each of parameters, state and inputs is a :func:`layout`: a named tuple of indices, so a
kernel reads ``s[i, S.temp_c]`` and a kind fills its vectors by name
(``S.vector(temp_c=60.0, calling=0.0)``). A new state field or input of one kind touches that
kind alone: the engine keeps every load's rows in tables as wide as the widest kind needs.

The kernels (plain Python over numpy, compiled by :func:`homesim.jit.njit` in the engine) step
every load of their behaviour in a tick at once (one call per behaviour and tick: a compiled
call per load and tick would cost more than most loads' arithmetic)::

    demand(p, s, x, code, mine, t, home, dt_s, out)          out[i]: what load i asks for [J], >= 0
    advance(p, s, x, code, mine, t, asked, served, home, dt_s)   each load's state after the tick

A behaviour declared with ``pv_only=True`` (a PV-surplus charger) takes one more argument,
``demand(..., out, pv_only)``: ``pv_only[i]`` is the part of ``out[i]`` that may be served only
from PV [J] (the inverter serves it after the other loads from the PV it can still convert,
never from the battery or the grid; see ``homesim.devices.inverter.settle``).

for every load ``i`` of the home with ``code[i] == mine`` (the behaviour's own code; loop
``for i in range(code.shape[0]): if code[i] != mine: continue``). ``p`` and ``s`` are the
parameter and state tables (load ``i``'s row: ``p[i, P.setpoint_c]``), ``x`` the input table
(``x[i, X.draw_l, t]``), ``home`` a :class:`Home`, ``asked`` and ``served`` what each load asked
for and was served [J]. ``demand`` must not change ``s`` (the live runtime asks before the
settlement and advances after it); it may ask outside the load's windows or while its switch
is off: the engine zeroes those. Neither allocates (no ``np.zeros``, no new array): they are
inlined into the engine's loop, compiled without reference counting
(:func:`homesim.engine.core._run_block`). Decorate both with ``@njit(cache=True)``; the
engine's loops over a home's behaviours are generated (:mod:`homesim.engine.dispatch`).
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from homesim.jit import njit


class Layout(tuple):
    """Names and their indices (a named tuple of ints: ``L.temp_c == 0``); see :func:`layout`."""

    names: tuple[str, ...]

    def vector(self, **values: float) -> np.ndarray:
        """A float64 vector with every name given a value; refuses missing or unknown names."""
        missing = [n for n in self.names if n not in values]
        unknown = [n for n in values if n not in self.names]
        if missing or unknown:
            raise ValueError(f"layout {self.names}: missing {missing}, unknown {unknown}")
        return np.array([float(values[n]) for n in self.names], dtype=np.float64)

    def table(self, rows: dict[str, np.ndarray], ticks: int) -> np.ndarray:
        """A ``[len(names), ticks]`` float64 table of per-tick rows given by name."""
        missing = [n for n in self.names if n not in rows]
        unknown = [n for n in rows if n not in self.names]
        if missing or unknown:
            raise ValueError(f"layout {self.names}: missing {missing}, unknown {unknown}")
        out = np.empty((len(self.names), ticks), dtype=np.float64)  # every row written below
        for i, name in enumerate(self.names):
            out[i] = rows[name]
        return out

    def named(self, vector: np.ndarray) -> dict[str, float]:
        """``{name: value}`` of a vector in this layout (its first ``len(names)`` entries)."""
        return {name: float(vector[i]) for i, name in enumerate(self.names)}


def layout(name: str, *names: str) -> Any:
    """A :class:`Layout` named ``name`` with ``names`` at indices 0, 1, ...

    The result is a named-tuple instance of ints, which compiled kernels read as constants.
    """
    if len(set(names)) != len(names):
        raise ValueError(f"layout {name}: repeated names in {names}")
    base = collections.namedtuple(name, names) if names else collections.namedtuple(name, [])
    cls = type(name, (base, Layout), {"names": tuple(names), "__slots__": ()})
    return cls(*range(len(names)))


class Home(NamedTuple):
    """What every load may read of the home at the start of a tick (the previous settlement's).
    A named tuple, passed by value: kernels read ``home.soc``."""

    grid_on: bool  # the grid was on
    soc: float  # the battery's state of charge at the tick's start [0..1] (0: no battery)
    pv_surplus_w: float  # AC power PV could have given the loads beyond the battery's charge, less what they drew [W]
    pv_w: float  # PV power available, DC [W]
    load_w: float  # power served to all loads [W]

#: The smart switch in front of every load (``homesim.devices.base.Switch``), compiled:
#: needs the grid (1/0), the lowest battery SoC (-1: any), the least PV surplus [W] (-1: any).
SWITCH = layout("Switch", "needs_grid", "min_soc", "min_surplus_w")

#: Index of the ``allowed`` input, first of every load's inputs.
ALLOWED = 0


@dataclass(frozen=True)
class Behaviour:
    """A load's kernels and the names of their parts.

    Attributes
    ----------
    name : str
        Unique among behaviours; the engine's generated dispatcher calls it by this name.
    module : str
        The module holding the kernels (``homesim.devices.<kind>`` or ``homesim.devices.behaviour``).
    demand, advance : str
        Names of the two kernels in ``module`` (see this module's docstring).
    params, state, inputs : Layout
        Their parts; ``inputs`` starts with ``allowed``.
    pv_only : bool
        Its demand kernel also fills the PV-only part of its demand (an extra last argument,
        ``pv_only``). Default False.
    exogenous : bool
        Its demand reads only its inputs (not its state, not the home) and its advance keeps
        nothing: a load of it without smart-switch conditions runs ahead on the live bus
        (``LoadConfig.runs_ahead``). Default False.
    """

    name: str
    module: str
    demand: str
    advance: str
    params: Layout
    state: Layout
    inputs: Layout
    exogenous: bool = False
    pv_only: bool = False

    def __post_init__(self) -> None:
        if not self.inputs.names or self.inputs.names[0] != "allowed":
            raise ValueError(f"behaviour {self.name}: its first input must be 'allowed', not {self.inputs.names[:1]}")


@njit(cache=True, inline="always")
def switch_allows(switch, i, home):
    """Whether load ``i``'s smart switch (row ``i`` of a :data:`SWITCH` table) lets it run, from
    the previous settlement (:class:`Home`)."""
    if switch[i, SWITCH.needs_grid] > 0.0 and not home.grid_on:
        return False
    if switch[i, SWITCH.min_soc] >= 0.0 and home.soc < switch[i, SWITCH.min_soc]:
        return False
    if switch[i, SWITCH.min_surplus_w] >= 0.0 and home.pv_surplus_w < switch[i, SWITCH.min_surplus_w]:
        return False
    return True


@njit(cache=True, inline="always")
def thermostat_calls(temp_c, setpoint_c, band_k, was_calling, heating):
    """A hysteresis thermostat: heating switches on at or below ``setpoint - band`` and off at or
    above the set point; cooling on at or above ``setpoint + band``, off at or below it [°C, K]."""
    if heating:
        return temp_c <= setpoint_c - band_k or (was_calling and temp_c < setpoint_c)
    return temp_c >= setpoint_c + band_k or (was_calling and temp_c > setpoint_c)


@njit(cache=True, inline="always")
def nearest_j(energy_j):
    """An energy rounded to the nearest Joule, half a Joule up [J] (a kernel's one rounding
    into the ledger's integers, as :func:`homesim.devices.base.joules` is the blocks')."""
    return math.floor(energy_j + 0.5)
