"""Thin adapters between the device models and the bus: what each role publishes per tick,
what it does with a settlement, and what it keeps between ticks. Pure Python, no I/O; the
session wiring is in ``homesim.bus.device``.

Every adapter computes the exogenous arrays of the block its tick falls in with the same code
the fast-forward engine runs, and steps the same kernels, so both runtimes produce the same
ledger. Each computes only what its device needs: a load its own inputs, the grid its state
and prices, the inverter its program slots, the battery nothing; only the sun, the weather and
the PV arrays compute the environment (and need compiled kernels, ``homesim.jit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from homesim.devices import battery as battery_model
from homesim.devices import inverter as inverter_model
from homesim.devices.base import BLOCK_TICKS, Block, DeviceConfig
from homesim.devices.kernel import Home
from homesim.engine import loads as loads_model
from homesim.engine.compiled import CompiledHome
from homesim.engine.core import tick_cost

#: Roles whose devices report energy each tick (the inverter waits for them).
ENERGY_ROLES = ("source", "load", "storage", "grid")

#: Exogenous parts of the home's first block (``CompiledHome.exogenous``'s cache), computed once
#: by the fork server before it forks the home's processes (``homesim.bus.forkserver``): a
#: process computing its first block then looks up what is there (the same arrays, bit for bit:
#: the same code made them) and computes only what differs (a device changed since). Empty in
#: a process not forked from it.
WARM: dict = {}

#: The grid's schedule carried from its energy event into the settlement (the UI reads it there).
GRID_STATUS_KEYS = ("stage", "outage_end", "next_outage_start", "next_outage_end", "next_outage_stage")


@dataclass
class Inputs:
    """What one device needs of a block: its time arrays and its own exogenous arrays (the
    same values, bit for bit, as the engine's ``Exogenous`` for that device)."""

    block: Block
    load_inputs: np.ndarray | None = None  # [1, rows, n] a load's behaviour inputs
    grid_on: np.ndarray | None = None
    import_price: np.ndarray | None = None
    export_price: np.ndarray | None = None
    slot_index: np.ndarray | None = None


class Adapter:
    """A device on the bus. ``on_tick`` returns the energy event (or ``None``)."""

    def __init__(self, compiled: CompiledHome, device_id: str) -> None:
        self.device_id = device_id
        #: The last settled tick this device has taken into its state.
        self.applied_tick = -1
        self.bind(compiled)

    def bind(self, compiled: CompiledHome) -> None:
        """Use ``compiled`` (a new configuration) from the next tick on; state is kept."""
        self.compiled = compiled
        self.device: DeviceConfig = compiled.home.device(self.device_id)
        self._block_index = -1
        self._exo: Any = None

    def exo(self, tick: int) -> tuple[Any, int]:
        """The exogenous arrays of ``tick``'s block and the tick's column in them."""
        index = tick // BLOCK_TICKS
        if index != self._block_index:
            self._exo = self.compute(index)
            self._block_index = index
        assert self._exo is not None
        return self._exo, tick - index * BLOCK_TICKS

    def compute(self, index: int) -> Any:
        """What this device needs of block ``index`` (by default, everything exogenous; the
        first block from :data:`WARM` where it holds it)."""
        return self.compiled.exogenous(index, cache=WARM if index == 0 and WARM else None)

    def on_tick(self, tick: int) -> dict[str, Any] | None:
        return None

    def ahead(self, start: int, end: int) -> list[dict[str, Any]]:
        """The energy events of ticks ``start`` to ``end - 1`` (a device that runs ahead:
        ``DeviceConfig.runs_ahead``; each is what :meth:`on_tick` returns for that tick)."""
        return [self.on_tick(tick) for tick in range(start, end)]

    def on_settlement(self, settlement: dict[str, Any]) -> bool:
        """Take a settlement into the state once; ``False`` if it was already taken."""
        if int(settlement["tick"]) <= self.applied_tick:
            return False
        self.apply(settlement)
        self.applied_tick = int(settlement["tick"])
        return True

    def apply(self, settlement: dict[str, Any]) -> None:
        """What the inverter decided for the tick, applied to the state."""

    def state(self) -> dict[str, Any]:
        """What the device keeps between ticks (published retained; restored after a restart)."""
        return {"tick": self.applied_tick}

    def keeps_state(self) -> bool:
        """Its state moves every tick in a way no settlement repeats (stored energy, a mass's
        temperature): it is published every tick. Otherwise it is the last tick and what the
        last settlement said, which a restarted device reads from the retained settlement."""
        return False

    def restore(self, state: dict[str, Any]) -> None:
        """Resume from a retained ``state()``."""
        self.applied_tick = int(state.get("tick", -1))


class EnvironmentAdapter(Adapter):
    """Sun and weather: no energy; they publish what they see for watchers."""

    def on_tick(self, tick: int) -> None:
        exo, t = self.exo(tick)
        self.seen = self.device.observed(exo.block.values, t)
        return None

    def state(self) -> dict[str, Any]:
        return {**super().state(), **getattr(self, "seen", {})}


class SourceAdapter(Adapter):
    """A PV array: the DC energy it can deliver this tick."""

    def bind(self, compiled: CompiledHome) -> None:
        super().bind(compiled)
        self.index = [d.id for d in compiled.pv_arrays].index(self.device_id)

    def on_tick(self, tick: int) -> dict[str, Any]:
        exo, t = self.exo(tick)
        return {"tick": tick, "available_j": int(exo.pv_avail_j[self.index, t])}


class GridAdapter(Adapter):
    """The grid: on or off, and its prices this tick."""

    def compute(self, index: int) -> Inputs:
        block = self.compiled.block(index)
        grid = self.device
        return Inputs(block, grid_on=grid.grid_on(block), import_price=grid.import_price(block),
                      export_price=grid.export_price(block))

    def on_tick(self, tick: int) -> dict[str, Any]:
        exo, t = self.exo(tick)
        status = self.device.status_at(int(exo.block.unix_s[t]), self.compiled.home.location.timezone)
        return {"tick": tick, "grid_on": bool(exo.grid_on[t]), "import_price": float(exo.import_price[t]),
                "export_price": float(exo.export_price[t]), **status}


class StorageAdapter(Adapter):
    """The battery: reports what it stores, applies what the inverter settled."""

    def __init__(self, compiled: CompiledHome, device_id: str) -> None:
        super().__init__(compiled, device_id)
        self.stored_j = compiled.initial_stored_j()

    def bind(self, compiled: CompiledHome) -> None:
        super().bind(compiled)
        self.params = compiled.battery_params

    def compute(self, index: int) -> Inputs:
        return Inputs(self.compiled.block(index))  # (a battery reads nothing exogenous)

    def keeps_state(self) -> bool:
        return True

    def on_tick(self, tick: int) -> dict[str, Any]:
        return {"tick": tick, "stored_j": int(self.stored_j)}

    def apply(self, settlement: dict[str, Any]) -> None:
        flow = settlement["e"].get(self.device_id)
        if flow is not None:
            # (within [0, capacity] whatever the inverter settled: a settlement made on a stored
            # energy someone else published under this battery's name can't take it outside)
            stored = battery_model.apply(self.params, self.stored_j, int(flow))
            self.stored_j = min(max(stored, 0), self.params.capacity_j)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "stored_j": int(self.stored_j),
                "soc": battery_model.soc(self.params, self.stored_j)}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        self.stored_j = int(state["stored_j"])


