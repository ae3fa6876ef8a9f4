"""The same physics in the live runtime: random homes stepped through the bus adapters in one
process (no router, as ``tests/bus/test_adapters.py`` does), their settlements turned into a
ledger with ``homesim.bus.ledger.ledger_from_settlements``, and every ledger invariant of
``invariants_reference`` checked on it; then it must equal the fast-forward engine's ledger.

Cases: ``EXAMPLES`` random homes with an inverter (half of them pushed towards outages and
battery shutdowns, ``outage_homes``) (a live home settles on its inverter), steps
300/900/1260/3600 s, 1 to 1.5 days (24 to 432 ticks each); the terminal summary gives the
ticks checked.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sys
from pathlib import Path

from homesim.bus.ledger import ledger_from_settlements
from homesim.engine.fastforward import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))
from test_adapters import step_adapters  # noqa: E402  (the live runtime without transport)

import invariants_reference as ref
from invariants_homes import homes, outage_homes, report

EXAMPLES = 10
LIVE_STEPS = [300, 900, 1260, 3600]

COUNTS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def case_counts(request):
    yield
    report(request, f"live adapters: {COUNTS['homes']} random homes x {COUNTS['ticks']} ticks in all")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=st.one_of(homes(steps=LIVE_STEPS, max_days=1.5).filter(lambda c: c.home.inverter is not None),
                      outage_homes(steps=LIVE_STEPS, max_days=1.5)))
def test_live_adapters_keep_the_same_physics(case):
    compiled, settlements = step_adapters(case.home, case.ticks, case.step, case.seed)
    ledger = ledger_from_settlements(compiled, settlements)
    COUNTS["homes"] += 1
    COUNTS["ticks"] += len(ledger.table)
    assert (ledger.table["missing"] == "").all()
    for check in ref.LEDGER_CHECKS:
        check(case, ledger)
    engine = simulate(case.home, days=case.days, dt_s=case.step, seed=case.seed)
    pd.testing.assert_frame_equal(ledger.table.drop(columns=["missing"]), engine.table)
