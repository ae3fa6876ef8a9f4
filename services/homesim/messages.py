"""Every message on a home's WAMP bus, as pydantic models: the one source of truth.

From these models, and only from them, ``homesim specs`` writes the AsyncAPI document
(``specs/``), and from that Modelina writes the UI's TypeScript models. Services validate what
they receive against them at the boundary (``parse``): a message that does not match is logged
with the reason and dropped.

Conventions: SI units (J, W, s, °C), each field's as data (``quantity("J", ...)``, from
:mod:`homesim.units`: ``x-unit`` in the schema, never in the description's text); energy as integer Joules; every integer within +-(2**53 - 1), so that it is exact
as a JavaScript number too; no NaN or infinite numbers; a flow ``e[device]`` is positive into the home's bus
(PV, battery discharge, grid import) and negative out of it (loads, battery charge, export);
per tick ``sum(e.values()) == loss_j`` exactly.

To add a message kind: write its model here, add it to ``TOPICS`` or ``PROCEDURES`` below
with its URI pattern, publish or register it in the service, run ``cd/process_specs.sh``.

Over 500 lines: the whole bus contract in one module, models first, then the tables of topics
and procedures that name them, as the AsyncAPI document lists them; split by area, a reader of
a procedure would look for its request and reply in other files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from homesim.units import quantity

log = logging.getLogger("homesim.bus")


#: The largest integer a JavaScript number (the UI) holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: The clock's fastest pace [ticks per wall second] (a home settles a few hundred ticks a second;
#: beyond this the pace, and the simulated seconds per wall second, would no longer be numbers).
MAX_SPEED = 1e6
#: The highest price of a kWh on the bus [currency/kWh] (a home's tariffs allow at most 1000; a
#: price near the largest float would make a tick's cost infinite).
MAX_PRICE = 1e6
#: The most characters of one ``history.upload`` chunk (1 MiB; the router takes messages up to
#: 16 MiB, Crossbar's default, and a browser's JSON of a chunk stays well inside it).
MAX_UPLOAD_CHUNK = 1 << 20
#: The most bytes of one uploaded history file (a year of 1-minute data is 30-60 MB).
MAX_UPLOAD_BYTES = 200 * (1 << 20)


def _exact_in_javascript(value: int) -> int:
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"must be within +-{MAX_SAFE_INTEGER} (2**53 - 1)")
    return value


#: An integer on the bus (ticks, times, Joules): within +-MAX_SAFE_INTEGER (checked after the
#: field's own bounds, which it does not replace).
BusInt = Annotated[int, AfterValidator(_exact_in_javascript)]


class Message(BaseModel):
    """Base of every bus payload: unknown fields are refused, and so are NaN and infinities."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


TickNumber = quantity("tick", ge=0, description="Tick number from the start of the run (0 is the first tick)")


# --- topics --------------------------------------------------------------------------------


class Tick(Message):
    """The clock's tick (retained): every device that does not run ahead answers it with its energy event."""

    tick: BusInt = TickNumber
    time: BusInt = quantity("s", description="Start of the tick, seconds since 1970-01-01 UTC")
    dt_s: BusInt = quantity("s", description="Tick length", gt=0)
    sent: float = quantity("s", description="Wall-clock time the clock published it, seconds since 1970-01-01 UTC")
    settled: Settlement | None = Field(
        default=None, description="The newest settlement the clock has seen (the tick before's): the devices take "
                                  "it from here rather than from the settlement topic, in order with the tick "
                                  "(null: none yet)")


class PvEnergy(Message):
    """A PV array's energy event: the DC energy it can deliver this tick."""

    tick: BusInt = TickNumber
    available_j: BusInt = quantity("J", description="DC energy available this tick", ge=0)


class LoadEnergy(Message):
    """A load's energy event: the energy it asks for this tick."""

    tick: BusInt = TickNumber
    demand_j: BusInt = quantity("J", description="Energy demanded this tick", ge=0)
    pv_only_j: BusInt = quantity("J", description="The part of demand_j that may be served only from the PV the other loads and the "
                             "battery leave (a PV-surplus charger): never from the battery or the grid; absent: none", ge=0, default=0)


class BatteryEnergy(Message):
    """The battery's energy event: the energy it stores at the start of the tick."""

    tick: BusInt = TickNumber
    stored_j: BusInt = quantity("J", description="Energy stored", ge=0)


STAGE_DOC = ("Load-shedding stage of the present outage (0: the grid is on, or the outage is not load-shedding; "
             "null: not known)")
OUTAGE_END_DOC = "When the present outage ends, local ISO 8601 time with its offset (null: the grid is on)"
NEXT_START_DOC = "When the next scheduled outage starts, local ISO 8601 time with its offset (null: none known)"
NEXT_END_DOC = "When the next scheduled outage ends, local ISO 8601 time with its offset (null: none known)"
NEXT_STAGE_DOC = "Load-shedding stage of the next scheduled outage (0: not load-shedding; null: none known)"


class GridEnergy(Message):
    """The grid's energy event: whether it is up, and its prices this tick."""

    tick: BusInt = TickNumber
    grid_on: bool = Field(description="False in an outage or load-shedding")
    import_price: float = quantity("currency/kWh", description="Import price", ge=0, le=MAX_PRICE)
    export_price: float = quantity("currency/kWh", description="Export price (credit)", ge=0, le=MAX_PRICE)
    stage: int | None = quantity("stage", default=None, ge=0, le=8, description=STAGE_DOC)
    outage_end: str | None = Field(default=None, description=OUTAGE_END_DOC)
    next_outage_start: str | None = Field(default=None, description=NEXT_START_DOC)
    next_outage_end: str | None = Field(default=None, description=NEXT_END_DOC)
    next_outage_stage: int | None = quantity("stage", default=None, ge=0, le=8, description=NEXT_STAGE_DOC)


