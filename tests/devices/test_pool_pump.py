"""Pool pump: its daily hours inside its window, on PV surplus when there is some, and done by
the deadline when there is none; a day it could not finish is reported short."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from homesim.devices import pool_pump
from homesim.devices.kernel import Home
from homesim.engine import loads

from device_helpers import make_block


def pump(**fields):
    return pool_pump.Config(**{"id": "pool", "power_w": 750, "hours_per_day": 5, "earliest": "08:00",
                               "deadline": "17:00", **fields})


def drive(config, block, pv_w=None, served_fraction=1.0):
    """The pump beside a house of 300 W, PV ``pv_w(minute_of_day)`` [W], the home as a settlement
    reports it; returns what it asked for and was served per tick [J]."""
    tables = loads.load_tables([config], np.array([False]), block.dt_s)
    state = loads.initial_state([config])
    inputs = config.block_inputs(block)[np.newaxis]
    asked = np.zeros(1, dtype=np.int64)
    asked_all = np.zeros(block.size, dtype=np.int64)
    served_all = np.zeros(block.size, dtype=np.int64)
    pump_w = 0.0
    for t in range(block.size):
        pv = 0.0 if pv_w is None else pv_w((t * block.dt_s // 60) % 1440)
        home = Home(True, 1.0, pv - 300 - pump_w, pv, 300 + pump_w)  # the PV surplus, signed
        loads.loads_demand(tables, state, inputs, t, home, block.dt_s, asked, np.zeros(1, dtype=np.int64))
        served = (asked * served_fraction).astype(np.int64)
        loads.loads_advance(tables, state, inputs, t, asked, served, home, block.dt_s)
        asked_all[t], served_all[t] = asked[0], served[0]
        pump_w = served[0] / block.dt_s
    return asked_all, served_all


def test_without_pv_it_waits_and_ends_its_hours_exactly_at_the_deadline():
    asked, _ = drive(pump(), make_block(dt_s=60))
    on = np.flatnonzero(asked)
    assert on[0] == 12 * 60 and on[-1] == 17 * 60 - 1  # 5 h back from 17:00
    assert asked.sum() == 750 * 5 * 3600


def test_on_pv_surplus_it_runs_as_soon_as_the_spare_pv_covers_it():
    def sunny(minute):  # 2 kW from 10:00 to 13:00, nothing otherwise
        return 2000.0 if 10 * 60 <= minute < 13 * 60 else 0.0

    asked, _ = drive(pump(), make_block(dt_s=60), sunny)
    minute = np.arange(asked.size)
    assert (asked[(minute >= 10 * 60) & (minute < 13 * 60)] == 750 * 60).all()  # 3 h on the sun
    assert (asked[(minute >= 13 * 60) & (minute < 15 * 60)] == 0).all()  # then waits: 2 h left, 4 h to go
    assert (asked[(minute >= 15 * 60) & (minute < 17 * 60)] == 750 * 60).all()  # the last 2 h by 17:00
    assert asked.sum() == 750 * 5 * 3600


@pytest.mark.parametrize("dt_s", [60, 300, 900, 3600])
def test_it_runs_its_hours_every_day_at_any_step(dt_s):
    asked, _ = drive(pump(), make_block(dt_s=dt_s, days=3))
    per_day = asked.reshape(3, -1).sum(axis=1)
    assert (per_day == 750 * 5 * 3600).all()


def test_hours_it_could_not_run_are_reported_short_at_the_deadline():
    config = pump()
    block = make_block(dt_s=60, days=2)
    _, served = drive(config, block, served_fraction=0.5)
    got = config.deadlines(config.block_inputs(block), served, block.unix_s, block.dt_s)
    assert [r["ended"] for r in got.rows] == [True, True]
    wanted = 750 * 5 * 3600
    for row in got.rows:
        assert row["wanted_j"] == wanted and row["short_j"] == wanted - row["delivered_j"] > 0
    deadlines = np.flatnonzero(got.short_j)
    assert list(deadlines % 1440) == [17 * 60 - 1] * 2  # the last tick before 17:00
    assert got.short_j.sum() == sum(r["short_j"] for r in got.rows)


def test_a_deadline_after_midnight_counts_the_night_as_the_day_it_started():
    asked, _ = drive(pump(earliest="20:00", deadline="02:00", hours_per_day=3), make_block(dt_s=60, days=2))
    minute = np.arange(asked.size) % 1440
    assert asked[(minute >= 23 * 60)].sum() + asked[(minute < 2 * 60)].sum() == asked.sum() > 0


def test_hours_that_do_not_fit_the_window_are_refused():
    with pytest.raises(ValidationError, match=r"hours_per_day\n.*must fit between 08:00 and 17:00 \(9 h\)"):
        pump(hours_per_day=10)
