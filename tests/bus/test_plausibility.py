"""What keeps a live home from being wedged, without a router (issue 24, item 8): each kind's
check of its state against new properties (``with_state``) and of an energy event's physics
(``implausible``), the inverter's own check of a settlement before it publishes it, the clock's
bounds, the procedures' arguments by position and by name, reserved ids, tickets of any text.
The live behaviour is in tests/faults/test_live_wedge.py."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from autobahn.wamp.exception import ApplicationError

from homesim.bus.adapters import ENERGY_ROLES
from homesim.bus.clock import Clock
from homesim.bus.controller import DesiredHome, by_name
from homesim.bus.barrier import settle_checked, unpublishable
from homesim.credentials import RESERVED_IDS, SERVICE_NAMES, device_ticket, ticket_role
from homesim.devices.base import J_PER_KWH
from homesim.home import HomeFileError, home_from_dict, load_home
from homesim.bus.arguments import call_arguments
from homesim.messages import ClockState, DeviceId, GridEnergy, SwitchDevice

from conftest import EXAMPLES
from test_adapters import step_adapters

INVALID = "homesim.error.invalid_property"


@pytest.mark.parametrize("name, ticks, dt_s", [("home.yaml", 2880, 60), ("every_kind.yaml", 1200, 300)])
def test_no_event_of_a_real_home_is_implausible(name, ticks, dt_s):
    """Every event every device of a home makes over two days and nights (every kind) passes
    its kind's check: the inverter drops nothing real (live stays the engine's ledger)."""
    home = load_home(EXAMPLES / name)
    compiled, settlements = step_adapters(home, ticks, dt_s)
    from homesim.bus.adapters import adapter_for
    from homesim.engine.compiled import CompiledHome

    compiled = CompiledHome(home, dt_s)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    inverter = adapters[home.inverter.id]
    checked = 0
    for tick, settlement in enumerate(settlements):
        for device_id, adapter in adapters.items():
            event = adapter.on_tick(tick)
            if event is not None and home.device(device_id).ROLE in ENERGY_ROLES:
                assert inverter.implausible(device_id, event) is None, (device_id, event)
                checked += 1
        for adapter in adapters.values():
            adapter.on_settlement(settlement)
    assert checked > ticks * 5
    assert any(s["e"].get(a.id, 0) > 0 for s in settlements for a in compiled.pv_arrays)  # daylight was checked too


def inverter_of(name="home.yaml"):
    from homesim.bus.adapters import adapter_for
    from homesim.engine.compiled import CompiledHome

    home = load_home(EXAMPLES / name)
    return adapter_for(CompiledHome(home, 60), home.inverter.id)


def test_pv_at_night_beyond_its_rating_and_impossible_stored_energy_are_implausible():
    inverter = inverter_of()  # Cape Town, from local midnight: tick 0 is at night, tick 720 at noon
    assert "below the horizon" in inverter.implausible("pv_east", {"tick": 5, "available_j": 10**9})
    assert "below the horizon" in inverter.implausible("pv_east", {"tick": 5, "available_j": 1})
    assert inverter.implausible("pv_east", {"tick": 5, "available_j": 0}) is None
    rated = inverter.compiled.home.device("pv_east").rated_w()
    assert inverter.implausible("pv_east", {"tick": 720, "available_j": int(rated * 60)}) is None
    assert "rating" in inverter.implausible("pv_east", {"tick": 720, "available_j": int(2.1 * rated * 60)})
    capacity = int(10.24 * J_PER_KWH)
    assert inverter.implausible("battery", {"tick": 5, "stored_j": capacity}) is None
    assert "outside [0, 36864000]" in inverter.implausible("battery", {"tick": 5, "stored_j": 2**53 - 1})
    assert inverter.implausible("tv", {"tick": 5, "demand_j": 100 * 60}) is None
    assert "rating" in inverter.implausible("tv", {"tick": 5, "demand_j": 10**9})


def test_a_battery_capacity_below_its_stored_energy_clamps_it():
    battery = load_home(EXAMPLES / "home.yaml").device("battery")
    small = battery.model_copy(update={"capacity_kwh": 0.01})
    state = {"tick": 9, "stored_j": 20_000_000, "soc": 0.54}
    fitted, note = small.with_state(state)
    assert fitted == {"tick": 9, "stored_j": 36_000, "soc": 1.0} and "clamped" in note and "19964000 J dropped" in note
    assert battery.with_state(state) == (state, None)


def test_a_settlement_the_clock_would_refuse_is_caught_before_it_is_published():
    inverter = inverter_of()
    good = inverter.settle(0, {})
    assert unpublishable(good) is None
    assert "soc" in unpublishable({**good, "soc": 555.93})
    assert "cost" in unpublishable({**good, "cost": float("inf")})


def test_a_tick_the_events_cant_settle_is_settled_without_them_and_said_so():
    """Events that pass their checks but make a settlement the clock would refuse (here a price
    near the largest float, given directly: the bus refuses it, ``GridEnergy``): the tick is
    settled without any event, valid, and the reason returned to be reported."""
    inverter = inverter_of()
    events = {"grid": {"tick": 1, "grid_on": True, "import_price": 1.7e308, "export_price": 0.0},
              "base_load": {"tick": 1, "demand_j": 6_000_000}}
    assert unpublishable(inverter_of().settle(1, events)) is not None  # cost: infinite
    settlement, problem = settle_checked(inverter, 1, events, frozenset(), 12.5)
    assert "cost" in problem and unpublishable(settlement) is None and settlement["tick_sent"] == 12.5
    assert {"grid", "base_load"} <= set(settlement["missing"]) and settlement["e"] == {}
    good, problem = settle_checked(inverter, 2, {"base_load": {"tick": 2, "demand_j": 600}}, frozenset(), None)
    assert problem is None and good["e"]["base_load"] <= 0
    with pytest.raises(ValidationError, match="import_price"):
        GridEnergy.model_validate(events["grid"])


def test_clock_speeds_beyond_the_bound_are_refused_and_its_view_is_always_valid():
    clock = Clock(None, 60)
    for speed in (1e308, float("inf"), float("nan"), 2**64, 2**53 + 1, 0, -1, True, "fast"):
        with pytest.raises(ApplicationError) as refused:
            clock.set_speed(speed)
        assert refused.value.error == INVALID and "speed" in refused.value.args[0]
        ClockState.model_validate(clock.view())
    assert clock.set_speed(1e6)["simulated_s_per_wall_s"] == 6e7
    ClockState.model_validate(clock.view())


def test_arguments_by_position_and_by_name_as_the_bus_reference_lists_them():
    assert call_arguments(SwitchDevice, ("tv", False), {}) == {"id": "tv", "on": False}
    assert call_arguments(SwitchDevice, (), {"on": False, "id": "tv"}) == {"id": "tv", "on": False}
    assert call_arguments(SwitchDevice, ("tv",), {"on": True}) == {"id": "tv", "on": True}
    for args, kwargs, says in [(("tv", False, 1), {}, "at most 2"), (("tv",), {"id": "x"}, "given twice"),
                               ((), {"ident": "tv", "on": 1}, "ident: unknown"), (("tv",), {}, "on: missing")]:
        with pytest.raises(ApplicationError) as refused:
            call_arguments(SwitchDevice, args, kwargs)
        assert refused.value.error == INVALID and says in refused.value.args[0]


def test_controller_remove_and_switch_take_the_id_by_name(tmp_path):
    desired = DesiredHome.open(tmp_path / "live", EXAMPLES, EXAMPLES / "tiny.yaml")
    switch, remove = by_name(desired.switch, SwitchDevice), by_name(desired.remove, DeviceId)
    assert switch(id="load", on=False) == {"id": "load", "enabled": False}
    assert switch("load", True) == {"id": "load", "enabled": True}
    assert remove(id="load") == {"id": "load", "removed": True}
    with pytest.raises(ApplicationError, match="'load' is not a device"):
        remove("load")


def test_reserved_names_are_refused_as_device_ids(tmp_path):
    from homesim.bus.up import SERVICES

    assert set(SERVICES) <= set(SERVICE_NAMES) and {"viewer", "operator", "router"} <= RESERVED_IDS
    data = yaml.safe_load((EXAMPLES / "tiny.yaml").read_text())
    for name in ("viewer", "operator", "clock", "recorder", "router", "supervisor"):
        data["devices"][1]["id"] = name
        with pytest.raises(HomeFileError, match=rf"devices\[1\]\.id: '{name}' is not allowed: .*reserved"):
            home_from_dict(data, home_dir=EXAMPLES)
    desired = DesiredHome.open(tmp_path / "live", EXAMPLES, EXAMPLES / "tiny.yaml")
    with pytest.raises(ApplicationError, match=r"\.id: 'viewer' is not allowed.*reserved"):
        desired.add({"kind": "tv", "id": "viewer"})


def test_a_ticket_of_any_text_is_refused_not_an_error():
    key, viewer, operator = "k" * 64, "v" * 32, "o" * 32
    for authid, ticket in [("operator", "\u00e9t\u00e9"), ("viewer", "\U0001f600"), ("tv", "\u2603"),
                           ("tv\u00e9", "x"), ("operator", "\ud800"), ("", "")]:
        assert ticket_role(key, viewer, operator, authid, ticket) is None
    assert ticket_role(key, viewer, operator, "operator", operator) == "operator"
    assert ticket_role(key, viewer, operator, "tv", device_ticket(key, "tv")) == "device"


@pytest.mark.parametrize("change", [{"weather.mean_cloud_cover": [2.0] * 12}, {"weather.temp_max_c": [1e308] * 12},
                                    {"geyser.draw_profile": [1e308] * 24},
                                    {"tv.switch": {"min_pv_surplus_w": 1e308}}])
def test_device_properties_are_bounded_numbers(change):
    """Every number a device's properties hold is bounded (a cloud cover of 2 made the weather's
    binomial draw raise in every process computing the environment; 1e308 degrees or litres
    overflow the kernels)."""
    from homesim.home import with_changes

    home = load_home(EXAMPLES / "home.yaml")
    with pytest.raises(HomeFileError, match=next(iter(change)).split(".")[1]):
        with_changes(home, change, home_dir=EXAMPLES)
