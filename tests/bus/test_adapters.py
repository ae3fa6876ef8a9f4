"""The bus adapters, stepped in one process without transport, give the engine's ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from homesim.bus.adapters import ENERGY_ROLES, adapter_for
from homesim.bus.ledger import ledger_from_settlements
from homesim.engine.compiled import CompiledHome
from homesim.engine.fastforward import simulate
from homesim.home import load_home

from conftest import EXAMPLES


def step_adapters(home, ticks, dt_s, seed=None):
    """Every device's adapter stepped in this process, settled by the inverter's: the live runtime
    without transport. Returns ``(compiled, settlements)``."""
    compiled = CompiledHome(home, dt_s, seed=seed)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    inverter = adapters[home.inverter.id]
    settlements = []
    for tick in range(ticks):
        events = {}
        for device_id, adapter in adapters.items():
            event = adapter.on_tick(tick)
            if event is not None and home.device(device_id).ROLE in ENERGY_ROLES:
                events[device_id] = event
        settlement = inverter.settle(tick, events)
        for adapter in adapters.values():
            adapter.on_settlement(settlement)
        settlements.append(settlement)
    return compiled, settlements


@pytest.mark.parametrize("name, ticks, dt_s", [("home.yaml", 2880, 60), ("no_battery.yaml", 600, 300), ("tiny.yaml", 300, 60),
                                              ("every_kind.yaml", 1200, 300)])
def test_adapters_reproduce_the_engine(name, ticks, dt_s):
    home = load_home(EXAMPLES / name)
    compiled, settlements = step_adapters(home, ticks, dt_s)
    from_bus = ledger_from_settlements(compiled, settlements)
    engine = simulate(home, days=ticks * dt_s / 86400, dt_s=dt_s)
    assert (from_bus.table["missing"] == "").all()
    pd.testing.assert_frame_equal(from_bus.table.drop(columns=["missing"]), engine.table)


def test_a_restarted_device_resumes_from_its_retained_state():
    """Each device is replaced mid-run by a fresh one restored from its last ``state()``, and
    then handed the retained last settlement again: the ledger is unchanged."""
    home = load_home(EXAMPLES / "home.yaml")
    _, straight = step_adapters(home, 1500, 60)
    compiled = CompiledHome(home, 60)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    inverter = adapters[home.inverter.id]
    settlements = []
    for tick in range(1500):
        if tick in (400, 900):
            for device_id, old in list(adapters.items()):
                fresh = adapter_for(CompiledHome(home, 60), device_id)
                fresh.restore(old.state())
                fresh.on_settlement(settlements[-1])  # the retained settlement, already applied
                adapters[device_id] = fresh
            inverter = adapters[home.inverter.id]
        events = {d: e for d, a in adapters.items() if (e := a.on_tick(tick)) is not None
                  and home.device(d).ROLE in ENERGY_ROLES}
        settlement = inverter.settle(tick, events)
        for adapter in adapters.values():
            adapter.on_settlement(settlement)
        settlements.append(settlement)
    assert settlements == straight


def test_a_missing_device_is_named_and_has_no_flow():
    home = load_home(EXAMPLES / "home.yaml")
    compiled = CompiledHome(home, 60)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    events = {d: e for d, a in adapters.items() if (e := a.on_tick(0)) is not None and home.device(d).ROLE in ENERGY_ROLES}
    loads = [d.id for d in home.loads]
    absent, off = loads[0], loads[1]
    del events[absent]
    settlement = adapters[home.inverter.id].settle(0, events, off=frozenset({off}))
    assert settlement["missing"] == [absent]
    assert settlement["off"] == [off]
    assert absent not in settlement["e"] and off not in settlement["e"]
    assert sum(settlement["e"].values()) == settlement["loss_j"]