class LoadAdapter(Adapter):
    """A load: asks for energy by its behaviour's kernels, advances by what it was served.

    It steps tables of one row (its own) with the engine's loops (``homesim.engine.loads``):
    the same kernels, the same arithmetic."""

    def __init__(self, compiled: CompiledHome, device_id: str) -> None:
        super().__init__(compiled, device_id)
        self.load_state = loads_model.initial_state([self.device])
        self.demand = np.zeros(1, dtype=np.int64)
        self.pv_only = np.zeros(1, dtype=np.int64)
        # What the previous settlement said (before the first: grid as present, SoC as initial).
        self.grid_on_prev = compiled.grid is not None
        self.soc_prev = battery_model.soc(compiled.battery_params, compiled.initial_stored_j())
        self.surplus_w_prev = 0.0
        self.pv_w_prev = 0.0
        self.load_w_prev = 0.0
        self.tick = -1

    def bind(self, compiled: CompiledHome) -> None:
        super().bind(compiled)
        row = [d.id for d in compiled.loads].index(self.device_id)
        self.tables = loads_model.load_tables([self.device], compiled.essential[row:row + 1], compiled.dt_s)

    def keeps_state(self) -> bool:
        return len(self.device.BEHAVIOUR.state) > 0

    def compute(self, index: int) -> Inputs:
        """This load's own inputs, as the engine computes them (``CompiledHome.exogenous``)."""
        block = self.compiled.block(index)
        if self.device.READS_ENVIRONMENT:
            self.compiled.fill_environment(block)
        return Inputs(block, load_inputs=self.device.block_inputs(block)[np.newaxis])

    def home_now(self) -> Home:
        return Home(self.grid_on_prev, self.soc_prev, self.surplus_w_prev, self.pv_w_prev, self.load_w_prev)

    def on_tick(self, tick: int) -> dict[str, Any]:
        exo, t = self.exo(tick)
        loads_model.loads_demand(self.tables, self.load_state, exo.load_inputs, t, self.home_now(),
                                 self.compiled.dt_s, self.demand, self.pv_only)
        self.tick = tick
        event = {"tick": tick, "demand_j": int(self.demand[0])}
        if self.pv_only[0] > 0:
            event["pv_only_j"] = int(self.pv_only[0])
        return event

    def apply(self, settlement: dict[str, Any]) -> None:
        if settlement["tick"] == self.tick and self.device_id in settlement["e"]:
            exo, t = self.exo(self.tick)
            served = np.array([-int(settlement["e"][self.device_id])], dtype=np.int64)
            loads_model.loads_advance(self.tables, self.load_state, exo.load_inputs, t, self.demand, served,
                                      self.home_now(), self.compiled.dt_s)
        self.grid_on_prev = bool(settlement["grid_on"])
        if settlement.get("soc") is not None:
            self.soc_prev = float(settlement["soc"])
        self.surplus_w_prev = float(settlement["pv_surplus_w"])
        # As the engine carries them: the PV available (used and curtailed) and all loads served.
        e, dt_s = settlement["e"], self.compiled.dt_s
        self.pv_w_prev = (sum(int(e.get(a.id, 0)) for a in self.compiled.pv_arrays) + int(settlement["curtailed_j"])) / dt_s
        self.load_w_prev = -sum(int(e.get(d.id, 0)) for d in self.compiled.loads) / dt_s

    def state(self) -> dict[str, Any]:
        return {**super().state(), "values": self.device.BEHAVIOUR.state.named(self.load_state[0]),
                "grid_on_prev": self.grid_on_prev, "soc_prev": self.soc_prev, "surplus_w_prev": self.surplus_w_prev,
                "pv_w_prev": self.pv_w_prev, "load_w_prev": self.load_w_prev}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        values = state["values"]
        for name, index in zip(self.device.BEHAVIOUR.state.names, self.device.BEHAVIOUR.state):
            self.load_state[0, index] = float(values[name])
        self.grid_on_prev = bool(state["grid_on_prev"])
        self.soc_prev = float(state["soc_prev"])
        self.surplus_w_prev = float(state["surplus_w_prev"])
        self.pv_w_prev = float(state["pv_w_prev"])
        self.load_w_prev = float(state["load_w_prev"])


