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

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, ClassVar, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails
from typing_extensions import TypeAliasType

from homesim import messages
from homesim.credentials import RESERVED_IDS
from homesim.devices import schedule
from homesim.devices.kernel import SWITCH
from homesim.devices.schedule import LocalDays, Steps
from homesim.units import quantity

#: Ticks per block; a block is the unit of exogenous (vectorized) computation.
BLOCK_TICKS = 10_080

#: Seconds in a day [s].
SECONDS_PER_DAY = 86_400

#: Joules in one kilowatt-hour [J/kWh].
J_PER_KWH = 3_600_000

#: Specific heat capacity of water [J/(kg K)]; 1 litre of water is taken as 1 kg.
WATER_J_PER_KG_K = 4186.0

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Types several models share are named: the generated contracts (AsyncAPI, TypeScript) then have
# one type for them, and none is named by its position in the document (homesim.generators.specs).

#: A weekday, ``"mon"`` to ``"sun"`` (:data:`WEEKDAYS`).
Weekday = TypeAliasType("Weekday", Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"])

#: Where a load is wired: on the inverter's backup output, or on the grid side.
Circuit = TypeAliasType("Circuit", Literal["essential", "non_essential"])

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _check_time_of_day(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a time of day HH:MM from 00:00 to 24:00")
    return value


#: JSON schema ``format`` of a :data:`TimeOfDay` (the UI gives such a field a time input).
TIME_OF_DAY_FORMAT = "time-of-day"

#: A local time of day, ``"HH:MM"`` (``"24:00"`` is the end of the day): no unit, a ``format``.
TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day), Field(json_schema_extra={"format": TIME_OF_DAY_FORMAT})]

#: A device id: lower-case letters, digits and ``_``, starting with a letter. Ids appear in
#: ledger column names (``e.<id>``) and bus topics (``home.<home>.device.<id>.energy``).
def _not_reserved(value: str) -> str:
    if value in RESERVED_IDS:
        raise ValueError(f"{value!r} is reserved on the bus (it names a role or a service: "
                         f"{', '.join(sorted(RESERVED_IDS))}); pick another id")
    return value


DeviceId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$"), AfterValidator(_not_reserved)]

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


def field_error(field: str, value: Any, reason: str) -> ValidationError:
    """A model validator's error about one of its fields, located at that field (a plain
    ``ValueError`` from a model validator names only the model)."""
    return ValidationError.from_exception_data("Config", [
        InitErrorDetails(type="value_error", loc=(field,), input=value, ctx={"error": ValueError(reason)})])


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

    start: Annotated[TimeOfDay, Field(title="From", description="start, local time [HH:MM]")]
    end: Annotated[TimeOfDay, Field(
        title="To", description="end, local time [HH:MM]; before the start: runs past midnight")]
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1, title="Days",
        description="the weekdays the window starts on",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> "Window":
        if seconds_of_day(self.start) == seconds_of_day(self.end):
            raise ValueError(f"end {self.end!r} equals start {self.start!r}: the window would be empty")
        return self

    def span(self) -> tuple[int, int, list[int]]:
        """``(start_s, end_s, weekdays)``: seconds of the local day [s] and weekdays (0 = Monday)."""
        return seconds_of_day(self.start), seconds_of_day(self.end), [WEEKDAYS.index(d) for d in self.days]

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


def windows_steps(windows: list[Window], days: LocalDays) -> Steps:
    """1 inside any of the windows, in real time (see :mod:`homesim.devices.schedule`)."""
    return schedule.windows(days, [window.span() for window in windows])


