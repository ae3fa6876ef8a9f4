"""What every device kind shares: its config base class, time windows, smart switches
and the per-block context that exogenous models fill in.

Glossary (used across ``homesim.devices``)
------------------------------------------
tick
    One step of the simulation: the interval ``[t, t + dt_s)``; tick ``k`` starts at
    ``start + k * dt_s`` [s].
block
    A fixed run of ``BLOCK_TICKS`` consecutive ticks. Exogenous models (sun, weather, PV,
    grid schedule, load profiles) are evaluated one whole block at a time, with numpy, by
    both runtimes (the fast-forward engine and the live bus): the same block always gives
    bit-identical arrays, so both runtimes round the same floats into the same Joules.
energy
    Integer Joules [J] at the device's connection to the inverter: ``+`` into the home's
    system (generation, discharge, import), ``-`` out of it (consumption, charge, export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from homesim.devices import behaviour

#: Ticks per block; a block is the unit of exogenous (vectorized) computation.
BLOCK_TICKS = 10_080

#: Seconds in a day [s].
SECONDS_PER_DAY = 86_400

#: Joules in one kilowatt-hour [J/kWh].
J_PER_KWH = 3_600_000

#: Specific heat capacity of water [J/(kg K)]; 1 litre of water is taken as 1 kg.
WATER_J_PER_KG_K = 4186.0

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _check_time_of_day(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a time of day HH:MM from 00:00 to 24:00")
    return value


#: A local time of day, ``"HH:MM"`` (``"24:00"`` is the end of the day).
TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day)]

#: A device id: lower-case letters, digits and ``_``, starting with a letter. Ids appear in
#: ledger column names (``e.<id>``) and bus topics (``home.<home>.device.<id>.energy``).
DeviceId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


def seconds_of_day(value: str) -> int:
    """Seconds after local midnight [s] of an ``"HH:MM"`` time of day."""
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


class Window(BaseModel):
    """A daily time window in local time, on some weekdays.

    ``end`` before ``start`` wraps past midnight (``22:00``-``05:00``); the weekday is the
    day the window starts on.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    start: TimeOfDay
    end: TimeOfDay
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1
    )

    @model_validator(mode="after")
    def _not_empty(self) -> "Window":
        if seconds_of_day(self.start) == seconds_of_day(self.end):
            raise ValueError(f"end {self.end!r} equals start {self.start!r}: the window would be empty")
        return self

    def mask(self, second_of_day: np.ndarray, weekday: np.ndarray) -> np.ndarray:
        """Where each tick start lies in this window (bool array)."""
        start, end = seconds_of_day(self.start), seconds_of_day(self.end)
        day_ok = np.zeros(7, dtype=bool)
        day_ok[[WEEKDAYS.index(d) for d in self.days]] = True
        if start < end:
            return (second_of_day >= start) & (second_of_day < end) & day_ok[weekday]
        evening = (second_of_day >= start) & day_ok[weekday]
        morning = (second_of_day < end) & day_ok[(weekday - 1) % 7]
        return evening | morning


