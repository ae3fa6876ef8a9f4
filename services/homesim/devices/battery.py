"""Battery: a store of integer Joules behind its charge and discharge efficiencies.

The energy at the battery's terminals (its connection to the inverter) is what the ledger
records; the stored energy changes by ``floor(charge * charge_efficiency)`` and
``ceil(discharge / discharge_efficiency)``, so stored energy never exceeds what went in and
the usable SoC window is never left.

Scenario (efficiency 1): a 10 kWh battery at 50 % charged at 10 kW for 15 min ends at 75 %.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from homesim.jit import njit
from pydantic import Field, model_validator

from homesim import messages
from homesim.devices.base import J_PER_KWH, DeviceConfig
from homesim.units import quantity


class BatteryParams(NamedTuple):
    """Compiled battery parameters (SI)."""

    capacity_j: int  # nominal capacity [J]
    soc_min: float  # bottom of the usable window [0..1]
    soc_max: float  # top of the usable window [0..1]
    max_charge_w: float  # at the terminals [W]
    max_discharge_w: float  # at the terminals [W]
    charge_efficiency: float  # stored / terminal energy while charging [0..1]
    discharge_efficiency: float  # terminal / stored energy while discharging [0..1]


#: Parameters of "no battery": zero capacity, so every limit is zero.
NO_BATTERY = BatteryParams(0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0)


#: The ageing models a battery can name, with their chemistry (homesim.planning.ageing.MODELS; a test checks
#: the two agree).
AGEING_MODELS = {"nrel_blast_lfp_sony_murata": "LFP", "nrel_blast_lfp_250ah_prismatic": "LFP", "naumann_lfp": "LFP",
                 "nrel_blast_nmc_kokam": "NMC", "sam_nmc": "NMC"}


class Config(DeviceConfig):
    """A battery (e.g. LFP) on the inverter's DC bus."""

    ROLE: ClassVar[str] = "storage"
    ONE_PER_HOME: ClassVar[bool] = True
    METRICS: ClassVar[frozenset[str]] = frozenset({"flow", "battery_soc"})
    STATE_MODEL: ClassVar[type] = messages.BatteryState
    LABEL: ClassVar[str] = "Battery"
    ICON: ClassVar[str] = "\N{BATTERY}"
    PALETTE_ORDER: ClassVar[int | None] = 20

    def requires(self) -> tuple[str, ...]:
        return ("inverter",)  # on the inverter's DC bus

    kind: Literal["battery"] = "battery"
    chemistry: Literal["LFP", "NMC", "lead_acid"] = Field(
        default="LFP", title="Chemistry", description="LFP (lithium iron phosphate), NMC or lead-acid")
    ageing_model: Literal["nrel_blast_lfp_sony_murata", "nrel_blast_lfp_250ah_prismatic", "naumann_lfp",
                          "nrel_blast_nmc_kokam", "sam_nmc"] | None = Field(
        default=None, title="Ageing model",
        description="the published capacity-fade model homesim plan ages it by, of its chemistry: LFP "
        "nrel_blast_lfp_sony_murata (default), nrel_blast_lfp_250ah_prismatic, naumann_lfp; NMC "
        "nrel_blast_nmc_kokam (default), sam_nmc (docs: Money and ageing)")
    capacity_kwh: Annotated[float, quantity("kWh", gt=0.0, le=10_000.0, title="Capacity",
                                                   description="nominal capacity, from its label")]
    soc_min: Annotated[float, quantity("0..1", ge=0.0, lt=1.0, title="Lowest charge",
                                               description="bottom of the usable window")] = 0.1
    soc_max: Annotated[float, quantity("0..1", gt=0.0, le=1.0, title="Highest charge",
                                               description="top of the usable window")] = 1.0
    initial_soc: Annotated[float, quantity("0..1", ge=0.0, le=1.0, title="Charge at the start",
                                                   description="state of charge when the simulation starts")] = 0.5
    max_charge_w: Annotated[float, quantity("W", gt=0.0, le=1e7, title="Maximum charging power",
                                                 description="at its terminals")] = 5000.0
    max_discharge_w: Annotated[float, quantity("W", gt=0.0, le=1e7, title="Maximum discharging power",
                                                    description="at its terminals")] = 5000.0
    charge_efficiency: Annotated[float, quantity("0..1", gt=0.5, le=1.0, title="Charging efficiency",
                                                         description="energy stored per energy put in")] = 0.97
    discharge_efficiency: Annotated[float, quantity("0..1", gt=0.5, le=1.0, title="Discharging efficiency",
                                                            description="energy given per energy taken out of store")] = 0.97

    @model_validator(mode="after")
    def _window(self) -> "Config":
        if self.ageing_model is not None and AGEING_MODELS[self.ageing_model] != self.chemistry:
            allowed = [m for m, chemistry in AGEING_MODELS.items() if chemistry == self.chemistry]
            raise ValueError(f"ageing_model {self.ageing_model!r} is a model of {AGEING_MODELS[self.ageing_model]} "
                             f"cells, the battery is {self.chemistry}; allowed: "
                             + (", ".join(allowed) if allowed else "none (leave ageing_model out)"))
        if self.soc_min >= self.soc_max:
            raise ValueError(f"soc_min {self.soc_min} must be below soc_max {self.soc_max}")
        if not self.soc_min <= self.initial_soc <= self.soc_max:
            raise ValueError(
                f"initial_soc {self.initial_soc} must lie in the usable window "
                f"[{self.soc_min}, {self.soc_max}]"
            )
        return self

    def params(self) -> BatteryParams:
        return BatteryParams(
            capacity_j=int(round(self.capacity_kwh * J_PER_KWH)),
            soc_min=self.soc_min,
            soc_max=self.soc_max,
            max_charge_w=self.max_charge_w,
            max_discharge_w=self.max_discharge_w,
            charge_efficiency=self.charge_efficiency,
            discharge_efficiency=self.discharge_efficiency,
        )

    def with_state(self, state: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A capacity changed below what the battery stores clamps the stored energy to the new
        capacity (SoC 1; the energy beyond it is dropped, said in the line) rather than refusing:
        the battery was replaced by a smaller one, and its charge can't exceed what it holds."""
        stored = int(state.get("stored_j", 0))
        capacity = self.params().capacity_j
        if stored <= capacity:
            return state, None
        return ({**state, "stored_j": capacity, "soc": 1.0},
                f"capacity_kwh {self.capacity_kwh:g}: stored energy clamped from {stored} J to the new capacity "
                f"{capacity} J (SoC 1; {stored - capacity} J dropped)")

    def implausible(self, event: dict[str, Any], mid_unix_s: float, dt_s: int, latitude: float,
                    longitude: float) -> str | None:
        """Stored energy outside ``[0, capacity]``."""
        stored = int(event.get("stored_j", 0))
        capacity = self.params().capacity_j
        if not 0 <= stored <= capacity:
            return f"stored_j {stored} J is outside [0, {capacity}] J, its capacity of {self.capacity_kwh:g} kWh"
        return None

    def initial_stored_j(self) -> int:
        """Stored energy at the start [J], inside the usable window."""
        capacity = self.params().capacity_j
        stored = int(round(self.initial_soc * capacity))
        return min(max(stored, math.ceil(self.soc_min * capacity)), math.floor(self.soc_max * capacity))


# The battery's kernels are inlined where they are called (numba's inline="always"): the
# inverter's settlement calls them every tick.
@njit(cache=True, inline="always")
def max_discharge_j(params, stored_j, floor_soc, dt_s):
    """Most energy the terminals can deliver this tick without going below ``floor_soc`` [J]."""
    floor_j = math.ceil(max(floor_soc, params.soc_min) * params.capacity_j)
    above = stored_j - floor_j
    if above <= 0:
        return 0
    by_energy = math.floor(above * params.discharge_efficiency)
    # ceil(d / eff) must not exceed `above`: step down past any float rounding.
    while by_energy > 0 and math.ceil(by_energy / params.discharge_efficiency) > above:
        by_energy -= 1
    by_power = math.floor(params.max_discharge_w * dt_s)
    return max(0, min(by_energy, by_power))


@njit(cache=True, inline="always")
def max_charge_j(params, stored_j, ceiling_soc, dt_s):
    """Most energy the terminals can take this tick without going above ``ceiling_soc`` [J]."""
    ceiling_j = math.floor(min(ceiling_soc, params.soc_max) * params.capacity_j)
    room = ceiling_j - stored_j
    if room <= 0:
        return 0
    by_energy = math.floor(room / params.charge_efficiency)
    while by_energy > 0 and math.floor(by_energy * params.charge_efficiency) > room:
        by_energy -= 1
    if math.floor(by_energy * params.charge_efficiency) <= 0:
        return 0  # too little room to store even one Joule
    by_power = math.floor(params.max_charge_w * dt_s)
    return max(0, min(by_energy, by_power))


@njit(cache=True, inline="always")
def apply(params, stored_j, terminal_j):
    """New stored energy after ``terminal_j`` at the terminals (+ discharge, - charge) [J]."""
    if terminal_j > 0:
        return stored_j - math.ceil(terminal_j / params.discharge_efficiency)
    if terminal_j < 0:
        return stored_j + math.floor(-terminal_j * params.charge_efficiency)
    return stored_j


@njit(cache=True, inline="always")
def soc(params, stored_j):
    """State of charge [0..1] (0 when there is no battery)."""
    if params.capacity_j <= 0:
        return 0.0
    return stored_j / params.capacity_j
