"""No lost updates on a live home (issue 24, item 6a): two writers of one device's properties
over the real bus, as the UI's inverter panel (sends what it changed and the revision it read)
and a WAMP client (wamp-cli: no revision, last writer wins) or a second tab.

On 8aab0e5 a write based on a stale read went through: the panel, which read the reserve at
30 %, put it back after a WAMP client set it to 50 %."""

from __future__ import annotations

import os
import signal

import pytest
import yaml
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from live import LiveProcess, wait_until

CONFLICT = "homesim.error.conflict"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path_factory.mktemp("live") / "up", "--speed", "20")
    tab, other = live.client("operator"), live.client("operator")
    yield live, tab, other
    tab.close()
    other.close()
    assert live.stop() == 0


def uri(live, rest):
    return f"home.{live.home_id}.{rest}"


def live_inverter(live) -> dict:
    home = yaml.safe_load((live.out / "live" / "home.yaml").read_text())
    return next(d for d in home["devices"] if d["id"] == "inverter")


def test_a_stale_write_is_refused_and_a_write_of_other_properties_merged(home):
    live, tab, wampc = home
    read = tab.call(uri(live, "device.inverter.get"))
    revision = read["revision"]
    assert read["properties"]["backup_reserve_soc"] == 0.3
    configs = tab.subscribe(uri(live, "device.inverter.config"))

    # a WAMP client sets the reserve to 50 %, as the wampc guide shows (no revision)
    view = wampc.call(uri(live, "device.inverter.set"), backup_reserve_soc=0.5)
    assert view["revision"] == revision + 1 and view["changed"] == ["backup_reserve_soc"]
    # the panel, which read the reserve at 30 %, changes only the priority: merged, the reserve stays
    view = tab.call(uri(live, "device.inverter.set"), {"priority": "battery_first"}, revision=revision)
    assert view["properties"]["backup_reserve_soc"] == 0.5
    assert view["properties"]["priority"] == "battery_first"
    assert view["revision"] == revision + 2
    # the panel writes the reserve on its stale read: refused, and nothing changes
    with pytest.raises(ApplicationError) as refused:
        tab.call(uri(live, "device.inverter.set"), {"backup_reserve_soc": 0.3}, revision=revision)
    assert refused.value.error == CONFLICT
    assert refused.value.args[0] == (f"backup_reserve_soc: changed elsewhere since revision {revision} "
                                     f"(now {revision + 2}): reload")
    now = tab.call(uri(live, "device.inverter.get"))
    assert now["properties"]["backup_reserve_soc"] == 0.5 and now["revision"] == revision + 2
    # the panel follows the config events: both changes, in order, with their revisions
    wait_until(lambda: [c[1]["revision"] for c in configs][-2:] == [revision + 1, revision + 2], what="config events")
    # the controller wrote both into the live home file (each config event: only what it changed)
    wait_until(lambda: (live_inverter(live)["backup_reserve_soc"], live_inverter(live)["priority"]) ==
               (0.5, "battery_first"), what="the live home file")


def test_two_tabs_on_one_revision_the_second_is_refused(home):
    live, first, second = home
    revision = first.call(uri(live, "device.inverter.get"))["revision"]
    assert second.call(uri(live, "device.inverter.get"))["revision"] == revision
    first.call(uri(live, "device.inverter.set"), {"battery_low_soc": 0.25, "programs": _programs(first, live, 0.4)},
               revision=revision)
    with pytest.raises(ApplicationError) as refused:
        second.call(uri(live, "device.inverter.set"), {"programs": _programs(second, live, 0.5)}, revision=revision)
    assert refused.value.error == CONFLICT
    assert refused.value.args[0].startswith("programs: changed elsewhere since revision")
    with pytest.raises(ApplicationError) as refused:  # a revision that never was
        second.call(uri(live, "device.inverter.set"), {"battery_low_soc": 0.3}, revision=revision + 50)
    assert refused.value.error == CONFLICT
    with pytest.raises(ApplicationError) as refused:  # the revision in the mapping: the same
        second.call(uri(live, "device.inverter.set"), {"programs": _programs(second, live, 0.5), "revision": revision})
    assert refused.value.error == CONFLICT
    with pytest.raises(ApplicationError) as refused:  # not a revision at all: the field named
        second.call(uri(live, "device.inverter.set"), {"battery_low_soc": 0.3}, revision="latest")
    assert refused.value.error == "homesim.error.invalid_property" and "revision" in refused.value.args[0]
    view = second.call(uri(live, "device.inverter.get"))
    assert view["properties"]["battery_low_soc"] == 0.25
    assert view["properties"]["programs"][0]["soc"] == 0.4


