"""Every message on a home's WAMP bus, as pydantic models: the one source of truth.

From these models, and only from them, ``homesim specs`` writes the AsyncAPI document
(``specs/``), and from that Modelina writes the UI's TypeScript models. Services validate what
they receive against them at the boundary (``parse``): a message that does not match is logged
with the reason and dropped.

Conventions: SI units ([J], [W], [s], [degrees C]), given in each field's description and as
``x-unit``; energy as integer Joules; every integer within +-(2**53 - 1), so that it is exact
as a JavaScript number too; no NaN or infinite numbers; a flow ``e[device]`` is positive into the home's bus
(PV, battery discharge, grid import) and negative out of it (loads, battery charge, export);
per tick ``sum(e.values()) == loss_j`` exactly.

To add a message kind: write its model here, add it to ``TOPICS`` or ``PROCEDURES`` below
with its URI pattern, publish or register it in the service, run ``cd/process_specs.sh``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger("homesim.bus")


def unit(description: str, symbol: str, **kwargs: Any) -> Any:
    """A field with its unit in the description (``[J]``) and as ``x-unit``."""
    return Field(description=f"{description} [{symbol}]", json_schema_extra={"x-unit": symbol}, **kwargs)


#: The largest integer a JavaScript number (the UI) holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: The clock's fastest pace [ticks per wall second] (a home settles a few hundred ticks a second;
#: beyond this the pace, and the simulated seconds per wall second, would no longer be numbers).
MAX_SPEED = 1e6
#: The highest price of a kWh on the bus [currency/kWh] (a home's tariffs allow at most 1000; a
#: price near the largest float would make a tick's cost infinite).
MAX_PRICE = 1e6


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


TickNumber = Field(ge=0, description="Tick number from the start of the run (0 is the first tick)")


# --- topics --------------------------------------------------------------------------------


class Tick(Message):
    """The clock's tick (retained): every device that does not run ahead answers it with its energy event."""

    tick: BusInt = TickNumber
    time: BusInt = unit("Start of the tick, seconds since 1970-01-01 UTC", "s")
    dt_s: BusInt = unit("Tick length", "s", gt=0)
    sent: float = unit("Wall-clock time the clock published it, seconds since 1970-01-01 UTC", "s")
    settled: Settlement | None = Field(
        default=None, description="The newest settlement the clock has seen (the tick before's): the devices take "
                                  "it from here rather than from the settlement topic, in order with the tick "
                                  "(null: none yet)")


class PvEnergy(Message):
    """A PV array's energy event: the DC energy it can deliver this tick."""

    tick: BusInt = TickNumber
    available_j: BusInt = unit("DC energy available this tick", "J", ge=0)


class LoadEnergy(Message):
    """A load's energy event: the energy it asks for this tick."""

    tick: BusInt = TickNumber
    demand_j: BusInt = unit("Energy demanded this tick", "J", ge=0)
    pv_only_j: BusInt = unit("The part of demand_j that may be served only from the PV the other loads and the "
                             "battery leave (a PV-surplus charger): never from the battery or the grid; absent: none",
                             "J", ge=0, default=0)


