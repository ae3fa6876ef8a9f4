"""No lost updates (issue 24, item 6), without a bus: a device's property revisions (what
``device.<id>.set`` checks a write's ``revision=`` against) and the local controller's files
with two writers (two controllers, a hand edit, a device's config event on a stale copy)."""

from __future__ import annotations

import json

import pytest
import yaml
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim.bus.controller import DesiredHome
from homesim.bus.revisions import HISTORY, Revisions, changed_fields
from homesim.bus.uris import CONFLICT, INVALID_PROPERTY

# --- revisions ------------------------------------------------------------------------------


def test_a_stale_write_of_a_property_changed_since_is_refused_and_one_of_others_merged():
    revisions = Revisions()
    assert revisions.accepted(["backup_reserve_soc"]) == 1  # a WAMP client, based on revision 0
    with pytest.raises(ApplicationError) as refused:  # a tab that read revision 0 writes the reserve
        revisions.check("inverter", 0, {"backup_reserve_soc": 0.3, "priority": "battery_first"})
    assert refused.value.error == CONFLICT
    assert refused.value.args[0] == "backup_reserve_soc: changed elsewhere since revision 0 (now 1): reload"
    assert refused.value.kwargs == {"revision": 1, "fields": ["backup_reserve_soc"]}
    revisions.check("inverter", 0, {"priority": "battery_first"})  # other fields: merged (no error)
    revisions.check("inverter", 1, {"backup_reserve_soc": 0.3})  # based on the latest: fine
    revisions.check("inverter", None, {"backup_reserve_soc": 0.3})  # no revision: last writer wins
    assert revisions.accepted([]) == 1  # nothing changed: no new revision
    assert revisions.accepted(["switch.timers"]) == 2 and revisions.changed == ["switch"]
    with pytest.raises(ApplicationError, match="switch: changed elsewhere since revision 1"):
        revisions.check("geyser", 1, {"switch": {"timers": []}})


@pytest.mark.parametrize("revision, error, words", [
    (-1, INVALID_PROPERTY, ["revision", "-1", ">= 0"]),
    ("3", INVALID_PROPERTY, ["revision", "'3'", "integer"]),
    (True, INVALID_PROPERTY, ["revision", "True"]),
    (9, CONFLICT, ["revision: 9 is not a revision of tv (now 2): reload"]),
])
def test_a_revision_that_is_no_revision_of_the_device_is_refused_by_name(revision, error, words):
    revisions = Revisions()
    revisions.accepted(["power_w"])
    revisions.accepted(["power_w"])
    with pytest.raises(ApplicationError) as refused:
        revisions.check("tv", revision, {"power_w": 1})
    assert refused.value.error == error
    assert all(w in refused.value.args[0] for w in words), refused.value.args[0]


def test_a_write_older_than_the_history_kept_is_refused_not_merged_blindly():
    revisions = Revisions()
    for _ in range(HISTORY + 1):
        revisions.accepted(["power_w"])
    with pytest.raises(ApplicationError, match=r"changed elsewhere since revision 0 \(now 65; which properties is "
                                               r"no longer known\): reload"):
        revisions.check("tv", 0, {"colour": 1})
    revisions.check("tv", 2, {"colour": 1})  # within the history: power_w only changed since


def test_a_restarted_device_goes_on_from_its_retained_revision():
    same = Revisions()
    assert same.resume({"revision": 7, "changed": ["power_w"], "properties": {"power_w": 5}}, {"power_w": 5}) is False
    assert (same.revision, same.changed) == (7, ["power_w"])
    with pytest.raises(ApplicationError, match="since revision 6"):  # what changed before 7 is lost
        same.check("tv", 6, {"x": 1})
    edited = Revisions()  # its Device was patched while it was down
    assert edited.resume({"revision": 7, "properties": {"power_w": 5, "x": 1}}, {"power_w": 9, "x": 1}) is True
    assert (edited.revision, edited.changed) == (8, ["power_w"])
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 0}) == ["b", "c"]


# --- the local controller's files -----------------------------------------------------------


