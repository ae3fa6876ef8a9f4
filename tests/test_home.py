"""The home file: examples load, defaults are added, bad input gets one clear line per problem."""

from __future__ import annotations

import copy

import pytest
import yaml

from homesim.devices import KINDS
from homesim.home import HomeFileError, home_from_dict, load_home, with_changes
from homesim.units import unit_of

from conftest import EXAMPLES, replaced

TINY = {
    "location": {"latitude": -33.9, "longitude": 18.4, "timezone": "Africa/Johannesburg"},
    "start": "2026-01-05",
    "devices": [
        {"id": "pv", "kind": "pv_array", "rated_power_w": 1000},
        {"id": "load", "kind": "generic_load", "power_w": 100},
        {"id": "battery", "kind": "battery", "capacity_kwh": 5},
    ],
}


def problems(data) -> list[str]:
    with pytest.raises(HomeFileError) as caught:
        home_from_dict(data)
    return caught.value.problems


@pytest.mark.parametrize("name", ["home.yaml", "tiny.yaml", "no_battery.yaml"])
def test_examples_load(name):
    home = load_home(EXAMPLES / name)
    assert home.devices
    assert home.inverter is not None


def test_reference_home_is_the_south_african_home_the_issue_describes():
    home = load_home(EXAMPLES / "home.yaml")
    assert home.location.timezone == "Africa/Johannesburg"
    assert len(home.pv_arrays) == 2
    assert 4500 <= sum(a.rated_w() for a in home.pv_arrays) <= 5500
    assert home.battery.chemistry == "LFP" and 9.5 <= home.battery.capacity_kwh <= 10.5
    assert home.inverter.rated_power_w == 5000 and len(home.inverter.programs) == 6
    assert home.grid.load_shedding is not None
    kinds = {d.kind for d in home.loads}
    assert {"geyser", "oven", "kettle", "fridge", "tv", "lights"} <= kinds


def test_defaults_are_added_for_a_pv_home():
    home = home_from_dict(TINY)
    kinds = [d.kind for d in home.devices]
    assert kinds.count("sun") == kinds.count("weather") == kinds.count("inverter") == 1


def test_the_issue_example_message():
    data = copy.deepcopy(TINY)
    data["devices"][2]["capacity_kwh"] = -5
    assert problems(data) == ["devices[2].capacity_kwh: -5 is not allowed: must be > 0 kWh"]


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (("devices", 2, "capacity_kwh"), 0, "devices[2].capacity_kwh: 0 is not allowed: must be > 0 kWh"),
        (("devices", 2, "max_charge_w"), 2e7, "devices[2].max_charge_w: 20000000.0 is not allowed: must be <= 10000000 W"),
        (("location", "latitude"), -95, "location.latitude: -95 is not allowed: must be >= -90 degrees"),
        (("devices", 2, "initial_soc"), -0.5, "devices[2].initial_soc: -0.5 is not allowed: must be >= 0"),  # 0..1: bare
    ],
)
def test_a_bound_names_the_unit_of_the_field_from_its_metadata(path, value, expected):
    """The unit after the limit is the field's x-unit (homesim.units), not text of its description."""
    assert expected in problems(replaced(TINY, path, value))


def test_a_bound_in_a_nested_list_and_in_the_finance_section_names_its_unit():
    data = copy.deepcopy(TINY)
    data["devices"].append({"id": "inv", "kind": "inverter", "programs": [{"start": "00:00", "power_w": -4, "soc": 0.3}]})
    data["finance"] = {"discount_rate": 2}
    lines = problems(data)
    assert unit_of(KINDS["inverter"].ProgramSlot.model_fields["power_w"]) == "W"
    assert any(line.endswith("programs[0].power_w: -4 is not allowed: must be >= 0 W") for line in lines), lines
    assert "finance.discount_rate: 2 is not allowed: must be <= 1 per year" in lines


def test_unknown_field_suggests_the_right_one():
    data = copy.deepcopy(TINY)
    data["devices"][2]["capacty_kwh"] = 5
    (line,) = [p for p in problems(data) if "capacty_kwh" in p]
    assert line.startswith("devices[2].capacty_kwh: unknown field (did you mean 'capacity_kwh'?)")
    assert "allowed:" in line and "max_charge_w" in line


def test_unknown_kind_lists_the_kinds():
    data = copy.deepcopy(TINY)
    data["devices"][1]["kind"] = "toaster"
    (line,) = problems(data)
    assert line.startswith("devices[1].kind: 'toaster' is not a device kind: must be one of")
    assert "geyser" in line and "battery" in line


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (("location", "latitude"), 95, "location.latitude: 95 is not allowed: must be <= 90"),
        (("location", "timezone"), "Mars/Olympus", "location.timezone: 'Mars/Olympus' is not allowed: must be an IANA time zone"),
        (("devices", 0, "tilt_deg"), "steep", "devices[0].tilt_deg: 'steep' is not allowed: must be a number"),
        (("devices", 0, "id"), "PV 1", "devices[0].id: 'PV 1' is not allowed: must match"),
        (("devices", 2, "initial_soc"), 1.5, "devices[2].initial_soc: 1.5 is not allowed: must be <= 1"),
        (("start",), "yesterday", "start: 'yesterday' is not allowed"),
        (("currency",), "rand", "currency: 'rand' is not allowed: must match"),
    ],
)
def test_bad_values_name_path_value_and_rule(path, value, expected):
    lines = problems(replaced(TINY, path, value))
    assert any(line.startswith(expected) for line in lines), lines


def test_missing_field():
    data = copy.deepcopy(TINY)
    del data["devices"][2]["capacity_kwh"]
    assert problems(data) == ["devices[2].capacity_kwh: missing: this field is required"]


def test_duplicate_ids_and_two_batteries():
    data = copy.deepcopy(TINY)
    data["devices"].append({"id": "pv", "kind": "battery", "capacity_kwh": 1})
    (line,) = problems(data)
    assert "repeated: pv" in line


def test_cross_field_rules_are_explained():
    data = copy.deepcopy(TINY)
    data["devices"][2].update(soc_min=0.5, soc_max=0.4, initial_soc=0.45)
    (line,) = problems(data)
    assert line.startswith("devices[2]: soc_min 0.5 must be below soc_max 0.4")


def test_every_problem_is_reported_at_once():
    data = copy.deepcopy(TINY)
    data["devices"][0]["rated_power_w"] = -1
    data["devices"][2]["capacity_kwh"] = 0
    assert len(problems(data)) == 2


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlocation: [1, 2\nstart: 2026-01-01\n")
    with pytest.raises(HomeFileError) as caught:
        load_home(bad)
    assert "line" in str(caught.value) and "not valid YAML" in str(caught.value)


def test_not_a_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(HomeFileError, match="must be a mapping"):
        load_home(bad)


def test_with_changes_validates_and_names_the_variant():
    home = home_from_dict(TINY)
    bigger = with_changes(home, {"battery.capacity_kwh": 15})
    assert bigger.battery.capacity_kwh == 15 and home.battery.capacity_kwh == 5
    with pytest.raises(HomeFileError, match="no device 'batery'"):
        with_changes(home, {"batery.capacity_kwh": 15})
    with pytest.raises(HomeFileError, match=r"capacity_kwh: -1 is not allowed: must be > 0"):
        with_changes(home, {"battery.capacity_kwh": -1})


def test_round_trip_through_yaml(tmp_path):
    home = load_home(EXAMPLES / "home.yaml")
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(home.model_dump(mode="json")))
    (tmp_path / "loadshedding").symlink_to(EXAMPLES / "loadshedding")
    assert load_home(path).model_dump() == home.model_dump()
