"""The controller's Kubernetes backend against the kmock emulator: the same operations as the
local backend (add, remove, switch, list) act on Device objects."""

from __future__ import annotations

import pytest
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim.bus.controller import KubernetesDesiredHome
from homesim.home import load_home
from kmock_cluster import NAMESPACE, cluster  # noqa: F401 - the fixture

from kubernetes import client


def devices_in_cluster() -> dict[str, dict]:
    found = client.CustomObjectsApi().list_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices")
    return {obj["metadata"]["name"]: obj["spec"] for obj in found["items"]}


def test_controller_operations_become_device_objects(cluster):  # noqa: F811
    home = load_home(EXAMPLES / "tiny.yaml")
    desired = KubernetesDesiredHome.from_cluster(NAMESPACE, home, EXAMPLES)
    desired.save()
    specs = devices_in_cluster()
    assert set(specs) == {d.id.replace("_", "-") for d in home.devices}
    assert specs["load"] == {"kind": "generic_load", "enabled": True,
                             "generic_load": {k: v for k, v in home.device("load").model_dump(mode="json").items()
                                              if k not in ("id", "kind", "enabled")}}

    desired.switch("load", False)
    assert devices_in_cluster()["load"]["enabled"] is False
    added = desired.add({"kind": "oven", "rated_power_w": 2500})
    assert added["id"] == "oven"
    assert devices_in_cluster()["oven"]["oven"]["rated_power_w"] == 2500
    with pytest.raises(ApplicationError) as refused:
        desired.add({"kind": "oven", "id": "oven2", "rated_power_w": -1})
    assert "rated_power_w" in refused.value.args[0]
    assert "oven2" not in devices_in_cluster()  # refused: nothing changed
    desired.remove("oven")
    assert "oven" not in devices_in_cluster()

    again = KubernetesDesiredHome.from_cluster(NAMESPACE, home, EXAMPLES)  # a restarted controller
    assert {d["id"]: d["enabled"] for d in again.devices()} == {d["id"]: d["enabled"] for d in desired.devices()}
    assert again.off == {"load"}
