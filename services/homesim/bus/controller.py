"""The controller, local backend: ``python -m homesim.bus.services controller``.

Backends: ``local`` (default) and ``kubernetes`` (``HOMESIM_CONTROLLER_BACKEND``; the desired
home is then the namespace's Device objects, which the operator turns into Deployments).

Local: owns the desired home: the live home file ``$HOMESIM_LIVE_DIR/home.yaml`` (the devices and
their current properties) and ``state.json`` (which devices are switched off, and a version).
``homesim up`` runs one process per device that is in the file and on, exactly as a
Kubernetes operator keeps one Deployment per Device with replicas 0 or 1.

RPCs under ``home.<home>.controller.``: ``list``, ``add(device)``, ``remove(id)``,
``switch(id, on)``. A bad request gets ``homesim.error.invalid_property`` naming the field
and changes nothing. Property changes made on a device (``device.<id>.set``) are written
into the live home file, so a restarted device keeps them. The desired home is published
retained on ``home.<home>.devices``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from autobahn.wamp.exception import ApplicationError

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, retain, run_component, uris_from_env
from homesim.bus.uris import INVALID_PROPERTY, Uris
from homesim.home import Home, HomeFileError, free_id, home_from_dict

from homesim.messages import DeviceView, valid

def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` at once (a reader sees the old file or the new one)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class DesiredHome:
    """The live home file and the switches, validated on every change (no bus I/O)."""

    def __init__(self, live_dir: Path, home: Home, base: Path, off: set[str], version: int = 0) -> None:
        self.live_dir = live_dir
        self.base = base
        self.home = home
        self.off = set(off)
        self.version = version

    @classmethod
    def open(cls, live_dir: Path, base: Path, template: Path | None = None) -> "DesiredHome":
        """The desired home as ``homesim up`` (or an earlier controller) left it; in a folder
        with none yet (a new Compose volume), ``template``'s devices, all on."""
        from homesim.live import load_live_home

        if not (live_dir / "state.json").exists() and template is not None:
            live_dir.mkdir(parents=True, exist_ok=True)
            desired = cls(live_dir, load_live_home(template), base, set(), -1)
            desired.save()  # version 0
            return desired
        state = json.loads((live_dir / "state.json").read_text())
        return cls(live_dir, load_live_home(live_dir / "home.yaml"), base, set(state["off"]), int(state["version"]))

    def save(self) -> None:
        self.version += 1
        header = (f"# The live home, written by the controller (version {self.version}).\n"
                  f"# Relative paths resolve against {self.base}.\n")
        write_atomic(self.live_dir / "home.yaml",
                     header + yaml.safe_dump(self.home.model_dump(mode="json"), sort_keys=False))
        write_atomic(self.live_dir / "state.json", json.dumps({"version": self.version, "off": sorted(self.off)}))

    def devices(self) -> list[dict[str, Any]]:
        return [{"id": d.id, "kind": d.kind, "role": d.ROLE, "enabled": d.id not in self.off} for d in self.home.devices]

    def message(self) -> dict[str, Any]:
        return {"version": self.version, "devices": self.devices(), "home": self.home.model_dump(mode="json")}

    def _validated(self, data: dict[str, Any]) -> Home:
        try:
            return home_from_dict(data, home_dir=self.base)
        except HomeFileError as error:
            raise ApplicationError(INVALID_PROPERTY, "; ".join(error.problems)) from None

    def _known(self, device_id: Any) -> str:
        ids = [d.id for d in self.home.devices]
        if device_id not in ids:
            raise ApplicationError(INVALID_PROPERTY, f"id: {device_id!r} is not a device of this home; "
                                                     f"devices: {', '.join(ids)}")
        return device_id

    def _not_essential(self, device_id: str, action: str) -> None:
        """Refuse to remove or switch off what the home can't run without (its kind says so:
        ``REMOVABLE``)."""
        device = self.home.device(device_id)
        if not device.REMOVABLE:
            raise ApplicationError(INVALID_PROPERTY, f"id: {device_id!r} is the {device.kind}; it can't be {action}")

    def add(self, device: Any) -> dict[str, Any]:
        if not isinstance(device, dict):
            raise ApplicationError(INVALID_PROPERTY, "device: must be a mapping with at least 'kind', "
                                                     "e.g. {\"kind\": \"oven\", \"id\": \"oven2\"}")
        data = self.home.model_dump(mode="json")
        taken = [d["id"] for d in data["devices"]]
        if device.get("id") in taken:
            raise ApplicationError(INVALID_PROPERTY, f"id: {device['id']!r} is taken; pick another id")
        if "id" not in device and isinstance(device.get("kind"), str):
            device = {"id": free_id(device["kind"], taken), **device}  # e.g. oven_2
        data["devices"].append(device)
        home = self._validated(data)
        added = [d for d in home.devices if d.id not in [e.id for e in self.home.devices]]
        self.home = home
        self.save()
        return {"id": added[0].id, "kind": added[0].kind, "enabled": True}

    def remove(self, device_id: Any) -> dict[str, Any]:
        device_id = self._known(device_id)
        self._not_essential(device_id, "removed")
        data = self.home.model_dump(mode="json")
        data["devices"] = [d for d in data["devices"] if d["id"] != device_id]
        self.home = self._validated(data)
        self.off.discard(device_id)
        self.save()
        return {"id": device_id, "removed": True}

    def switch(self, device_id: Any, on: Any) -> dict[str, Any]:
        device_id = self._known(device_id)
        if not isinstance(on, bool):
            raise ApplicationError(INVALID_PROPERTY, f"on: {on!r} is not allowed: must be true or false")
        if not on:
            self._not_essential(device_id, "switched off")
        changed = (device_id in self.off) == on
        (self.off.discard if on else self.off.add)(device_id)
        if changed:
            self.save()
        return {"id": device_id, "enabled": on}

    def set_properties(self, device_id: str, properties: dict[str, Any]) -> bool:
        """A device's new properties (already validated by it); ``False`` if unknown."""
        data = self.home.model_dump(mode="json")
        if device_id not in [d["id"] for d in data["devices"]]:
            return False
        data["devices"] = [properties if d["id"] == device_id else d for d in data["devices"]]
        self.home = self._validated(data)
        self.save()
        return True


