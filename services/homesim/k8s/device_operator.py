"""The homesim operator: ``kopf run -m homesim.k8s.device_operator --namespace HOME``.

For each ``Device`` (``homesim.io/v1alpha1``) it keeps a ConfigMap, a Secret, a Deployment and a
Service (built by ``homesim.k8s.manifests``, owned by the Device through owner references):
``spec.enabled: false`` scales the Deployment to 0 and ``true`` back to 1; a property edit
changes the ConfigMap and the pod template's config hash, so the Deployment rolls; deleting the
Device deletes what it owns (the operator deletes them itself too, for API servers without a
garbage collector). Status: ``phase``, ``replicas``, ``observedGeneration`` and, every
``HOMESIM_STATUS_INTERVAL_S`` (30 s), ``lastEnergy`` read from the device's metrics Service.

Environment: ``HOMESIM_IMAGE``, ``HOMESIM_HOME_CONFIGMAP``, ``HOMESIM_CREDENTIALS_SECRET``,
``HOMESIM_ROUTER_URL``, ``HOMESIM_HOME_ID``, ``HOMESIM_STEP``, ``HOMESIM_INSTANCE`` (the Helm
release, labelled on the devices' objects) and ``HOMESIM_DEVICE_KEY`` (to make each device's ticket).
"""

from __future__ import annotations

import os
import urllib.request
from typing import Any

import kopf
from kubernetes import client

from homesim.credentials import device_ticket
from homesim.k8s import load_client_config, manifests

DEVICES = (manifests.GROUP, manifests.VERSION, "devices")


def settings() -> manifests.Settings:
    return manifests.settings_from(os.environ)


@kopf.on.login()
def login(**kwargs: Any) -> Any:
    """In a cluster: the pod's service account; elsewhere: ``$KUBECONFIG``."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
def client_config(settings: kopf.OperatorSettings, **_: Any) -> None:
    load_client_config()
    settings.posting.enabled = False


def _is(error: client.ApiException, status: int, words: str) -> bool:
    """Whether the API said ``status`` (the kmock emulator says 500 with the reason in the body)."""
    return error.status == status or (error.status == 500 and words in str(error.body or "").lower())


def _apply(obj: dict[str, Any]) -> None:
    """Create the object, or patch it to match."""
    kind, meta = obj["kind"], obj["metadata"]
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    name, namespace = meta["name"], meta["namespace"]
    create, patch = {
        "Deployment": (apps.create_namespaced_deployment, apps.patch_namespaced_deployment),
        "ConfigMap": (core.create_namespaced_config_map, core.patch_namespaced_config_map),
        "Secret": (core.create_namespaced_secret, core.patch_namespaced_secret),
        "Service": (core.create_namespaced_service, core.patch_namespaced_service),
    }[kind]
    try:
        create(namespace, obj)
    except client.ApiException as error:
        if not _is(error, 409, "already exists"):
            raise
        patch(name, namespace, obj, _content_type="application/merge-patch+json")


def _delete(kind: str, name: str, namespace: str) -> None:
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    delete = {"Deployment": apps.delete_namespaced_deployment, "ConfigMap": core.delete_namespaced_config_map,
              "Secret": core.delete_namespaced_secret, "Service": core.delete_namespaced_service}[kind]
    try:
        delete(name, namespace)
    except client.ApiException as error:
        if not _is(error, 404, "not found"):
            raise


@kopf.on.resume(*DEVICES)
@kopf.on.create(*DEVICES)
@kopf.on.update(*DEVICES)
def reconcile(name: str, namespace: str, spec: dict[str, Any], body: Any, patch: Any, **_: Any) -> None:
    """Make the Device's objects match its spec; status ``phase``, ``replicas``, ``observedGeneration``."""
    if spec.get("kind") is None:
        raise kopf.PermanentError("spec.kind is missing: name the device kind (e.g. oven)")
    ident = manifests.device_id(name)
    key = os.environ.get("HOMESIM_DEVICE_KEY", "")
    objects = manifests.objects(name, namespace, dict(spec), settings(), device_ticket(key, ident))
    kopf.adopt(objects, owner=body)
    for obj in objects:
        _apply(obj)
    replicas = objects[2]["spec"]["replicas"]
    patch.status["phase"] = "Running" if replicas else "Off"
    patch.status["replicas"] = replicas
    patch.status["observedGeneration"] = body.get("metadata", {}).get("generation")


#: Where a device's metrics are read for its status (its Service, made above), unless
#: ``HOMESIM_DEVICE_METRICS_URL`` says otherwise (read when used, not when imported).
METRICS_URL = "http://device-{name}.{namespace}.svc:" + str(manifests.METRICS_PORT) + "/metrics"


@kopf.timer(*DEVICES, interval=float(os.environ.get("HOMESIM_STATUS_INTERVAL_S", "30")), idle=5)
def last_energy(name: str, namespace: str, spec: dict[str, Any], patch: Any, **_: Any) -> None:
    """Status ``lastEnergy``: the device's power and energy so far, read from its metrics."""
    if not spec.get("enabled", True):
        patch.status["lastEnergy"] = {"reachable": False, "reason": "switched off"}
        return
    try:
        with urllib.request.urlopen(os.environ.get("HOMESIM_DEVICE_METRICS_URL", METRICS_URL).format(
                name=name, namespace=namespace), timeout=3) as response:
            text = response.read().decode()
    except OSError as error:
        patch.status["lastEnergy"] = {"reachable": False, "reason": str(error)[:200]}
        return
    patch.status["lastEnergy"] = manifests.energy_status(text, manifests.device_id(name))


@kopf.on.delete(*DEVICES)
def remove(name: str, namespace: str, **_: Any) -> None:
    """Delete what the Device owned (a garbage collector would too)."""
    for kind in ("Deployment", "Service", "ConfigMap", "Secret"):
        _delete(kind, f"device-{name}", namespace)