#: The energy event of each device role (one a tick on ``energy``, from a device answering
#: ticks: a load or the battery; PV and the grid always run ahead, their events come on
#: ``energy_ahead``).
ENERGY_BY_ROLE: dict[str, type[Message]] = {
    "source": PvEnergy, "load": LoadEnergy, "storage": BatteryEnergy, "grid": GridEnergy}

#: Most energy events in one ``energy_ahead`` message.
AHEAD_MAX_EVENTS = 2000
AHEAD_DOC = ("Its energy events for consecutive ticks, in order: the inverter's progress window, or from the next "
             "tick on after a property change (they replace what the inverter holds for ticks it has not settled)")


class PvEnergyAhead(Message):
    """A PV array's energy events a window of ticks ahead (its energy depends on no settlement)."""

    events: list[PvEnergy] = Field(min_length=1, max_length=AHEAD_MAX_EVENTS, description=AHEAD_DOC)


class LoadEnergyAhead(Message):
    """A load's energy events a window of ticks ahead: a load whose demand is a function of time alone (a
    profile load without smart-switch conditions)."""

    events: list[LoadEnergy] = Field(min_length=1, max_length=AHEAD_MAX_EVENTS, description=AHEAD_DOC)


class GridEnergyAhead(Message):
    """The grid's energy events a window of ticks ahead (its schedule and prices depend on no settlement)."""

    events: list[GridEnergy] = Field(min_length=1, max_length=AHEAD_MAX_EVENTS, description=AHEAD_DOC)


#: The ``energy_ahead`` message of each role whose devices may run ahead.
AHEAD_BY_ROLE: dict[str, type[Message]] = {"source": PvEnergyAhead, "load": LoadEnergyAhead, "grid": GridEnergyAhead}


class Settlement(Message):
    """The inverter's settlement of one tick (retained). ``sum(e.values()) == loss_j``."""

    tick: BusInt = TickNumber
    time: BusInt = quantity("s", description="Start of the tick, seconds since 1970-01-01 UTC")
    dt_s: BusInt = quantity("s", description="Tick length", gt=0)
    e: dict[str, BusInt] = quantity("J", description="Energy flow per device that took part, + into the home's bus, - out of it")
    demand: dict[str, BusInt] = quantity("J", description="Energy each load that took part asked for")
    loss_j: BusInt = quantity("J", description="Conversion losses in the inverter this tick", ge=0)
    curtailed_j: BusInt = quantity("J", description="PV energy available but not used", ge=0)
    soc: float | None = quantity("0..1", ge=0, le=1, description="Battery state of charge after the tick (null: no battery "
                                                         "took part)")
    grid_on: bool = Field(description="Whether the grid was up")
    stage: int | None = quantity("stage", default=None, ge=0, le=8, description=STAGE_DOC + ", from the grid's energy event")
    outage_end: str | None = Field(default=None, description=OUTAGE_END_DOC)
    next_outage_start: str | None = Field(default=None, description=NEXT_START_DOC)
    next_outage_end: str | None = Field(default=None, description=NEXT_END_DOC)
    next_outage_stage: int | None = quantity("stage", default=None, ge=0, le=8, description=NEXT_STAGE_DOC)
    cost: float = quantity("currency", description="Cost of this tick's grid energy (import cost minus export credit)")
    pv_surplus_w: float = quantity("W", description="PV surplus: the AC power PV could have given the loads beyond what charged the "
                               "battery (after the inverter's losses, within its rating) less what all loads drew; "
                               "negative when they drew more, from the battery or the grid")
    missing: list[str] = Field(description="Devices that are on but sent no energy event: they have no flow")
    off: list[str] = Field(description="Devices switched off: they take no part")
    tick_sent: float | None = quantity("s", description="When the clock published the tick, seconds since 1970-01-01 UTC",
                                   default=None)
    tripped: bool = Field(default=False, description="Whether the battery is cut off after the tick, having reached "
                                                     "its shutdown SoC (until its restart SoC)")


class DeviceFlows(Message):
    """A device's energy over the ticks a progress message covers."""

    in_j: BusInt = quantity("J", description="Energy into the home's bus", ge=0)
    out_j: BusInt = quantity("J", description="Energy out of the home's bus", ge=0)


class Progress(Message):
    """The inverter's progress (retained): published when its window of ticks ahead moves, and otherwise at
    most a few times a wall second while ticks settle. Devices whose energy depends on no settlement (they
    *run ahead*: PV, the grid, profile loads) publish their events for the window's ticks on
    ``energy_ahead`` instead of answering every tick, and take their metrics from the flows; the sun and
    the weather publish what they see at ``tick``."""

    tick: BusInt = quantity("tick", ge=-1, description="Last settled tick (-1: none yet)")
    holder: BusInt = quantity("1", ge=0, description="The inverter's session: a new one holds no events ahead, and every "
                                             "device running ahead publishes the window again")
    window_start: BusInt = quantity("tick", ge=0, description="First tick whose energy events the devices running ahead "
                                                   "publish now")
    window_end: BusInt = quantity("tick", ge=0, description="The tick after the window's last")
    first_tick: BusInt = quantity("tick", ge=0, description="First tick the flows cover (they cover first_tick..tick)")
    flows: dict[str, DeviceFlows] = Field(description="Each device's energy over the ticks covered")
    settled: Settlement | None = Field(description="The settlement of tick (null: none yet)")


