"""Hybrid inverter: settles every tick, Joule for Joule, by the settings real inverters offer.

Topology: PV arrays and the battery sit on the DC bus; essential loads on the inverter's
backup (AC) output; non-essential loads and the grid on the AC grid side. Energy crossing
between DC and AC goes through the inverter at efficiency ``eta`` (flat, PVWatts curve or a
table of points); the difference is the tick's conversion loss (heat). Grid power reaching
loads passes the inverter's bypass relay without loss.

Over 500 lines: the settings and the settlement that reads them, one kind in one module as every
kind is; the settlement is in named parts of at most ~50 lines, each inlined into it.

Dispatch of one tick (integer Joules), in this order:

The battery's direction is decided once, from the net: it charges or discharges, never both.

1. ``battery_first`` (grid on only): PV charges the battery first; the battery does not
   discharge in a tick PV charges it.
2. PV serves the loads the inverter powers (through ``eta``, up to the AC rating).
3. Loads left short: the battery serves them together with the PV left (one DC bus: a
   rounding remainder of PV never keeps the battery from serving), down to the floor SoC:
   with the grid on, the largest of the active program's SoC, the backup reserve and the
   low-battery SoC, and at most the program's power; in an outage, the shutdown SoC. After a
   shutdown the battery stays off until it is recharged to the restart SoC. Loads covered
   (``load_first``): the PV left charges the battery.
4. The PV-only part of the loads (a PV-surplus charger) gets the PV the loads and the
   battery left; never the battery or the grid.
5. ``selling_first``: remaining PV is exported up to the export limit; otherwise it is
   curtailed (zero export / limited to home).
6. The grid (when on) serves what is left; in an outage it is unmet, and non-essential loads
   are off.
7. Grid charge: when the active program allows it, the battery is charged from the grid up
   to the program's SoC at the program's power.

Work modes: ``selling_first`` (serve the home, export the surplus), ``limited_to_home`` (serve
every load in the home, never export), ``zero_export`` (serve only essential loads, never
export; non-essential loads draw from the grid).

Balance identity, exact per tick:
``sum(pv_used) + battery_j + grid_import - grid_export - sum(served) - loss == 0``.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal, NamedTuple

import numpy as np
from homesim.jit import njit
from pydantic import BaseModel, ConfigDict, Field, model_validator

from homesim.devices import battery as battery_model
from homesim.findings import Finding, raise_findings, show
from homesim import messages
from homesim.devices.base import DeviceConfig, Ratio, TimeOfDay, seconds_of_day
from homesim.units import quantity

SELLING_FIRST = 0
ZERO_EXPORT = 1
LIMITED_TO_HOME = 2
WORK_MODES = {"selling_first": SELLING_FIRST, "zero_export": ZERO_EXPORT, "limited_to_home": LIMITED_TO_HOME}

CURVE_FLAT = 0
CURVE_PVWATTS = 1
CURVE_POINTS = 2

#: Efficiency is never taken below this, so a near-idle inverter still converts a little.
MIN_EFFICIENCY = 0.05


class PvwattsEfficiency(BaseModel):
    """The PVWatts inverter curve (Dobos 2014), as ``pvlib.inverter.pvwatts``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    curve: Literal["pvwatts"] = Field(description="the PVWatts curve")
    nominal: Annotated[float, quantity("0..1", gt=0.5, le=1.0, description="nominal efficiency, AC out per DC in")] = 0.96
    reference: Annotated[float, quantity("0..1", gt=0.5, le=1.0, description="reference efficiency of the curve")] = 0.9637


class PointsEfficiency(BaseModel):
    """Efficiency interpolated from ``[load_fraction, efficiency]`` points (fraction of rated power)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    curve: Literal["points"] = Field(description="a curve through points")
    points: list[tuple[Annotated[float, Field(ge=0.0, le=2.0)], Annotated[float, Field(gt=0.05, le=1.0)]]] = quantity("0..1",
        min_length=2, description="[load fraction of the rated power, efficiency] pairs, load fractions increasing"
    )

    @model_validator(mode="after")
    def _sorted(self) -> "PointsEfficiency":
        fractions = [p[0] for p in self.points]
        if fractions != sorted(set(fractions)):
            raise ValueError("points must have strictly increasing load fractions")
        return self


class ProgramSlot(BaseModel):
    """One time-of-use program slot; it lasts until the next slot's start (wrapping)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    start: TimeOfDay = Field(description="the slot starts, local time; it lasts until the next slot's start [HH:MM]")
    power_w: Annotated[float, quantity("W", ge=0.0, le=1e7, description="max battery power in this slot")]
    soc: Annotated[Ratio, quantity("0..1", description="discharge floor, and grid-charge target")]
    grid_charge: bool = Field(default=False, description="charge the battery from the grid up to soc at power_w")


