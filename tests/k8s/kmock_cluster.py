"""A kmock Kubernetes emulator on 127.0.0.1 with the Device resource, for the k8s tests
(import the ``cluster`` fixture into a test module)."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
import yaml

kmock = pytest.importorskip("kmock")
from kubernetes import config  # noqa: E402

NAMESPACE = "home"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    emulator = kmock.KubernetesEmulator()
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