class Switch(BaseModel):
    """A timer and smart switch in front of a load.

    The load may draw power only inside one of ``timers`` (none: always) and only while every
    condition holds. Conditions are read from the home's state at the start of the tick,
    i.e. from the previous settlement, as a real smart switch reads its last measurement.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    timers: list[Window] = Field(
        default_factory=list, title="Timers",
        description="the load may run only inside one of these windows; none: at any time")
    only_when_grid_on: bool = Field(
        default=False, title="Only when the grid is on", description="off during outages and load-shedding")
    min_battery_soc: Ratio | None = quantity("0..1",
        default=None, title="Minimum battery charge",
        description="runs only while the battery's state of charge is at least this; empty: any")
    min_pv_surplus_w: Annotated[float, Field(ge=0.0, le=1e7)] | None = quantity("W",
        default=None, title="Minimum solar surplus",
        description="runs only while the last PV surplus (AC power PV could give beyond the loads and the "
        "battery's charge) was at least this; empty: any")


class DeviceConfig(BaseModel):
    """Fields every device has. Each kind subclasses it with ``kind: Literal[...]``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    #: What the device is to the inverter: environment, source, grid, storage, inverter, load.
    ROLE: ClassVar[str] = ""
    #: For people (the UI's palette and forms): the kind's name, an icon (an emoji) and its
    #: place in the palette (None: not offered there, e.g. the sun, added by the home itself).
    LABEL: ClassVar[str] = ""
    ICON: ClassVar[str] = ""
    PALETTE_ORDER: ClassVar[int | None] = None

    #: A home has at most one device of this kind (the sun, the grid, the battery...).
    ONE_PER_HOME: ClassVar[bool] = False
    #: How its process joins the bus: ``device`` (a ticket, a router role of its own that may
    #: publish only under its ``device.<id>.`` prefix) or ``service`` (a service's credential:
    #: the inverter, which settles the whole home).
    JOINS_AS: ClassVar[Literal["device", "service"]] = "device"
    #: Whether it can be removed or switched off while the home runs (the inverter can't).
    REMOVABLE: ClassVar[bool] = True
    #: What its process exports to Prometheus (``homesim.bus.metrics``): ``flow`` (its power and
    #: energy in and out), ``battery_soc``, ``grid_on``, ``settlement`` (cost, curtailment,
    #: settled ticks, missing devices).
    METRICS: ClassVar[frozenset[str]] = frozenset({"flow"})
    #: The model of its retained state on the bus (``device.<id>.state``).
    STATE_MODEL: ClassVar[type] = messages.DeviceStateBase

    id: DeviceId = Field(title="Id", description="unique in the home: lower-case letters, digits and _")
    name: str | None = Field(default=None, max_length=80, title="Name", description="a name for people",
                             examples=["Kitchen"])
    enabled: bool = Field(default=True, title="Enabled", description="off: the device's process does not run")

    def requires(self) -> tuple[str, ...]:
        """Kinds the home must also have for this device to work (PV: a sun, the weather and
        an inverter); a home that lists none gets each with its defaults, in this order."""
        return ()

    def files(self, timezone: str) -> list[FileCheck]:
        """The files it names, each with the reader a run uses (``homesim validate`` reads them
        all before a run: ``homesim.preflight``)."""
        return []

    def observed(self, values: dict[str, Any], t: int) -> dict[str, Any]:
        """What an environment device shows watchers of tick ``t`` (its state on the bus), from
        its block's values."""
        return {}

    def runs_ahead(self) -> bool:
        """Its energy events depend on no settlement, only on time, the environment and its own
        properties (PV, the grid, a profile load): its live process publishes them a window of
        ticks ahead (``energy_ahead``, when the inverter's ``progress`` moves the window) instead
        of answering every tick. A device whose state the settlements move (a battery, a
        thermostat) or that reads the home (a smart switch's conditions) answers every tick."""
        return False

    def seeded(self) -> bool:
        """Its block values depend on the run's seed or on the sun and weather (random models
        and what reads the weather do; the sun's path and a timer do not). A plan's years share
        what does not: they repeat the calendar with other seeds. A kind that draws random
        numbers or reads the weather says True."""
        return True

    def with_state(self, state: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A live device's present ``state`` (its adapter's, as on ``device.<id>.state``) checked
        against these properties, just after they were changed: the state to go on with and a
        line saying what was adjusted (``None``: nothing), or a ``ValueError`` naming the field
        when the change can't be made. A kind whose state these properties bound says how (a
        battery holding more than a new, smaller capacity: its stored energy is clamped)."""
        return state, None

    def power_limit_w(self) -> float | None:
        """The most power its energy events can claim [W] (an upper bound, never below what
        its model can produce; ``None``: none known). The live inverter drops an event beyond
        it (``implausible``)."""
        return None

    @functools.cached_property
    def power_limit(self) -> float | None:
        """:meth:`power_limit_w`, once (a device's properties don't change: a change makes a new
        config)."""
        return self.power_limit_w()

    def implausible(self, event: dict[str, Any], mid_unix_s: float, dt_s: int, latitude: float,
                    longitude: float) -> str | None:
        """Why this device's (schema-valid) energy event for the tick whose middle is
        ``mid_unix_s`` [s] can't be physically true (``None``: it can). By default: energy
        beyond :meth:`power_limit_w` times the tick, whichever field carries it."""
        limit = self.power_limit
        if limit is None:
            return None
        bound = math.ceil(limit * dt_s) + 1  # (a tick's energy is rounded to whole Joules)
        for name in ("demand_j", "available_j"):
            if int(event.get(name, 0)) > bound:
                return (f"{name} {event[name]} J is more than its rating allows: {limit:g} W for {dt_s} s is at most "
                        f"{bound} J")
        return None


@dataclass(frozen=True)
class FileCheck:
    """A file a device names: the field (path below the device, e.g. ``load_shedding.events_csv``),
    the file, and how a run reads it (raises on a problem). ``path`` None: a check of the files
    together, made when each of the device's files reads."""

    field: str
    path: Path | None
    read: Callable[[], Any]