@pytest.fixture
def live_dir(tmp_path):
    DesiredHome.open(tmp_path, EXAMPLES, EXAMPLES / "home.yaml")
    return tmp_path


def on_disk(live_dir):
    state = json.loads((live_dir / "state.json").read_text())
    home = yaml.safe_load((live_dir / "home.yaml").read_text())
    return {d["id"]: d for d in home["devices"]}, set(state["off"])


def test_two_controllers_do_not_undo_each_other(live_dir):
    """Two controllers (or a controller restarted beside an old one) on one live dir: each
    read the files once; on main the second one's switch wrote its stale set of devices off,
    switching the first one's oven back on."""
    first = DesiredHome.open(live_dir, EXAMPLES)
    second = DesiredHome.open(live_dir, EXAMPLES)
    first.switch("oven", False)
    second.switch("kettle", False)
    assert on_disk(live_dir)[1] == {"oven", "kettle"}
    second.add({"kind": "tv", "id": "tv2", "power_w": 80})
    first.set_properties("geyser", {**first.home.device("geyser").model_dump(mode="json"), "element_w": 2000},
                         fields=["element_w"])
    devices, off = on_disk(live_dir)
    assert off == {"oven", "kettle"}
    assert "tv2" in devices and devices["geyser"]["element_w"] == 2000
    assert first.reload() is False  # it wrote last: nothing new
    assert second.reload() is True and second.home.device("geyser").element_w == 2000


def test_a_hand_edit_of_the_live_home_is_kept_and_published(live_dir):
    """Someone edits home.yaml (the oven's power) while the controller runs: the next action
    (a switch, a device's property change) keeps the edit, and the controller's next look
    sees it (what it publishes: the UI shows it)."""
    desired = DesiredHome.open(live_dir, EXAMPLES)
    text = (live_dir / "home.yaml").read_text()
    devices, _ = on_disk(live_dir)
    assert devices["oven"]["rated_power_w"] != 3100
    edited = yaml.safe_load(text)
    for device in edited["devices"]:
        if device["id"] == "oven":
            device["rated_power_w"] = 3100
        if device["id"] == "battery":
            device["capacity_kwh"] = 15.0
    (live_dir / "home.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
    desired.switch("kettle", False)
    assert on_disk(live_dir)[0]["oven"]["rated_power_w"] == 3100
    assert desired.reload() is False  # the switch read it already
    assert desired.home.device("oven").rated_power_w == 3100
    desired.switch("tv", False)
    # the battery's process still has the old capacity and changes its minimum SoC: only that is written
    stale = {**devices["battery"], "soc_min": 0.1}
    assert desired.set_properties("battery", stale, fields=["soc_min"]) is True
    devices, off = on_disk(live_dir)
    assert devices["oven"]["rated_power_w"] == 3100
    assert devices["battery"]["capacity_kwh"] == 15.0 and devices["battery"]["soc_min"] == 0.1
    assert off == {"kettle", "tv"}
    (live_dir / "home.yaml").write_text((live_dir / "home.yaml").read_text().replace("capacity_kwh: 15.0",
                                                                                    "capacity_kwh: 12.0"))
    assert desired.reload() is True  # an edit with no action after it: seen, to be published
    assert desired.message()["home"]["devices"][[d.id for d in desired.home.devices].index("battery")][
        "capacity_kwh"] == 12.0


def test_a_broken_hand_edit_is_named_and_not_written_over(live_dir):
    desired = DesiredHome.open(live_dir, EXAMPLES)
    (live_dir / "home.yaml").write_text("devices: [{id: oven, kind: oven, rated_power_w: -3}]\n")
    with pytest.raises(ApplicationError) as refused:
        desired.switch("tv", False)
    assert refused.value.error == INVALID_PROPERTY
    assert "home.yaml" in refused.value.args[0] and "fix it first" in refused.value.args[0]
    assert "rated_power_w: -3" in (live_dir / "home.yaml").read_text()
    assert json.loads((live_dir / "state.json").read_text())["off"] == []
