"""Every property a person sets has a title, a plain-text description and its unit as data, and each
kind says how people see it (name, icon, palette place, usual circuit): the UI's palette and
forms are generated from these (ui/src/app/generated/device-kinds.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from homesim.devices import KINDS
from homesim.devices.base import LoadConfig, Switch, Window
from homesim.generators.k8s_schemas import device_kinds
from homesim.units import unit_of

ROOT = Path(__file__).resolve().parents[2]

#: Name endings and the unit the field must carry (its x-unit contains it; longest ending first).
UNITS = [
    ("_kwh_per_day", "kWh/day"), ("_l_per_day", "L/day"), ("_w_per_k", "W/K"), ("_j_per_k", "J/K"),
    ("_per_k", "1/K"), ("_per_kwh", "/kWh"), ("_m_s", "m/s"), ("_kwh", "kWh"), ("_deg", "degrees"),
    ("_w", "W"), ("_c", "°C"), ("_s", "s"), ("_l", "L"), ("_k", "K"), ("_v", "V"), ("_a", "A"),
    ("_soc", "0..1"), ("_fraction", "0..1"),
]

MODELS = {**{kind: module.Config for kind, module in KINDS.items()}, "Window": Window, "Switch": Switch}


def _fields():
    for owner, model in MODELS.items():
        for name, field in model.model_fields.items():
            if name != "kind":  # fixed by the kind, never set
                yield owner, name, field


@pytest.mark.parametrize(("owner", "name", "field"), list(_fields()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_field_has_a_title_and_a_plain_description_and_the_unit_its_name_says(owner, name, field):
    assert field.title and field.title[0].isupper(), f"{owner}.{name}: no human title"
    assert "_" not in field.title, f"{owner}.{name}: title {field.title!r} reads like a field name"
    assert field.description, f"{owner}.{name}: no description"
    assert not re.search(r"``|:\w+:`|\*\*", field.description), f"{owner}.{name}: markup in {field.description!r}"
    for ending, unit in UNITS:
        if name.endswith(ending):
            assert unit in unit_of(field), f"{owner}.{name}: its unit {unit_of(field)!r} is not {unit!r}"
            break


def test_kinds_say_how_people_see_them():
    orders = []
    for kind, module in KINDS.items():
        config = module.Config
        assert config.LABEL and config.ICON, kind
        if config.ROLE == "environment":
            assert config.PALETTE_ORDER is None, f"{kind} is added by the home, not from the palette"
        else:
            assert isinstance(config.PALETTE_ORDER, int), kind
            orders.append(config.PALETTE_ORDER)
        if issubclass(config, LoadConfig):
            assert config.USUAL_CIRCUIT in ("essential", "non_essential") and config.USUAL_CIRCUIT_WHY, kind
    assert len(orders) == len(set(orders)), "two kinds share a palette place"


def test_usual_circuits_follow_the_reference_home():
    import yaml

    home = yaml.safe_load((ROOT / "examples" / "home.yaml").read_text())
    for device in home["devices"]:
        config = KINDS[device["kind"]].Config
        if issubclass(config, LoadConfig):
            assert device.get("circuit", "essential") == config.USUAL_CIRCUIT, device["id"]


def test_the_kinds_file_is_generated_with_names_icons_order_and_circuits():
    generated = json.loads((ROOT / "ui" / "src" / "app" / "generated" / "device-kinds.json").read_text())
    assert generated == json.loads(json.dumps(device_kinds())), "stale: run make specs"
    oven = generated["oven"]
    assert (oven["label"], oven["circuit"], oven["order"]) == ("Oven", "non_essential", 50)
    assert oven["properties"]["rated_power_w"]["title"] == "Element power"
    assert oven["properties"]["rated_power_w"]["x-unit"] == "W"
    assert "[W]" not in oven["properties"]["rated_power_w"]["description"]
    assert oven["properties"]["switch"]["properties"]["min_battery_soc"]["x-unit"] == "0..1"  # a nullable one
    assert "Usually non_essential" in oven["properties"]["circuit"]["description"]
    assert generated["sun"]["order"] is None and generated["battery"]["circuit"] is None
    # the form's order: as the model declares its fields, the smart switch last
    assert oven["fields"] == ["name", "circuit", "rated_power_w", "setpoint_c", "hysteresis_k",
                              "heat_capacity_j_per_k", "loss_w_per_k", "ambient_c", "cooking", "switch"]
    assert all(set(g["fields"]) == set(g["properties"]) for g in generated.values())
    timers = oven["properties"]["switch"]["properties"]["timers"]["items"]["properties"]
    assert timers["start"]["title"] == "From"
