"""No lost updates on the controller's Kubernetes backend (issue 24, item 6b), against kmock
with the API server's optimistic concurrency (``kmock_cluster.Emulator``): two writers of the
same Devices, the controller and a ``kubectl patch`` / ``helm upgrade``, and neither undoes
the other. The API server is the one source of truth: the controller re-reads before every
action, patches only what the action changes with the resourceVersion it read, retries on 409
Conflict, and sees (watches) changes made elsewhere."""

from __future__ import annotations

import asyncio
import threading

import pytest
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim.bus.controller import StoredDesiredHome, follow_changes
from homesim.bus.uris import CONFLICT
from homesim.home import load_home
from homesim.k8s.devices_backend import DeviceObjects, merge_patch
from kmock_cluster import NAMESPACE, cluster  # noqa: F401 - the fixture

from kubernetes import client

GROUP, VERSION = "homesim.io", "v1alpha1"


def api() -> client.CustomObjectsApi:
    return client.CustomObjectsApi()


def device(name: str) -> dict:
    return api().get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "devices", name)


def kubectl_patch(name: str, patch: dict) -> None:
    """What ``kubectl patch device NAME --type merge -p PATCH`` sends (no resourceVersion)."""
    api().patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "devices", name, patch,
                                         _content_type="application/merge-patch+json")


@pytest.fixture
def desired(cluster):  # noqa: F811
    """The controller on a fresh namespace: the reference home's Devices."""
    for obj in api().list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "devices")["items"]:
        api().delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "devices", obj["metadata"]["name"])
    home = load_home(EXAMPLES / "home.yaml")
    controller = StoredDesiredHome(DeviceObjects(NAMESPACE), home, EXAMPLES)
    controller.save()
    return controller


def test_the_emulator_refuses_a_stale_resource_version(desired):
    """The test double does what the API server does (else the tests below prove nothing)."""
    read = device("oven")["metadata"]["resourceVersion"]
    kubectl_patch("oven", {"spec": {"enabled": False}})
    with pytest.raises(client.ApiException) as refused:
        api().patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "devices", "oven",
                                             {"metadata": {"resourceVersion": read}, "spec": {"enabled": True}})
    assert refused.value.status == 409
    assert device("oven")["spec"]["enabled"] is False


def test_a_kubectl_patch_is_not_undone_by_the_next_ui_action(desired):
    """The chart's notes teach ``kubectl patch device oven -p '{"spec":{"enabled":false}}'``;
    the next click in the UI (another device switched, a device added, a property set on
    the device) kept the controller's stale view and switched the oven back on (main)."""
    kubectl_patch("oven", {"spec": {"enabled": False}})
    desired.switch("kettle", False)
    assert device("oven")["spec"]["enabled"] is False
    assert device("kettle")["spec"]["enabled"] is False
    desired.add({"kind": "oven", "id": "oven2", "rated_power_w": 2500})
    assert device("oven")["spec"]["enabled"] is False
    kubectl_patch("oven", {"spec": {"oven": {"rated_power_w": 3100}}})
    desired.set_properties("tv", {**desired.home.device("tv").model_dump(mode="json"), "power_w": 150},
                           fields=["power_w"])
    assert device("oven")["spec"]["oven"]["rated_power_w"] == 3100
    assert device("tv")["spec"]["tv"]["power_w"] == 150
    # The desired home it publishes (what the UI shows) is the cluster's.
    assert {d["id"]: d["enabled"] for d in desired.message()["devices"]}["oven"] is False
    assert desired.message()["home"]["devices"][[d.id for d in desired.home.devices].index("oven")][
        "rated_power_w"] == 3100


def test_an_action_patches_only_what_it_changes(desired):
    """A switch sends ``enabled`` and nothing of the properties; a property change sends that
    property; both name the resourceVersion they read."""
    sent: list[tuple[str, dict]] = []
    real = client.CustomObjectsApi.patch_namespaced_custom_object

    def spy(self, group, version, namespace, plural, name, body, **kwargs):
        sent.append((name, body))
        return real(self, group, version, namespace, plural, name, body, **kwargs)

    client.CustomObjectsApi.patch_namespaced_custom_object = spy
    try:
        read = device("tv")["metadata"]["resourceVersion"]
        desired.switch("tv", False)
        desired.set_properties("tv", {**desired.home.device("tv").model_dump(mode="json"), "power_w": 90},
                               fields=["power_w"])
    finally:
        client.CustomObjectsApi.patch_namespaced_custom_object = real
    assert sent[0] == ("tv", {"metadata": {"resourceVersion": read}, "spec": {"enabled": False}})
    assert sent[1][1]["spec"] == {"tv": {"power_w": 90}}
    assert merge_patch({"a": 1, "b": {"c": 1, "d": 2}}, {"a": 1, "b": {"c": 2}}) == {"b": {"c": 2, "d": None}}


