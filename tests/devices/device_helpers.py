"""Helpers for device tests: blocks of ticks without a whole home, and a kernel driver."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices import behaviour
from homesim.devices.base import Block
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


def run_load(config, block: Block, served_fraction: float = 1.0):
    """Drive a load's kernel over a block with everything served (or a fraction).

    Returns ``(demand_j, temperatures)`` per tick.
    """
    params = config.params().reshape(1, -1)
    state = config.initial_state().reshape(1, -1)
    allowed, profile, draw = (a.reshape(1, -1) for a in config.block_inputs(block))
    kind = np.array([config.BEHAVIOUR], dtype=np.int64)
    demand = np.zeros(block.size, dtype=np.int64)
    temps = np.zeros(block.size)
    asked = np.zeros(1, dtype=np.int64)
    for t in range(block.size):
        behaviour.loads_demand(kind, params, state, allowed, profile, t, True, 1.0, 0.0, block.dt_s, asked)
        served = (asked * served_fraction).astype(np.int64)
        behaviour.loads_advance(kind, params, state, asked, served, draw, t, block.dt_s)
        demand[t] = asked[0]
        temps[t] = state[0, behaviour.S_TEMP_C]
    return demand, temps

