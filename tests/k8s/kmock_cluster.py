"""A kmock Kubernetes emulator on 127.0.0.1 with the Device resource, for the k8s tests
(import the ``cluster`` fixture into a test module)."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading

import pytest
import yaml

kmock = pytest.importorskip("kmock")
from kubernetes import config  # noqa: E402

NAMESPACE = "home"


class Emulator(kmock.KubernetesEmulator):
    """kmock with the API server's optimistic concurrency, which kmock leaves out: every write
    gives the object a new ``metadata.resourceVersion``, and an update (patch or replace)
    naming another one is refused with 409 Conflict, as the API server does."""

    versions = itertools.count(1)

    async def _handle(self, request):
        from kmock._internal import enums
        from kmock._internal.k8s import KubernetesObjectConflictError

        if request.resource is not None and isinstance(request.data, dict):
            if request.action == enums.action.UPDATE and request.name is not None:
                key = (request.resource, request.namespace, request.name)
                stored = self._objects[key] if key in self._objects else None
                named = request.data.get("metadata", {}).get("resourceVersion")
                if stored is not None and not stored.deleted and named is not None and \
                        named != stored.get("metadata", {}).get("resourceVersion"):
                    return await self._render_error(KubernetesObjectConflictError(
                        reason="Conflict", message=f"the object has been modified: {named} is not its resourceVersion"))
            if request.action in (enums.action.CREATE, enums.action.UPDATE):
                request.data.setdefault("metadata", {})["resourceVersion"] = str(next(self.versions))
        return await super()._handle(request)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    emulator = Emulator()
    emulator.resources.load_bundled()
    emulator.resources["homesim.io/v1alpha1/devices"] = {
        "kind": "Device", "singular": "device", "namespaced": True, "subresources": {"status"},
        "verbs": {"get", "list", "watch", "create", "update", "patch", "delete"}}
    # kmock can't create namespaces through the API: the home's namespace is put in directly
    emulator.objects["v1/namespaces", None, NAMESPACE] = {"metadata": {"name": NAMESPACE}}
    loop = asyncio.new_event_loop()
    started: dict = {}
    ready = threading.Event()
    stop = asyncio.Event()

    async def serve():
        async with kmock.Server(emulator) as server:
            started["url"] = str(server.url).rstrip("/")
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(30)
    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
        "clusters": [{"name": "kmock", "cluster": {"server": started["url"]}}],
        "users": [{"name": "kmock", "user": {"token": "kmock"}}],
        "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "kmock", "namespace": NAMESPACE}}]}))
    os.environ["KUBECONFIG"] = str(kubeconfig)
    config.load_kube_config(config_file=str(kubeconfig))
    yield emulator
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


