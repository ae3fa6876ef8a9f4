"""Fast-forward runtime: step a whole horizon in one process and return the ledger."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.compiled import CompiledHome
from homesim.engine.core import run_block
from homesim.home import Home
from homesim.ledger import Ledger, LedgerArrays

#: Threads computing exogenous blocks ahead of the compiled loop.
PREFETCH_WORKERS = 2


def simulate(
    home: Home,
    days: float,
    dt_s: int = 60,
    start: dt.date | None = None,
    seed: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Ledger:
    """Simulate ``days`` of the home at ``dt_s`` steps.

    Parameters
    ----------
    home : Home
    days : float
        Horizon [day]; rounded down to whole ticks.
    dt_s : int
        Tick length [s].
    start : date, optional
        First day (local midnight); default ``home.start``.
    seed : int, optional
        Seed of stochastic models; default ``home.seed``.
    on_progress : callable, optional
        Called with ``(ticks_done, ticks_total)`` after each block.

    Returns
    -------
    Ledger
        One row per tick; ``ledger.engine_wall_s`` is the time spent stepping [s].
    """
    if days <= 0:
        raise ValueError(f"days {days} is not allowed: must be > 0")
    compiled = CompiledHome(home, dt_s, start, seed)
    total = int(days * 86_400 // dt_s)
    if total < 1:
        raise ValueError(f"days {days} at step {dt_s} s is less than one tick")
    arrays = LedgerArrays.empty(compiled, total)
    load_state = compiled.initial_load_state()
    stored_j = compiled.initial_stored_j()
    tripped = False
    grid_on_prev = compiled.grid is not None
    surplus_w_prev = 0.0
    began = time.perf_counter()
    blocks = (total + BLOCK_TICKS - 1) // BLOCK_TICKS

    def block_ticks(index: int) -> int:
        return min(BLOCK_TICKS, total - index * BLOCK_TICKS)

    # The compiled loop releases the GIL: while it settles block k, worker threads compute the
    # exogenous arrays of the next blocks (numpy releases the GIL too), overlapping on the cores.
    workers = max(1, min(PREFETCH_WORKERS, blocks))
    with ThreadPoolExecutor(max_workers=workers) as prefetch:
        pending = deque(prefetch.submit(compiled.exogenous, i, block_ticks(i)) for i in range(min(workers, blocks)))
        for index in range(blocks):
            first = index * BLOCK_TICKS
            ticks = block_ticks(index)
            exo = pending.popleft().result()
            ahead = index + workers
            if ahead < blocks:
                pending.append(prefetch.submit(compiled.exogenous, ahead, block_ticks(ahead)))
            part = slice(first, first + ticks)
            stored_j, tripped, grid_on_prev, surplus_w_prev = run_block(
                compiled.inverter_params, compiled.battery_params, compiled.slot_table,
                compiled.export_limit_w, compiled.import_limit_w, compiled.dt_s,
                compiled.load_behaviour, compiled.load_params, load_state, compiled.essential,
                exo.pv_avail_j, exo.load_allowed, exo.load_profile_j, exo.load_draw_l, exo.grid_on,
                exo.import_price, exo.export_price, exo.slot_index,
                stored_j, tripped, grid_on_prev, surplus_w_prev,
                arrays.pv_used[part], arrays.demand[part], arrays.served[part], arrays.battery[part],
                arrays.grid_import[part], arrays.grid_export[part], arrays.loss[part], arrays.curtailed[part],
                arrays.soc[part], arrays.cost[part],
            )
            arrays.grid_on[part] = exo.grid_on
            if on_progress is not None:
                on_progress(first + ticks, total)
    wall = time.perf_counter() - began
    return arrays.to_ledger(engine_wall_s=wall)
