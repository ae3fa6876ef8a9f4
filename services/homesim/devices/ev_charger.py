"""EV charger: a wallbox that charges a car in its charging sessions, by a charging mode.

A session is a car plugged in from its arrival to its departure (local times, on weekdays),
wanting an amount of energy: given as kWh, or as the car battery's size with its state of
charge on arrival and the one wanted at departure. The energy the home delivers is what the
car's battery takes divided by the charging efficiency (the wallbox and the car's charger).

Charging modes (the ones real wallboxes offer: Zappi, Wallbox, openWB, evcc):

``immediate``
    at the charger's full power from arrival until the session's energy is in;
``timed``
    at full power, but only inside ``charge_windows`` (an off-peak window);
``pv_surplus``
    only from PV beyond the home's other loads, and only when that is at least the car's
    lowest charging power (a car charges at 6 A or more: about 1.4 kW on one phase);
``pv_surplus_min_rate``
    from PV beyond the other loads, but never below ``min_rate_w`` (the rest from the
    battery or the grid), so the car is charged by departure on a cloudy day too.

In every mode ``stop_below_battery_soc`` stops charging while the home battery is below it,
keeping the battery for the house. PV "beyond the other loads" is read from the previous
settlement, as a wallbox reads its meter: the PV surplus (the AC power PV could have given
the loads beyond what charged the home battery, after the inverter's losses, within its
rating, less what the loads drew) plus what the charger itself drew [W]. The surplus part of
the charger's demand is served only from PV (``pv_only``: the inverter serves it from the PV
the other loads and the battery left, what would be exported or curtailed, never from the
battery or the grid), so a ``pv_surplus`` car takes no grid or battery energy, not even when
a cloud comes between two ticks (it charges less that tick instead), and leaves the home
battery's charging alone.

Energy not delivered by a session's departure is reported per session: the ledger's
``short.<id>`` at the session's last tick, and summary.json's ``deadlines.<id>``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from homesim.jit import njit
from pydantic import BaseModel, ConfigDict, Field, model_validator

from homesim.devices.base import (J_PER_KWH, SECONDS_PER_DAY, WEEKDAYS, Block, Deadlines, LoadConfig, Ratio, TimeOfDay,
                                  Window, field_error, seconds_of_day, windows_steps)
from homesim.devices.base import Weekday
from homesim.devices.deadline import activity_deadlines, count_into, counted, daily_windows, spread, tick_windows
from homesim.devices.kernel import ALLOWED, Behaviour, layout, nearest_j
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity

FULL = 0
SURPLUS = 1
SURPLUS_MIN_RATE = 2
MODES = {"immediate": FULL, "timed": FULL, "pv_surplus": SURPLUS, "pv_surplus_min_rate": SURPLUS_MIN_RATE}

P = layout("EvParams",
           "max_power_w",  # the charger's power [W]
           "min_power_w",  # the least power a car charges at [W]
           "min_rate_w",  # the least rate in pv_surplus_min_rate [W]
           "mode",  # FULL, SURPLUS or SURPLUS_MIN_RATE
           "stop_soc")  # no charging while the home battery is below this [0..1] (-1: no limit)
S = layout("EvState",
           "session",  # the session being charged (its arrival, seconds since 1970 UTC; 0: none)
           "delivered_j",  # energy delivered in it so far [J]
           "last_w")  # what the charger drew in the last tick [W]
X = layout("EvInputs",
           "allowed",  # share of the tick the car is plugged in (and, timed, inside a window) [0..1]
           "session",  # the tick's session (its arrival, seconds since 1970 UTC; 0: none)
           "wanted_j")  # the energy the tick's session wants, at the wallbox [J]


@njit(cache=True)
def demand(p, s, x, code, mine, t, home, dt_s, out, pv_only):
    """What each charger asks for this tick [J]: its rate by mode for the share of the tick the
    car is plugged in, at most what the session still wants; in ``pv_only`` the part the
    inverter may serve only from PV (all of it in ``pv_surplus``, what is above the least rate
    in ``pv_surplus_min_rate``)."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        out[i] = 0
        pv_only[i] = 0
        session = x[i, X.session, t]
        if session <= 0.0:
            continue
        delivered = counted(s, i, S.session, S.delivered_j, session)
        left = x[i, X.wanted_j, t] - delivered
        if left <= 0.0:
            continue
        if p[i, P.stop_soc] >= 0.0 and home.soc < p[i, P.stop_soc]:
            continue
        rate = p[i, P.max_power_w]
        mode = p[i, P.mode]
        firm_w = rate
        if mode != FULL:
            # What PV could give it as AC beyond the home's other loads and the battery's charge
            # (the inverter's losses and rating counted): the last PV surplus plus its own draw.
            spare = home.pv_surplus_w + s[i, S.last_w]
            if mode == SURPLUS:
                if spare < p[i, P.min_power_w]:
                    continue
                rate = min(rate, spare)
                firm_w = 0.0
            else:
                rate = min(rate, max(p[i, P.min_rate_w], spare))
                firm_w = min(rate, p[i, P.min_rate_w])
        share = dt_s * x[i, ALLOWED, t]
        out[i] = min(nearest_j(rate * share), int(left))
        pv_only[i] = out[i] - min(out[i], nearest_j(firm_w * share))