class InverterParams(NamedTuple):
    """Compiled inverter parameters (SI)."""

    rated_w: float  # AC rating [W]
    curve: int
    eta_flat: float
    eta_nominal: float
    eta_reference: float
    pdc0_w: float  # DC input at rated AC for the PVWatts curve [W]
    curve_x: np.ndarray  # load fractions
    curve_y: np.ndarray  # efficiencies
    work_mode: int
    battery_first: bool
    shutdown_soc: float
    low_soc: float
    restart_soc: float
    reserve_soc: float


class Config(DeviceConfig):
    """A hybrid inverter and its settings."""

    ROLE: ClassVar[str] = "inverter"
    ONE_PER_HOME: ClassVar[bool] = True
    JOINS_AS: ClassVar[Literal["device", "service"]] = "service"  # it settles the home
    REMOVABLE: ClassVar[bool] = False  # the home does not run without it
    METRICS: ClassVar[frozenset[str]] = frozenset({"settlement"})  # its losses are the settlement's
    STATE_MODEL: ClassVar[type] = messages.InverterState
    LABEL: ClassVar[str] = "Inverter"
    ICON: ClassVar[str] = "\N{CONTROL KNOBS}\N{VARIATION SELECTOR-16}"
    PALETTE_ORDER: ClassVar[int | None] = 30

    kind: Literal["inverter"] = "inverter"
    rated_power_w: Annotated[float, quantity("W", gt=0.0, le=1e7, title="Rated power", description="AC rating")] = 5000.0
    efficiency: Annotated[float, Field(gt=0.5, le=1.0)] | PvwattsEfficiency | PointsEfficiency = quantity("0..1",
        default=0.96, title="Efficiency",
        description="AC out per DC in; or a curve: pvwatts, or points of load fraction and efficiency")
    work_mode: Literal["selling_first", "zero_export", "limited_to_home"] = Field(
        default="limited_to_home", title="Work mode",
        description="selling first: export the surplus; zero export: never export; limited to home: cover the home's loads only")
    priority: Literal["load_first", "battery_first"] = Field(
        default="load_first", title="Solar priority", description="what PV power goes to first")
    programs: list[ProgramSlot] = Field(
        default_factory=list, max_length=6, title="Time-of-use programs",
        description="up to six slots, each from its start to the next one's")
    battery_shutdown_soc: Annotated[Ratio, quantity("0..1", title="Battery shutdown charge",
                                                            description="below this the inverter stops using the battery")] = 0.1
    battery_low_soc: Annotated[Ratio, quantity("0..1", title="Battery low charge",
                                                       description="below this the battery only supplies the backup loads")] = 0.2
    battery_restart_soc: Annotated[Ratio, quantity("0..1", title="Battery restart charge",
                                                           description="after a shutdown the battery is used again from this")] = 0.3
    backup_reserve_soc: Annotated[Ratio, quantity("0..1", title="Backup reserve",
                                                          description="charge kept for outages while the grid is on")] = 0.2

    @model_validator(mode="after")
    def _settings(self) -> "Config":
        starts = [seconds_of_day(slot.start) for slot in self.programs]
        if len(set(starts)) != len(starts):
            raise ValueError("program slots must start at different times")
        # One error per field at its own path (devices[5].battery_low_soc: ...).
        shutdown, low, restart = self.battery_shutdown_soc, self.battery_low_soc, self.battery_restart_soc
        found = []
        if low < shutdown:
            found.append(Finding(("battery_low_soc",), low,
                                 f"must be >= battery_shutdown_soc {show(shutdown)} (shutdown <= low <= restart)"))
        if restart < max(low, shutdown):
            name = "battery_low_soc" if low >= shutdown else "battery_shutdown_soc"
            found.append(Finding(("battery_restart_soc",), restart,
                                 f"must be >= {name} {show(max(low, shutdown))} (shutdown <= low <= restart): "
                                 "the battery restarts above where it shuts down"))
        if self.backup_reserve_soc < shutdown:
            found.append(Finding(("backup_reserve_soc",), self.backup_reserve_soc,
                                 f"must be >= battery_shutdown_soc {show(shutdown)}: the grid-on reserve can't be "
                                 "below the outage cutoff"))
        raise_findings("inverter", found)
        return self

    def params(self) -> InverterParams:
        eff = self.efficiency
        curve_x = np.array([0.0, 1.0])
        curve_y = np.array([1.0, 1.0])
        curve, flat, nominal, reference = CURVE_FLAT, 1.0, 1.0, 1.0
        if isinstance(eff, float):
            flat = float(eff)
        elif isinstance(eff, PvwattsEfficiency):
            curve, nominal, reference = CURVE_PVWATTS, eff.nominal, eff.reference
        else:
            curve = CURVE_POINTS
            curve_x = np.array([p[0] for p in eff.points], dtype=np.float64)
            curve_y = np.array([p[1] for p in eff.points], dtype=np.float64)
        return InverterParams(
            rated_w=self.rated_power_w,
            curve=curve,
            eta_flat=flat,
            eta_nominal=nominal,
            eta_reference=reference,
            pdc0_w=self.rated_power_w / nominal,
            curve_x=curve_x,
            curve_y=curve_y,
            work_mode=WORK_MODES[self.work_mode],
            battery_first=self.priority == "battery_first",
            shutdown_soc=self.battery_shutdown_soc,
            low_soc=self.battery_low_soc,
            restart_soc=self.battery_restart_soc,
            reserve_soc=self.backup_reserve_soc,
        )

    def program_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Slot start times [s of day] (sorted) and a ``[n, 3]`` table of (soc, power_w, grid_charge)."""
        slots = sorted(self.programs, key=lambda s: seconds_of_day(s.start))
        if not slots:
            slots = [ProgramSlot(start="00:00", power_w=self.rated_power_w, soc=0.0)]
        starts = np.array([seconds_of_day(s.start) for s in slots], dtype=np.int64)
        table = np.array([[s.soc, s.power_w, 1.0 if s.grid_charge else 0.0] for s in slots], dtype=np.float64)
        return starts, table

    def slot_index(self, second_of_day: np.ndarray) -> np.ndarray:
        """Active program slot of each tick (index into :meth:`program_table`)."""
        starts, _ = self.program_table()
        index = np.searchsorted(starts, second_of_day, side="right") - 1
        return np.where(index < 0, len(starts) - 1, index).astype(np.int64)


# settle's helpers are inlined where they are called (numba's inline="always"; plain Python
# the same): a compiled call a tick cost more than their arithmetic.
@njit(cache=True, inline="always")
def efficiency(inv, dc_w):
    """Conversion efficiency at a DC throughput ``dc_w`` [W] (clamped to [0.05, 1])."""
    if inv.curve == CURVE_FLAT:
        eta = inv.eta_flat
    elif inv.curve == CURVE_PVWATTS:
        zeta = dc_w / inv.pdc0_w
        if zeta <= 0.0:
            eta = inv.eta_nominal
        else:
            eta = inv.eta_nominal / inv.eta_reference * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    else:
        eta = _interpolate(dc_w / inv.rated_w, inv.curve_x, inv.curve_y)
    return min(1.0, max(MIN_EFFICIENCY, eta))


@njit(cache=True, inline="always")
def _interpolate(x, xs, ys):
    """Linear interpolation in a short sorted table, flat beyond its ends."""
    if x <= xs[0]:
        return ys[0]
    for i in range(1, xs.shape[0]):
        if x <= xs[i]:
            return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return ys[xs.shape[0] - 1]


@njit(cache=True, inline="always")
def _dc_to_ac(dc_available, ac_wanted, eta):
    """AC delivered and DC drawn to deliver at most ``ac_wanted`` from ``dc_available`` [J]."""
    ac = min(ac_wanted, math.floor(dc_available * eta))
    if ac <= 0:
        return 0, 0
    dc = min(dc_available, max(ac, math.ceil(ac / eta)))
    return ac, dc


@njit(cache=True, inline="always")
def _serve(demand, pv_only, essential, grid_on, firm_pool, flex_pool, flex_others, served):
    """Serve every load [J]: the firm part of its demand (``demand - pv_only``) from
    ``firm_pool``, essential loads first (the others only with the grid on), then its PV-only
    part from ``flex_pool`` (essential first, the others when ``flex_others``), in list order."""
    for i in range(served.shape[0]):
        served[i] = 0
    for pick in (True, False):
        if pick or grid_on:
            for i in range(demand.shape[0]):
                if essential[i] == pick:
                    give = min(demand[i] - pv_only[i], firm_pool)
                    served[i] = give
                    firm_pool -= give
    if flex_pool <= 0:
        return  # no PV left for the PV-only parts (pv_only >= 0: each would get 0)
    for pick in (True, False):
        if pick or flex_others:
            for i in range(demand.shape[0]):
                if essential[i] == pick:
                    give = min(pv_only[i], flex_pool)
                    served[i] += give
                    flex_pool -= give


@njit(cache=True)
def settle(inv, bat, stored_j, tripped, pv_avail, demand, pv_only, essential, grid_on, slot_soc, slot_power_w,
           slot_grid_charge, export_limit_w, import_limit_w, dt_s, pv_used, served):
    """Settle one tick.

    The battery's direction is decided once, from the net: PV (through the inverter) serves
    the loads; if it leaves loads unserved, the battery serves them together with whatever PV
    is left (PV and battery share the DC bus, so a rounding remainder of PV never stops the
    battery); if PV covers the loads, what is left charges the battery. With ``battery_first``
    (grid on) PV charges the battery first and the battery does not also discharge that tick.
    The PV-only part of the loads (``pv_only``) gets the PV the loads and the battery left.

    Parameters
    ----------
    inv : InverterParams
    bat : BatteryParams
        ``battery.NO_BATTERY`` for a home without one.
    stored_j : int
        Battery energy stored at the start of the tick [J].
    tripped : bool
        The battery was shut down at its shutdown SoC and has not reached the restart SoC.
    pv_avail : ndarray of int64
        DC energy each PV array can deliver this tick [J].
    demand : ndarray of int64
        Energy each load asks for [J].
    pv_only : ndarray of int64
        The part of each load's demand that may be served only from PV [J], ``0 <= pv_only <=
        demand`` (a PV-surplus EV charger): served from the PV the other loads and the battery
        left (what would be exported or curtailed); never from the battery or the grid.
    essential : ndarray of bool
        Whether each load is on the backup (essential) circuit.
    grid_on : bool
    slot_soc, slot_power_w, slot_grid_charge : float
        The active program slot: SoC floor / grid-charge target [0..1], max battery power
        [W], grid charge allowed (> 0).
    export_limit_w, import_limit_w : float
        Grid limits [W]; negative means none.
    dt_s : int
        Tick length [s].
    pv_used, served : ndarray of int64
        Filled in: DC energy used from each array, energy served to each load [J].

    Returns
    -------
    tuple
        ``(battery_j, grid_import_j, grid_export_j, loss_j, curtailed_j, pv_spare_j,
        stored_j, tripped)``: battery terminal energy (+ discharge, - charge), grid
        import and export, conversion loss, curtailed PV, the PV surplus (the AC energy PV
        could have given the loads beyond what charged the battery, after the inverter's
        losses, within its AC rating, less what all loads were served: negative when they
        drew more, from the battery or the grid) [J], and the
        battery's new stored energy and tripped flag.
    """
    soc_now, tripped, discharge_cap, charge_cap, slot_power_j = _battery_room(
        inv, bat, stored_j, tripped, grid_on, slot_soc, slot_power_w, dt_s)
    inverter_load, flex_load, grid_direct, powers_others = _inverter_loads(inv, demand, pv_only, essential, grid_on)
    selling = grid_on and inv.work_mode == SELLING_FIRST
    pv_total, ac_cap, export_room, eta = _conversion(inv, pv_avail, discharge_cap, inverter_load + flex_load, selling,
                                                     export_limit_w, dt_s)
    curtailed, charge, discharge, converted_dc, converted_ac, ac_left, load_left, flex_ac, export = _dc_bus(
        pv_total, charge_cap, discharge_cap, inverter_load, flex_load, export_room, ac_cap, eta,
        grid_on and inv.battery_first, selling)
    # What PV could have given the loads in all, as AC: beyond what it gave the battery, after
    # the losses, within the rating.
    pv_for_loads = min(ac_cap, math.floor((pv_total - charge) * eta))
    grid_import = 0
    if grid_on:
        import_room = math.floor(import_limit_w * dt_s) if import_limit_w >= 0.0 else load_left + grid_direct
        grid_import = min(load_left + grid_direct, import_room)
    to_loads = (inverter_load - load_left) + grid_import
    charge, charged_dc, charged_ac = _grid_charge(bat, stored_j, soc_now, grid_on, charge, discharge, charge_cap,
                                                  ac_left, grid_import, slot_soc, slot_power_j, slot_grid_charge,
                                                  import_limit_w, eta, dt_s)
    grid_import += charged_ac

    _serve(demand, pv_only, essential, grid_on, to_loads, flex_ac, powers_others, served)
    pv_spare = pv_for_loads
    for i in range(served.shape[0]):
        pv_spare -= served[i]
    _share_pv(pv_avail, pv_total, pv_total - curtailed, pv_used)

    loss = (converted_dc - converted_ac) + (charged_ac - charged_dc)
    battery_j = discharge - charge
    stored_new = battery_model.apply(bat, stored_j, battery_j)
    if not grid_on and bat.capacity_j > 0 and battery_model.soc(bat, stored_new) <= inv.shutdown_soc:
        tripped = True
    return (battery_j, grid_import, export, loss, curtailed, pv_spare, stored_new, tripped)


@njit(cache=True, inline="always")
def _battery_room(inv, bat, stored_j, tripped, grid_on, slot_soc, slot_power_w, dt_s):
    """The battery's limits this tick: ``(soc_now, tripped, discharge_cap, charge_cap,
    slot_power_j)``, its SoC at the start [0..1], whether it stays shut down, the most it may
    discharge (down to the floor SoC: with the grid on the largest of the program's SoC, the
    backup reserve and the low SoC, and at most the program's power; in an outage the shutdown
    SoC) and charge [J], and the program's power over the tick [J]."""
    soc_now = battery_model.soc(bat, stored_j)
    if tripped and soc_now >= inv.restart_soc:
        tripped = False
    if grid_on:
        floor_soc = max(slot_soc, inv.reserve_soc, inv.low_soc)
    else:
        floor_soc = inv.shutdown_soc
    discharge_cap = 0 if tripped else battery_model.max_discharge_j(bat, stored_j, floor_soc, dt_s)
    slot_power_j = math.floor(slot_power_w * dt_s)
    if grid_on:
        discharge_cap = min(discharge_cap, slot_power_j)
    charge_cap = battery_model.max_charge_j(bat, stored_j, 1.0, dt_s)
    return soc_now, tripped, discharge_cap, charge_cap, slot_power_j


