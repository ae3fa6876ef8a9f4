"""Fast-forward runtime: step a whole horizon in one process and return the ledger."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Callable, Iterable, Sequence

import numpy as np

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.compiled import CompiledHome, Exogenous
from homesim.engine.core import Carry, Drivers, Flows, Setup, run_block
from homesim.engine.exogenous import block_count, block_ticks as ticks_of_block, horizon_ticks
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
    exogenous: Sequence[Exogenous] | None = None,
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
    exogenous : sequence of Exogenous, optional
        The horizon's blocks already computed (:func:`homesim.engine.exogenous.exogenous_blocks`)
        for this horizon, step, start and seed, by this home or one that differs only in its
        battery or inverter settings (the same sun, weather, PV arrays, loads and grid); the
        active inverter program of each tick is recomputed from this home's inverter. Default:
        computed here, on threads ahead of the loop.

    Returns
    -------
    Ledger
        One row per tick; ``ledger.engine_wall_s`` is the time spent stepping [s].

    Raises
    ------
    ValueError
        Bad run options, or ``exogenous`` blocks that do not fit this home and horizon.
    """
    if days <= 0:
        raise ValueError(f"days {days} is not allowed: must be > 0")
    compiled = CompiledHome(home, dt_s, start, seed)
    total = horizon_ticks(days, dt_s)
    if exogenous is not None:
        _check_exogenous(compiled, exogenous, total)
    began = time.perf_counter()
    blocks = block_count(total)

    def block_ticks(index: int) -> int:
        return ticks_of_block(index, total)

    def given(index: int) -> Exogenous:
        exo = exogenous[index]
        if compiled.inverter is None:
            return replace(exo, slot_index=np.zeros(exo.grid_on.shape[0], dtype=np.int64))
        slots = compiled.inverter.slot_index(exo.block.second_of_day)[: exo.grid_on.shape[0]]
        return replace(exo, slot_index=slots)

    # The compiled loop releases the GIL: while it settles block k, worker threads compute the
    # exogenous arrays of the next blocks (numpy releases the GIL too), overlapping on the cores.
    workers = max(1, min(PREFETCH_WORKERS, blocks)) if exogenous is None else 1
    with ThreadPoolExecutor(max_workers=workers) as prefetch:
        if exogenous is not None:
            source: Iterable[Exogenous] = (given(index) for index in range(blocks))
        else:
            pending = deque(prefetch.submit(compiled.exogenous, i, block_ticks(i)) for i in range(min(workers, blocks)))

            def ahead():  # noqa: ANN202
                for index in range(blocks):
                    exo = pending.popleft().result()
                    later = index + workers
                    if later < blocks:
                        pending.append(prefetch.submit(compiled.exogenous, later, block_ticks(later)))
                    yield exo

            source = ahead()
        arrays = step(compiled, source, total, on_progress)
    wall = time.perf_counter() - began
    return arrays.to_ledger(engine_wall_s=wall)


def step(compiled: CompiledHome, exogenous: Iterable[Exogenous], total: int,
         on_progress: Callable[[int, int], None] | None = None, into: LedgerArrays | None = None) -> LedgerArrays:
    """Settle ``total`` ticks of a compiled home, block after block, on the given exogenous
    blocks (block 0 first, each :data:`BLOCK_TICKS` long but the last); the ledger's arrays.

    The blocks may come from another home that differs only in its battery or inverter
    (:meth:`CompiledHome.exogenous` with a shared cache, or another home's blocks with this
    home's program slots: :func:`homesim.planning.yearly.run_years`). ``into``: arrays of an earlier run
    of the same shape to fill again (:meth:`LedgerArrays.recycled`) rather than new ones.
    """
    arrays = into.recycled(compiled, total) if into is not None else LedgerArrays.empty(compiled, total)
    load_state = compiled.initial_load_state()
    setup = Setup(compiled.inverter_params, compiled.battery_params, compiled.slot_table,
                  compiled.export_limit_w, compiled.import_limit_w, compiled.dt_s, compiled.load_tables)
    carry = Carry(compiled.initial_stored_j(), False, compiled.grid is not None, 0.0, 0.0, 0.0)
    first = 0
    for exo in exogenous:
        ticks = exo.grid_on.shape[0]
        part = slice(first, first + ticks)
        drivers = Drivers(exo.pv_avail_j, exo.load_inputs, exo.grid_on, exo.import_price, exo.export_price,
                          exo.slot_index)
        flows = Flows(arrays.pv_used[part], arrays.demand[part], arrays.served[part], arrays.battery[part],
                      arrays.grid_import[part], arrays.grid_export[part], arrays.loss[part], arrays.curtailed[part],
                      arrays.soc[part], arrays.cost[part])
        carry = run_block(setup, drivers, carry, load_state, flows)
        arrays.grid_on[part] = exo.grid_on
        first += ticks
        if on_progress is not None:
            on_progress(first, total)
    if first != total:
        raise ValueError(f"the exogenous blocks hold {first} ticks, not {total}")
    return arrays


def _check_exogenous(compiled: CompiledHome, exogenous: Sequence[Exogenous], total: int) -> None:
    """Refuse precomputed blocks that are not this horizon's for this home's devices."""
    blocks = block_count(total)
    if len(exogenous) != blocks:
        raise ValueError(f"exogenous has {len(exogenous)} blocks; this horizon has {blocks}")
    for index, exo in enumerate(exogenous):
        block = exo.block
        expected_start = compiled.start_unix_s + index * BLOCK_TICKS * compiled.dt_s
        if (block.index != index or block.dt_s != compiled.dt_s or int(block.unix_s[0]) != expected_start
                or block.seed != compiled.seed):
            raise ValueError(f"exogenous block {index} is not block {index} of this run "
                             "(another step, start or seed)")
        if exo.grid_on.shape[0] != ticks_of_block(index, total):
            raise ValueError(f"exogenous block {index} has {exo.grid_on.shape[0]} ticks; "
                             f"this horizon needs {ticks_of_block(index, total)}")
        if exo.pv_avail_j.shape[0] != len(compiled.pv_arrays) or exo.load_inputs.shape[0] != len(compiled.loads):
            raise ValueError(f"exogenous block {index} is for {exo.pv_avail_j.shape[0]} PV arrays and "
                             f"{exo.load_inputs.shape[0]} loads; this home has {len(compiled.pv_arrays)} "
                             f"and {len(compiled.loads)}")