@njit(cache=True)
def advance(p, s, x, code, mine, t, asked, served, home, dt_s):
    """A charger counts what it delivered into the tick's session (a new session starts at 0)
    and remembers its power."""
    for i in range(code.shape[0]):
        if code[i] != mine:
            continue
        count_into(s, i, S.session, S.delivered_j, x[i, X.session, t], served[i])
        s[i, S.last_w] = served[i] / dt_s


BEHAVIOUR = Behaviour("ev_charger", __name__, "demand", "advance", P, S, X, pv_only=True)


class Session(BaseModel):
    """A car plugged in on some weekdays: when it comes and goes, and what it wants."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    arrive: Annotated[TimeOfDay, Field(title="Arrives", description="when the car is plugged in, local time [HH:MM]")]
    depart: Annotated[TimeOfDay, Field(
        title="Leaves", description="when it leaves, local time [HH:MM]; before the arrival: the next day")]
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1, title="Days", description="the weekdays it arrives on")
    energy_kwh: Annotated[float, Field(gt=0.0, le=500.0)] | None = quantity("kWh",
        default=None, title="Energy wanted", description="what the car's battery should take in the session; "
        "or give car_battery_kwh, arrival_soc and target_soc")
    car_battery_kwh: Annotated[float, Field(gt=0.0, le=500.0)] | None = quantity("kWh",
        default=None, title="Car battery", description="the car battery's usable size")
    arrival_soc: Ratio | None = quantity("0..1", default=None, title="Charge on arrival",
                                                 description="the car battery's state of charge when it arrives")
    target_soc: Ratio | None = quantity("0..1", default=None, title="Charge wanted",
                                                description="the state of charge wanted at departure")

    @model_validator(mode="after")
    def _energy(self) -> "Session":
        if seconds_of_day(self.arrive) == seconds_of_day(self.depart):
            raise ValueError(f"depart {self.depart!r} equals arrive {self.arrive!r}: the session would be empty")
        by_soc = (self.car_battery_kwh, self.arrival_soc, self.target_soc)
        if self.energy_kwh is not None and any(v is not None for v in by_soc):
            raise ValueError("give energy_kwh or car_battery_kwh with arrival_soc and target_soc, not both")
        if self.energy_kwh is None:
            if any(v is None for v in by_soc):
                raise ValueError("give energy_kwh, or all of car_battery_kwh, arrival_soc and target_soc")
            if self.target_soc <= self.arrival_soc:  # type: ignore[operator]
                raise field_error("target_soc", self.target_soc,
                                  f"must be above arrival_soc {self.arrival_soc:g}: nothing to charge")
        return self

    def car_energy_kwh(self) -> float:
        """Energy the car's battery should take [kWh]."""
        if self.energy_kwh is not None:
            return self.energy_kwh
        return self.car_battery_kwh * (self.target_soc - self.arrival_soc)  # type: ignore[operator]

    def weekly_spans(self) -> list[tuple[int, int]]:
        """Its spans in a week, seconds from Monday 00:00 (nominal days of 86400 s) [s]."""
        arrive, depart = seconds_of_day(self.arrive), seconds_of_day(self.depart)
        length = (depart - arrive) % SECONDS_PER_DAY
        return [(WEEKDAYS.index(d) * SECONDS_PER_DAY + arrive, WEEKDAYS.index(d) * SECONDS_PER_DAY + arrive + length)
                for d in self.days]


