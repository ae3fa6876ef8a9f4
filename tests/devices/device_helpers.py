"""Helpers for device tests: blocks of ticks without a whole home, and a kernel driver."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices.base import Block
from homesim.devices.kernel import Home
from homesim.engine import loads
from homesim.engine.compiled import local_calendar


def make_block(dt_s: int = 60, days: float = 1.0, start: dt.date = dt.date(2026, 1, 5),
               timezone: str = "Africa/Johannesburg", lat: float = -33.93, lon: float = 18.47, seed: int = 1) -> Block:
    midnight = dt.datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(timezone))
    ticks = int(days * 86400 // dt_s)
    unix_s = int(midnight.timestamp()) + np.arange(ticks, dtype=np.int64) * dt_s
    calendar = local_calendar(unix_s, timezone)
    return Block(index=0, start_tick=0, dt_s=dt_s, unix_s=unix_s, second_of_day=calendar.second_of_day,
                 weekday=calendar.weekday, month=calendar.month, day_of_month=calendar.day_of_month, seed=seed,
                 latitude=lat, longitude=lon, altitude=0.0, timezone=timezone)


def run_load(config, block: Block, served_fraction: float = 1.0, home: Home | None = None,
             state_name: str = "temp_c"):
    """Drive a load's kernels over a block with everything served (or a fraction), the
    engine's way (``homesim.engine.loads``: tables of one row).

    Returns ``(demand_j, values)`` per tick: what it asked for, and its state ``state_name``
    after each tick (zeros for a kind without it).
    """
    tables = loads.load_tables([config], np.array([True]), block.dt_s)
    state = loads.initial_state([config])
    inputs = config.block_inputs(block)[np.newaxis]
    home = home or Home(True, 1.0, 0.0, 0.0, 0.0)
    layout = config.BEHAVIOUR.state
    column = getattr(layout, state_name) if state_name in layout.names else None
    demand = np.zeros(block.size, dtype=np.int64)
    values = np.zeros(block.size)
    asked = np.zeros(1, dtype=np.int64)
    for t in range(block.size):
        loads.loads_demand(tables, state, inputs, t, home, block.dt_s, asked, np.zeros(1, dtype=np.int64))
        served = (asked * served_fraction).astype(np.int64)
        loads.loads_advance(tables, state, inputs, t, asked, served, home, block.dt_s)
        demand[t] = asked[0]
        values[t] = state[0, column] if column is not None else 0.0
    return demand, values