Tick.model_rebuild()  # its ``settled`` is a Settlement, defined after it


class DeviceStateBase(Message):
    """What a device keeps between ticks (retained; a restarted device resumes from it)."""

    tick: BusInt = quantity("tick", ge=-1, description="Last settled tick taken into the state (-1: none yet)")


class SunState(DeviceStateBase):
    zenith_deg: float | None = quantity("degrees", description="Apparent solar zenith angle (null before the first tick)", default=None)
    azimuth_deg: float | None = quantity("degrees", description="Solar azimuth, clockwise from north", default=None)
    clear_sky_ghi_w_m2: float | None = quantity("W/m2", description="Clear-sky global horizontal irradiance", default=None)


class WeatherState(DeviceStateBase):
    ghi_w_m2: float | None = quantity("W/m2", description="Global horizontal irradiance (null before the first tick)", default=None)
    temp_air_c: float | None = quantity("°C", description="Air temperature", default=None)
    cloud_cover: float | None = quantity("0..1", default=None, ge=0, le=1, description="Cloud cover (null: from a file)")


class SourceState(DeviceStateBase):
    pass


class GridState(DeviceStateBase):
    pass


class BatteryState(DeviceStateBase):
    stored_j: BusInt = quantity("J", description="Energy stored", ge=0)
    soc: float = quantity("0..1", ge=0, le=1, description="State of charge")


class LoadState(DeviceStateBase):
    values: dict[str, float] = quantity("by key",
        description="Its behaviour's state by name, in SI units (a thermostat's temp_c in °C and calling (1/0); "
        "none for a profile load; see the kind's reference)")
    grid_on_prev: bool = Field(description="Grid state in the previous settlement")
    soc_prev: float = quantity("0..1", ge=0, le=1, description="Battery SoC in the previous settlement")
    surplus_w_prev: float = quantity("W", description="PV surplus in the previous settlement")
    pv_w_prev: float = quantity("W", description="PV power available in the previous settlement", ge=0)
    load_w_prev: float = quantity("W", description="Power served to all loads in the previous settlement", ge=0)


class InverterState(DeviceStateBase):
    tripped: bool = Field(description="Whether the battery is cut off after reaching its shutdown SoC")




class DeviceView(Message):
    """A device's properties and state (``get``; retained on ``config`` after a ``set``)."""

    id: str
    kind: str
    role: str
    properties: dict[str, Any] = Field(description="Its properties, as in the home file")
    state: dict[str, Any] = Field(description="Its state (see the device state messages)")
    revision: BusInt = quantity("1", ge=0, description="The revision of its properties, bumped on every accepted change: "
                             "give it to set (revision=) so that a change based on a stale read is refused")
    changed: list[str] = Field(default_factory=list, description="The properties the change to this revision set "
                               "(empty at revision 0)")


class ClockState(Message):
    """The clock's pace (retained; published on every change)."""

    tick: BusInt = quantity("tick", ge=0, description="Next tick to publish")
    dt_s: BusInt = quantity("s", description="Tick length", gt=0)
    speed: Annotated[float, Field(gt=0, le=MAX_SPEED)] | Literal["max"] = quantity("tick/s",
        description="Ticks per wall second, or 'max' (as fast as it settles)")
    paused: bool
    simulated_s_per_wall_s: float | None = quantity("ratio", description="Simulated seconds per wall second (null at max)")


class TopologyEntry(Message):
    kind: str
    role: str
    status: Literal["present", "missing", "off"] = Field(
        title="DeviceStatus", description="present: its process is connected; missing: it should run but is not; off: switched off")
    since: float = quantity("s", description="Since when, seconds since 1970-01-01 UTC")


class Topology(Message):
    """The watcher's live topology of the home (retained)."""

    devices: dict[str, TopologyEntry]
    time: float = quantity("s", description="When, seconds since 1970-01-01 UTC")


class DeviceSummary(Message):
    id: str
    kind: str
    role: str
    enabled: bool = Field(description="False: switched off (its process does not run)")


class DesiredHome(Message):
    """The controller's desired home (retained)."""

    version: BusInt = quantity("1", ge=0, description="Bumped on every change")
    devices: list[DeviceSummary]
    home: dict[str, Any] = Field(description="The home definition, as in a home file")


# --- procedures -----------------------------------------------------------------------------


class Empty(Message):
    """No arguments."""


class SetProperties(Message):
    """``device.<id>.set``: the properties to change, as keyword arguments (or one mapping), and
    optionally ``revision``: the revision of the device's properties (from ``get`` or its
    ``config`` event) the change is based on. A property it sets that changed since refuses it
    with ``homesim.error.conflict``; if only other properties changed, it is merged. Without a
    revision the last writer wins."""

    model_config = ConfigDict(extra="allow")


class SetSpeed(Message):
    speed: Annotated[float, Field(gt=0, le=MAX_SPEED)] | Literal["max"] = quantity("tick/s",
        description=f"Ticks per wall second (> 0, at most {MAX_SPEED:g}), or 'max'")


class AddDevice(Message):
    device: dict[str, Any] = Field(description="The device, as in a home file: 'kind', optional 'id', properties")


class DeviceId(Message):
    id: str


class SwitchDevice(Message):
    id: str
    on: bool


class AddResult(Message):
    id: str
    kind: str
    enabled: bool


class RemoveResult(Message):
    id: str
    removed: bool


class SwitchResult(Message):
    id: str
    enabled: bool


