"""The operator (kopf), run with kopf.testing.KopfRunner against the kmock Kubernetes emulator:
a Device gets its Deployment, ConfigMap, Secret and Service; enabled toggles replicas 0/1; a
property edit changes the ConfigMap and rolls the Deployment; deleting the Device removes its
objects; the status is written: phase and replicas, and the last energy read from the
device's metrics (served here by the real metrics code of a device process, fed a settlement)."""

from __future__ import annotations

import os
import time

import pytest
import yaml

kopf_testing = pytest.importorskip("kopf.testing")
from kmock_cluster import NAMESPACE, cluster  # noqa: E402,F401 - the fixture
from kubernetes import client  # noqa: E402
#: kmock 0.8 answers a GET of an object it does not have with 500 (a real API server: 404).
MISSING = (404, 500)


def wait_for(what, fn, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = fn()
        except client.ApiException as error:
            if error.status not in MISSING:
                raise
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what} not reached within {timeout_s} s")


def test_operator_owns_a_devices_objects(cluster):
    devices = client.CustomObjectsApi()
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    from homesim.bus.metrics import DeviceMetrics
    from homesim.bus.router import free_port

    port = free_port()
    os.environ["HOMESIM_METRICS_PORT"] = str(port)
    oven_metrics = DeviceMetrics("home", "oven", "oven")  # what the oven's pod would serve
    oven_metrics.settled({"tick": 7, "tick_sent": None, "dt_s": 60, "e": {"oven": -120_000}})
    del os.environ["HOMESIM_METRICS_PORT"]
    env = {"HOMESIM_DEVICE_KEY": "k" * 64, "HOMESIM_IMAGE": "homesim:test", "HOMESIM_STATUS_INTERVAL_S": "1",
           "HOMESIM_DEVICE_METRICS_URL": f"http://127.0.0.1:{port}/metrics?device={{name}}&ns={{namespace}}"}
    os.environ.update(env)
    # -A: kmock cannot list namespaces, which kopf does to match --namespace (the chart passes it)
    args = ["run", "-A", "--standalone", "-m", "homesim.k8s.device_operator"]
    with kopf_testing.KopfRunner(args, timeout=60) as runner:
        devices.create_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices", {
            "apiVersion": "homesim.io/v1alpha1", "kind": "Device", "metadata": {"name": "oven", "namespace": NAMESPACE, "uid": "uid-oven", "resourceVersion": "1", "generation": 1},
            "spec": {"kind": "oven", "enabled": True, "oven": {"rated_power_w": 2000}}})
        deployment = wait_for("the Deployment", lambda: apps.read_namespaced_deployment("device-oven", NAMESPACE))
        assert deployment.spec.replicas == 1
        container = deployment.spec.template.spec.containers[0]
        assert container.image == "homesim:test"
        assert container.args[:6] == ["python", "-m", "homesim.bus.device", "--kind", "oven", "--id"]
        assert deployment.metadata.owner_references[0].kind == "Device"
        first_hash = deployment.spec.template.metadata.annotations["homesim.io/config-hash"]
        configmap = core.read_namespaced_config_map("device-oven", NAMESPACE)
        assert yaml.safe_load(configmap.data["device.yaml"])["rated_power_w"] == 2000
        assert core.read_namespaced_secret("device-oven", NAMESPACE).data["ticket"]
        assert core.read_namespaced_service("device-oven", NAMESPACE).spec.ports[0].port == 9100
        status = wait_for("the last energy", lambda: devices.get_namespaced_custom_object(
            "homesim.io", "v1alpha1", NAMESPACE, "devices", "oven").get("status", {}).get("lastEnergy"))
        assert status == {"reachable": True, "powerW": -2000.0, "energyInJ": 0, "energyOutJ": 120_000, "tick": 7}

        devices.patch_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices", "oven",
                                               {"spec": {"enabled": False}})
        wait_for("replicas 0", lambda: apps.read_namespaced_deployment("device-oven", NAMESPACE).spec.replicas == 0)
        status = wait_for("the status", lambda: (st := devices.get_namespaced_custom_object(
            "homesim.io", "v1alpha1", NAMESPACE, "devices", "oven").get("status", {})).get("phase") == "Off"
            and st.get("lastEnergy", {}).get("reason") == "switched off" and st)
        # off: the last known energy stays, marked unreachable
        assert status["replicas"] == 0 and status["lastEnergy"]["reachable"] is False
        assert status["lastEnergy"]["energyOutJ"] == 120_000
        devices.patch_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices", "oven",
                                               {"spec": {"enabled": True, "oven": {"rated_power_w": 3000}}})
        rolled = wait_for("the roll", lambda: (d := apps.read_namespaced_deployment("device-oven", NAMESPACE))
                          .spec.template.metadata.annotations["homesim.io/config-hash"] != first_hash and d)
        assert rolled.spec.replicas == 1
        configmap = core.read_namespaced_config_map("device-oven", NAMESPACE)
        assert yaml.safe_load(configmap.data["device.yaml"])["rated_power_w"] == 3000

        devices.delete_namespaced_custom_object("homesim.io", "v1alpha1", NAMESPACE, "devices", "oven")

        def gone(read):
            try:
                read("device-oven", NAMESPACE)
            except client.ApiException as error:
                return error.status in MISSING
            return False

        for read in (apps.read_namespaced_deployment, core.read_namespaced_config_map, core.read_namespaced_secret,
                     core.read_namespaced_service):
            wait_for(f"{read.__name__} gone", lambda read=read: gone(read))
    assert runner.exception is None, runner.output