def _programs(client, live, soc):
    programs = client.call(uri(live, "device.inverter.get"))["properties"]["programs"]
    return [{**programs[0], "soc": soc}, *programs[1:]]


def test_a_hand_edit_of_the_live_home_is_published_and_not_undone_by_the_next_action(home):
    """The local controller's files are the desired home: an edit made by hand shows in the UI
    (the retained ``devices`` is published again) and the next click (a switch) keeps it."""
    live, client, _ = home
    desired = client.subscribe(uri(live, "devices"))
    path = live.out / "live" / "home.yaml"
    data = yaml.safe_load(path.read_text())
    oven = next(d for d in data["devices"] if d["id"] == "oven")
    assert oven["rated_power_w"] != 3100
    oven["rated_power_w"] = 3100
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    def oven_in(message):
        return next(d for d in message["home"]["devices"] if d["id"] == "oven")

    wait_until(lambda: any(oven_in(m)["rated_power_w"] == 3100 for _, m in desired), what="the edit published")
    client.call(uri(live, "controller.switch"), "kettle", False)
    try:
        after = yaml.safe_load(path.read_text())
        assert next(d for d in after["devices"] if d["id"] == "oven")["rated_power_w"] == 3100
        assert "kettle" in (live.out / "live" / "state.json").read_text()
        assert oven_in(desired[-1][1])["rated_power_w"] == 3100
    finally:
        client.call(uri(live, "controller.switch"), "kettle", True)


def test_a_restarted_device_keeps_its_revision_or_takes_the_next_if_changed_while_down(home):
    live, client, _ = home
    view = client.call(uri(live, "device.tv.set"), {"power_w": 95})
    revision = view["revision"]
    pid = live.pid_of("device.tv")
    os.kill(pid, signal.SIGKILL)
    restarted = wait_until(lambda: _running_other_than(live, "device.tv", pid) and _get(client, live, "tv"),
                           timeout_s=60, what="the tv restarted")
    assert restarted["revision"] == revision and restarted["properties"]["power_w"] == 95
    with pytest.raises(ApplicationError) as refused:  # what changed before it is no longer known
        client.call(uri(live, "device.tv.set"), {"name": "TV"}, revision=revision - 1)
    assert refused.value.error == CONFLICT and "no longer known" in refused.value.args[0]
    # changed while it was down (by hand in the live home, as kubectl patch does a Device)
    configs = client.subscribe(uri(live, "device.tv.config"))
    path = live.out / "live" / "home.yaml"
    data = yaml.safe_load(path.read_text())
    next(d for d in data["devices"] if d["id"] == "tv")["power_w"] = 120
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    pid = live.pid_of("device.tv")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: any(c["revision"] == revision + 1 for _, c in configs), timeout_s=60,
               what="the restarted tv's config")
    config = next(c for _, c in configs if c["revision"] == revision + 1)
    assert config["properties"]["power_w"] == 120 and config["changed"] == ["power_w"]


def _running_other_than(live, name, pid):
    try:
        return live.pid_of(name) != pid
    except LookupError:
        return False


def _get(client, live, device_id):
    try:
        return client.call(uri(live, f"device.{device_id}.get"))
    except ApplicationError:
        return None
