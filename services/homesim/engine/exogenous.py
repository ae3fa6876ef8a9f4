"""Exogenous inputs of a whole horizon, computed once and reused.

Everything a block's ticks need that does not depend on the dispatch (sun, weather, PV,
loads' schedules, grid, prices) is a function of the home's environment, PV arrays, loads
and grid, the step, start and seed alone. What-if variants of one home that differ only in
its battery or inverter settings share them: compute the blocks once with
:func:`exogenous_blocks` and pass them to
:func:`homesim.engine.fastforward.simulate` as ``exogenous=``.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.compiled import CompiledHome, Exogenous
from homesim.home import Home

#: Threads computing blocks by default, as ``simulate``'s prefetch: the compiled kernels
#: release the GIL, the Python parts (schedules) do not. A process pool was much slower here
#: (see :func:`exogenous_blocks`).
DEFAULT_WORKERS = 2


def horizon_ticks(days: float, dt_s: int) -> int:
    """Ticks in a horizon of ``days`` [day] at ``dt_s`` [s] steps, rounded down.

    Raises
    ------
    ValueError
        ``days`` not positive, or less than one tick.
    """
    if days <= 0:
        raise ValueError(f"days {days} is not allowed: must be > 0")
    total = int(days * 86_400 // dt_s)
    if total < 1:
        raise ValueError(f"days {days} at step {dt_s} s is less than one tick")
    return total


def block_count(total_ticks: int) -> int:
    """Blocks covering ``total_ticks`` ticks (the last one possibly cut short)."""
    return (total_ticks + BLOCK_TICKS - 1) // BLOCK_TICKS


def block_ticks(index: int, total_ticks: int) -> int:
    """Ticks of block ``index`` that lie inside a horizon of ``total_ticks`` ticks."""
    return min(BLOCK_TICKS, total_ticks - index * BLOCK_TICKS)


def exogenous_blocks(
    home: Home,
    days: float,
    dt_s: int = 60,
    start: dt.date | None = None,
    seed: int | None = None,
    workers: int | None = None,
) -> list[Exogenous]:
    """The exogenous inputs of every block of a horizon, in order.

    Each block is exactly what :meth:`CompiledHome.exogenous` gives for it, so a run given
    these blocks settles the same ledger as one that computes them itself. The blocks' own
    per-block scratch (``block.values``: sun position, weather) is dropped to keep a year's
    list small (about 130 MB a year for the reference home at 60 s).

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
    workers : int, optional
        Threads computing blocks side by side; default :data:`DEFAULT_WORKERS`. 1 computes
        them in this thread. Measured on a shared 2-core machine (load average 10-15 from
        other jobs), a year of the reference home: one thread 0.72 s, two threads 0.71 s, a
        pool of two processes 2.3 s (process start, imports and pickling the arrays back);
        five years: one thread 3.5-9 s, two threads 7-11 s, two processes 34-42 s. Threads,
        then: a process pool does not pay for itself even over five years.

    Returns
    -------
    list of Exogenous
        One per block; the last one cut to the horizon's end.

    Raises
    ------
    ValueError
        A horizon shorter than a tick, or a step outside 1..86400 s.
    """
    if days <= 0:
        raise ValueError(f"days {days} is not allowed: must be > 0")
    compiled = CompiledHome(home, dt_s, start, seed)
    total = horizon_ticks(days, dt_s)
    count = block_count(total)

    def one(index: int) -> Exogenous:
        exo = compiled.exogenous(index, block_ticks(index, total))
        exo.block.values.clear()
        return exo

    workers = max(1, min(DEFAULT_WORKERS if workers is None else int(workers), count))
    if workers == 1:
        return [one(index) for index in range(count)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))
