"""Property-based: over random homes, every ledger row balances exactly, SoC stays in its
window, and the battery's stored energy follows its terminal energy through its efficiencies."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from homesim.devices.base import J_PER_KWH
from homesim.engine.fastforward import simulate
from homesim.home import HomeFileError, home_from_dict

from kinds_drawn import defaults_valid, every_kind_example, load_kinds

ratio = st.floats(0.0, 1.0)


@st.composite
def homes(draw):
    devices = []
    for i in range(draw(st.integers(0, 3))):
        devices.append({"id": f"pv{i}", "kind": "pv_array", "rated_power_w": draw(st.floats(100, 8000)),
                        "tilt_deg": draw(st.floats(0, 60)), "azimuth_deg": draw(st.floats(0, 359))})
    has_battery = draw(st.booleans())
    if has_battery:
        soc_min = draw(st.floats(0.0, 0.4))
        soc_max = draw(st.floats(soc_min + 0.1, 1.0))
        devices.append({"id": "battery", "kind": "battery", "capacity_kwh": draw(st.floats(0.5, 30)),
                        "soc_min": soc_min, "soc_max": soc_max,
                        "initial_soc": draw(st.floats(soc_min, soc_max)),
                        "max_charge_w": draw(st.floats(200, 8000)), "max_discharge_w": draw(st.floats(200, 8000)),
                        "charge_efficiency": draw(st.floats(0.8, 1.0)), "discharge_efficiency": draw(st.floats(0.8, 1.0))})
    if draw(st.booleans()) or not has_battery:
        grid = {"id": "grid", "kind": "grid", "export_per_kwh": draw(st.floats(0, 2))}
        if draw(st.booleans()):
            grid["export_limit_w"] = draw(st.floats(0, 5000))
        if draw(st.booleans()):
            grid["outages"] = [{"start": "2026-02-01T03:00", "end": "2026-02-01T" + draw(st.sampled_from(["09:00", "20:00"]))}]
        devices.append(grid)
    shutdown = draw(st.floats(0.0, 0.3))
    low = draw(st.floats(shutdown, 0.5))
    devices.append({
        "id": "inverter", "kind": "inverter", "rated_power_w": draw(st.floats(500, 10000)),
        "efficiency": draw(st.one_of(st.floats(0.8, 1.0), st.just({"curve": "pvwatts"}))),
        "work_mode": draw(st.sampled_from(["selling_first", "zero_export", "limited_to_home"])),
        "priority": draw(st.sampled_from(["load_first", "battery_first"])),
        "battery_shutdown_soc": shutdown, "battery_low_soc": low,
        "battery_restart_soc": draw(st.floats(low, 0.8)), "backup_reserve_soc": draw(st.floats(shutdown, 0.6)),
        "programs": [{"start": "00:00", "power_w": draw(st.floats(0, 6000)), "soc": draw(ratio), "grid_charge": draw(st.booleans())},
                     {"start": "08:00", "power_w": draw(st.floats(0, 6000)), "soc": draw(ratio)}],
    })
    kinds = st.sampled_from(load_kinds())  # every load kind in the registry
    for i in range(draw(st.integers(0, 5))):
        kind = draw(kinds)
        load = {"id": f"l{i}", "kind": kind, "circuit": draw(st.sampled_from(["essential", "non_essential"]))}
        if kind == "generic_load":
            load["power_w"] = draw(st.floats(0, 4000))
        elif not defaults_valid(kind):  # a kind that needs some properties: its example's
            load.update(every_kind_example(kind))
        if draw(st.booleans()):
            load["switch"] = {"only_when_grid_on": draw(st.booleans()),
                              "min_pv_surplus_w": draw(st.one_of(st.none(), st.floats(0, 2000)))}
            if has_battery:
                load["switch"]["min_battery_soc"] = draw(st.one_of(st.none(), ratio))
        devices.append(load)
    try:
        return home_from_dict({"location": {"latitude": draw(st.floats(-60, 60)), "longitude": draw(st.floats(-180, 180)),
                                            "timezone": "Africa/Johannesburg"},
                               "start": "2026-02-01", "seed": draw(st.integers(0, 1000)), "devices": devices})
    except HomeFileError:  # settings that can't work together (homesim.home.consistency), e.g. restart >= soc_max
        assume(False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(home=homes(), step=st.sampled_from([60, 300, 900]))
def test_random_homes_balance_and_keep_the_battery_honest(home, step):
    ledger = simulate(home, days=1, dt_s=step)
    ledger.check()  # sum(e.*) - loss_j == 0 and -e + unmet == demand on every row
    t = ledger.table
    assert (t["loss_j"] >= 0).all() and (t["curtailed_j"] >= 0).all()
    for load_id in ledger.meta["load_ids"]:
        assert (t[f"unmet.{load_id}"] >= 0).all() and (t[f"e.{load_id}"] <= 0).all()
    battery = home.battery
    if battery is None:
        return
    capacity = round(battery.capacity_kwh * J_PER_KWH)
    soc = t["soc.battery"].to_numpy()
    assert soc.min() >= battery.soc_min - 1e-9 and soc.max() <= battery.soc_max + 1e-9
    stored = battery.initial_stored_j()
    for flow in t["e.battery"].to_numpy():
        if flow > 0:
            stored -= math.ceil(flow / battery.discharge_efficiency)
        elif flow < 0:
            stored += math.floor(-flow * battery.charge_efficiency)
    assert abs(stored - soc[-1] * capacity) <= 1e-6 * capacity
    charged = -t["e.battery"].clip(upper=0).sum()
    discharged = t["e.battery"].clip(lower=0).sum()
    ideal = charged * battery.charge_efficiency - discharged / battery.discharge_efficiency
    assert abs((stored - battery.initial_stored_j()) - ideal) <= len(t) + 1
