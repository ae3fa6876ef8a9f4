"""Pool pump: runs its hours every day inside a daily window, on PV surplus when there is some,
and at the latest so that the hours are done by the deadline.

Each day the pump must run ``hours_per_day`` between ``earliest`` and ``deadline`` (local
time). It runs whenever the PV beyond the home's other loads (and the battery's charge: the
settlement's AC PV surplus, plus its own draw) covers ``surplus_share`` of its power (read from
the previous settlement, as a smart pump controller reads its meter), and
otherwise waits, until waiting any longer would leave too little time before the deadline:
then it runs regardless (from the battery or the grid). Time it could not run (unserved,
e.g. off in an outage) counts against the day: a day that ends short is reported, the
ledger's ``short.<id>`` holding the energy its missing hours would have taken, and
summary.json's ``deadlines.<id>`` one row per day.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from homesim.jit import njit
from pydantic import Field, model_validator

from homesim.devices.base import (SECONDS_PER_DAY, WEEKDAYS, Block, Deadlines, LoadConfig, Ratio, TimeOfDay, field_error,
                                  seconds_of_day)
from homesim.devices.base import Weekday
from homesim.devices.deadline import activity_deadlines, count_into, counted, daily_windows, spread, tick_windows
from homesim.devices.kernel import ALLOWED, Behaviour, layout, nearest_j
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity

P = layout("PoolPumpParams",
           "power_w",  # the pump's power while it runs [W]
           "run_s",  # what it must run in a day [s]
           "surplus_share")  # it runs early when PV beyond the other loads covers this share of its power
S = layout("PoolPumpState",
           "day",  # the day being counted (its window's start, seconds since 1970 UTC; 0: none)
           "ran_s",  # what it ran in that day so far [s]
           "last_w")  # what it drew in the last tick [W]
X = layout("PoolPumpInputs",
           "allowed",  # share of the tick inside the day's window [0..1]
           "day",  # the tick's day (its window's start, seconds since 1970 UTC; 0: none)
           "left_s")  # from the tick's start to the deadline [s]


@njit(cache=True)
def demand(p, s, x, code, mine, t, home, dt_s, out):
    """What each pump asks for this tick [J]: its power for as much of the tick as it may and
    still needs to run, when PV covers it or the deadline can't wait."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = 0
        day = x[i, X.day, t]
        if day <= 0.0:
            continue
        ran = counted(s, i, S.day, S.ran_s, day)
        need = p[i, P.run_s] - ran
        if need <= 0.0:
            continue
        inside = x[i, ALLOWED, t] * dt_s
        # Waiting past this tick leaves left_s - inside seconds: too few, and it must run now.
        must = need > x[i, X.left_s, t] - inside
        # What PV could give it as AC beyond the other loads: the last PV surplus plus its own draw.
        spare = home.pv_surplus_w + s[i, S.last_w]
        if must or spare >= p[i, P.surplus_share] * p[i, P.power_w]:
            out[i] = nearest_j(p[i, P.power_w] * min(inside, need))


@njit(cache=True)
def advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """A pump counts the seconds it ran (what it was served, at its power) into the tick's day."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        count_into(s, i, S.day, S.ran_s, x[i, X.day, t], served[i] / p[i, P.power_w])
        s[i, S.last_w] = served[i] / dt_s


BEHAVIOUR = Behaviour("pool_pump", __name__, "demand", "advance", P, S, X)


class Config(LoadConfig):
    """A pool pump with a daily run time and a deadline."""

    BEHAVIOUR: ClassVar[Behaviour] = BEHAVIOUR
    LABEL: ClassVar[str] = "Pool pump"
    ICON: ClassVar[str] = "\N{SWIMMER}"
    PALETTE_ORDER: ClassVar[int | None] = 75
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "the pool can wait for the grid: in an outage the pump would drain the battery"
    ACTIVITY: ClassVar[str] = "day"

    kind: Literal["pool_pump"] = "pool_pump"
    power_w: Annotated[float, quantity("W", gt=0.0, le=10_000.0, title="Pump power",
                                            description="while it runs")] = 750.0
    hours_per_day: Annotated[float, quantity("h", gt=0.0, le=24.0, title="Hours a day",
                                                  description="how long it must run each day")] = 6.0
    earliest: Annotated[TimeOfDay, Field(title="Not before",
                                         description="it runs from this time of day on, local [HH:MM]")] = "07:00"
    deadline: Annotated[TimeOfDay, Field(
        title="Done by", description="its hours must be done by this time, local [HH:MM]; "
        "before 'earliest': the next day")] = "18:00"
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1, title="Days", description="the days it runs")
    surplus_share: Annotated[Ratio, quantity("0..1",
        title="Solar share to start early",
        description="it runs before it must when PV beyond the other loads covers this share of its power; "
        "0: it runs from 'earliest' on")] = 1.0

    @model_validator(mode="after")
    def _fits(self) -> "Config":
        window = (seconds_of_day(self.deadline) - seconds_of_day(self.earliest)) % SECONDS_PER_DAY
        if window == 0:
            raise field_error("deadline", self.deadline, f"equals earliest {self.earliest!r}: the window would be empty")
        if self.hours_per_day * 3600 > window:
            raise field_error("hours_per_day", self.hours_per_day,
                              f"must fit between {self.earliest} and {self.deadline} ({window / 3600:g} h)")
        return self

    def parameters(self) -> dict[str, float]:
        return {"power_w": self.power_w, "run_s": self.hours_per_day * 3600.0, "surplus_share": self.surplus_share}

    def initial_values(self) -> dict[str, float]:
        return {"day": 0.0, "ran_s": 0.0, "last_w": 0.0}

    def windows(self, days: LocalDays) -> tuple[np.ndarray, np.ndarray]:
        """Each day's window in ``days``: its start and its deadline (relative to the days'
        origin [s], sorted)."""
        return daily_windows(days, self.earliest, self.deadline, self.days)

    def usage(self, days: LocalDays) -> Steps:
        start, end = self.windows(days)
        return Steps.from_intervals(start, end, union=True)

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        """Each tick's day (the window it lies in; a tick holding two windows' parts belongs to
        the earlier one) and the seconds from its start to that day's deadline."""
        start, end = self.windows(block.local_days)
        which = tick_windows(block.relative_bounds, start, end)
        left = np.where(which >= 0, np.maximum(spread(which, end) - block.relative_bounds[:-1], 0.0), 0.0)
        return {"day": spread(which, block.local_days.origin + start), "left_s": left}

    def deadlines(self, inputs: np.ndarray, served_j: np.ndarray, unix_s: np.ndarray, dt_s: int) -> Deadlines:
        """Each day seen in the run: the energy of its hours (wanted), what it ran (delivered),
        and what was missing at its deadline. A day still open when the run ends is listed with
        ``ended`` false and is not counted short."""
        wanted = int(round(self.power_w * self.hours_per_day * 3600.0))
        found = activity_deadlines(inputs[X.day], wanted, served_j, unix_s, dt_s)
        for row in found.rows:
            row["hours_run"] = round(row["delivered_j"] / self.power_w / 3600.0, 4)
        return found
