"""The fast-forward loop: every tick of a block, in compiled code, calling the same device
kernels a live device service calls once per tick."""

from __future__ import annotations

import numpy as np
from homesim.jit import njit

from homesim.devices import battery as battery_model
from homesim.devices import behaviour, inverter

J_PER_KWH = 3_600_000.0


@njit(cache=True)
def tick_cost(grid_import_j, grid_export_j, import_price, export_price):
    """Money spent on the grid this tick [currency]: import paid, export earned."""
    return grid_import_j * import_price / J_PER_KWH - grid_export_j * export_price / J_PER_KWH


@njit(cache=True, nogil=True)
def run_block(inv, bat, slot_table, export_limit_w, import_limit_w, dt_s,
              load_behaviour, load_params, load_state, essential,
              pv_avail, load_allowed, load_profile, load_draw, grid_on, import_price, export_price, slot_index,
              stored_j, tripped, grid_on_prev, surplus_w_prev,
              out_pv_used, out_demand, out_served, out_battery, out_import, out_export,
              out_loss, out_curtailed, out_soc, out_cost):
    """Step every tick of a block; fills the ``out_*`` arrays (tick-major) and updates
    ``load_state`` in place.

    Returns the carried state ``(stored_j, tripped, grid_on_prev, surplus_w_prev)``.
    """
    n_loads = load_behaviour.shape[0]
    n_ticks = grid_on.shape[0]
    demand = np.zeros(n_loads, dtype=np.int64)
    served = np.zeros(n_loads, dtype=np.int64)
    pv_used = np.zeros(pv_avail.shape[0], dtype=np.int64)
    for t in range(n_ticks):
        soc_start = battery_model.soc(bat, stored_j)
        behaviour.loads_demand(load_behaviour, load_params, load_state, load_allowed, load_profile, t,
                               grid_on_prev, soc_start, surplus_w_prev, dt_s, demand)
        slot = slot_index[t]
        battery_j, grid_import, grid_export, loss, curtailed, surplus_j, stored_j, tripped = inverter.settle(
            inv, bat, stored_j, tripped, pv_avail[:, t], demand, essential, grid_on[t],
            slot_table[slot, 0], slot_table[slot, 1], slot_table[slot, 2], export_limit_w, import_limit_w,
            dt_s, pv_used, served,
        )
        behaviour.loads_advance(load_behaviour, load_params, load_state, demand, served, load_draw, t, dt_s)
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
    return stored_j, tripped, grid_on_prev, surplus_w_prev
