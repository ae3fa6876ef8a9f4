"""The homesim operator: ``kopf run -m homesim.k8s.device_operator --namespace HOME``.

For each ``Device`` (``homesim.io/v1alpha1``) it keeps a ConfigMap, a Secret, a Deployment and a
Service (built by ``homesim.k8s.manifests``, owned by the Device through owner references):
``spec.enabled: false`` scales the Deployment to 0 and ``true`` back to 1; a property edit
changes the ConfigMap and the pod template's config hash, so the Deployment rolls; deleting the
Device deletes what it owns (the operator deletes them itself too, for API servers without a
garbage collector). Status: ``phase``, ``replicas`` and ``observedGeneration``.

Environment: ``HOMESIM_IMAGE``, ``HOMESIM_HOME_CONFIGMAP``, ``HOMESIM_CREDENTIALS_SECRET``,
``HOMESIM_ROUTER_URL``, ``HOMESIM_HOME_ID``, ``HOMESIM_STEP`` and ``HOMESIM_DEVICE_KEY`` (to
make each device's ticket).
"""

from __future__ import annotations

import os
from typing import Any

import kopf
from kubernetes import client

from homesim.bus.router import device_ticket
from homesim.k8s import load_client_config, manifests

DEVICES = (manifests.GROUP, manifests.VERSION, "devices")


def settings() -> manifests.Settings:
    defaults = manifests.Settings()
    return manifests.Settings(
        image=os.environ.get("HOMESIM_IMAGE", defaults.image),
        home_configmap=os.environ.get("HOMESIM_HOME_CONFIGMAP", defaults.home_configmap),
        credentials_secret=os.environ.get("HOMESIM_CREDENTIALS_SECRET", defaults.credentials_secret),
        router_url=os.environ.get("HOMESIM_ROUTER_URL", defaults.router_url),
        home_id=os.environ.get("HOMESIM_HOME_ID", defaults.home_id),
        step_s=int(os.environ.get("HOMESIM_STEP", defaults.step_s)),
    )


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
def reconcile(name: str, namespace: str, spec: dict[str, Any], body: Any, **_: Any) -> dict[str, Any]:
    """Make the Device's objects match its spec."""
    if spec.get("kind") is None:
        raise kopf.PermanentError("spec.kind is missing: name the device kind (e.g. oven)")
    ident = manifests.device_id(name)
    key = os.environ.get("HOMESIM_DEVICE_KEY", "")
    objects = manifests.objects(name, namespace, dict(spec), settings(), device_ticket(key, ident))
    kopf.adopt(objects, owner=body)
    for obj in objects:
        _apply(obj)
    replicas = objects[2]["spec"]["replicas"]
    return {"phase": "Running" if replicas else "Off", "replicas": replicas,
            "observedGeneration": body.get("metadata", {}).get("generation")}


@kopf.on.delete(*DEVICES)
def remove(name: str, namespace: str, **_: Any) -> None:
    """Delete what the Device owned (a garbage collector would too)."""
    for kind in ("Deployment", "Service", "ConfigMap", "Secret"):
        _delete(kind, f"device-{name}", namespace)
