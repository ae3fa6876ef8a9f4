"""The objects a ``Device`` owns, built in one place (the operator and the container tests use
this): a ConfigMap with its properties, a Secret with its own ticket (never the key that makes
tickets), a Deployment running ``python -m homesim.bus.device`` with ``replicas`` 1 or 0 by
``spec.enabled``, and a Service for its metrics. Pure: dicts in, dicts out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

import yaml

from homesim.devices import config_class

GROUP = "homesim.io"
VERSION = "v1alpha1"
METRICS_PORT = 9100
#: Where the home's ConfigMap is mounted in every pod (a folder: a subPath mount would not
#: follow the ConfigMap's updates) and the home file in it.
HOME_DIR = "/etc/homesim/home"
HOME_FILE = f"{HOME_DIR}/home.yaml"


@dataclass(frozen=True)
class Settings:
    """How the home's device Deployments are made (from the operator's environment)."""

    #: The devices' image: the light ``homesim-device`` (no numba, pandas or SciPy in it).
    image: str = "homesim-device:0.1.0"
    home_configmap: str = "home-home"
    credentials_secret: str = "home-credentials"
    router_url: str = "ws://home-router:8080/ws"
    home_id: str = "home"
    step_s: int = 60
    #: The Helm release (``app.kubernetes.io/instance``): the home's NetworkPolicy selects its devices by it.
    instance: str = ""


def settings_from(env: Mapping[str, str]) -> Settings:
    """Settings from the operator's environment (``HOMESIM_IMAGE``, ``HOMESIM_HOME_CONFIGMAP``,
    ``HOMESIM_CREDENTIALS_SECRET``, ``HOMESIM_ROUTER_URL``, ``HOMESIM_HOME_ID``, ``HOMESIM_STEP``,
    ``HOMESIM_INSTANCE``; defaults for what is not set)."""
    defaults = Settings()
    return Settings(
        image=env.get("HOMESIM_IMAGE") or defaults.image,
        home_configmap=env.get("HOMESIM_HOME_CONFIGMAP") or defaults.home_configmap,
        credentials_secret=env.get("HOMESIM_CREDENTIALS_SECRET") or defaults.credentials_secret,
        router_url=env.get("HOMESIM_ROUTER_URL") or defaults.router_url,
        home_id=env.get("HOMESIM_HOME_ID") or defaults.home_id,
        step_s=int(env.get("HOMESIM_STEP") or defaults.step_s),
        instance=env.get("HOMESIM_INSTANCE") or defaults.instance,
    )


def device_id(name: str) -> str:
    """A Device's id in the home file from its object name (``pv-east`` -> ``pv_east``)."""
    return name.replace("-", "_")


def properties(spec: dict[str, Any]) -> dict[str, Any]:
    """The device as in a home file: id comes from the name, kind and the block of its kind."""
    return dict(spec.get(spec["kind"], {}) or {})


def objects(name: str, namespace: str, spec: dict[str, Any], settings: Settings, ticket: str) -> list[dict[str, Any]]:
    """ConfigMap, Secret, Deployment and Service of one Device (``ticket``: its credential)."""
    kind = spec["kind"]
    ident = device_id(name)
    device = {"id": ident, "kind": kind, **properties(spec)}
    config_text = yaml.safe_dump(device, sort_keys=True)
    config_hash = hashlib.sha256(config_text.encode()).hexdigest()[:16]
    labels = {"app.kubernetes.io/name": "homesim", "app.kubernetes.io/component": "device",
              "app.kubernetes.io/managed-by": "homesim-operator", "homesim.io/device": name,
              **({"app.kubernetes.io/instance": settings.instance} if settings.instance else {})}
    config_name = f"device-{name}"
    # a kind that settles the home (the inverter) joins with a service's credential, keyed by its kind
    is_service = config_class(kind).JOINS_AS == "service"
    credential = ({"name": "HOMESIM_SECRET", "valueFrom": {"secretKeyRef": {"name": settings.credentials_secret,
                                                                             "key": f"service-{kind}"}}}
                  if is_service else
                  {"name": "HOMESIM_TICKET", "valueFrom": {"secretKeyRef": {"name": f"device-{name}", "key": "ticket"}}})
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": f"device-{name}", "namespace": namespace, "labels": labels},
              "data": {"ticket": base64.b64encode(ticket.encode()).decode()}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": config_name, "namespace": namespace, "labels": labels},
                 "data": {"device.yaml": config_text}}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"device-{name}", "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1 if spec.get("enabled", True) else 0,
            "selector": {"matchLabels": {"homesim.io/device": name}},
            "template": {
                "metadata": {"labels": labels, "annotations": {
                    "homesim.io/config-hash": config_hash, "prometheus.io/scrape": "true",
                    "prometheus.io/port": str(METRICS_PORT)}},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "device", "image": settings.image,
                        "args": ["python", "-m", "homesim.bus.device", "--kind", kind, "--id", ident,
                                 "--home", HOME_FILE],
                        "env": [
                            {"name": "HOMESIM_ROUTER_URL", "value": settings.router_url},
                            {"name": "HOMESIM_HOME_ID", "value": settings.home_id},
                            {"name": "HOMESIM_AUTHID", "value": ident},
                            {"name": "HOMESIM_STEP", "value": str(settings.step_s)},
                            {"name": "HOMESIM_HOME_DIR", "value": HOME_DIR},
                            {"name": "HOMESIM_DEVICE_CONFIG", "value": "/etc/homesim/device/device.yaml"},
                            {"name": "HOMESIM_METRICS_PORT", "value": str(METRICS_PORT)},
                            credential,
                        ],
                        "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
                        # healthy: metrics served and a session on the router (homesim.health)
                        "livenessProbe": {"exec": {"command": ["python", "-m", "homesim.health"]},
                                          "initialDelaySeconds": 60, "periodSeconds": 20},
                        "volumeMounts": [{"name": "home", "mountPath": HOME_DIR, "readOnly": True},
                                         {"name": "device", "mountPath": "/etc/homesim/device", "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                    "volumes": [{"name": "home", "configMap": {"name": settings.home_configmap}},
                                {"name": "device", "configMap": {"name": config_name}},
                                {"name": "tmp", "emptyDir": {}}],  # numba's cache; the root is read-only
                },
            },
        },
    }
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": f"device-{name}", "namespace": namespace, "labels": labels},
               "spec": {"selector": {"homesim.io/device": name},
                        "ports": [{"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"}]}}
    return [configmap, secret, deployment, service]




