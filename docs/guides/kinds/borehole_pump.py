"""Borehole pump: lifts water into a storage tank, started by a float switch when the tank runs
low and stopped when it is full; the house draws from the tank.

The pump moves ``flow_l_per_min`` while it runs at ``power_w``; a run it is not served (in an
outage, on the non-essential circuit) moves no water, so the tank can run dry. The tank's level
is the kind's own state, the water drawn each tick its own input.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from homesim.jit import njit

from homesim.devices import schedule
from homesim.devices.base import Block, LoadConfig, Ratio
from homesim.devices.kernel import ALLOWED, Behaviour, layout, nearest_j, thermostat_calls
from homesim.devices.schedule import Steps
from homesim.units import quantity

# --- the behaviour: its parts by name, and its two kernels ------------------------------------

P = layout("BoreholeParams",
           "power_w",  # the pump's power while it runs [W]
           "flow_l_s",  # water it moves while it runs [L/s]
           "tank_l",  # the tank [L]
           "start_l")  # the float switch starts the pump at this level [L]
S = layout("BoreholeState",
           "level_l",  # water in the tank [L]
           "running")  # 1 while the float switch calls for water
X = layout("BoreholeInputs",
           "allowed",  # share of the tick it may run (its smart switch's timers) [0..1]
           "use_l")  # water the house draws from the tank in the tick [L]


@njit(cache=True)
def demand(p, s, x, code, mine, t, home, dt_s, out):
    """While the float switch calls: the pump's power for the share of the tick it may run, and
    no longer than the tank takes to fill [J]."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = 0
        level = s[i, S.level_l]
        # the float switch is a thermostat turned to water: on at or below start_l, off when full
        if thermostat_calls(level, p[i, P.tank_l], p[i, P.tank_l] - p[i, P.start_l], s[i, S.running] > 0.0, True):
            to_fill_s = (p[i, P.tank_l] - level + x[i, X.use_l, t]) / p[i, P.flow_l_s]
            out[i] = nearest_j(p[i, P.power_w] * min(dt_s * x[i, ALLOWED, t], to_fill_s))


@njit(cache=True)
def advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """The tank gains what the pump moved (the seconds it was served) and loses what was drawn."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        level = s[i, S.level_l]
        calling = asked[i] > 0 or thermostat_calls(level, p[i, P.tank_l], p[i, P.tank_l] - p[i, P.start_l],
                                                   s[i, S.running] > 0.0, True)
        s[i, S.running] = 1.0 if calling else 0.0  # the float stays up outside the pump's timers
        pumped = served[i] / p[i, P.power_w] * p[i, P.flow_l_s]
        s[i, S.level_l] = min(p[i, P.tank_l], max(0.0, level + pumped - x[i, X.use_l, t]))


BEHAVIOUR = Behaviour("borehole_pump", __name__, "demand", "advance", P, S, X)


# --- the kind: its fields, what the rest of homesim needs to know, and how it fills its parts ----

class Config(LoadConfig):
    """A borehole pump filling a water tank on a float switch."""

    BEHAVIOUR: ClassVar[Behaviour] = BEHAVIOUR
    LABEL: ClassVar[str] = "Borehole pump"
    ICON: ClassVar[str] = "\N{DROPLET}"
    PALETTE_ORDER: ClassVar[int | None] = 78
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a full tank carries the house through an outage"

    kind: Literal["borehole_pump"] = "borehole_pump"
    power_w: Annotated[float, quantity("W", gt=0.0, le=10_000.0, title="Pump power",
                                            description="while it runs")] = 1100.0
    flow_l_per_min: Annotated[float, quantity("L/min", gt=0.0, le=1000.0, title="Flow",
                                                       description="water it moves while it runs")] = 40.0
    tank_l: Annotated[float, quantity("L", gt=0.0, le=100_000.0, title="Tank size", description="the tank")] = 5000.0
    start_at: Annotated[Ratio, quantity("0..1", lt=1.0, title="Starts at",
                                                description="the float switch starts the pump at this share of the tank")] = 0.6
    use_l_per_day: Annotated[float, quantity("L/day", ge=0.0, le=50_000.0, title="Water per day",
                                                      description="what the house draws from the tank in a day")] = 1200.0
    initial_level: Annotated[Ratio, quantity("0..1", title="Level at the start",
                                                     description="the tank's level when the simulation starts")] = 1.0

    def parameters(self) -> dict[str, float]:
        return {"power_w": self.power_w, "flow_l_s": self.flow_l_per_min / 60.0, "tank_l": self.tank_l,
                "start_l": self.start_at * self.tank_l}

    def initial_values(self) -> dict[str, float]:
        return {"level_l": self.initial_level * self.tank_l, "running": 0.0}

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        """The water drawn: the day's use spread from 06:00 to 22:00, integrated over each tick."""
        days = block.local_days
        use = schedule.daily(days, [0, 6 * 3600, 22 * 3600], [0.0, self.use_l_per_day / (16 * 3600.0), 0.0])
        return {"use_l": use.per_tick(block.relative_bounds)}