def test_a_helm_upgrade_between_the_controllers_read_and_write_is_kept(desired):
    """``helm upgrade`` changes the lights' Device (new power) after the controller read the
    Devices and before it writes its switch of the lights: its patch names the old
    resourceVersion, is refused (409), and it reads again and writes the switch alone."""
    real = desired.store.read
    upgrades: list[int] = []

    def read_then_upgrade():
        found = real()
        if not upgrades:
            upgrades.append(1)
            # helm's three-way merge: for a custom resource a JSON merge patch of what the chart changed
            kubectl_patch("lights", {"metadata": {"labels": {"helm.sh/chart": "homesim-0.1.1"}},
                                     "spec": {"lights": {"power_w": 77}}})
        return found

    desired.store.read = read_then_upgrade
    assert desired.switch("lights", False) == {"id": "lights", "enabled": False}
    assert upgrades == [1]
    spec = device("lights")["spec"]
    assert spec["enabled"] is False
    assert spec["lights"]["power_w"] == 77
    assert desired.home.device("lights").power_w == 77


def test_a_conflict_that_keeps_coming_is_reported(desired):
    """Someone changes the fridge between every read and write: after ATTEMPTS tries the
    action is refused with homesim.error.conflict, and the other writer's change stands."""
    real = desired.store.read
    count = []

    def read_then_change():
        found = real()
        count.append(1)
        kubectl_patch("fridge", {"spec": {"fridge": {"compressor_w": 100 + len(count)}}})
        return found

    desired.store.read = read_then_change
    with pytest.raises(ApplicationError) as refused:
        desired.switch("fridge", False)
    assert refused.value.error == CONFLICT
    assert "fridge: changed elsewhere" in refused.value.args[0]
    desired.store.read = real
    assert device("fridge")["spec"]["enabled"] is True
    assert device("fridge")["spec"]["fridge"]["compressor_w"] == 100 + len(count)


def test_the_controller_sees_a_kubectl_edit_and_publishes_it(desired):
    """The watch calls back on a change made elsewhere; the reloaded desired home (what the
    controller publishes to the UI) shows it."""
    seen, stop = threading.Event(), threading.Event()
    threading.Thread(target=desired.store.watch, args=(seen.set, stop), daemon=True).start()
    assert seen.wait(20)  # the stream's first events: the Devices as they are
    assert desired.reload() is False
    version = desired.message()["version"]
    seen.clear()
    kubectl_patch("geyser", {"spec": {"enabled": False}})
    assert seen.wait(20)
    assert desired.reload() is True
    message = desired.message()
    assert message["version"] > version
    assert {d["id"]: d["enabled"] for d in message["devices"]}["geyser"] is False
    stop.set()
    kubectl_patch("geyser", {"spec": {"enabled": True}})  # an event: the watch sees stop and ends


def test_the_controller_follows_the_devices_on_its_event_loop(desired):
    """What the controller process runs (``follow_changes``): the watch's thread hands each
    event to the event loop, where the desired home is read again; a ``kubectl patch`` reaches
    it (the controller then publishes it: the UI shows it)."""
    stop = threading.Event()

    async def main() -> dict:
        seen = asyncio.Event()

        def changed() -> None:
            if desired.reload():
                seen.set()

        follow_changes(desired, asyncio.get_running_loop(), changed, stop)
        kubectl_patch("tv", {"spec": {"tv": {"power_w": 140}}})
        await asyncio.wait_for(seen.wait(), 20)
        return desired.message()

    try:
        message = asyncio.run(main())
    finally:
        stop.set()
        kubectl_patch("tv", {"spec": {"enabled": True}})  # an event: the watch sees stop and ends
    tv = next(d for d in message["home"]["devices"] if d["id"] == "tv")
    assert tv["power_w"] == 140
