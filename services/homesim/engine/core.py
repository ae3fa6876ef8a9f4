"""The fast-forward loop: every tick of a block, in compiled code, calling the same device
kernels a live device service calls once per tick.

Its arguments are named parts: what the run's ticks share (:class:`Setup`), a block's
exogenous drivers (:class:`Drivers`), what carries from tick to tick (:class:`Carry`, and the
loads' state table) and where the flows go (:class:`Flows`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from homesim.jit import inlined, njit

from homesim.devices import battery as battery_model
from homesim.devices import inverter
from homesim.devices.base import J_PER_KWH
from homesim.devices.kernel import Home
from homesim.engine.loads import loads_advance, loads_demand

#: The inverter's settlement inlined into the per-tick loop (a compiled call per tick that takes
#: six arrays and two parameter tuples cost about a tenth of the dispatch; see homesim.jit.inlined).
_settle = inlined(inverter.settle)


class Setup(NamedTuple):
    """What every tick of a run shares."""

    inv: Any  # inverter.InverterParams
    bat: Any  # battery.BatteryParams
    slot_table: np.ndarray  # [slots, 3] program slots: soc, power_w, grid_charge
    export_limit_w: float  # [W]; negative: none
    import_limit_w: float  # [W]; negative: none
    dt_s: int  # tick length [s]
    loads: Any  # loads.LoadTables


class Drivers(NamedTuple):
    """A block's exogenous inputs, per tick."""

    pv_avail: np.ndarray  # [n_pv, n] int64 DC energy available [J]
    load_inputs: np.ndarray  # [n_loads, rows, n] float64 each load's behaviour inputs
    grid_on: np.ndarray  # [n] bool
    import_price: np.ndarray  # [n] float64 [currency/kWh]
    export_price: np.ndarray  # [n] float64 [currency/kWh]
    slot_index: np.ndarray  # [n] int64 active program slot


class Carry(NamedTuple):
    """What the next tick needs of the last one (beside the loads' state)."""

    stored_j: int  # battery energy stored [J]
    tripped: bool  # the battery is shut down until its restart SoC
    grid_on_prev: bool  # the grid as last settled
    surplus_w_prev: float  # AC power PV could still have given the loads in the last settlement [W]
    pv_w_prev: float  # PV power available in the last settlement [W]
    load_w_prev: float  # power served to all loads in the last settlement [W]


class Flows(NamedTuple):
    """Where a block's settlements go, tick-major (rows are ticks)."""

    pv_used: np.ndarray  # [n, n_pv] int64 [J]
    demand: np.ndarray  # [n, n_loads] int64 [J]
    served: np.ndarray  # [n, n_loads] int64 [J]
    battery: np.ndarray  # [n] int64 terminal energy, + discharge [J]
    grid_import: np.ndarray  # [n] int64 [J]
    grid_export: np.ndarray  # [n] int64 [J]
    loss: np.ndarray  # [n] int64 conversion loss [J]
    curtailed: np.ndarray  # [n] int64 PV left unused [J]
    soc: np.ndarray  # [n] float64 battery SoC at the tick's end [0..1]
    cost: np.ndarray  # [n] float64 grid cost of the tick [currency]


@njit(cache=True)
def tick_cost(grid_import_j, grid_export_j, import_price, export_price):
    """Money spent on the grid this tick [currency]: import paid, export earned."""
    return grid_import_j * import_price / J_PER_KWH - grid_export_j * export_price / J_PER_KWH


def run_block(setup: Setup, drivers: Drivers, carry: Carry, load_state: np.ndarray, out: Flows) -> Carry:
    """Step every tick of a block: fills ``out``, updates ``load_state`` (``[n_loads, width]``)
    in place and returns the :class:`Carry` for the next block.

    The compiled loop takes the parts' fields one by one (a loop over tuples of arrays ran
    about a third slower): this is the one place that lays them out. Its scratch arrays (a
    tick's demand, PV-only part, served, PV used [J]) are made here: the loop allocates
    nothing (see :func:`_run_block`)."""
    n_loads = load_state.shape[0]
    scratch = (np.zeros(n_loads, dtype=np.int64), np.zeros(n_loads, dtype=np.int64),
               np.zeros(n_loads, dtype=np.int64), np.zeros(drivers.pv_avail.shape[0], dtype=np.int64))
    return Carry(*_run_block(*setup, load_state, *drivers, *carry, *out, *scratch))


# Compiled without numba's reference counting (_nrt=False, a flag of the pinned numba): every
# array the loop touches is its caller's and outlives it, and the loop and the kernels inlined
# into it allocate nothing (a kernel that did would not compile: "NRT required but not
# enabled"). With it, taking an array out of a tuple, slicing a tick's column or passing an
# array to an inlined kernel counted references with atomic operations, several dozen a tick:
# about 40 % of a year's dispatch (0.152 -> 0.090 s, thread CPU, best of 15, loaded machine).
# Same arithmetic, the same ledgers bit for bit.


@njit(cache=True, nogil=True, _nrt=False)
def _run_block(inv, bat, slot_table, export_limit_w, import_limit_w, dt_s, loads, load_state,
               pv_avail, load_inputs, grid_on, import_price, export_price, slot_index,
               stored_j, tripped, grid_on_prev, surplus_w_prev, pv_w_prev, load_w_prev,
               out_pv_used, out_demand, out_served, out_battery, out_import, out_export, out_loss, out_curtailed,
               out_soc, out_cost, demand, pv_only, served, pv_used):
    """:func:`run_block` compiled: :class:`Setup`, :class:`Drivers`, :class:`Carry`, the loads'
    state and :class:`Flows`, field by field in their order, then the scratch arrays."""
    essential = loads.essential
    n_loads = essential.shape[0]
    for t in range(grid_on.shape[0]):
        home = Home(grid_on_prev, battery_model.soc(bat, stored_j), surplus_w_prev, pv_w_prev, load_w_prev)
        loads_demand(loads, load_state, load_inputs, t, home, dt_s, demand, pv_only)
        slot = slot_index[t]
        battery_j, grid_import, grid_export, loss, curtailed, surplus_j, stored_j, tripped = _settle(
            inv, bat, stored_j, tripped, pv_avail[:, t], demand, pv_only, essential, grid_on[t],
            slot_table[slot, 0], slot_table[slot, 1], slot_table[slot, 2], export_limit_w, import_limit_w,
            dt_s, pv_used, served,
        )
        loads_advance(loads, load_state, load_inputs, t, demand, served, home, dt_s)
        for i in range(n_loads):
            out_demand[t, i] = demand[i]
            out_served[t, i] = served[i]
        for j in range(pv_used.shape[0]):
            out_pv_used[t, j] = pv_used[j]
        out_battery[t] = battery_j
        out_import[t] = grid_import
        out_export[t] = grid_export
        out_loss[t] = loss
        out_curtailed[t] = curtailed
        out_soc[t] = battery_model.soc(bat, stored_j)
        out_cost[t] = tick_cost(grid_import, grid_export, import_price[t], export_price[t])
        grid_on_prev = grid_on[t]
        surplus_w_prev = surplus_j / dt_s
        pv_total = 0
        for j in range(pv_avail.shape[0]):
            pv_total += pv_avail[j, t]
        pv_w_prev = pv_total / dt_s
        load_total = 0
        for i in range(n_loads):
            load_total += served[i]
        load_w_prev = load_total / dt_s
    return stored_j, tripped, grid_on_prev, surplus_w_prev, pv_w_prev, load_w_prev
