"""Every bounded activity's energy is delivered in full, in real time.

The reference (``invariants_activities``) turns each scheduled activity into real-time
intervals with Python ``datetime`` + ``zoneinfo`` and integrates the load's power exactly over
each tick ``[t, t + dt)``; the ledger's ``demand.<id>`` must equal it within 1 J per tick
(rounding), so the run total is within 1 J per tick too. Thermostat loads (oven, geyser,
fridge) draw only inside their windows, at most their element power for the seconds of the
tick inside, and a cold oven draws in each cooking window, aligned to the step or not.

Cases: ``RANDOM_EXAMPLES`` random homes of kettles, lights, TVs, generic loads (constant and
hourly), ovens, geysers and fridges with timers (steps 60/300/900/3600/420 s, 1-3 days, DST
starts) and the targeted ones below: a kettle at 23:58, lights 22:00-01:00, a 17:10-17:50
window at every step, the four 2026 DST changes (a kettle in the spring-forward gap, windows
over the repeated hour), and an 8-day run at 60 s with activities straddling tick 10,080 (the
end of the first block).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.fastforward import simulate

from invariants_activities import check_bounded_activities
from invariants_homes import STARTS, WEEKDAYS, Case, hhmm, report, validated, windows
from kinds_drawn import activity_kinds, every_kind_example

RANDOM_EXAMPLES = 50
STEPS = [60, 300, 900, 3600]

COUNTS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def case_counts(request):
    yield
    report(request, "bounded activities: " + ", ".join(f"{v} {k}" for k, v in COUNTS.items()))


def check(case: Case) -> None:
    ledger = simulate(case.home, days=case.days, dt_s=case.step, seed=case.seed)
    COUNTS["runs"] += 1
    COUNTS["ticks"] += len(ledger.table)
    COUNTS.update(check_bounded_activities(case, ledger))


def case_of(devices: list[dict[str, Any]], timezone: str, start: str, days: float, step: int) -> Case:
    data = {"name": "activities", "location": {"latitude": 0.0, "longitude": 0.0, "timezone": timezone},
            "start": start, "devices": [{"id": "grid", "kind": "grid"}, *devices]}
    return Case(data=data, days=days, step=step, seed=1, home=validated(data))


# --- random -------------------------------------------------------------------------------------

@st.composite
def activity_loads(draw, index: int) -> dict[str, Any]:
    # The registry's profile and thermostat kinds (generic_load twice: constant and hourly).
    kind = draw(st.sampled_from(activity_kinds() + ["generic_load"]))
    load: dict[str, Any] = {"id": f"{kind}{index}", "kind": kind,
                            "circuit": draw(st.sampled_from(["essential", "non_essential"]))}
    if kind == "kettle":
        # Uses at least 121 minutes apart (cyclically): boils never overlap, even when a
        # spring-forward change takes an hour out.
        slots = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True))
        load.update(power_w=draw(st.floats(1000, 3000)), litres=draw(st.floats(0.3, 2.0)),
                    inlet_c=draw(st.floats(5, 30)), efficiency=draw(st.floats(0.8, 1.0)),
                    uses=[hhmm(240 * s + draw(st.integers(0, 119))) for s in slots])
        if draw(st.booleans()):
            load["days"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    elif kind == "lights":
        load.update(power_w=draw(st.floats(20, 2000)), on=draw(windows()))
    elif kind == "tv":
        load.update(power_w=draw(st.floats(30, 400)), standby_w=draw(st.floats(0, 5)), watching=draw(windows()))
    elif kind == "generic_load":
        if draw(st.booleans()):
            load["power_w"] = draw(st.floats(0, 4000))
        else:
            load["hourly_w"] = draw(st.lists(st.floats(0, 3000), min_size=24, max_size=24))
    elif kind == "oven":
        load.update(rated_power_w=draw(st.floats(800, 4000)), setpoint_c=draw(st.floats(120, 250)),
                    cooking=draw(windows(max_windows=2)))
    elif kind == "geyser":
        load.update(element_w=draw(st.floats(1000, 4000)), initial_temp_c=draw(st.floats(20, 70)))
    elif kind == "fridge":
        load.update(compressor_w=draw(st.floats(50, 300)))
    else:  # a kind added since: its example (the reference must know it: invariants_activities)
        load.update(every_kind_example(kind))
    if draw(st.booleans()):
        load["switch"] = {"timers": draw(windows(max_windows=2))}
    return load


@st.composite
def activity_homes(draw) -> Case:
    timezone, start, (lat, lon) = draw(st.sampled_from(STARTS))
    devices = [draw(activity_loads(i)) for i in range(draw(st.integers(1, 5)))]
    case = case_of(devices, timezone, start.isoformat(), draw(st.sampled_from([1.0, 2.0, 3.0])),
                   draw(st.sampled_from([60, 300, 900, 3600, 420])))
    case.data["location"].update(latitude=lat, longitude=lon)
    return case


@settings(max_examples=RANDOM_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=activity_homes())
def test_every_scheduled_activity_gets_exactly_its_energy_in_real_time(case):
    check(case)


# --- targeted -----------------------------------------------------------------------------------

KETTLE = {"id": "kettle", "kind": "kettle", "power_w": 2000, "litres": 1.5, "inlet_c": 15, "efficiency": 0.9}


@pytest.mark.parametrize("step", STEPS)
def test_a_kettle_boiling_across_midnight_gets_its_whole_boil(step):
    check(case_of([{**KETTLE, "uses": ["23:58", "07:00"]}], "Africa/Johannesburg", "2026-01-30", 3.0, step))


@pytest.mark.parametrize("step", STEPS)
def test_lights_on_past_midnight_get_their_whole_window(step):
    lights = {"id": "lights", "kind": "lights", "power_w": 300, "on": [{"start": "22:00", "end": "01:00"}]}
    tv = {"id": "tv", "kind": "tv", "power_w": 120, "standby_w": 1, "watching": [{"start": "23:15", "end": "00:45", "days": ["fri"]}]}
    check(case_of([lights, tv], "Africa/Johannesburg", "2026-02-27", 3.0, step))


@pytest.mark.parametrize("step", STEPS)
def test_windows_not_aligned_to_the_step_get_their_minutes(step):
    lights = {"id": "lights", "kind": "lights", "power_w": 600, "on": [{"start": "17:10", "end": "17:50"}]}
    timed = {"id": "pump", "kind": "generic_load", "power_w": 750,
             "switch": {"timers": [{"start": "10:05", "end": "11:20"}, {"start": "23:50", "end": "00:10"}]}}
    oven = {"id": "oven", "kind": "oven", "rated_power_w": 2400, "cooking": [{"start": "17:10", "end": "17:50"}]}
    late_oven = {"id": "late_oven", "kind": "oven", "rated_power_w": 1800, "cooking": [{"start": "23:30", "end": "00:20"}]}
    geyser = {"id": "geyser", "kind": "geyser", "element_w": 3000, "initial_temp_c": 20,
              "switch": {"timers": [{"start": "04:10", "end": "05:35"}]}}
    check(case_of([lights, timed, oven, late_oven, geyser], "Africa/Johannesburg", "2026-01-30", 2.0, step))


DST = [("Europe/Berlin", "2026-03-28"), ("Europe/Berlin", "2026-10-24"),
       ("America/New_York", "2026-03-07"), ("America/New_York", "2026-10-31")]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("timezone, start", DST)
def test_activities_across_a_dst_change_get_their_real_time(timezone, start, step):
    kettle = {**KETTLE, "uses": ["01:55", "02:30", "23:58"]}  # 02:30 does not exist on spring-forward day
    lights = {"id": "lights", "kind": "lights", "power_w": 300, "on": [{"start": "01:00", "end": "04:00"},
                                                                     {"start": "22:00", "end": "02:15"}]}
    hourly = {"id": "base", "kind": "generic_load", "hourly_w": [100.0 * (h + 1) for h in range(24)]}
    tv = {"id": "tv", "kind": "tv", "power_w": 90, "standby_w": 2, "watching": [{"start": "00:30", "end": "03:30"}]}
    oven = {"id": "oven", "kind": "oven", "rated_power_w": 2000, "cooking": [{"start": "01:40", "end": "03:20"}]}
    check(case_of([kettle, lights, hourly, tv, oven], timezone, start, 3.0, step))


def test_activities_straddling_the_end_of_a_block_get_their_energy():
    """8 days at 60 s: tick 10,080 (the first tick of the second block) is local midnight."""
    assert BLOCK_TICKS * 60 == 7 * 86_400
    kettle = {**KETTLE, "uses": ["23:58"]}
    lights = {"id": "lights", "kind": "lights", "power_w": 300, "on": [{"start": "23:30", "end": "00:30"}]}
    oven = {"id": "oven", "kind": "oven", "rated_power_w": 2000, "cooking": [{"start": "23:50", "end": "00:40"}]}
    check(case_of([kettle, lights, oven], "Africa/Johannesburg", "2026-01-30", 8.0, 60))