@njit(cache=True, inline="always")
def _inverter_loads(inv, demand, pv_only, essential, grid_on):
    """What the loads ask of the inverter by the work mode [J]: ``(inverter_load, flex_load,
    grid_direct, powers_others)``, the firm demand it serves, the PV-only demand it serves, the
    demand that goes straight to the grid (zero export's non-essential loads) and whether it
    powers the non-essential loads."""
    essential_demand = 0
    other_demand = 0
    essential_flex = 0
    other_flex = 0
    for i in range(demand.shape[0]):
        if essential[i]:
            essential_demand += demand[i] - pv_only[i]
            essential_flex += pv_only[i]
        else:
            other_demand += demand[i] - pv_only[i]
            other_flex += pv_only[i]
    powers_others = grid_on and inv.work_mode != ZERO_EXPORT
    inverter_load = essential_demand
    flex_load = essential_flex
    if powers_others:
        inverter_load += other_demand
        flex_load += other_flex
    grid_direct = other_demand if (grid_on and inv.work_mode == ZERO_EXPORT) else 0
    return inverter_load, flex_load, grid_direct, powers_others


@njit(cache=True, inline="always")
def _conversion(inv, pv_avail, discharge_cap, load, selling, export_limit_w, dt_s):
    """``(pv_total, ac_cap, export_room, eta)``: the PV available [J], the AC rating over the
    tick [J], the room to export [J] and the conversion efficiency at the DC power the tick
    will take (PV and battery, up to what the loads and the export want, within the rating)."""
    pv_total = 0
    for j in range(pv_avail.shape[0]):
        pv_total += pv_avail[j]
    ac_cap = math.floor(inv.rated_w * dt_s)
    export_room = 0
    if selling:
        export_room = ac_cap if export_limit_w < 0.0 else math.floor(export_limit_w * dt_s)
    wanted_ac = min(ac_cap, load + export_room)
    eta = efficiency(inv, min(pv_total + discharge_cap, wanted_ac) / dt_s)
    return pv_total, ac_cap, export_room, eta