class LoadConfig(DeviceConfig):
    """Fields every load has, and how a load kind compiles into its behaviour's kernels.

    A load kind names its :class:`~homesim.devices.kernel.Behaviour` (``BEHAVIOUR``: the shared
    profile and thermostat ones in :mod:`homesim.devices.behaviour`, or one of its own) and
    gives, by name, what the behaviour's kernels read: :meth:`parameters`,
    :meth:`initial_values` and :meth:`inputs`. Each says what the load does as a function of
    real time (:class:`~homesim.devices.schedule.Steps`), and :meth:`block_inputs` integrates
    it exactly over every tick: an activity delivers its whole energy at any step, across
    midnight, DST changes and block ends.
    """

    ROLE: ClassVar[str] = "load"
    STATE_MODEL: ClassVar[type] = messages.LoadState

    def seeded(self) -> bool:
        return self.READS_ENVIRONMENT  # no random numbers; the weather only if it reads it

    #: Its behaviour (``homesim.devices.kernel.Behaviour``); set by every load kind.
    BEHAVIOUR: ClassVar[Any] = None
    #: Its inputs read the sun's or the weather's block values (``block.values``): the
    #: runtimes compute the environment for it (a live process of it then needs numpy's
    #: share of the sun and weather, not only the calendar).
    READS_ENVIRONMENT: ClassVar[bool] = False

    #: What one of its activities with a deadline is called, for people ("session", "day").
    ACTIVITY: ClassVar[str] = "activity"
    #: The circuit this kind of load is usually wired to, and why (the UI adds it there).
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = ""

    circuit: Circuit = Field(
        default="essential", title="Circuit",
        description="essential: on the inverter's backup output (powered in outages); "
        "non_essential: on the grid side (off in outages)",
    )
    switch: Switch = Field(default_factory=Switch, title="Smart switch",
                           description="timers and conditions in front of the load")

    def runs_ahead(self) -> bool:
        """A load runs ahead when its behaviour's demand is a function of its inputs alone
        (``Behaviour.exogenous``: a profile) and its smart switch has no condition on the home
        (timers are inputs: they don't count)."""
        switch = self.switch
        conditions = switch.only_when_grid_on or switch.min_battery_soc is not None or switch.min_pv_surplus_w is not None
        return bool(self.BEHAVIOUR.exogenous) and not conditions

    def switch_params(self) -> np.ndarray:
        """The smart switch's conditions (``homesim.devices.kernel.SWITCH``)."""
        switch = self.switch
        return SWITCH.vector(
            needs_grid=1.0 if switch.only_when_grid_on else 0.0,
            min_soc=-1.0 if switch.min_battery_soc is None else switch.min_battery_soc,
            min_surplus_w=-1.0 if switch.min_pv_surplus_w is None else switch.min_pv_surplus_w)

    def parameters(self) -> dict[str, float]:
        """The behaviour's parameters by name [SI units]."""
        return {}

    def power_limit_w(self) -> float | None:
        """At most the sum of its powers [W]: those of its behaviour's parameters (``*_w``: a
        thermostat's element, a charger's limits), else its own ``*_w`` fields (a list: its
        largest), e.g. a TV's power and standby; ``None`` when it has none (a profile from a
        file). A kind whose demand can exceed these says so by overriding this."""
        powers = [float(v) for k, v in self.parameters().items() if k.endswith("_w")]
        if not powers:
            for name in type(self).model_fields:
                value = getattr(self, name)
                if name.endswith("_w") and isinstance(value, (int, float)) and not isinstance(value, bool):
                    powers.append(float(value))
                elif name.endswith("_w") and isinstance(value, list) and value:
                    powers.append(max(float(v) for v in value))
        return sum(powers) if powers else None

    def initial_values(self) -> dict[str, float]:
        """The behaviour's state at the start, by name."""
        return {}

    def step_parameters(self, dt_s: int) -> dict[str, float]:
        """The behaviour's parameters that follow from :meth:`parameters` and the step ``dt_s``
        [s], by name: computed once a run rather than by the kernel every tick (a thermostat's
        relaxation over a tick). None by default."""
        return {}

    def params(self, dt_s: int) -> np.ndarray:
        """The behaviour kernel's parameter vector for a run of ``dt_s`` [s] steps."""
        return self.BEHAVIOUR.params.vector(**self.parameters(), **self.step_parameters(dt_s))

    def initial_state(self) -> np.ndarray:
        """The behaviour kernel's state vector at the start."""
        return self.BEHAVIOUR.state.vector(**self.initial_values())

    def usage(self, days: LocalDays) -> Steps | None:
        """1 while the load is in use (e.g. an oven's cooking windows); None: always."""
        return None

    def gate(self, days: LocalDays) -> Steps | None:
        """1 while the load may draw power: inside its switch's timers and its usage; None: always."""
        gate = windows_steps(self.switch.timers, days) if self.switch.timers else None
        usage = self.usage(days)
        if usage is not None:
            gate = usage if gate is None else gate * usage
        return gate

    def inputs(self, block: Block, gate: Steps | None) -> dict[str, np.ndarray]:
        """The behaviour's inputs but ``allowed``, per tick of the block, by name; ``gate`` is
        :meth:`gate` of the block's days."""
        return {}

    def deadlines(self, inputs: np.ndarray, served_j: np.ndarray, unix_s: np.ndarray, dt_s: int) -> Deadlines | None:
        """What each of its activities with a deadline got (a car's charging session by its
        departure, a pool pump's daily hours by their deadline), from its inputs and what it
        was served in a run (``[inputs, ticks]``, ``[ticks]`` [J], the ticks' starts [s]); None
        for a load without deadlines (most)."""
        return None

    def block_inputs(self, block: Block) -> np.ndarray:
        """The behaviour's inputs for every tick of a block, ``[inputs, ticks]`` float64: first
        ``allowed``, the share of the tick the load may draw power [0..1] (0 when disabled)."""
        gate = self.gate(block.local_days)
        if gate is None:
            allowed = np.ones(block.size, dtype=np.float64)
        else:
            allowed = np.clip(gate.per_tick(block.relative_bounds) / block.dt_s, 0.0, 1.0)
        if not self.enabled:
            allowed[:] = 0.0
        return self.BEHAVIOUR.inputs.table({"allowed": allowed, **self.inputs(block, gate)}, block.size)


@dataclass
class Deadlines:
    """What a load's activities with deadlines got in a run (:meth:`LoadConfig.deadlines`).

    Attributes
    ----------
    short_j : ndarray of int64
        Per tick, the energy an activity still wanted when its deadline passed, at its last
        tick; 0 elsewhere [J] (the ledger's ``short.<id>``).
    rows : list of dict
        One per activity: ``start``, ``end`` (its span, seconds since 1970 UTC [s]),
        ``wanted_j``, ``delivered_j``, ``short_j`` [J], and what the kind adds.
    """

    short_j: np.ndarray
    rows: list[dict[str, Any]]


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

    @functools.cached_property
    def local_days(self) -> LocalDays:
        """The local dates around the block, for schedules in real time."""
        return LocalDays.around(self.unix_s, self.dt_s, self.timezone)

    @functools.cached_property
    def relative_bounds(self) -> np.ndarray:
        """The ticks' starts and the last tick's end, relative to the block's first tick start
        (the time origin of ``local_days``) [s]."""
        return np.arange(self.size + 1, dtype=np.float64) * self.dt_s

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