class Config(LoadConfig):
    """An EV charger (wallbox)."""

    BEHAVIOUR: ClassVar[Behaviour] = BEHAVIOUR
    LABEL: ClassVar[str] = "EV charger"
    ICON: ClassVar[str] = "\N{ELECTRIC PLUG}\N{AUTOMOBILE}"
    PALETTE_ORDER: ClassVar[int | None] = 65
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "non_essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "a 7 kW charger would empty the home battery in an outage; the car can wait"
    ACTIVITY: ClassVar[str] = "session"

    kind: Literal["ev_charger"] = "ev_charger"
    max_power_w: Annotated[float, quantity("W", gt=0.0, le=50_000.0, title="Charger power",
                                                description="the most it charges at (7.4 kW: 32 A on one phase)")] = 7400.0
    min_power_w: Annotated[float, quantity("W", gt=0.0, le=50_000.0, title="Lowest charging power",
                                                description="the least power a car charges at (6 A: about 1.4 kW)")] = 1400.0
    efficiency: Annotated[float, quantity("0..1", gt=0.3, le=1.0, title="Charging efficiency",
                                                  description="what the car's battery takes per unit the home delivers")] = 0.9
    mode: Literal["immediate", "timed", "pv_surplus", "pv_surplus_min_rate"] = Field(
        default="immediate", title="Charging mode",
        description="immediate: full power on arrival; timed: full power inside the charge windows; "
        "pv_surplus: only PV beyond the other loads; pv_surplus_min_rate: PV beyond the other loads, "
        "never below min_rate_w")
    charge_windows: list[Window] = Field(
        default_factory=lambda: [Window(start="22:00", end="06:00")], title="Charge windows",
        description="when the timed mode charges (local time, by weekday)")
    min_rate_w: Annotated[float, quantity("W", gt=0.0, le=50_000.0, title="Minimum rate",
                                               description="pv_surplus_min_rate charges at least this")] = 1400.0
    stop_below_battery_soc: Ratio | None = quantity("0..1",
        default=None, title="Stop below home battery charge",
        description="no charging while the home battery's state of charge is below this; empty: any")
    sessions: list[Session] = Field(
        default_factory=lambda: [Session(arrive="18:00", depart="07:30", days=["mon", "tue", "wed", "thu", "fri"],
                                         energy_kwh=12.0)],
        min_length=1, title="Sessions", description="when a car is plugged in and what it wants")

    @model_validator(mode="after")
    def _settings(self) -> "Config":
        if self.min_power_w > self.max_power_w:
            raise field_error("min_power_w", self.min_power_w,
                              f"must be at most max_power_w {self.max_power_w:g} W")
        if self.min_rate_w > self.max_power_w:
            raise field_error("min_rate_w", self.min_rate_w, f"must be at most max_power_w {self.max_power_w:g} W")
        week = 7 * SECONDS_PER_DAY
        spans = sorted((start % week, end - start, k) for k, session in enumerate(self.sessions)
                       for start, end in session.weekly_spans())
        for (start, length, k), (following, _, other) in zip(spans, spans[1:] + [(spans[0][0] + week, 0, spans[0][2])]):
            if start + length > following:
                raise field_error("sessions", [s.arrive for s in self.sessions],
                                  f"session {k} (arrives {self.sessions[k].arrive}) is still plugged in when "
                                  f"session {other} arrives: a charger charges one car at a time")
        return self

    def parameters(self) -> dict[str, float]:
        return {"max_power_w": self.max_power_w, "min_power_w": self.min_power_w, "min_rate_w": self.min_rate_w,
                "mode": float(MODES[self.mode]),
                "stop_soc": -1.0 if self.stop_below_battery_soc is None else self.stop_below_battery_soc}

    def initial_values(self) -> dict[str, float]:
        return {"session": 0.0, "delivered_j": 0.0, "last_w": 0.0}

    def occurrences(self, days: LocalDays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every session in ``days``: arrivals and departures (relative to the days' origin [s],
        sorted) and the energy each wants at the wallbox [J]."""
        starts, ends, wanted = [], [], []
        for session in self.sessions:
            start, end = daily_windows(days, session.arrive, session.depart, session.days)
            starts.append(start)
            ends.append(end)
            wanted.append(np.full(start.size, float(round(session.car_energy_kwh() * J_PER_KWH / self.efficiency))))
        start = np.concatenate(starts)
        order = np.argsort(start, kind="stable")
        return start[order], np.concatenate(ends)[order], np.concatenate(wanted)[order]

    def usage(self, days: LocalDays) -> Steps:
        start, end, _ = self.occurrences(days)
        plugged = Steps.from_intervals(start, end, union=True)
        return plugged * windows_steps(self.charge_windows, days) if self.mode == "timed" else plugged

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        """Each tick's session: of the sessions plugged in during the tick, the one that
        arrived first (a session leaving in a tick keeps it; one arriving in it starts in the
        next), with the energy it wants."""
        start, end, wanted = self.occurrences(block.local_days)
        which = tick_windows(block.relative_bounds, start, end)
        return {"session": spread(which, block.local_days.origin + start), "wanted_j": spread(which, wanted)}

    def deadlines(self, inputs: np.ndarray, served_j: np.ndarray, unix_s: np.ndarray, dt_s: int) -> Deadlines:
        """Each session seen in the run: what it wanted and got by its departure, and the energy
        it was short at its last tick. A session still plugged in when the run ends is listed
        with ``ended`` false and is not counted short."""
        return activity_deadlines(inputs[X.session], inputs[X.wanted_j], served_j, unix_s, dt_s)