class RecordCount(Message):
    ticks: BusInt = quantity("count", ge=0, description="Settlements stored")
    last: BusInt = quantity("tick", ge=-1, description="Last tick stored (-1: none)")


class SettlementsSince(Message):
    tick: BusInt = quantity("tick", ge=0, description="First tick wanted")
    limit: BusInt = quantity("count", default=1000, ge=1, le=5000, description="At most this many")


class RecentRequest(Message):
    ticks: BusInt = quantity("count", default=720, ge=1, le=5000, description="How many of the last recorded ticks")


class ReportRequest(Message):
    only: str | None = Field(default=None, description="Just this local day (2026-01-05) or month (2026-01)")


class ReportRows(Message):
    """Energy [kWh], cost, self-sufficiency and outage coverage per local day or month."""

    by: Literal["day", "month"]
    columns: list[str]
    rows: list[dict[str, Any]]
    currency: str


class PlanRequest(Message):
    """A what-if on the live home, run by the fast-forward engine."""

    vary: dict[str, list[float | int | bool | str]] = quantity("by key",
        description="'<device id>.<property>' -> the values to try, e.g. {'battery.capacity_kwh': [5, 10, 15]}; "
                    "every combination is simulated (at most 12)")
    days: float = quantity("days", description="Horizon, from the home's start date", gt=0, le=366, default=7)


class PlanResult(Message):
    """One row per variant: the varied values, then cost, self-sufficiency, unmet hours in
    outages, grid import [kWh], PV [kWh] and outage coverage."""

    rows: list[dict[str, Any]]
    columns: list[str] = Field(description="The rows' columns in order: varied properties first")
    days: float = quantity("days", description="Horizon")
    currency: str


#: The most characters of an uploaded load-shedding file (a country's expanded events for a
#: year are a few MB; the router's messages hold 16 MiB).
MAX_SCHEDULE_CHARS = 8 * (1 << 20)


class ScheduleUpload(Message):
    """``loadshedding.upload``: a load-shedding file's text, checked by its reader and stored
    beside the home file under ``loadshedding/`` (a new name if one with other contents is there)."""

    name: str = Field(min_length=1, max_length=100, description="The file's name, no folders, ending in .csv or .json")
    text: str = Field(max_length=MAX_SCHEDULE_CHARS, description="The file's text (UTF-8)")
    role: Literal["area", "stages"] = Field(
        description="area: the area's outages or rotation (outage events CSV, an area rotation CSV, a saved "
                    "EskomSePush /area response); stages: the national stage over time (a stage timeline CSV or "
                    "JSON, a saved EskomSePush /status response)")


class ScheduleStored(Message):
    """An uploaded load-shedding file as stored: its path for the grid's ``load_shedding`` and what it holds."""

    path: str = Field(description="Where it is, relative to the home file's folder, e.g. loadshedding/events.csv")
    field: Literal["events_csv", "area_schedule_csv", "esp_area_json", "stage_timeline", "esp_status_json"] = Field(
        description="The load_shedding property it goes in")
    areas: list[str] = Field(default_factory=list, description="The areas it offers (outage events: each area_name)")
    rows: int = quantity("count", ge=0, description="Rows, events or stage periods read")
    summary: str = Field(description="What it holds, in words")


class SchedulePreviewRequest(Message):
    """``loadshedding.preview``: what a grid's ``load_shedding`` gives over some days."""

    load_shedding: dict[str, Any] = Field(description="The grid's load_shedding property as it would be set")
    start: str | None = Field(default=None, description="First day shown, local YYYY-MM-DD (null: the first outage's)")
    days: int = quantity("days", default=28, ge=1, le=92, description="Days shown")


class StagePeriod(Message):
    """A national stage over ``[start, end)``, local ISO times."""

    stage: int = quantity("stage", ge=0, le=8, description="0: no load-shedding")
    start: str
    end: str


class DayOff(Message):
    """Hours off in one local day and the highest stage of its outages."""

    date: str = Field(description="YYYY-MM-DD, local")
    hours: float = quantity("h", ge=0, le=25, description="Hours with the grid off")
    stage: int = quantity("stage", ge=0, le=8, description="The highest stage of the day's outages (0: none)")


class StageHours(Message):
    """Average hours off per day at one stage."""

    stage: int = quantity("stage", ge=1, le=8, description="Load-shedding stage")
    hours: float = quantity("h", ge=0, le=24, description="Average hours off per day at this stage")


class SchedulePreview(Message):
    """The area, the stage timeline and the outages a ``load_shedding`` gives over the days asked."""

    area: str = Field(description="The area, in words")
    areas: list[str] = Field(default_factory=list, description="The areas the outage events file offers")
    source: str = Field(description="Where the outages come from, in words")
    timezone: str
    start: str = Field(description="First day shown, YYYY-MM-DD")
    days: int = quantity("days", ge=1, le=92, description="Days shown")
    stages: list[StagePeriod] = Field(description="The stage timeline (empty: outage events alone)")
    outages: list[StagePeriod] = Field(description="The outages in the days shown, at most 500, first first")
    outage_count: int = quantity("count", ge=0, description="Outages in the days shown")
    daily: list[DayOff] = Field(description="Each day shown")
    averages: list[StageHours] = Field(description="Average hours off per day at each stage")
    averages_basis: str = Field(description="What the averages are over, in words")