class InverterAdapter(Adapter):
    """The hybrid inverter: settles a tick from the devices' energy events."""

    def __init__(self, compiled: CompiledHome, device_id: str) -> None:
        super().__init__(compiled, device_id)
        self.tripped = False

    def bind(self, compiled: CompiledHome) -> None:
        super().bind(compiled)
        self.pv_used = np.zeros(len(compiled.pv_arrays), dtype=np.int64)
        self.served = np.zeros(len(compiled.loads), dtype=np.int64)
        #: Devices of the home that report energy each tick (asked on every event: kept, not rebuilt).
        self.energy_ids = [d.id for d in compiled.home.devices if d.ROLE in ENERGY_ROLES]

    def compute(self, index: int) -> Inputs:
        block = self.compiled.block(index)
        inverter = self.compiled.inverter
        slots = inverter.slot_index(block.second_of_day) if inverter is not None else np.zeros(block.size, dtype=np.int64)
        return Inputs(block, slot_index=slots)

    def energy_devices(self) -> list[str]:
        """Devices of the home that report energy each tick."""
        return self.energy_ids

    def implausible(self, device_id: str, event: dict[str, Any]) -> str | None:
        """Why a device's (schema-valid) energy event can't be physically true, by its kind
        (``DeviceConfig.implausible``: no PV at night nor beyond twice its rating, no load beyond
        its powers, a battery's stored energy within its capacity); ``None``: plausible. The
        inverter drops such an event: the device is missing from that tick."""
        compiled = self.compiled
        mid = compiled.start_unix_s + (int(event["tick"]) + 0.5) * compiled.dt_s
        location = compiled.home.location
        return compiled.home.device(device_id).implausible(event, mid, compiled.dt_s, location.latitude,
                                                           location.longitude)

    def settle(self, tick: int, events: dict[str, dict[str, Any]], off: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The settlement of ``tick`` from the events received.

        A device switched off (``off``) takes no part; a device that is on but sent no event is
        listed in ``missing`` and takes no part either: its flow is absent, never a made-up 0.
        """
        compiled = self.compiled
        exo, t = self.exo(tick)
        events = {k: v for k, v in events.items() if k not in off}
        missing = [d for d in self.energy_devices() if d not in events and d not in off]
        pv = np.array([events.get(a.id, {}).get("available_j", 0) for a in compiled.pv_arrays], dtype=np.int64)
        demand = np.array([events.get(d.id, {}).get("demand_j", 0) for d in compiled.loads], dtype=np.int64)
        pv_only = np.minimum(demand, np.array([events.get(d.id, {}).get("pv_only_j", 0) for d in compiled.loads],
                                              dtype=np.int64))
        battery = compiled.battery
        has_battery = battery is not None and battery.id in events
        stored = int(events[battery.id]["stored_j"]) if has_battery else 0
        bat = compiled.battery_params if has_battery else battery_model.NO_BATTERY
        grid = compiled.grid
        grid_event = events.get(grid.id) if grid is not None else None
        grid_on = bool(grid_event["grid_on"]) if grid_event else False
        slot = exo.slot_index[t]
        table = compiled.slot_table
        battery_j, grid_import, grid_export, loss, curtailed, surplus_j, stored_new, self.tripped = inverter_model.settle(
            compiled.inverter_params, bat, stored, self.tripped, pv, demand, pv_only,
            compiled.essential, grid_on, table[slot, 0], table[slot, 1], table[slot, 2],
            compiled.export_limit_w, compiled.import_limit_w, compiled.dt_s, self.pv_used, self.served,
        )
        e: dict[str, int] = {a.id: int(self.pv_used[i]) for i, a in enumerate(compiled.pv_arrays) if a.id in events}
        if has_battery:
            e[battery.id] = int(battery_j)
        if grid_event:
            e[grid.id] = int(grid_import - grid_export)
        for i, load in enumerate(compiled.loads):
            if load.id in events:
                e[load.id] = -int(self.served[i])
        cost = tick_cost(grid_import, grid_export, grid_event["import_price"], grid_event["export_price"]) if grid_event else 0.0
        self.applied_tick = tick
        return {
            "tick": tick,
            "time": int(exo.block.unix_s[t]),
            "dt_s": compiled.dt_s,
            "e": e,
            "demand": {load.id: int(demand[i]) for i, load in enumerate(compiled.loads) if load.id in events},
            "loss_j": int(loss),
            "curtailed_j": int(curtailed),
            "soc": battery_model.soc(compiled.battery_params, stored_new) if has_battery else None,
            "grid_on": grid_on,
            **{key: grid_event.get(key) for key in GRID_STATUS_KEYS if grid_event and key in grid_event},
            "cost": float(cost),
            "pv_surplus_w": surplus_j / compiled.dt_s,
            "missing": missing,
            "off": sorted(off),
            "tripped": bool(self.tripped),
        }

    def keeps_state(self) -> bool:
        return True

    def state(self) -> dict[str, Any]:
        return {**super().state(), "tripped": bool(self.tripped)}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        self.tripped = bool(state.get("tripped", False))


ADAPTERS = {
    "environment": EnvironmentAdapter,
    "source": SourceAdapter,
    "grid": GridAdapter,
    "storage": StorageAdapter,
    "load": LoadAdapter,
    "inverter": InverterAdapter,
}


def adapter_for(compiled: CompiledHome, device_id: str) -> Adapter:
    return ADAPTERS[compiled.home.device(device_id).ROLE](compiled, device_id)