class BatteryEnergy(Message):
    """The battery's energy event: the energy it stores at the start of the tick."""

    tick: BusInt = TickNumber
    stored_j: BusInt = unit("Energy stored", "J", ge=0)


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
    import_price: float = unit("Import price", "currency/kWh", ge=0, le=MAX_PRICE)
    export_price: float = unit("Export price (credit)", "currency/kWh", ge=0, le=MAX_PRICE)
    stage: int | None = Field(default=None, ge=0, le=8, description=STAGE_DOC)
    outage_end: str | None = Field(default=None, description=OUTAGE_END_DOC)
    next_outage_start: str | None = Field(default=None, description=NEXT_START_DOC)
    next_outage_end: str | None = Field(default=None, description=NEXT_END_DOC)
    next_outage_stage: int | None = Field(default=None, ge=0, le=8, description=NEXT_STAGE_DOC)


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
    time: BusInt = unit("Start of the tick, seconds since 1970-01-01 UTC", "s")
    dt_s: BusInt = unit("Tick length", "s", gt=0)
    e: dict[str, BusInt] = unit("Energy flow per device that took part, + into the home's bus, - out of it", "J")
    demand: dict[str, BusInt] = unit("Energy each load that took part asked for", "J")
    loss_j: BusInt = unit("Conversion losses in the inverter this tick", "J", ge=0)
    curtailed_j: BusInt = unit("PV energy available but not used", "J", ge=0)
    soc: float | None = Field(ge=0, le=1, description="Battery state of charge after the tick (null: no battery "
                                                         "took part)")
    grid_on: bool = Field(description="Whether the grid was up")
    stage: int | None = Field(default=None, ge=0, le=8, description=STAGE_DOC + ", from the grid's energy event")
    outage_end: str | None = Field(default=None, description=OUTAGE_END_DOC)
    next_outage_start: str | None = Field(default=None, description=NEXT_START_DOC)
    next_outage_end: str | None = Field(default=None, description=NEXT_END_DOC)
    next_outage_stage: int | None = Field(default=None, ge=0, le=8, description=NEXT_STAGE_DOC)
    cost: float = unit("Cost of this tick's grid energy (import cost minus export credit)", "currency")
    pv_surplus_w: float = unit("PV surplus: the AC power PV could have given the loads beyond what charged the "
                               "battery (after the inverter's losses, within its rating) less what all loads drew; "
                               "negative when they drew more, from the battery or the grid", "W")
    missing: list[str] = Field(description="Devices that are on but sent no energy event: they have no flow")
    off: list[str] = Field(description="Devices switched off: they take no part")
    tick_sent: float | None = unit("When the clock published the tick, seconds since 1970-01-01 UTC", "s",
                                   default=None)
    tripped: bool = Field(default=False, description="Whether the battery is cut off after the tick, having reached "
                                                     "its shutdown SoC (until its restart SoC)")


class DeviceFlows(Message):
    """A device's energy over the ticks a progress message covers."""

    in_j: BusInt = unit("Energy into the home's bus", "J", ge=0)
    out_j: BusInt = unit("Energy out of the home's bus", "J", ge=0)


class Progress(Message):
    """The inverter's progress (retained): published when its window of ticks ahead moves, and otherwise at
    most a few times a wall second while ticks settle. Devices whose energy depends on no settlement (they
    *run ahead*: PV, the grid, profile loads) publish their events for the window's ticks on
    ``energy_ahead`` instead of answering every tick, and take their metrics from the flows; the sun and
    the weather publish what they see at ``tick``."""

    tick: BusInt = Field(ge=-1, description="Last settled tick (-1: none yet)")
    holder: BusInt = Field(ge=0, description="The inverter's session: a new one holds no events ahead, and every "
                                             "device running ahead publishes the window again")
    window_start: BusInt = Field(ge=0, description="First tick whose energy events the devices running ahead "
                                                   "publish now")
    window_end: BusInt = Field(ge=0, description="The tick after the window's last")
    first_tick: BusInt = Field(ge=0, description="First tick the flows cover (they cover first_tick..tick)")
    flows: dict[str, DeviceFlows] = Field(description="Each device's energy over the ticks covered")
    settled: Settlement | None = Field(description="The settlement of tick (null: none yet)")


Tick.model_rebuild()  # its ``settled`` is a Settlement, defined after it


class DeviceStateBase(Message):
    """What a device keeps between ticks (retained; a restarted device resumes from it)."""

    tick: BusInt = Field(ge=-1, description="Last settled tick taken into the state (-1: none yet)")


class SunState(DeviceStateBase):
    zenith_deg: float | None = unit("Apparent solar zenith angle (null before the first tick)", "deg", default=None)
    azimuth_deg: float | None = unit("Solar azimuth, clockwise from north", "deg", default=None)
    clear_sky_ghi_w_m2: float | None = unit("Clear-sky global horizontal irradiance", "W/m2", default=None)


class WeatherState(DeviceStateBase):
    ghi_w_m2: float | None = unit("Global horizontal irradiance (null before the first tick)", "W/m2", default=None)
    temp_air_c: float | None = unit("Air temperature", "degC", default=None)
    cloud_cover: float | None = Field(default=None, ge=0, le=1, description="Cloud cover (null: from a file)")