@njit(cache=True, inline="always")
def _dc_bus(pv_total, charge_cap, discharge_cap, inverter_load, flex_load, export_room, ac_cap, eta, pv_first, selling):
    """PV and the battery on the DC bus, through the inverter [J], in the order of the module's
    steps 1-5: ``(curtailed, charge, discharge, converted_dc, converted_ac, ac_left, load_left,
    flex_ac, export)``, the PV left unused, the battery's charge and discharge, DC in and AC out
    of the conversion, the AC rating left, the firm load left unserved, the AC given to the
    PV-only demand and the export."""
    pv_left = pv_total
    ac_left = ac_cap
    load_left = inverter_load
    charge = 0
    discharge = 0
    converted_dc = 0  # DC -> AC, DC side
    converted_ac = 0  # DC -> AC, AC side
    if pv_first:
        charge = min(pv_left, charge_cap)
        pv_left -= charge
    # PV serves the loads.
    ac, dc = _dc_to_ac(pv_left, min(load_left, ac_left), eta)
    pv_left -= dc
    converted_dc += dc
    converted_ac += ac
    load_left -= ac
    ac_left -= ac
    if load_left > 0 and ac_left > 0 and not (pv_first and charge > 0):
        # Short: the battery serves the rest, with the PV left (both on the DC bus).
        ac, dc = _dc_to_ac(pv_left + discharge_cap, min(load_left, ac_left), eta)
        from_pv = min(pv_left, dc)
        pv_left -= from_pv
        discharge = dc - from_pv
        converted_dc += dc
        converted_ac += ac
        load_left -= ac
        ac_left -= ac
    if not pv_first and discharge == 0:
        charge = min(pv_left, charge_cap)
        pv_left -= charge
    # The PV-only part of the loads: the PV the loads and the battery left (what would be
    # exported or curtailed).
    ac, dc = _dc_to_ac(pv_left, min(flex_load, ac_left), eta)
    pv_left -= dc
    converted_dc += dc
    converted_ac += ac
    ac_left -= ac
    flex_ac = ac
    export = 0
    if selling:
        ac, dc = _dc_to_ac(pv_left, min(export_room, ac_left), eta)
        pv_left -= dc
        converted_dc += dc
        converted_ac += ac
        ac_left -= ac
        export = ac
    return pv_left, charge, discharge, converted_dc, converted_ac, ac_left, load_left, flex_ac, export