def energy_status(metrics_text: str, device: str) -> dict[str, Any]:
    """A Device's ``status.lastEnergy`` from its ``/metrics`` text: the power of its last
    settled tick [W], its energy into and out of the home's bus so far [J] and that tick."""
    def value(name: str, **labels: str) -> float | None:
        for line in metrics_text.splitlines():
            if not line.startswith(name + "{"):
                continue
            found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name):line.rindex("}") + 1]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return None

    power = value("homesim_device_power_watts", device=device)
    energy_in = value("homesim_device_energy_joules_total", device=device, direction="in")
    energy_out = value("homesim_device_energy_joules_total", device=device, direction="out")
    tick = value("homesim_tick", process=device)
    return {"reachable": True, "powerW": power, "energyInJ": None if energy_in is None else int(energy_in),
            "energyOutJ": None if energy_out is None else int(energy_out),
            "tick": None if tick is None else int(tick)}


def device_object(device: dict[str, Any], enabled: bool, namespace: str) -> dict[str, Any]:
    """A home file's device entry as a ``Device`` object (the chart's devices template does the same)."""
    props = {k: v for k, v in device.items() if k not in ("id", "kind", "enabled")}
    spec: dict[str, Any] = {"kind": device["kind"], "enabled": enabled}
    if props:
        spec[device["kind"]] = props
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Device",
            "metadata": {"name": device["id"].replace("_", "-"), "namespace": namespace,
                         "labels": {"homesim.io/device-id": device["id"]}},
            "spec": spec}


def device_entry(obj: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A ``Device`` object as a home file's device entry, and whether it is enabled."""
    spec = obj["spec"]
    ident = obj["metadata"].get("labels", {}).get("homesim.io/device-id") or device_id(obj["metadata"]["name"])
    return {"id": ident, "kind": spec["kind"], **properties(spec)}, bool(spec.get("enabled", True))


#: Environment of a sweep worker: the number of shards, and the database URL (from a Secret).
SWEEP_COUNT_ENV = "HOMESIM_SWEEP_COUNT"
DATABASE_ENV = "HOMESIM_DATABASE_URL"


#: The image with the engine (a sweep's workers compute years in one process).
ENGINE_IMAGE = "homesim:0.1.0"


def sweep_job(sweep_id: str, shards: int, parallelism: int, image: str = ENGINE_IMAGE,
              database_secret: str = "homesim-sweep-db", database_key: str = "url", name: str | None = None,
              namespace: str | None = None, backoff_limit_per_index: int = 2, ttl_seconds_after_finished: int = 86_400,
              image_pull_policy: str = "IfNotPresent", labels: Mapping[str, str] | None = None,
              resources: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Indexed Job of a sweep (``homesim.planning.sweep``): ``shards`` pods (completions), at most
    ``parallelism`` at once, pod ``i`` running ``homesim sweep-worker --sweep ID`` on shard
    ``i`` (Kubernetes sets ``JOB_COMPLETION_INDEX``) of ``shards`` (``HOMESIM_SWEEP_COUNT``),
    the database URL read from key ``database_key`` of Secret ``database_secret``. A failed
    pod is retried up to ``backoff_limit_per_index`` times per index (its rows are upserted:
    a retry is harmless); the finished Job is deleted after ``ttl_seconds_after_finished``."""
    pod_labels = {"app.kubernetes.io/name": "homesim", "app.kubernetes.io/component": "sweep",
                  "homesim.io/sweep": sweep_id, **(labels or {})}
    metadata: dict[str, Any] = {"name": name or f"sweep-{sweep_id}", "labels": pod_labels}
    if namespace:
        metadata["namespace"] = namespace
    container: dict[str, Any] = {
        "name": "worker", "image": image, "imagePullPolicy": image_pull_policy,
        "command": ["homesim", "sweep-worker", "--sweep", sweep_id],
        "env": [
            {"name": SWEEP_COUNT_ENV, "value": str(shards)},
            {"name": DATABASE_ENV, "valueFrom": {"secretKeyRef": {"name": database_secret, "key": database_key}}},
        ],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # numba's cache, the home's files
    }
    if resources:
        container["resources"] = dict(resources)
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
        "spec": {
            "completionMode": "Indexed",
            "completions": shards,
            "parallelism": max(1, min(parallelism, shards)),
            "backoffLimitPerIndex": backoff_limit_per_index,
            "ttlSecondsAfterFinished": ttl_seconds_after_finished,
            "template": {
                "metadata": {"labels": dict(pod_labels)},
                "spec": {
                    "restartPolicy": "Never",  # backoffLimitPerIndex needs it
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }
