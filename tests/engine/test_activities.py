"""Bounded activities (a kettle's boil, a window of lights, a cooking window, a timer, a
hot-water draw) deliver their whole energy: across local midnight, across a DST change, across
the end of a block of ticks, at any step, in both runtimes (the fast-forward engine and the
live adapters stepped in one process).

The expectations come from an integrator of this file's own: each occurrence's real-time
interval from Python's datetime and zoneinfo, intersected with the run.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from homesim.devices import geyser, kettle
from homesim.devices.base import BLOCK_TICKS, WATER_J_PER_KG_K
from homesim.engine.fastforward import simulate
from homesim.home import HomeFileError, home_from_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "devices"))

from device_helpers import make_block  # noqa: E402
from test_adapters import step_adapters  # noqa: E402

STEPS = [60, 300, 900, 3600]


def home_with(loads: list[dict], timezone: str = "Africa/Johannesburg", start: str = "2026-01-05") -> object:
    """A home whose loads are always served: the grid always on, an inverter and a battery."""
    return home_from_dict({
        "name": "activities", "start": start,
        "location": {"latitude": -33.9, "longitude": 18.4, "timezone": timezone},
        "devices": [{"id": "grid", "kind": "grid", "import_tariff": {"flat_per_kwh": 2.0}},
                    {"id": "battery", "kind": "battery", "capacity_kwh": 5.0}, *loads],
    })


def run_window(home, days: float, dt_s: int) -> tuple[float, float]:
    """Real-time interval of a run: ``[start, end)`` [s since 1970 UTC]."""
    start = dt.datetime.combine(home.start, dt.time(0), tzinfo=ZoneInfo(home.location.timezone)).timestamp()
    ticks = int(round(days * 86_400 / dt_s))
    return start, start + ticks * dt_s


def wall(date: dt.date, hhmm: str, timezone: str) -> float:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    midnight = dt.datetime(date.year, date.month, date.day, tzinfo=ZoneInfo(timezone))
    return (midnight + dt.timedelta(hours=hours, minutes=minutes)).timestamp()


def seconds_inside(intervals: list[tuple[float, float]], run: tuple[float, float]) -> float:
    return sum(max(0.0, min(end, run[1]) - max(start, run[0])) for start, end in intervals)


def daily_intervals(home, run, start: str, end: str) -> list[tuple[float, float]]:
    """Every occurrence of a daily window (end before start: past midnight) around the run."""
    zone = home.location.timezone
    first = dt.datetime.fromtimestamp(run[0], ZoneInfo(zone)).date() - dt.timedelta(days=1)
    days = int((run[1] - run[0]) // 86_400) + 3
    out = []
    for k in range(days):
        day = first + dt.timedelta(days=k)
        end_day = day + dt.timedelta(days=1) if end <= start else day
        out.append((wall(day, start, zone), wall(end_day, end, zone) if end != "24:00" else
                    wall(day + dt.timedelta(days=1), "00:00", zone)))
    return out


def boil_intervals(home, run, use: str, boil_s: float) -> list[tuple[float, float]]:
    return [(s, s + boil_s) for s, _ in daily_intervals(home, run, use, "24:00")]


def demand_in_both_runtimes(home, days: float, dt_s: int, load_id: str) -> dict[str, np.ndarray]:
    engine = simulate(home, days=days, dt_s=dt_s)
    ticks = len(engine.table)
    compiled, settlements = step_adapters(home, ticks, dt_s)
    live = np.array([s["demand"][load_id] for s in settlements], dtype=np.int64)
    return {"engine": engine.table[f"demand.{load_id}"].to_numpy(), "live": live}


@pytest.mark.parametrize("dt_s", STEPS)
def test_a_kettle_boil_started_at_23_58_finishes_after_midnight(dt_s):
    home = home_with([{"id": "kettle", "kind": "kettle", "power_w": 2000, "litres": 1.5, "uses": ["23:58"]}])
    boil_s = home.device("kettle").boil_s()
    assert boil_s > 120  # the boil does run past midnight
    run = run_window(home, 3.5, dt_s)
    expected_j = 2000 * seconds_inside(boil_intervals(home, run, "23:58", boil_s), run)
    # Three whole boils, and the rest of the boil started the evening before the run.
    assert expected_j == pytest.approx(3 * 1.5 * WATER_J_PER_KG_K * 85 / 0.9 + 2000 * (boil_s - 120), rel=1e-9)
    for runtime, demand in demand_in_both_runtimes(home, 3.5, dt_s, "kettle").items():
        touched = int((demand > 0).sum())
        assert abs(demand.sum() - expected_j) <= touched, (runtime, demand.sum(), expected_j)
        after_midnight = demand.reshape(-1)[86_400 // dt_s]  # the first tick of the second day
        assert after_midnight > 0, runtime


@pytest.mark.parametrize("dt_s", STEPS)
def test_lights_on_past_midnight_and_off_the_step_grid_get_their_whole_window(dt_s):
    windows = [("17:10", "17:50"), ("22:00", "01:15")]
    home = home_with([{"id": "lights", "kind": "lights", "power_w": 300,
                       "on": [{"start": s, "end": e} for s, e in windows]}])
    run = run_window(home, 3, dt_s)
    seconds = sum(seconds_inside(daily_intervals(home, run, s, e), run) for s, e in windows)
    # Three evenings, the night before the start's last 1 h 15, two whole nights, the third's first 2 h.
    assert seconds == pytest.approx(3 * 40 * 60 + 75 * 60 + 2 * 195 * 60 + 2 * 3600)
    for runtime, demand in demand_in_both_runtimes(home, 3, dt_s, "lights").items():
        assert abs(demand.sum() - 300 * seconds) <= (demand > 0).sum(), runtime


@pytest.mark.parametrize("dt_s", STEPS)
def test_a_timer_window_off_the_step_grid_passes_its_whole_share(dt_s):
    home = home_with([{"id": "pump", "kind": "generic_load", "power_w": 1000,
                       "switch": {"timers": [{"start": "10:20", "end": "13:05"}]}}])
    for runtime, demand in demand_in_both_runtimes(home, 2, dt_s, "pump").items():
        assert abs(demand.sum() - 2 * 1000 * (2 * 3600 + 45 * 60)) <= (demand > 0).sum(), runtime


@pytest.mark.parametrize("day, hours", [("2026-03-29", 2.0), ("2026-10-25", 4.0), ("2026-03-28", 3.0)])
def test_a_window_over_a_clock_change_lasts_its_real_time(day, hours):
    """01:00-04:00 in Berlin: two real hours the night the clocks go forward, four the night
    they go back, three otherwise."""
    home = home_with([{"id": "lights", "kind": "lights", "power_w": 100, "on": [{"start": "01:00", "end": "04:00"}]}],
                     timezone="Europe/Berlin", start=day)
    for dt_s in (60, 900):
        for runtime, demand in demand_in_both_runtimes(home, 1, dt_s, "lights").items():
            assert demand.sum() == pytest.approx(100 * hours * 3600, abs=2), (dt_s, runtime)


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])
def test_a_boil_over_a_clock_change_draws_its_whole_energy(day):
    """A use at 01:58 in Berlin on the nights the clocks change: the boil runs over 02:00."""
    home = home_with([{"id": "kettle", "kind": "kettle", "power_w": 2000, "litres": 1.0, "uses": ["01:58"]}],
                     timezone="Europe/Berlin", start=day)
    per_boil = 1.0 * WATER_J_PER_KG_K * 85 / 0.9
    for dt_s in (60, 3600):
        for runtime, demand in demand_in_both_runtimes(home, 1, dt_s, "kettle").items():
            assert abs(demand.sum() - per_boil) <= 2, (dt_s, runtime)


def test_a_boil_over_the_end_of_a_block_draws_its_whole_energy():
    """At 60 s steps a block is exactly 7 days: the 7th evening's boil at 23:58 straddles it."""
    assert BLOCK_TICKS * 60 == 7 * 86_400
    home = home_with([{"id": "kettle", "kind": "kettle", "power_w": 2000, "litres": 1.5, "uses": ["23:58"]}])
    per_boil = 1.5 * WATER_J_PER_KG_K * 85 / 0.9
    engine = simulate(home, days=8.5, dt_s=60).table["demand.kettle"].to_numpy()
    assert engine[BLOCK_TICKS - 1] > 0 and engine[BLOCK_TICKS] > 0  # before and after the block's end
    assert abs(engine[BLOCK_TICKS - 2: BLOCK_TICKS + 20].sum() - per_boil) <= 20
    started_before = 2000 * (home.device("kettle").boil_s() - 120)  # the boil of the evening before the run
    assert abs(engine.sum() - 8 * per_boil - started_before) <= (engine > 0).sum()


@pytest.mark.parametrize("dt_s", STEPS)
def test_an_oven_window_off_the_step_grid_still_cooks(dt_s):
    """17:10-17:50: no tick of 3600 s starts inside it, yet the oven heats for its 40 minutes."""
    home = home_with([{"id": "oven", "kind": "oven", "rated_power_w": 2000,
                       "cooking": [{"start": "17:10", "end": "17:50"}]}])
    for runtime, demand in demand_in_both_runtimes(home, 1, dt_s, "oven").items():
        assert demand.sum() > 0, runtime
        assert demand.sum() <= 2000 * 40 * 60 + 1, runtime  # never beyond the window
        # A cold oven heats flat out for its first minutes: the element runs all of them.
        assert demand.sum() >= 2000 * min(40 * 60, 600), runtime


@pytest.mark.parametrize("dt_s", [60, 420, 900, 3600, 7200])
def test_a_geyser_draws_its_daily_volume_at_any_step(dt_s):
    config = geyser.Config(id="geyser", draw_l_per_day=140, draw_profile=[1.0] * 24)
    draw = config.block_inputs(make_block(dt_s=dt_s, days=3))[config.BEHAVIOUR.inputs.draw_l]
    covered_s = draw.size * dt_s  # 420 s ticks don't end at midnight: the run is a little short
    assert draw.sum() == pytest.approx(140 * covered_s / 86_400, rel=1e-9)


def test_kettle_uses_closer_than_a_boil_are_refused():
    with pytest.raises(ValueError, match="06:32.*at least one boil apart"):
        kettle.Config(id="kettle", uses=["06:30", "06:32"])
    with pytest.raises(ValueError, match="23:59.*00:01"):  # across midnight too
        kettle.Config(id="kettle", uses=["00:01", "23:59"])
    with pytest.raises(HomeFileError, match=r"devices\[2\]\.uses: "):
        home_with([{"id": "kettle", "kind": "kettle", "uses": ["07:00", "07:00"]}])

