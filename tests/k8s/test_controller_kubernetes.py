"""The controller's Kubernetes backend against the kmock emulator: the same operations as the
local backend (add, remove, switch, list) act on Device objects. The controller finds it as
an entry point, through the interface it defines (``DeviceStore``), without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint, entry_points

import pytest
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim.bus import controller
from homesim.bus.controller import StoredDesiredHome
from homesim.home import load_home
from homesim.k8s.devices_backend import DeviceObjects
from kmock_cluster import NAMESPACE, cluster  # noqa: F401 - the fixture

from kubernetes import client


def devices_in_cluster() -> dict[str, dict]:
    found = client.CustomObjectsApi().list_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices")
    return {obj["metadata"]["name"]: obj["spec"] for obj in found["items"]}


def test_controller_operations_become_device_objects(cluster):  # noqa: F811
    home = load_home(EXAMPLES / "tiny.yaml")
    desired = StoredDesiredHome(DeviceObjects(NAMESPACE), home, EXAMPLES)
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

    again = StoredDesiredHome(DeviceObjects(NAMESPACE), home, EXAMPLES)  # a restarted controller
    assert {d["id"]: d["enabled"] for d in again.devices()} == {d["id"]: d["enabled"] for d in desired.devices()}
    assert again.off == {"load"}


def test_the_controller_finds_its_kubernetes_backend_as_an_entry_point(cluster, monkeypatch, tmp_path):  # noqa: F811
    """``HOMESIM_CONTROLLER_BACKEND=kubernetes`` (as the chart sets it): the controller loads
    the backend named ``kubernetes`` in the entry points ``homesim.controller_backends`` and runs
    the desired home on it (the template's Devices written at start); it never imports
    homesim.k8s itself (a process that imports the controller has no homesim.k8s loaded)."""
    for obj in client.CustomObjectsApi().list_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE,
                                                                       "devices")["items"]:
        client.CustomObjectsApi().delete_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices",
                                                                  obj["metadata"]["name"])
    points = {point.name: point.value for point in entry_points(group=controller.BACKENDS)}
    assert points["kubernetes"] == "homesim.k8s.devices_backend:from_environment"
    monkeypatch.setenv("HOMESIM_CONTROLLER_BACKEND", "kubernetes")
    monkeypatch.setenv("HOMESIM_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("HOMESIM_HOME", str(EXAMPLES / "tiny.yaml"))
    monkeypatch.setenv("HOMESIM_HOME_DIR", str(EXAMPLES))
    desired = controller.open_desired()
    assert isinstance(desired, controller.StoredDesiredHome)
    assert isinstance(desired.store, DeviceObjects) and isinstance(desired.store, controller.DeviceStore)
    home = load_home(EXAMPLES / "tiny.yaml")
    assert set(devices_in_cluster()) == {d.id.replace("_", "-") for d in home.devices}
    desired.switch("load", False)
    assert devices_in_cluster()["load"]["enabled"] is False

    code = "import sys, homesim.bus.controller; print(sorted(m for m in sys.modules if m.startswith(('homesim.k8s', 'kubernetes'))))"
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert alone.stdout.strip() == "[]"


@pytest.mark.parametrize("backend, points, said", [
    ("kubernets", None, "HOMESIM_CONTROLLER_BACKEND='kubernets' is not allowed: must be local or an installed "
                        "backend (kubernetes;"),
    # a backend installed with a name that no longer resolves (a stale install, a library missing)
    ("kubernetes", [EntryPoint("kubernetes", "homesim.k8s.no_such_backend:from_environment", controller.BACKENDS)],
     "the controller's kubernetes backend (homesim.k8s.no_such_backend:from_environment) can't be loaded: "
     "ModuleNotFoundError"),
    ("kubernetes", [], "is not allowed: must be local or an installed backend (none: no entry points "
                       "homesim.controller_backends; is homesim installed"),
])
def test_a_backend_that_cant_be_found_is_a_clear_error(backend, points, said, monkeypatch, tmp_path):
    """A backend asked for and not installed, misspelt or broken stops the controller with a
    sentence naming it (and what is installed), not a traceback."""
    if points is not None:
        monkeypatch.setattr(controller, "entry_points", lambda group: [p for p in points if p.group == group])
    monkeypatch.setenv("HOMESIM_CONTROLLER_BACKEND", backend)
    monkeypatch.setenv("HOMESIM_HOME_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        controller.open_desired()
    assert said in str(stopped.value.code)


def test_the_controller_process_says_why_it_cant_start_a_backend(tmp_path):
    """The process itself (as the chart runs it): exit status not 0, the sentence on stderr, no traceback."""
    env = {**os.environ, "HOMESIM_CONTROLLER_BACKEND": "kubernets", "HOMESIM_HOME_ID": "home",
           "HOMESIM_HOME_DIR": str(tmp_path), "HOMESIM_METRICS_PORT": "0"}
    done = subprocess.run([sys.executable, "-m", "homesim.bus.services", "controller"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "HOMESIM_CONTROLLER_BACKEND='kubernets' is not allowed" in done.stderr
    assert "Traceback" not in done.stderr
