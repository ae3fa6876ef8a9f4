"""Battery: capacity in Joules, the SoC scenario, efficiencies and the usable window."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homesim.devices import battery
from homesim.devices.base import J_PER_KWH


def make(capacity_kwh=10.0, **kw):
    return battery.Config(id="battery", capacity_kwh=capacity_kwh, **kw)


def test_a_12_kwh_battery_holds_43_2_mj():
    assert make(12.0).params().capacity_j == 43_200_000


def test_10_kwh_at_half_charged_at_10_kw_for_15_min_ends_at_75_percent():
    config = make(10.0, soc_min=0.0, initial_soc=0.5, max_charge_w=10_000, charge_efficiency=1.0, discharge_efficiency=1.0)
    params = config.params()
    stored = config.initial_stored_j()
    for _ in range(15):
        charge = battery.max_charge_j(params, stored, 1.0, 60)
        assert charge == 600_000  # 10 kW for 60 s
        stored = battery.apply(params, stored, -charge)
    assert battery.soc(params, stored) == pytest.approx(0.75, abs=1e-12)
    assert stored == 27_000_000


def test_charge_power_and_window_limits():
    config = make(10.0, soc_max=0.9, initial_soc=0.89, max_charge_w=3000, charge_efficiency=0.95)
    params = config.params()
    stored = config.initial_stored_j()
    room = int(0.9 * 10 * J_PER_KWH) - stored
    charge = battery.max_charge_j(params, stored, 1.0, 3600)
    assert charge < 3000 * 3600  # the window binds before the power limit
    assert math.floor(charge * 0.95) <= room
    assert battery.soc(params, battery.apply(params, stored, -charge)) <= 0.9


def test_discharge_stops_at_the_floor():
    config = make(5.0, soc_min=0.1, initial_soc=0.12, discharge_efficiency=0.9)
    params = config.params()
    stored = config.initial_stored_j()
    out = battery.max_discharge_j(params, stored, 0.0, 3600)
    after = battery.apply(params, stored, out)
    assert after >= math.ceil(0.1 * params.capacity_j)
    assert out == pytest.approx((stored - 0.1 * params.capacity_j) * 0.9, abs=2)
    assert battery.max_discharge_j(params, stored, 0.5, 60) == 0  # floor above the SoC


def test_bad_window_is_refused():
    with pytest.raises(ValueError, match="soc_min"):
        make(soc_min=0.6, soc_max=0.5)
    with pytest.raises(ValueError, match="initial_soc"):
        make(soc_min=0.2, initial_soc=0.1)


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.floats(0.5, 50.0),
    eta_c=st.floats(0.6, 1.0),
    eta_d=st.floats(0.6, 1.0),
    flows=st.lists(st.integers(-5_000_000, 5_000_000), min_size=1, max_size=50),
)
def test_energy_is_conserved_through_the_efficiencies(capacity, eta_c, eta_d, flows):
    config = make(capacity, soc_min=0.1, soc_max=0.95, initial_soc=0.5, max_charge_w=1e6, max_discharge_w=1e6,
                  charge_efficiency=eta_c, discharge_efficiency=eta_d)
    params = config.params()
    stored = config.initial_stored_j()
    charged = discharged = 0
    start = stored
    for want in flows:
        if want > 0:
            flow = min(want, battery.max_discharge_j(params, stored, 0.0, 60))
            discharged += flow
        else:
            flow = -min(-want, battery.max_charge_j(params, stored, 1.0, 60))
            charged += -flow
        before = stored
        stored = battery.apply(params, stored, flow)
        # Per step: stored change is the terminal energy through the efficiency, rounded
        # against the battery (never more stored than went in, never less taken than came out).
        if flow > 0:
            assert before - stored == math.ceil(flow / eta_d)
        elif flow < 0:
            assert stored - before == math.floor(-flow * eta_c)
        assert math.ceil(0.1 * params.capacity_j) <= stored <= math.floor(0.95 * params.capacity_j)
    # Over the run: stored gain <= charge*eta_c - discharge/eta_d, within 1 J per step of it.
    ideal = charged * eta_c - discharged / eta_d
    assert stored - start <= ideal + 1e-6
    assert stored - start >= ideal - len(flows) - 1
