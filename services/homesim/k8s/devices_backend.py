"""The controller's Kubernetes backend: the desired home's devices as the namespace's ``Device``
objects (the operator turns each into a Deployment with 0 or 1 replicas).

The live runtime (``homesim.bus``) and this package import neither each other: the controller
(``homesim.bus.controller``) defines what a backend keeping the desired home's devices does
(``DeviceStore``: read them, create one, write one change naming the version read, watch them)
and finds this one by name through the entry point group ``homesim.controller_backends``
(``kubernetes`` in pyproject.toml) when ``HOMESIM_CONTROLLER_BACKEND=kubernetes``. The actions,
their checks, the retries on a conflict and the errors sent on the bus stay the controller's.

The API server is the one source of truth: each write is one Device, a JSON merge patch of the
fields that change with the ``resourceVersion`` read (a delete names it as a precondition); a
409 Conflict (someone changed it in between: a ``kubectl patch``, a ``helm upgrade``) is
answered ``False``, and the controller reads again and retries.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

from homesim.k8s import load_client_config, manifests

log = logging.getLogger("homesim.k8s")

#: Plural of the Device resource in the API.
PLURAL = "devices"


def merge_patch(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new`` (two mappings: only the
    keys that differ; a key gone is ``None``)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            patch[key] = merge_patch(old[key], value) if isinstance(old[key], dict) and isinstance(value, dict) \
                else value
    return patch


class DeviceObjects:
    """The Device objects of ``namespace``: the controller's ``DeviceStore`` on Kubernetes."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        #: Named in the controller's errors.
        self.where = f"Devices in namespace {namespace}"
        #: resourceVersion of each Device object (by name) as last read.
        self.versions: dict[str, str | None] = {}

    @staticmethod
    def api():
        from kubernetes import client

        return client.CustomObjectsApi()

    def _list(self) -> list[dict[str, Any]]:
        return self.api().list_namespaced_custom_object(manifests.GROUP, manifests.VERSION, self.namespace,
                                                        PLURAL).get("items", [])

    def read(self) -> list[tuple[dict[str, Any], bool]]:
        """Every Device as a home file's device entry and whether it is enabled (the version of
        each kept for the writes)."""
        found = self._list()
        self.versions = {obj["metadata"]["name"]: obj["metadata"].get("resourceVersion") for obj in found}
        return [manifests.device_entry(obj) for obj in found]

    def _object(self, entry: dict[str, Any], enabled: bool) -> dict[str, Any]:
        return manifests.device_object(entry, enabled, self.namespace)

    def create(self, entry: dict[str, Any], enabled: bool) -> None:
        """The Device of ``entry``, if there was none when last read (one created meanwhile stays
        as it is)."""
        from kubernetes import client

        obj = self._object(entry, enabled)
        if obj["metadata"]["name"] in self.versions:
            return
        try:
            self.api().create_namespaced_custom_object(manifests.GROUP, manifests.VERSION, self.namespace, PLURAL, obj)
        except client.ApiException as error:
            if error.status != 409:
                raise

    def write(self, before: tuple[dict[str, Any], bool] | None, after: tuple[dict[str, Any], bool] | None) -> bool:
        """One device changed from ``before`` (its entry and whether enabled, as read; None: it was
        not there) to ``after`` (None: removed): the Device created, deleted or patched with what
        changed, naming the version read. False if it changed since it was read (409 Conflict)."""
        from kubernetes import client

        api, group, version = self.api(), manifests.GROUP, manifests.VERSION
        obj = self._object(*(after or before))
        name = obj["metadata"]["name"]
        try:
            if after is not None and (before is None or name not in self.versions):
                api.create_namespaced_custom_object(group, version, self.namespace, PLURAL, obj)
            elif after is None:
                if name in self.versions:
                    self._delete(name)
            else:
                spec = merge_patch(self._object(*before)["spec"], obj["spec"])
                if spec:
                    api.patch_namespaced_custom_object(
                        group, version, self.namespace, PLURAL, name,
                        {"metadata": {"resourceVersion": self.versions[name]}, "spec": spec},
                        _content_type="application/merge-patch+json")
        except client.ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    def _delete(self, name: str) -> None:
        from kubernetes import client

        try:
            self.api().delete_namespaced_custom_object(
                manifests.GROUP, manifests.VERSION, self.namespace, PLURAL, name,
                body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version=self.versions[name])))
        except client.ApiException as error:
            if error.status != 404:  # deleted meanwhile
                raise

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        """Call ``changed`` on every event of the namespace's Devices (blocking: run it in a
        thread), reconnecting after an error, until ``stop`` is set (checked at each event)."""
        from kubernetes import watch

        while not stop.is_set():
            try:
                for _ in watch.Watch().stream(self.api().list_namespaced_custom_object, manifests.GROUP,
                                              manifests.VERSION, self.namespace, PLURAL, timeout_seconds=300):
                    if stop.is_set():
                        return
                    changed()
            except Exception as error:  # noqa: BLE001 - the API server away: watch again
                log.warning("watching the Devices: %s; again in 2 s", error)
                stop.wait(2)


def from_environment() -> DeviceObjects:
    """The backend the controller runs with (the entry point ``kubernetes``): the Devices of
    ``HOMESIM_NAMESPACE``, the client configured from the pod's service account (else
    ``$KUBECONFIG``)."""
    namespace = os.environ.get("HOMESIM_NAMESPACE")
    if not namespace:
        raise SystemExit("homesim: environment variable HOMESIM_NAMESPACE is not set "
                         "(the namespace of the home's Devices, for the controller's Kubernetes backend)")
    load_client_config()
    return DeviceObjects(namespace)