class PurchaseRequest(Message):
    """``plan.purchase``: plan buying the live home's PV, battery and inverter, year by year."""

    years: int | None = quantity("year", description="Years to plan (null: the finance section's analysis_years)", default=None,
                             ge=1, le=40)
    baseline: Literal["grid_only"] = Field(default="grid_only",
                                           description="What the home would be without the purchase: the grid alone")


class PlanSize(Message):
    pv_kwp: float = quantity("kWp", description="PV array rating", ge=0)
    battery_kwh: float = quantity("kWh", description="Battery capacity", ge=0)
    inverter_kw: float = quantity("kW", description="Inverter rating", ge=0)


class PlanCapital(Message):
    """What the purchase costs, by part (what the home adds over the baseline, priced by the finance section)."""

    pv: float = quantity("currency", description="PV", ge=0)
    battery: float = quantity("currency", description="Battery", ge=0)
    inverter: float = quantity("currency", description="Inverter", ge=0)
    installation: float = quantity("currency", description="Installation", ge=0)
    total: float = quantity("currency", description="Total capital", ge=0)


class PlanTotals(Message):
    """The plan's totals over its years (null: not reached or not defined)."""

    capital: float = quantity("currency", description="Capital")
    npv: float = quantity("currency", description="Net present value at the finance section's discount rate")
    irr: float | None = quantity("1/year", description="Internal rate of return (null: no sign change)")
    simple_payback_years: float | None = quantity("year", description="Simple payback (null: not within the plan)")
    discounted_payback_years: float | None = quantity("year", description="Discounted payback (null: not within the plan)")
    lcoe_per_kwh: float | None = quantity("currency/kWh", description="Levelised cost of the PV's energy")
    savings: float = quantity("currency", description="Bills saved and export earned over the plan")
    bill_without: float = quantity("currency", description="Bills over the plan without the purchase")
    bill_with: float = quantity("currency", description="Bills over the plan with it")
    outage_hours: float = quantity("h", description="Hours without grid over the plan", ge=0)
    unmet_hours_in_outages_without: float = quantity("h", description="Hours in outages with the essential loads unpowered, without")
    unmet_hours_in_outages_with: float = quantity("h", description="The same with the purchase")
    outage_hours_avoided: float = quantity("h", description="Outage hours with the essential loads powered thanks to the purchase")
    outage_coverage: float = quantity("0..1", ge=0, le=1, description="Share of outage hours with the essential loads powered")
    cost_per_outage_hour_avoided: float | None = quantity("currency/h", description="Net cost per outage hour avoided (null: none avoided)")
    battery_ageing_model: str | None = Field(description="Battery ageing model, a published model of its cells "
                                             "(homesim.planning.ageing.MODELS; null: no battery or none for its chemistry)")
    battery_share_last_year: float = quantity("0..1", ge=0, le=1, description="Battery capacity left in the last year, "
                                                                   "share of the original")
    battery_end_of_life_year: int | None = quantity("year", description="Year the battery falls below its end-of-life share "
                                                             "(null: not within the plan)")
    battery_end_of_life_year_by_model: dict[str, int | None] = quantity("year",
        default_factory=dict, description="The same by each published ageing model of its cells, over the same "
        "simulated years (null: not within the plan)")
    battery_share_by_model: dict[str, list[float]] = quantity("0..1",
        default_factory=dict, description="Each published ageing model's battery capacity at the start of each year "
        "1..N over the same simulated years, share of the original (its own model's is battery_share's)")


class PlanYear(Message):
    """One year of a plan: year 0 is the purchase (its energy fields null), years 1..N end-of-year flows."""

    year: int = quantity("year", ge=0, description="Year of the plan (0: the purchase)")
    battery_kwh: float | None = quantity("kWh", description="Battery capacity that year")
    battery_share: float | None = quantity("0..1", description="Battery capacity that year, share of the original")
    battery_cycles: float | None = quantity("count", description="Equivalent full cycles that year")
    pv_share: float | None = quantity("0..1", description="PV output that year, share of its rating")
    pv_kwh: float | None = quantity("kWh", description="PV energy")
    load_kwh: float | None = quantity("kWh", description="Home load")
    import_kwh: float | None = quantity("kWh", description="Grid import")
    export_kwh: float | None = quantity("kWh", description="Grid export")
    baseline_import_kwh: float | None = quantity("kWh", description="Grid import without the purchase")
    baseline_export_kwh: float | None = quantity("kWh", description="Grid export without the purchase")
    bill: float | None = quantity("currency", description="Bill with the purchase")
    baseline_bill: float | None = quantity("currency", description="Bill without it")
    outage_hours: float | None = quantity("h", description="Hours without grid")
    unmet_hours_in_outages: float | None = quantity("h", description="Outage hours with the essential loads unpowered")
    baseline_unmet_hours_in_outages: float | None = quantity("h", description="The same without the purchase")
    savings: float = quantity("currency", description="Bill saved")
    export_revenue: float = quantity("currency", description="Export earned over the baseline")
    capital: float = quantity("currency", description="Capital paid")
    maintenance: float = quantity("currency", description="Maintenance")
    replacements: float = quantity("currency", description="Replacements (inverter, battery)")
    loan_payment: float = quantity("currency", description="Loan payment")
    net: float = quantity("currency", description="Net cash flow of the year")
    cumulative: float = quantity("currency", description="Cumulative net cash flow")
    discounted_cumulative: float = quantity("currency", description="Cumulative discounted net cash flow")


