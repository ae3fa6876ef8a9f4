"""Settings that can't work together are refused, one line each naming the field; odd but legal
ones are warned about by ``homesim validate`` (issue 13: a battery that can never restart)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from homesim.home import consistency
from homesim.cli import main
from homesim.devices import battery, inverter
from homesim.home import HomeFileError, home_from_dict, load_home, with_changes

from conftest import EXAMPLES

BATTERY, INVERTER, GRID, LOAD = 1, 2, 3, 4

HOME = {
    "location": {"latitude": -33.9, "longitude": 18.4, "timezone": "Africa/Johannesburg"},
    "start": "2026-01-05",
    "devices": [
        {"id": "pv", "kind": "pv_array", "rated_power_w": 3000},
        {"id": "battery", "kind": "battery", "capacity_kwh": 10, "soc_min": 0.1, "soc_max": 0.95},
        {"id": "inverter", "kind": "inverter", "battery_shutdown_soc": 0.1, "battery_low_soc": 0.2,
         "battery_restart_soc": 0.3, "backup_reserve_soc": 0.2,
         "programs": [{"start": "00:00", "power_w": 3000, "soc": 0.5, "grid_charge": True},
                      {"start": "06:00", "power_w": 5000, "soc": 0.2}]},
        {"id": "grid", "kind": "grid", "outages": [{"start": "2026-01-05T18:00", "end": "2026-01-05T22:00"}]},
        {"id": "load", "kind": "generic_load", "power_w": 300},
    ],
}


def home(**changes) -> dict:
    """``HOME`` with ``{"<index>.<field>": value}`` changes (``None`` removes the field)."""
    data = copy.deepcopy(HOME)
    for key, value in changes.items():
        index, field = key.split(".", 1)
        target = data["devices"][int(index)]
        *parents, last = field.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return data


def refused(data) -> list[str]:
    with pytest.raises(HomeFileError) as caught:
        home_from_dict(data)
    return caught.value.problems


def test_the_base_home_is_consistent_and_quiet():
    assert consistency.warnings(home_from_dict(home())) == []


@pytest.mark.parametrize("name", ["home.yaml", "tiny.yaml", "no_battery.yaml"])
def test_the_examples_have_neither_problems_nor_warnings(name):
    example = load_home(EXAMPLES / name)
    assert consistency.problems(example) == [] and consistency.warnings(example) == []


# --- the scenario ---------------------------------------------------------------------


def test_a_restart_soc_at_soc_max_really_never_restarts_in_the_dispatch():
    """Why restart >= soc_max is refused: charging stops at soc_max, here a Joule short of it,
    so the tripped battery never discharges again (grid on or off), however much PV there is."""
    bat = battery.Config(id="battery", capacity_kwh=9.99, soc_min=0.05, soc_max=0.95, initial_soc=0.1,
                         charge_efficiency=0.97).params()
    inv = inverter.Config(id="inverter", efficiency=1.0, battery_shutdown_soc=0.1, battery_low_soc=0.2,
                          battery_restart_soc=0.95).params()
    stored, tripped = int(0.1 * bat.capacity_j), True  # just shut down in an outage
    served = np.zeros(1, dtype=np.int64)
    for tick in range(2000):  # charge from PV until full, then ask for load, grid on and off
        demand = np.array([0 if tick < 1500 else 60_000], dtype=np.int64)
        result = inverter.settle(inv, bat, stored, tripped, np.array([300_000], dtype=np.int64), demand,
                                 np.zeros(1, dtype=np.int64), np.ones(1, dtype=bool), tick % 2 == 0, 0.2, 5000.0, 0.0, -1.0, -1.0, 60,
                                 np.zeros(1, dtype=np.int64), served)
        battery_j, stored, tripped = result[0], result[6], result[7]
        assert battery_j <= 0  # never a discharge
    assert tripped and stored == int(0.95 * bat.capacity_j) - 1 and stored / bat.capacity_j < 0.95


def test_restart_above_soc_max_is_refused():
    (line,) = refused(home(**{"1.soc_max": 0.95, "2.battery_restart_soc": 0.98}))
    assert line == ("devices[2].battery_restart_soc: 0.98 is not allowed: must be below the battery's soc_max 0.95 "
                    "(devices[1].soc_max): charging stops at soc_max, so the battery would never restart after a "
                    "shutdown")


def test_restart_at_soc_max_is_refused():
    (line,) = refused(home(**{"2.battery_restart_soc": 0.95}))
    assert line.startswith("devices[2].battery_restart_soc: 0.95 is not allowed: must be below the battery's soc_max")


def test_a_soc_max_below_the_default_inverters_restart_names_the_battery_field():
    data = home(**{"1.soc_max": 0.25, "1.initial_soc": 0.2})
    del data["devices"][INVERTER]  # the default inverter (restart 0.3) is added
    (line,) = refused(data)
    assert line.startswith("devices[1].soc_max: 0.25 is not allowed: must be above the inverter's "
                           "battery_restart_soc 0.3")
    assert "never restart" in line


def test_without_pv_the_restart_soc_must_be_below_the_grid_charge_target():
    data = home(**{"2.battery_restart_soc": 0.5})
    del data["devices"][0]  # no PV: indexes shift by one
    (line,) = refused(data)
    assert line.startswith("devices[1].battery_restart_soc: 0.5 is not allowed: must be below the highest "
                           "grid-charge target 0.5 (devices[1].programs[0].soc)")
    assert "no PV" in line
    data["devices"][1]["programs"][0]["soc"] = 0.6
    home_from_dict(data)  # now it restarts


def test_a_min_battery_soc_switch_at_or_above_soc_max_is_refused():
    (line,) = refused(home(**{"4.switch.min_battery_soc": 0.95}))
    assert line.startswith("devices[4].switch.min_battery_soc: 0.95 is not allowed: must be below the battery's "
                           "soc_max 0.95 (devices[1].soc_max)")
    assert "never switch on" in line


@pytest.mark.parametrize("changes, field, expected", [
    ({"2.battery_low_soc": 0.05}, "battery_low_soc", "must be >= battery_shutdown_soc 0.1"),
    ({"2.battery_restart_soc": 0.15}, "battery_restart_soc", "must be >= battery_low_soc 0.2"),
    ({"2.backup_reserve_soc": 0.05}, "backup_reserve_soc", "must be >= battery_shutdown_soc 0.1"),
])
def test_the_inverters_own_soc_ladder_names_the_field(changes, field, expected):
    (line,) = refused(home(**changes))
    value = next(iter(changes.values()))
    assert line.startswith(f"devices[2].{field}: {value} is not allowed: {expected}")


def test_every_problem_is_reported_at_once():
    lines = refused(home(**{"2.battery_restart_soc": 0.97, "4.switch.min_battery_soc": 0.99}))
    assert [line.split(":")[0] for line in lines] == ["devices[2].battery_restart_soc",
                                                     "devices[4].switch.min_battery_soc"]


def test_validate_refuses_with_the_field_path(tmp_path, capsys):
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(home(**{"2.battery_restart_soc": 0.98})))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"homesim: {path}: invalid home definition"
    assert err[1].startswith("  devices[2].battery_restart_soc: 0.98 is not allowed: must be below")


def test_with_changes_as_compare_vary_does_gives_the_same_error():
    base = home_from_dict(home())
    with pytest.raises(HomeFileError) as caught:
        with_changes(base, {"inverter.battery_restart_soc": 0.98})
    (line,) = caught.value.problems
    assert line.startswith("devices[2].battery_restart_soc: 0.98 is not allowed: must be below the battery's soc_max")


# --- live changes -----------------------------------------------------------------------------


def test_a_live_set_checks_the_controllers_current_home():
    """A battery process read the home when the inverter's restart was 0.3; the inverter was then
    set to 0.6. Lowering soc_max to 0.5 must be refused against the current home."""
    from autobahn.wamp.exception import ApplicationError

    from homesim.bus.uris import INVALID_PROPERTY
    from homesim.bus.device import changed_home

    stale = home_from_dict(home())
    assert changed_home(stale, "battery", {"soc_max": 0.5}, Path("."), None).battery.soc_max == 0.5  # alone: fine
    desired = home_from_dict(home(**{"2.battery_restart_soc": 0.6})).model_dump(mode="json")
    with pytest.raises(ApplicationError) as caught:
        changed_home(stale, "battery", {"soc_max": 0.5}, Path("."), desired)
    assert caught.value.error == INVALID_PROPERTY
    assert caught.value.args[0].startswith("devices[2].battery_restart_soc: 0.6 is not allowed: must be below the "
                                           "battery's soc_max 0.5 (devices[1].soc_max)")
    with pytest.raises(ApplicationError) as own:  # a change of the device's own field: its path without devices[i].
        changed_home(stale, "inverter", {"battery_restart_soc": 0.97}, Path("."), desired)
    assert own.value.args[0].startswith("battery_restart_soc: 0.97 is not allowed: must be below the battery's soc_max")


def test_the_controller_refuses_to_add_a_device_that_makes_the_home_inconsistent(tmp_path):
    from autobahn.wamp.exception import ApplicationError

    from homesim.bus.controller import DesiredHome

    data = home()
    del data["devices"][BATTERY]
    desired = DesiredHome(tmp_path, home_from_dict(data), Path("."), set())
    with pytest.raises(ApplicationError) as caught:
        desired.add({"id": "battery", "kind": "battery", "capacity_kwh": 5, "soc_max": 0.25, "initial_soc": 0.2})
    assert "devices[1].battery_restart_soc: 0.3 is not allowed: must be below the battery's soc_max 0.25" in \
        caught.value.args[0]
    assert desired.home.battery is None and not (tmp_path / "home.yaml").exists()  # nothing changed


# --- warnings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, path, words", [
    ({"2.battery_restart_soc": 0.2, "2.battery_low_soc": 0.2, "2.battery_shutdown_soc": 0.2},
     "devices[2].battery_restart_soc", "no hysteresis"),
    ({"2.battery_shutdown_soc": 0.05}, "devices[2].battery_shutdown_soc", "never shuts down"),
    ({"2.battery_shutdown_soc": 0.05, "2.battery_low_soc": 0.05}, "devices[2].battery_low_soc", "stops at soc_min"),
    ({"2.backup_reserve_soc": 0.95}, "devices[2].backup_reserve_soc", "never discharges"),
    ({"2.battery_shutdown_soc": 0.05, "2.backup_reserve_soc": 0.05}, "devices[2].backup_reserve_soc",
     "stops at soc_min anyway"),
    ({"2.programs": [{"start": "00:00", "power_w": 3000, "soc": 1.0, "grid_charge": True}]},
     "devices[2].programs[0].soc", "charged only to soc_max"),
    ({"2.programs": [{"start": "00:00", "power_w": 0, "soc": 0.5, "grid_charge": True}]},
     "devices[2].programs[0].power_w", "never charges"),
    ({"2.programs": [{"start": "00:00", "power_w": 3000, "soc": 0.1, "grid_charge": True}]},
     "devices[2].programs[0].soc", "never charges"),
    ({"4.switch.min_battery_soc": 0.1}, "devices[4].switch.min_battery_soc", "has no effect"),
    ({"3.export_limit_w": 2000}, "devices[3].export_limit_w", "never exports"),
    ({"3.export_limit_w": 0, "2.work_mode": "selling_first"}, "devices[3].export_limit_w", "limited_to_home"),
    ({"3.export_limit_w": 8000, "2.work_mode": "selling_first"}, "devices[3].export_limit_w", "rated_power_w 5000"),
])
def test_odd_but_legal_settings_are_warned_about(changes, path, words):
    lines = consistency.warnings(home_from_dict(home(**changes)))
    mine = [line for line in lines if line.startswith(path + ":")]
    assert len(mine) == 1 and words in mine[0], lines


def test_a_grid_charge_program_without_a_grid_and_a_battery_never_charged():
    data = home()
    del data["devices"][GRID]
    lines = consistency.warnings(home_from_dict(data))
    assert lines == ["devices[2].programs[0].grid_charge: true: the home has no grid, so this program never "
                     "charges the battery"]
    del data["devices"][0]  # no PV either: nothing ever charges the battery
    lines = consistency.warnings(home_from_dict(data))
    assert lines[-1].startswith("devices[0]: 'battery': the battery is never charged")


def test_validate_prints_the_warnings_after_the_devices(tmp_path, capsys):
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(home(**{"2.backup_reserve_soc": 0.95, "3.export_limit_w": 2000})))
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}: valid home")
    assert out[-2:] == [
        "warning: devices[3].export_limit_w: 2000: has no effect: the inverter's work_mode limited_to_home "
        "(devices[2].work_mode) never exports",
        "warning: devices[2].backup_reserve_soc: 0.95: is at or above the battery's soc_max 0.95 "
        "(devices[1].soc_max): with the grid on the battery never discharges (it is a backup only)",
    ]
    assert all(line.startswith("  ") for line in out[1:-2])  # the device list, then the warnings


def test_compare_vary_refuses_an_impossible_variant(capsys):
    assert main(["compare", str(EXAMPLES / "home.yaml"), "--days", "1", "--vary",
                 "inverter.battery_restart_soc=0.5,1.0", "--out", "/nonexistent/never-written"]) == 2
    err = capsys.readouterr().err
    assert ("variant inverter.battery_restart_soc=1.0: devices[5].battery_restart_soc: 1 is not allowed: must be "
            "below the battery's soc_max 1 (devices[4].soc_max)") in err


def test_a_cloud_weather_model_without_a_sun_gets_one(tmp_path):
    """Found by the CLI fuzzer: the clouds model scales the sun's clear sky; without a sun the run
    crashed (KeyError 'clear_sky'). The weather says it needs a sun (``requires``): the home gets
    one, as a home with PV gets a sun and the weather, and runs."""
    from homesim.engine.fastforward import simulate
    from homesim.home import load_home

    path = tmp_path / "home.yaml"
    path.write_text("name: h\nlocation: {latitude: -33.9, longitude: 18.4, timezone: Africa/Johannesburg}\n"
                    "start: 2026-01-05\ndevices:\n- {id: d0, kind: weather}\n")
    home = load_home(path)
    assert [d.kind for d in home.devices] == ["weather", "sun"]
    assert len(simulate(home, days=0.1).table) == 144