def windows_mask(windows: list[Window], second_of_day: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Union of the windows (bool array); an empty list means always."""
    if not windows:
        return np.ones(second_of_day.shape, dtype=bool)
    mask = np.zeros(second_of_day.shape, dtype=bool)
    for window in windows:
        mask |= window.mask(second_of_day, weekday)
    return mask


class Switch(BaseModel):
    """A timer and smart switch in front of a load.

    The load may draw power only inside one of ``timers`` (none: always) and only while every
    condition holds. Conditions are read from the home's state at the start of the tick,
    i.e. from the previous settlement, as a real smart switch reads its last measurement.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    timers: list[Window] = Field(default_factory=list)
    only_when_grid_on: bool = False
    min_battery_soc: Ratio | None = None
    min_pv_surplus_w: Annotated[float, Field(ge=0.0)] | None = None


class DeviceConfig(BaseModel):
    """Fields every device has. Each kind subclasses it with ``kind: Literal[...]``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    #: What the device is to the inverter: environment, source, grid, storage, inverter, load.
    ROLE: ClassVar[str] = ""

    id: DeviceId
    name: str | None = Field(default=None, max_length=80)
    enabled: bool = True


class LoadConfig(DeviceConfig):
    """Fields every load has, and how a load kind compiles into a behaviour kernel.

    A load kind overrides what differs: ``BEHAVIOUR``, :meth:`fill_params`,
    :meth:`initial_state`, :meth:`usage_mask`, :meth:`profile_w`, :meth:`draw_l`.
    """

    ROLE: ClassVar[str] = "load"
    #: ``behaviour.PROFILE`` or ``behaviour.THERMOSTAT``.
    BEHAVIOUR: ClassVar[int] = behaviour.PROFILE

    circuit: Literal["essential", "non_essential"] = Field(
        default="essential",
        description="essential: on the inverter's backup output (powered in outages); "
        "non_essential: on the grid side (off in outages)",
    )
    switch: Switch = Field(default_factory=Switch)

    def params(self) -> np.ndarray:
        """The behaviour kernel's parameter vector (switch conditions included)."""
        params = behaviour.new_params()
        params[behaviour.P_NEEDS_GRID] = 1.0 if self.switch.only_when_grid_on else 0.0
        if self.switch.min_battery_soc is not None:
            params[behaviour.P_MIN_SOC] = self.switch.min_battery_soc
        if self.switch.min_pv_surplus_w is not None:
            params[behaviour.P_MIN_SURPLUS_W] = self.switch.min_pv_surplus_w
        self.fill_params(params)
        return params

    def fill_params(self, params: np.ndarray) -> None:
        """Set the kind's own entries of the parameter vector."""

    def initial_state(self) -> np.ndarray:
        """The behaviour kernel's state vector at the start."""
        return np.zeros(behaviour.N_STATE, dtype=np.float64)

    def usage_mask(self, block: Block) -> np.ndarray:
        """Where the load is in use (bool per tick); default: always."""
        return np.ones(block.size, dtype=bool)

    def profile_w(self, block: Block) -> np.ndarray:
        """Power of a profile load per tick [W]."""
        return np.zeros(block.size, dtype=np.float64)

    def draw_l(self, block: Block) -> np.ndarray:
        """Hot water drawn per tick [L]."""
        return np.zeros(block.size, dtype=np.float64)

    def block_inputs(self, block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(allowed, profile_j, draw_l)`` per tick: bool, int64 [J], float64 [L]."""
        allowed = windows_mask(self.switch.timers, block.second_of_day, block.weekday) & self.usage_mask(block)
        if not self.enabled:
            allowed[:] = False
        return allowed, joules(self.profile_w(block), block.dt_s), self.draw_l(block)


def overlap_s(block: "Block", start_s: int, end_s: int) -> np.ndarray:
    """Seconds of each tick inside the daily interval ``[start_s, end_s)`` of local time [s]."""
    tick_start = block.second_of_day
    tick_end = tick_start + block.dt_s
    return np.clip(np.minimum(tick_end, end_s) - np.maximum(tick_start, start_s), 0, block.dt_s)


@dataclass
class Block:
    """One block of ticks and the exogenous arrays computed for it.

    Attributes
    ----------
    index : int
        Block number from the start of the run.
    start_tick : int
        Tick number of the first tick of the block.
    dt_s : int
        Tick length [s].
    unix_s : ndarray of int64
        Start of each tick, seconds since 1970-01-01 UTC [s].
    second_of_day, weekday, month, day_of_month : ndarray
        Local (home timezone) calendar of each tick start; weekday 0 = Monday.
    seed : int
        Seed of stochastic models.
    """

    index: int
    start_tick: int
    dt_s: int
    unix_s: np.ndarray
    second_of_day: np.ndarray
    weekday: np.ndarray
    month: np.ndarray
    day_of_month: np.ndarray
    seed: int
    latitude: float
    longitude: float
    altitude: float
    timezone: str
    #: Filled by environment devices, read by the others (e.g. ``values["sun"]``).
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.unix_s.shape[0])

    @property
    def mid_unix_s(self) -> np.ndarray:
        """Middle of each tick [s]: where the sun and weather are evaluated."""
        return self.unix_s + self.dt_s / 2.0


def joules(power_w: np.ndarray, dt_s: int) -> np.ndarray:
    """Energy of a power held for one tick, rounded to integer Joules [J].

    The single rounding path from float physics to the integer ledger.
    """
    return np.rint(np.asarray(power_w, dtype=np.float64) * dt_s).astype(np.int64)


def day_of_year(unix_s: np.ndarray) -> np.ndarray:
    """UTC day of the year, 1..366, of each time (int64)."""
    seconds = np.floor(np.asarray(unix_s, dtype=np.float64)).astype(np.int64).astype("datetime64[s]")
    return (seconds.astype("datetime64[D]") - seconds.astype("datetime64[Y]")).astype(np.int64) + 1