class PurchasePlan(Message):
    """``plan.purchase``'s result: plan.json of ``homesim plan`` (docs: guide, Planning a purchase)."""

    plan_version: int = quantity("1", ge=1, description="Version of the layout")
    home: str = Field(description="The home's name")
    currency: str
    years: int = quantity("year", description="Years planned", ge=1)
    baseline: str = Field(description="What the purchase is compared with (grid_only: the grid alone)")
    assumptions: list[str]
    finance: dict[str, Any] = Field(description="The finance section the plan ran with (docs: Money and ageing)")
    size: PlanSize
    baseline_size: PlanSize
    capital: PlanCapital
    totals: PlanTotals
    rows: list[PlanYear] = Field(description="Years 0..N")


class OptimizeRequest(Message):
    """``plan.optimize``: which of the given values serves an objective best over the plan's years."""

    vary: dict[str, list[float | int | bool | str]] = quantity("by key",
        description="'<device id>.<property>' -> the values to try, e.g. {'battery.capacity_kwh': [5, 10, 15]}")
    objective: Literal["npv", "payback", "outage_coverage"] = Field(
        default="npv", description="npv: highest NPV; payback: shortest simple payback; outage_coverage: largest share "
                                   "of outage hours with the essential loads powered (ties by NPV)")
    budget: float | None = quantity("currency", description="Most capital allowed (null: no limit)", default=None, ge=0)
    min_outage_coverage: float | None = quantity("0..1", default=None, ge=0, le=1,
                                              description="Least outage coverage allowed (null: no limit)")
    years: int | None = quantity("year", description="Years to plan (null: the finance section's analysis_years)", default=None,
                             ge=1, le=40)


class OptimizeResult(Message):
    """Every candidate planned, best first: its varied values, capital, npv, simple_payback_years,
    outage_coverage and feasible (keeps the budget and the least coverage)."""

    objective: str
    rows: list[dict[str, Any]] = Field(description="Candidates, best first")
    best: dict[str, Any] | None = Field(description="The best feasible candidate (null: none keeps the constraints)")
    evaluated: int = quantity("count", ge=0, description="Candidates simulated")
    currency: str
    method: str | None = Field(default=None, description="grid (every candidate) or differential_evolution")
    space: int | None = quantity("count", default=None, ge=0, description="Candidates in the space")
    baseline: str | None = Field(default=None, description="What each candidate is compared with")
    years: int | None = quantity("year", description="Years each candidate is planned over", default=None, ge=1, le=40)
    varied: list[str] | None = Field(default=None, description="The properties varied, in the order asked")
    budget: float | None = quantity("currency", description="Most capital allowed (null: no limit)", default=None, ge=0)
    min_outage_coverage: float | None = quantity("0..1", default=None, ge=0, le=1,
                                              description="Least outage coverage allowed (null: no limit)")

class HistoryUpload(Message):
    """``history.upload``: one chunk of a history file (its text), appended at ``offset``; the
    first chunk (no ``upload``) opens a new upload. A file is sent in chunks of at most
    ``MAX_UPLOAD_CHUNK`` characters (the router's messages hold 16 MiB), at most
    ``MAX_UPLOAD_BYTES`` in all."""

    name: str = Field(description="The file's name (no folders), e.g. home-assistant.csv", min_length=1, max_length=120)
    text: str = Field(description="The chunk's text (UTF-8)")
    upload: str | None = Field(default=None, description="The upload's id from the first chunk's reply (null: a new upload)")
    offset: BusInt = quantity("count", default=0, ge=0, description="Where the chunk goes: the bytes received so far")


class UploadResult(Message):
    """An upload's id and the bytes it holds so far."""

    upload: str
    name: str
    bytes: BusInt = quantity("count", ge=0, description="Bytes received")


class HistoryInspect(Message):
    """``history.inspect``: what an uploaded file is and how its columns map to quantities."""

    upload: str = Field(description="The upload's id")


class HistoryInspection(Message):
    """The detected layout of an uploaded history file, its columns (or Home Assistant entities),
    the guessed mapping of quantities to them, and the live home's location to start from."""

    upload: str
    name: str
    layout: str = Field(description="The detected layout (homesim.history.readers.detect_layout)")
    layout_label: str = Field(description="The layout in words")
    columns: list[str] = Field(description="The file's columns, or its entities (Home Assistant)")
    mapping: dict[str, str] = Field(description="Quantity -> the column (or entity) guessed from its name and unit")
    units: dict[str, str] = Field(description="Quantity -> the unit and kind guessed, in words (e.g. 'kW, power')")
    quantities: dict[str, str] = Field(description="The quantities a mapping may name -> their name in words")
    location: dict[str, Any] = Field(description="The live home's latitude, longitude [deg] and timezone")


class HistoryImport(Message):
    """``history.import``: read the uploaded files with a mapping, calibrate a home at a location,
    and compare it with the history; progressive results [step done, steps]."""

    uploads: list[str] = Field(description="Upload ids", min_length=1, max_length=8)
    mapping: dict[str, Any] = Field(default_factory=dict, description="Quantity -> its column (or entity), or "
                                    "{name, unit, sign}: the unit (W, kW, Wh, kWh, MWh, %, fraction) and sign "
                                    "(import_positive, export_positive; discharge_positive, charge_positive) when the "
                                    "guess is wrong; empty: the guessed mapping")
    latitude: float = quantity("degrees", ge=-90, le=90, description="Latitude of the home")
    longitude: float = quantity("degrees", ge=-180, le=180, description="Longitude of the home")
    timezone: str = Field(description="IANA time zone of the data's local time, e.g. Africa/Johannesburg")


