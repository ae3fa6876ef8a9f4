"""Physics on the ledger of random valid homes, fast-forward engine.

Each test draws its own random homes (``invariants_homes.homes``: every device kind, work
mode, priority, programs with and without grid charge, tariffs, outages, load-shedding,
timers and smart switches; steps 60/300/900/3600/420/1260 s; 1-3 days from month ends, a year
end and the days before DST changes in Europe/Berlin and America/New_York, besides
Africa/Johannesburg), simulates it with ``homesim.engine.fastforward.simulate`` and checks one
physical fact on every tick against a reference computed from the home file
(``invariants_reference``).

The battery, grid-off and non-essential tests draw half their homes from ``outage_homes``
(a battery, long outages, a heavy essential load, a start SoC near the shutdown SoC), so that
shutdowns and restarts happen.

Case counts: ``EXAMPLES`` random homes per test (set explicitly below), each 24 to 4,320
ticks; the terminal summary line of each test gives the homes and ticks it checked (and, for
the battery, the shutdowns and restarts its reference state machine saw). Besides,
``BLOCK_EXAMPLES`` random homes run 8 days at 60 s (11,520 ticks, past the first block's end)
through every check.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homesim.devices.base import BLOCK_TICKS
from homesim.engine.fastforward import simulate

import invariants_reference as ref
from invariants_homes import homes, outage_homes, report, surplus_homes

#: Random homes per test.
EXAMPLES = 50
#: Random homes run for 8 days at 60 s (past the end of the first block).
BLOCK_EXAMPLES = 4

COUNTS: dict[str, Counter] = {}


@pytest.fixture(scope="module", autouse=True)
def case_counts(request):
    yield
    for name, count in COUNTS.items():
        extra = "".join(f", {v} {k}" for k, v in count.items() if k not in ("homes", "ticks"))
        report(request, f"{name}: {count['homes']} random homes x {count['ticks']} ticks in all{extra}")


def run(name, case):
    ledger = simulate(case.home, days=case.days, dt_s=case.step, seed=case.seed)
    count = COUNTS.setdefault(name, Counter())
    count["homes"] += 1
    count["ticks"] += len(ledger.table)
    return ledger


def physics(max_examples=EXAMPLES):
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@physics()
@given(case=homes())
def test_every_row_balances_and_every_load_is_served_or_unmet(case):
    ledger = run("balance", case)
    ledger.check()
    ref.check_balance(case, ledger)


@physics()
@given(case=st.one_of(homes(), outage_homes()))
def test_battery_stored_energy_follows_its_efficiencies_joule_for_joule(case):
    name = "battery conservation"
    COUNTS.setdefault(name, Counter()).update(ref.check_battery_conservation(case, run(name, case)))


@physics()
@given(case=st.one_of(homes(), outage_homes()))
def test_battery_stays_in_its_soc_window_and_honours_shutdown_and_restart(case):
    name = "battery window and shutdown"
    COUNTS.setdefault(name, Counter()).update(ref.check_battery_window_and_shutdown(case, run(name, case)))


@physics()
@given(case=st.one_of(homes(), outage_homes()))
def test_no_grid_flow_while_the_grid_is_off(case):
    ref.check_no_grid_flow_while_off(case, run("grid off", case))


@physics()
@given(case=homes())
def test_export_only_in_selling_first_within_its_limit_and_from_pv_only(case):
    ref.check_export_rules(case, run("export rules", case))


@physics()
@given(case=st.one_of(homes(), outage_homes()))
def test_non_essential_loads_get_nothing_in_outages(case):
    ref.check_non_essential_off_in_outages(case, run("non-essential in outages", case))


@physics()
@given(case=homes())
def test_inverter_ac_output_within_its_rating(case):
    ref.check_inverter_ac_rating(case, run("inverter AC rating", case))


@physics()
@given(case=homes())
def test_no_pv_while_the_sun_is_below_the_horizon(case):
    name = "PV at night"
    night = ref.check_no_pv_at_night(case, run(name, case))
    COUNTS[name]["night ticks with PV installed"] += night or 0


@physics()
@given(case=homes())
def test_cost_is_the_tariff_applied_to_the_grid_flows(case):
    ref.check_cost(case, run("cost", case))


@physics()
@given(case=st.one_of(homes(), outage_homes(), surplus_homes()))
def test_no_load_goes_short_or_draws_the_grid_while_the_battery_could_serve_it(case):
    name = "battery before the grid"
    COUNTS.setdefault(name, Counter()).update(ref.check_battery_serves_before_the_grid(case, run(name, case)))


@physics()
@given(case=st.one_of(homes(), surplus_homes()))
def test_a_pv_surplus_load_takes_nothing_from_the_grid_or_the_battery(case):
    name = "PV-surplus loads from PV"
    COUNTS.setdefault(name, Counter()).update(ref.check_surplus_loads_take_no_grid_or_battery(case, run(name, case)))


@physics(max_examples=BLOCK_EXAMPLES)
@given(case=st.one_of(homes(steps=[60]), outage_homes(steps=[60])))
def test_every_ledger_invariant_holds_across_a_block_end(case):
    """8 days at 60 s: 11,520 ticks, the second block starting at tick 10,080."""
    case = dataclasses.replace(case, days=8.0)
    ledger = run("all invariants over 8 days at 60 s", case)
    assert len(ledger.table) > BLOCK_TICKS
    for check in ref.LEDGER_CHECKS:
        check(case, ledger)