class SourceState(DeviceStateBase):
    pass


class GridState(DeviceStateBase):
    pass


class BatteryState(DeviceStateBase):
    stored_j: BusInt = unit("Energy stored", "J", ge=0)
    soc: float = Field(ge=0, le=1, description="State of charge")


class LoadState(DeviceStateBase):
    values: dict[str, float] = Field(
        description="Its behaviour's state by name, in SI units (a thermostat's temp_c [degC] and calling (1/0); "
        "none for a profile load; see the kind's reference)")
    grid_on_prev: bool = Field(description="Grid state in the previous settlement")
    soc_prev: float = Field(ge=0, le=1, description="Battery SoC in the previous settlement")
    surplus_w_prev: float = unit("PV surplus in the previous settlement", "W")
    pv_w_prev: float = unit("PV power available in the previous settlement", "W", ge=0)
    load_w_prev: float = unit("Power served to all loads in the previous settlement", "W", ge=0)


class InverterState(DeviceStateBase):
    tripped: bool = Field(description="Whether the battery is cut off after reaching its shutdown SoC")




class DeviceView(Message):
    """A device's properties and state (``get``; retained on ``config`` after a ``set``)."""

    id: str
    kind: str
    role: str
    properties: dict[str, Any] = Field(description="Its properties, as in the home file")
    state: dict[str, Any] = Field(description="Its state (see the device state messages)")
    revision: BusInt = Field(ge=0, description="The revision of its properties, bumped on every accepted change: "
                             "give it to set (revision=) so that a change based on a stale read is refused")
    changed: list[str] = Field(default_factory=list, description="The properties the change to this revision set "
                               "(empty at revision 0)")


class ClockState(Message):
    """The clock's pace (retained; published on every change)."""

    tick: BusInt = Field(ge=0, description="Next tick to publish")
    dt_s: BusInt = unit("Tick length", "s", gt=0)
    speed: Annotated[float, Field(gt=0, le=MAX_SPEED)] | Literal["max"] = Field(
        description="Ticks per wall second, or 'max' (as fast as it settles)")
    paused: bool
    simulated_s_per_wall_s: float | None = Field(description="Simulated seconds per wall second (null at max)")


class TopologyEntry(Message):
    kind: str
    role: str
    status: Literal["present", "missing", "off"] = Field(
        title="DeviceStatus", description="present: its process is connected; missing: it should run but is not; off: switched off")
    since: float = unit("Since when, seconds since 1970-01-01 UTC", "s")


class Topology(Message):
    """The watcher's live topology of the home (retained)."""

    devices: dict[str, TopologyEntry]
    time: float = unit("When, seconds since 1970-01-01 UTC", "s")


class DeviceSummary(Message):
    id: str
    kind: str
    role: str
    enabled: bool = Field(description="False: switched off (its process does not run)")


