"""The controller's handling of device config events without a router
(``homesim.bus.controller.ConfigEvents``): what each event changed is written into the desired
home, and nothing else, also when one was missed."""

from __future__ import annotations

import yaml

from homesim.bus.controller import ConfigEvents, DesiredHome

from conftest import EXAMPLES


def view(desired: DesiredHome, device_id: str, changed: list[str], **properties) -> dict:
    """A config event of ``device_id``: its properties as the desired home has them now, with
    ``properties`` changed."""
    return {"id": device_id, "kind": desired.home.device(device_id).kind, "role": "load",
            "properties": {**desired.home.device(device_id).model_dump(mode="json"), **properties},
            "state": {}, "revision": 1, "changed": changed}


def on_disk(live_dir, device_id: str) -> dict:
    home = yaml.safe_load((live_dir / "home.yaml").read_text())
    return next(d for d in home["devices"] if d["id"] == device_id)


def test_an_event_writes_what_it_changed_and_keeps_what_changed_elsewhere(tmp_path):
    desired = DesiredHome.open(tmp_path, EXAMPLES, EXAMPLES / "home.yaml")
    configs = ConfigEvents(desired)
    stale = view(desired, "oven", ["rated_power_w"], rated_power_w=2500)
    # meanwhile someone else changed another property of the oven in the desired home
    assert stale["properties"]["setpoint_c"] == 180.0
    desired.set_properties("oven", {**stale["properties"], "setpoint_c": 200.0}, fields=["setpoint_c"])
    assert configs.take("oven", stale) is True
    written = on_disk(tmp_path, "oven")
    assert written["rated_power_w"] == 2500 and written["setpoint_c"] == 200.0
    assert configs.take("oven", stale) is False  # the same again: nothing to write


def test_a_missed_event_is_made_up_for_by_the_next(tmp_path):
    desired = DesiredHome.open(tmp_path, EXAMPLES, EXAMPLES / "home.yaml")
    configs = ConfigEvents(desired)
    first = view(desired, "tv", ["power_w"], power_w=90)
    assert configs.take("tv", first) is True
    # the event that set standby_w was lost; the next one names only its own change (power_w)
    third = {**first, "properties": {**first["properties"], "power_w": 120, "standby_w": 3}, "changed": ["power_w"]}
    assert configs.take("tv", third) is True
    assert {k: on_disk(tmp_path, "tv")[k] for k in ("power_w", "standby_w")} == {"power_w": 120, "standby_w": 3}


def test_the_first_event_of_a_device_writes_only_what_it_names(tmp_path):
    desired = DesiredHome.open(tmp_path, EXAMPLES, EXAMPLES / "home.yaml")
    configs = ConfigEvents(desired)
    # a device's process that restarted with an old copy: its first event names no change
    old = view(desired, "tv", [], power_w=1)
    assert configs.take("tv", old) is False and on_disk(tmp_path, "tv")["power_w"] != 1
    assert configs.take("nosuch", {**old, "id": "nosuch"}) is False  # not a device of the home