@njit(cache=True, inline="always")
def _grid_charge(bat, stored_j, soc_now, grid_on, charge, discharge, charge_cap, ac_left, grid_import, slot_soc,
                 slot_power_j, slot_grid_charge, import_limit_w, eta, dt_s):
    """Step 7, the battery charged from the grid when the program allows it, up to the
    program's SoC at its power, within the AC rating and the import limit left [J]:
    ``(charge, charged_dc, charged_ac)``, the battery's charge in all and the grid charge's DC
    and AC sides (both 0 when none)."""
    charged_dc = 0
    charged_ac = 0
    if grid_on and slot_grid_charge > 0.0 and discharge == 0 and soc_now < slot_soc:
        stored_after_pv = battery_model.apply(bat, stored_j, -charge)
        dc_room = min(charge_cap - charge, battery_model.max_charge_j(bat, stored_after_pv, slot_soc, dt_s))
        dc_room = min(dc_room, max(0, slot_power_j - charge))
        ac_room = ac_left
        if import_limit_w >= 0.0:
            ac_room = min(ac_room, math.floor(import_limit_w * dt_s) - grid_import)
        charged_dc = min(dc_room, math.floor(max(0, ac_room) * eta))
        if charged_dc > 0:
            charged_ac = math.ceil(charged_dc / eta)
            if charged_ac > ac_room:
                charged_dc -= 1
                charged_ac = math.ceil(charged_dc / eta)
            charge += charged_dc
    return charge, charged_dc, charged_ac


@njit(cache=True, inline="always")
def _share_pv(pv_avail, pv_total, used_total, pv_used):
    """``used_total`` [J] of PV drawn from the arrays in proportion to what each had, the
    rounding remainder from the first arrays with some left, into ``pv_used``."""
    given = 0
    for j in range(pv_avail.shape[0]):
        share = (pv_avail[j] * used_total) // pv_total if pv_total > 0 else 0
        pv_used[j] = share
        given += share
    for j in range(pv_avail.shape[0]):
        if given >= used_total:
            break
        extra = min(pv_avail[j] - pv_used[j], used_total - given)
        pv_used[j] += extra
        given += extra