class DesiredHome(Message):
    """The controller's desired home (retained)."""

    version: BusInt = Field(ge=0, description="Bumped on every change")
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
    speed: Annotated[float, Field(gt=0, le=MAX_SPEED)] | Literal["max"] = Field(
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
    ticks: BusInt = Field(ge=0, description="Settlements stored")
    last: BusInt = Field(ge=-1, description="Last tick stored (-1: none)")


class SettlementsSince(Message):
    tick: BusInt = Field(ge=0, description="First tick wanted")
    limit: BusInt = Field(default=1000, ge=1, le=5000, description="At most this many")


class RecentRequest(Message):
    ticks: BusInt = Field(default=720, ge=1, le=5000, description="How many of the last recorded ticks")


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

    vary: dict[str, list[float | int | bool | str]] = Field(
        description="'<device id>.<property>' -> the values to try, e.g. {'battery.capacity_kwh': [5, 10, 15]}; "
                    "every combination is simulated (at most 12)")
    days: float = unit("Horizon, from the home's start date", "days", gt=0, le=366, default=7)


class PlanResult(Message):
    """One row per variant: the varied values, then cost, self-sufficiency, unmet hours in
    outages, grid import [kWh], PV [kWh] and outage coverage."""

    rows: list[dict[str, Any]]
    columns: list[str] = Field(description="The rows' columns in order: varied properties first")
    days: float = unit("Horizon", "days")
    currency: str



class PurchaseRequest(Message):
    """``plan.purchase``: plan buying the live home's PV, battery and inverter, year by year."""

    years: int | None = unit("Years to plan (null: the finance section's analysis_years)", "year", default=None,
                             ge=1, le=40)
    baseline: Literal["grid_only"] = Field(default="grid_only",
                                           description="What the home would be without the purchase: the grid alone")


class PlanSize(Message):
    pv_kwp: float = unit("PV array rating", "kWp", ge=0)
    battery_kwh: float = unit("Battery capacity", "kWh", ge=0)
    inverter_kw: float = unit("Inverter rating", "kW", ge=0)


class PlanCapital(Message):
    """What the purchase costs, by part (what the home adds over the baseline, priced by the finance section)."""

    pv: float = unit("PV", "currency", ge=0)
    battery: float = unit("Battery", "currency", ge=0)
    inverter: float = unit("Inverter", "currency", ge=0)
    installation: float = unit("Installation", "currency", ge=0)
    total: float = unit("Total capital", "currency", ge=0)


class PlanTotals(Message):
    """The plan's totals over its years (null: not reached or not defined)."""

    capital: float = unit("Capital", "currency")
    npv: float = unit("Net present value at the finance section's discount rate", "currency")
    irr: float | None = unit("Internal rate of return (null: no sign change)", "1/year")
    simple_payback_years: float | None = unit("Simple payback (null: not within the plan)", "year")
    discounted_payback_years: float | None = unit("Discounted payback (null: not within the plan)", "year")
    lcoe_per_kwh: float | None = unit("Levelised cost of the PV's energy", "currency/kWh")
    savings: float = unit("Bills saved and export earned over the plan", "currency")
    bill_without: float = unit("Bills over the plan without the purchase", "currency")
    bill_with: float = unit("Bills over the plan with it", "currency")
    outage_hours: float = unit("Hours without grid over the plan", "h", ge=0)
    unmet_hours_in_outages_without: float = unit("Hours in outages with the essential loads unpowered, without", "h")
    unmet_hours_in_outages_with: float = unit("The same with the purchase", "h")
    outage_hours_avoided: float = unit("Outage hours with the essential loads powered thanks to the purchase", "h")
    outage_coverage: float = Field(ge=0, le=1, description="Share of outage hours with the essential loads powered")
    cost_per_outage_hour_avoided: float | None = unit("Net cost per outage hour avoided (null: none avoided)",
                                                      "currency/h")
    battery_ageing_model: str | None = Field(description="Battery ageing model, a published model of its cells "
                                             "(homesim.planning.ageing.MODELS; null: no battery or none for its chemistry)")
    battery_share_last_year: float = Field(ge=0, le=1, description="Battery capacity left in the last year, "
                                                                   "share of the original")
    battery_end_of_life_year: int | None = Field(description="Year the battery falls below its end-of-life share "
                                                             "(null: not within the plan)")
    battery_end_of_life_year_by_model: dict[str, int | None] = Field(
        default_factory=dict, description="The same by each published ageing model of its cells, over the same "
        "simulated years (null: not within the plan)")
    battery_share_by_model: dict[str, list[float]] = Field(
        default_factory=dict, description="Each published ageing model's battery capacity at the start of each year "
        "1..N over the same simulated years, share of the original (its own model's is battery_share's)")


class PlanYear(Message):
    """One year of a plan: year 0 is the purchase (its energy fields null), years 1..N end-of-year flows."""

    year: int = Field(ge=0, description="Year of the plan (0: the purchase)")
    battery_kwh: float | None = unit("Battery capacity that year", "kWh")
    battery_share: float | None = Field(description="Battery capacity that year, share of the original")
    battery_cycles: float | None = Field(description="Equivalent full cycles that year")
    pv_share: float | None = Field(description="PV output that year, share of its rating")
    pv_kwh: float | None = unit("PV energy", "kWh")
    load_kwh: float | None = unit("Home load", "kWh")
    import_kwh: float | None = unit("Grid import", "kWh")
    export_kwh: float | None = unit("Grid export", "kWh")
    baseline_import_kwh: float | None = unit("Grid import without the purchase", "kWh")
    baseline_export_kwh: float | None = unit("Grid export without the purchase", "kWh")
    bill: float | None = unit("Bill with the purchase", "currency")
    baseline_bill: float | None = unit("Bill without it", "currency")
    outage_hours: float | None = unit("Hours without grid", "h")
    unmet_hours_in_outages: float | None = unit("Outage hours with the essential loads unpowered", "h")
    baseline_unmet_hours_in_outages: float | None = unit("The same without the purchase", "h")
    savings: float = unit("Bill saved", "currency")
    export_revenue: float = unit("Export earned over the baseline", "currency")
    capital: float = unit("Capital paid", "currency")
    maintenance: float = unit("Maintenance", "currency")
    replacements: float = unit("Replacements (inverter, battery)", "currency")
    loan_payment: float = unit("Loan payment", "currency")
    net: float = unit("Net cash flow of the year", "currency")
    cumulative: float = unit("Cumulative net cash flow", "currency")
    discounted_cumulative: float = unit("Cumulative discounted net cash flow", "currency")


class PurchasePlan(Message):
    """``plan.purchase``'s result: plan.json of ``homesim plan`` (docs: guide, Planning a purchase)."""

    plan_version: int = Field(ge=1, description="Version of the layout")
    home: str = Field(description="The home's name")
    currency: str
    years: int = unit("Years planned", "year", ge=1)
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

    vary: dict[str, list[float | int | bool | str]] = Field(
        description="'<device id>.<property>' -> the values to try, e.g. {'battery.capacity_kwh': [5, 10, 15]}")
    objective: Literal["npv", "payback", "outage_coverage"] = Field(
        default="npv", description="npv: highest NPV; payback: shortest simple payback; outage_coverage: largest share "
                                   "of outage hours with the essential loads powered (ties by NPV)")
    budget: float | None = unit("Most capital allowed (null: no limit)", "currency", default=None, ge=0)
    min_outage_coverage: float | None = Field(default=None, ge=0, le=1,
                                              description="Least outage coverage allowed (null: no limit)")
    years: int | None = unit("Years to plan (null: the finance section's analysis_years)", "year", default=None,
                             ge=1, le=40)


class OptimizeResult(Message):
    """Every candidate planned, best first: its varied values, capital, npv, simple_payback_years,
    outage_coverage and feasible (keeps the budget and the least coverage)."""

    objective: str
    rows: list[dict[str, Any]] = Field(description="Candidates, best first")
    best: dict[str, Any] | None = Field(description="The best feasible candidate (null: none keeps the constraints)")
    evaluated: int = Field(ge=0, description="Candidates simulated")
    currency: str
    method: str | None = Field(default=None, description="grid (every candidate) or differential_evolution")
    space: int | None = Field(default=None, ge=0, description="Candidates in the space")
    baseline: str | None = Field(default=None, description="What each candidate is compared with")
    years: int | None = unit("Years each candidate is planned over", "year", default=None, ge=1, le=40)
    varied: list[str] | None = Field(default=None, description="The properties varied, in the order asked")
    budget: float | None = unit("Most capital allowed (null: no limit)", "currency", default=None, ge=0)
    min_outage_coverage: float | None = Field(default=None, ge=0, le=1,
                                              description="Least outage coverage allowed (null: no limit)")

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
    Procedure("plan_compare", "home.{home}.plan.compare", PlanRequest, PlanResult, "planner", "operator",
              "Run a what-if with the fast-forward engine on the home as it is now."),
    Procedure("plan_purchase", "home.{home}.plan.purchase", PurchaseRequest, PurchasePlan, "planner", "operator",
              "Plan buying the home's PV, battery and inverter as it is now, year by year with ageing, priced by its "
              "finance section (the home's finance:, or finance.yaml beside the home file); progressive results "
              "[years simulated, years to simulate] (the home's and the baseline's) when the caller asks for them."),
    Procedure("plan_optimize", "home.{home}.plan.optimize", OptimizeRequest, OptimizeResult, "planner", "operator",
              "Plan every candidate value (homesim.planning.optimize) and rank them by an objective under a budget and a "
              "least outage coverage; progressive results [candidates done, candidates planned]."),
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