class KubernetesDesiredHome(DesiredHome):
    """The Kubernetes backend: the desired home is the namespace's ``Device`` objects (the
    operator turns each into a Deployment with 0 or 1 replicas). Same RPCs, same validation."""

    def __init__(self, namespace: str, home: Home, base: Path, off: set[str]) -> None:
        super().__init__(Path("."), home, base, off)
        self.namespace = namespace

    @staticmethod
    def _api():
        from kubernetes import client

        return client.CustomObjectsApi()

    @classmethod
    def from_cluster(cls, namespace: str, template: Home, base: Path) -> "KubernetesDesiredHome":
        """Location, start, currency and seed from ``template``; the devices from the Device objects
        (none yet: the template's devices, written as Devices on the first save)."""
        from homesim.k8s import manifests

        found = cls._api().list_namespaced_custom_object(manifests.GROUP, manifests.VERSION, namespace, "devices")
        entries = [manifests.device_entry(obj) for obj in found.get("items", [])]
        data = template.model_dump(mode="json")
        off: set[str] = set()
        if entries:
            data["devices"] = [entry for entry, _ in entries]
            off = {entry["id"] for entry, enabled in entries if not enabled}
        return cls(namespace, home_from_dict(data, home_dir=base), base, off)

    def save(self) -> None:
        """Create, patch and delete Device objects until they match the desired home."""
        from kubernetes import client

        from homesim.k8s import manifests

        api = self._api()
        group, version = manifests.GROUP, manifests.VERSION
        existing = {obj["metadata"]["name"]: obj for obj in
                    api.list_namespaced_custom_object(group, version, self.namespace, "devices").get("items", [])}
        wanted = {}
        for device in self.home.model_dump(mode="json")["devices"]:
            obj = manifests.device_object(device, device["id"] not in self.off, self.namespace)
            wanted[obj["metadata"]["name"]] = obj
        for name, obj in wanted.items():
            if name not in existing:
                api.create_namespaced_custom_object(group, version, self.namespace, "devices", obj)
            elif existing[name].get("spec") != obj["spec"]:
                api.patch_namespaced_custom_object(group, version, self.namespace, "devices", name,
                                                   {"spec": obj["spec"]})
        for name in existing.keys() - wanted.keys():
            try:
                api.delete_namespaced_custom_object(group, version, self.namespace, "devices", name)
            except client.ApiException as error:
                if error.status != 404:
                    raise
        self.version += 1


def open_desired() -> DesiredHome:
    """The backend named by ``HOMESIM_CONTROLLER_BACKEND``: ``local`` (files; default) or
    ``kubernetes`` (Device objects in ``HOMESIM_NAMESPACE``)."""
    base = Path(env("HOMESIM_HOME_DIR"))
    if os.environ.get("HOMESIM_CONTROLLER_BACKEND", "local") == "kubernetes":
        from homesim.live import load_live_home
        from homesim.k8s import load_client_config

        load_client_config()
        desired = KubernetesDesiredHome.from_cluster(env("HOMESIM_NAMESPACE"), load_live_home(Path(env("HOMESIM_HOME"))),
                                                     base)
        desired.save()
        return desired
    template = os.environ.get("HOMESIM_HOME")
    return DesiredHome.open(Path(env("HOMESIM_LIVE_DIR")), base, Path(template) if template else None)


def run_controller() -> None:
    uris = uris_from_env()
    desired = open_desired()
    ProcessMetrics(uris.home, "controller")  # its /metrics: up, process info
    comp = component()

    @comp.on_join
    async def joined(session, details):
        from autobahn.wamp.types import SubscribeOptions

        def publish() -> None:
            session.publish(uris.devices, desired.message(), options=retain())

        def changing(action):
            def call(*args, **kwargs):
                result = action(*args, **kwargs)
                publish()
                log.info("%s %s -> %s", action.__name__, args or kwargs, result)
                return result
            return call

        def on_config(view: dict[str, Any], details=None) -> None:
            if not valid(DeviceView, view, details.topic):
                return
            try:
                if desired.set_properties(Uris.device_of(details.topic), view["properties"]):
                    publish()
            except (ApplicationError, KeyError, TypeError) as error:
                log.warning("ignored a device config on %s: %s", details.topic, error)

        await session.register(lambda: desired.devices(), uris.controller("list"))
        await session.register(changing(desired.add), uris.controller("add"))
        await session.register(changing(desired.remove), uris.controller("remove"))
        await session.register(changing(desired.switch), uris.controller("switch"))
        await session.subscribe(on_config, uris.device_topic("config"),
                                options=SubscribeOptions(match="wildcard", details_arg="details"))
        publish()

    run_component(comp)