class HistoryImported(Message):
    """An import's result: the data-quality report, the calibrated home, its fitted values, and the
    comparison of its replay with the history (metrics and plots)."""

    job: str = Field(description="The import's id (history.adopt takes it)")
    quality: dict[str, Any] = Field(description="The data-quality report (homesim.history.series.Quality)")
    home: dict[str, Any] = Field(description="The calibrated home, as a home file")
    fitted: dict[str, Any] = Field(description="What calibration fitted (kWp, capacity, efficiency, ...)")
    notes: list[str] = Field(description="What calibration assumed or could not fit, in words")
    report: dict[str, Any] = Field(description="Measured against simulated: metrics by quantity, energy by day and month")
    plots: list[dict[str, str]] = Field(description="Plots of measured against simulated: title and a PNG data URL")
    home_file: str = Field(description="Where the calibrated home file was written (on the machine running the home)")


class HistoryAdopt(Message):
    """``history.adopt``: replace the live home's devices by the calibrated home's, based on the
    desired home's ``version`` the caller read (changed since: ``homesim.error.conflict``)."""

    job: str = Field(description="The import's id")
    version: BusInt = quantity("1", ge=0, description="The desired home's version the caller read")


class AdoptResult(Message):
    """What adopting changed."""

    added: list[str] = Field(description="Devices added")
    removed: list[str] = Field(description="Devices removed")
    changed: list[str] = Field(description="Devices whose properties were set")
    home_file: str = Field(description="The calibrated home file (homesim up runs it as it is)")


class TariffPreview(Message):
    """``tariff.preview``: a tariff for the grid from an OpenEI URDB rate (its JSON text) or the
    native form; the reply has the native tariff and its prices by hour."""

    urdb: str | None = Field(default=None, description="The text of a URDB JSON file (one rate, or a list: the first)")
    name: str | None = Field(default=None, description="The URDB file's name, for messages")
    tariff: dict[str, Any] | None = Field(default=None, description="The native tariff (the grid's 'tariff' property)")


class TariffShown(Message):
    """A tariff, native, and what it charges: prices by season, day type and hour, blocks, fixed charges."""

    tariff: dict[str, Any] = Field(description="The native tariff, as the grid's 'tariff' property takes it")
    properties: dict[str, Any] = Field(description="The grid's properties to set for it: tariff, and the simple form "
                                                   "(import_tariff, export_per_kwh) back at its defaults")
    summary: dict[str, Any] = Field(description="Seasons with their months, each with a weekday's and a weekend's "
                                                "price [currency/kWh] by hour, blocks, fixed charges, currency")


# --- the contract: URI patterns -> models -------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A topic pattern (``{home}``, ``{device}`` are parameters) and its payload model(s)."""

    name: str
    address: str
    messages: tuple[type[Message], ...]
    retained: bool
    publisher: str
    description: str


@dataclass(frozen=True)
class Procedure:
    """An RPC: request (keyword arguments) and reply models, and who may call it."""

    name: str
    address: str
    request: type[Message]
    reply: type[Message] | None
    callee: str
    callers: str
    description: str


ENERGY_MESSAGES = (LoadEnergy, BatteryEnergy)  # (PV and the grid always run ahead)
AHEAD_MESSAGES = (PvEnergyAhead, LoadEnergyAhead, GridEnergyAhead)
STATE_MESSAGES = (SunState, WeatherState, SourceState, GridState, BatteryState, LoadState, InverterState)

TOPICS = (
    Topic("tick", "home.{home}.tick", (Tick,), True, "clock",
          "Published once per tick; the devices whose energy depends on settlements (the battery, a "
          "thermostat, a load with a smart-switch condition) and the inverter take it."),
    Topic("energy", "home.{home}.device.{device}.energy", ENERGY_MESSAGES, False, "each energy device answering ticks",
          "A device's energy event for a tick, by role: a load or the battery (a device that runs ahead, "
          "PV, the grid and a profile load, publishes on energy_ahead instead)."),
    Topic("energy_ahead", "home.{home}.device.{device}.energy_ahead", AHEAD_MESSAGES, False,
          "each device that runs ahead",
          "A device whose energy depends on no settlement: its events for the progress window's ticks."),
    Topic("settlement", "home.{home}.settlement", (Settlement,), True, "inverter",
          "The settlement of a tick, once every present device has reported or the barrier timed out."),
    Topic("progress", "home.{home}.progress", (Progress,), True, "inverter",
          "The last settled tick, the window of ticks the devices running ahead publish, and every device's "
          "flows since the last progress."),
    Topic("state", "home.{home}.device.{device}.state", STATE_MESSAGES, True, "each device",
          "A device's state, every 60 settled ticks and after a property change; a restarted device resumes "
          "from it and the settlements since."),
    Topic("config", "home.{home}.device.{device}.config", (DeviceView,), True, "each device",
          "A device's properties and their revision after every accepted change (and when a restarted device "
          "finds them changed elsewhere)."),
    Topic("clock", "home.{home}.clock", (ClockState,), True, "clock", "The clock's pace, on every change."),
    Topic("topology", "home.{home}.topology", (Topology,), True, "watcher",
          "Which devices are present, missing or off."),
    Topic("devices", "home.{home}.devices", (DesiredHome,), True, "controller", "The desired home."),
)

PROCEDURES = (
    Procedure("device_get", "home.{home}.device.{device}.get", Empty, DeviceView, "each device",
              "viewer, operator", "A device's properties and state."),
    Procedure("device_set", "home.{home}.device.{device}.set", SetProperties, DeviceView, "each device",
              "operator", "Change properties from the next tick on; refused with homesim.error.invalid_property, or "
              "with homesim.error.conflict when a property it sets changed since the revision it names."),
    Procedure("clock_get", "home.{home}.clock.get", Empty, ClockState, "clock", "viewer, operator", "The pace."),
    Procedure("clock_set_speed", "home.{home}.clock.set_speed", SetSpeed, ClockState, "clock", "operator",
              "Ticks per wall second or 'max'."),
    Procedure("clock_pause", "home.{home}.clock.pause", Empty, ClockState, "clock", "operator", "Pause."),
    Procedure("clock_resume", "home.{home}.clock.resume", Empty, ClockState, "clock", "operator", "Resume."),
    Procedure("clock_step", "home.{home}.clock.step", Empty, ClockState, "clock", "operator",
              "One tick while paused."),
    Procedure("controller_list", "home.{home}.controller.list", Empty, None, "controller", "viewer, operator",
              "The devices (a list of DeviceSummary)."),
    Procedure("controller_add", "home.{home}.controller.add", AddDevice, AddResult, "controller", "operator",
              "Add a device; its process starts."),
    Procedure("controller_remove", "home.{home}.controller.remove", DeviceId, RemoveResult, "controller", "operator",
              "Remove a device; its process stops."),
    Procedure("controller_switch", "home.{home}.controller.switch", SwitchDevice, SwitchResult, "controller", "operator",
              "Switch a device on or off (off: its process stops)."),
    Procedure("topology_get", "home.{home}.topology.get", Empty, Topology, "watcher", "viewer, operator",
              "The topology now."),
    Procedure("report_count", "home.{home}.report.count", Empty, RecordCount, "recorder", "viewer, operator",
              "Settlements stored."),
    Procedure("report_daily", "home.{home}.report.daily", ReportRequest, ReportRows, "recorder", "viewer, operator",
              "Recorded energy, cost, self-sufficiency and outage coverage per local day."),
    Procedure("report_monthly", "home.{home}.report.monthly", ReportRequest, ReportRows, "recorder",
              "viewer, operator", "The same per local month."),
    Procedure("report_recent", "home.{home}.report.recent", RecentRequest, None, "recorder", "viewer, operator",
              "The last recorded settlements, oldest first (a list of Settlement): the UI's history after a reload."),
    Procedure("loadshedding_upload", "home.{home}.loadshedding.upload", ScheduleUpload, ScheduleStored, "controller",
              "operator", "Check a load-shedding file with its reader and store it beside the home file under "
              "loadshedding/ (refused naming the file, line and column; nothing written)."),
    Procedure("loadshedding_preview", "home.{home}.loadshedding.preview", SchedulePreviewRequest, SchedulePreview,
              "controller", "operator", "The area, stage timeline and outages a grid's load_shedding gives, hours "
              "off per day and the average at each stage (homesim.loadshedding), without changing the grid."),
    Procedure("plan_compare", "home.{home}.plan.compare", PlanRequest, PlanResult, "planner", "operator",
              "Run a what-if with the fast-forward engine on the home as it is now."),
    Procedure("plan_purchase", "home.{home}.plan.purchase", PurchaseRequest, PurchasePlan, "planner", "operator",
              "Plan buying the home's PV, battery and inverter as it is now, year by year with ageing, priced by its "
              "finance section (the home's finance:, or finance.yaml beside the home file); progressive results "
              "[years simulated, years to simulate] (the home's and the baseline's) when the caller asks for them."),
    Procedure("plan_optimize", "home.{home}.plan.optimize", OptimizeRequest, OptimizeResult, "planner", "operator",
              "Plan every candidate value (homesim.planning.optimize) and rank them by an objective under a budget and a "
              "least outage coverage; progressive results [candidates done, candidates planned]."),
    Procedure("history_upload", "home.{home}.history.upload", HistoryUpload, UploadResult, "planner", "operator",
              "One chunk of a history file (CSV) to import: the first opens an upload, the next append at their offset."),
    Procedure("history_inspect", "home.{home}.history.inspect", HistoryInspect, HistoryInspection, "planner",
              "operator", "An uploaded file's layout, columns and the guessed mapping of quantities to them."),
    Procedure("history_import", "home.{home}.history.import", HistoryImport, HistoryImported, "planner", "operator",
              "Read uploaded history files, calibrate a home from them and compare its replay with them "
              "(homesim import); progressive results [steps done, steps]."),
    Procedure("history_adopt", "home.{home}.history.adopt", HistoryAdopt, AdoptResult, "planner", "operator",
              "Replace the live home's devices by an import's calibrated home, through the controller, if the desired "
              "home is still at the version read (else homesim.error.conflict)."),
    Procedure("tariff_preview", "home.{home}.tariff.preview", TariffPreview, TariffShown, "planner", "operator",
              "A tariff from a URDB JSON rate or the native form, as the grid's tariff property, with its prices by "
              "hour, season and day type."),
    Procedure("settlements_since", "home.{home}.settlements.since", SettlementsSince, None, "inverter",
              "services, devices", "Recent settlements from a tick on (a list of Settlement), for the recorder "
              "and a restarted device (it replays those after its last retained state)."),
)

M = TypeVar("M", bound=Message)


def parse(model: type[M], payload: Any, where: str) -> M | None:
    """``payload`` as ``model``, or ``None`` after logging why it was dropped."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}"
                             for e in error.errors()[:5])
        log.warning("dropped a message on %s: %s", where, problems)
        return None


def valid(model: type[Message], payload: Any, where: str) -> bool:
    """Whether ``payload`` matches ``model`` (if not, the reason is logged: drop it)."""
    return parse(model, payload, where) is not None
