"""A home run in containers with ``podman kube play``, from the manifests a cluster would get:
the router and the services from the Helm chart (rendered offline), each device from the
Deployment the operator makes for its Device (``homesim.k8s.manifests``).

What a cluster would do and podman does not, the harness does in its place, and only that:
- Secrets: podman 4.3 reads ``secretKeyRef`` from podman secrets whose data is the Secret's
  ``data`` map as JSON (its own ``kind: Secret`` support stores YAML it then can't read), so
  each Secret becomes ``podman secret create NAME`` of its data;
- Services: kube play has none, so each pod gets a ``hostAliases`` entry naming the router's
  Service (``home-router``) at the router pod's address on the home's podman network;
- Ports: podman 4.3 publishes every ``containerPort`` on the host (Kubernetes does not), so
  the pods, all with metrics on 9100, would clash: the copies played here list no ports (the
  pods are reached at their own addresses, as in a cluster);
- the controller and the operator need a Kubernetes API server (tested against kmock
  elsewhere): the Device objects they would write are made here with the same functions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT

CHART = ROOT / "charts" / "home"
VERSION = "0.1.0"
#: A device's energy out of the bus so far, in its /metrics.
ENERGY_OUT = r'homesim_device_energy_joules_total\{[^}]*direction="out"[^}]*\} ([0-9.e+]+)'

CONTAINERS_CONF = ROOT / "infra" / "docker" / "containers.conf"
#: Services that need a Kubernetes API server, not run here.
NEEDS_API = ("operator", "controller")


def _run_podman(args: tuple[str, ...], input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    return subprocess.run(["podman", *args], capture_output=True, text=True, env=env, input=input, timeout=timeout)


def podman(*args: str, check: bool = True, input: str | None = None, timeout: float = 300) -> str:
    done = _run_podman(args, input, timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def health_problem(container: str) -> str | None:
    """``None`` when the container's health check (its image's, or its pod's probe) passes,
    else what podman said."""
    done = _run_podman(("healthcheck", "run", container), timeout=60)
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip() or "unhealthy"


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """The images, built (or found up to date) by ``infra/docker/build.py``."""
    subprocess.run([sys.executable, str(ROOT / "infra" / "docker" / "build.py")], check=True, timeout=1800)
    return {"homesim": f"homesim:{VERSION}", "device": f"homesim-device:{VERSION}", "router": f"homesim-router:{VERSION}"}


def logs(container: str) -> str:
    return podman("logs", "--tail", "60", container, check=False)


def wait_until_healthy(container: str, timeout_s: float = 120) -> None:
    """Run the container's health check until it passes (a container on a loaded machine may
    take a while to start, or be restarted once): raise with its logs after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        problem = health_problem(container)
        if problem is None:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{container} not healthy after {timeout_s:.0f} s ({problem}):\n" + logs(container))
        time.sleep(1)


def wait_for_ticks(recorder_container: str, count: int, timeout_s: float = 180) -> list[dict[str, Any]]:
    """The recorder's settlements once it holds at least ``count`` of them (polled)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = recorded(recorder_container)
        if len(rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(rows)} ticks recorded after {timeout_s:.0f} s (wanted {count}):\n"
                               + logs(recorder_container))
        time.sleep(2)


def recorded(recorder_container: str) -> list[dict[str, Any]]:
    """Every settlement the recorder in ``recorder_container`` has stored, by tick."""
    dump = ("import json; from homesim.bus.store import open_store; "
            "s = open_store('/var/lib/homesim/ledger.sqlite', read_only=True); print(json.dumps(list(s.payloads())))")
    return sorted(json.loads(podman("exec", recorder_container, "python", "-c", dump, timeout=120)),
                  key=lambda r: r["tick"])


def ip_of(container: str) -> str:
    """A container's address on its (only) network."""
    networks = json.loads(podman("inspect", container))[0]["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]


def metrics_of(container: str) -> str:
    with urllib.request.urlopen(f"http://{ip_of(container)}:9100/metrics", timeout=5) as response:
        return response.read().decode()


def render_chart(values: dict[str, Any], release: str = "home", namespace: str = "home") -> list[dict[str, Any]]:
    import helm_python as helm

    rendered = helm.Chart.load(CHART).render(values, name=release, namespace=namespace, is_install=True)
    return [doc for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt")
            for doc in yaml.safe_load_all(text) if doc]


def device_manifests(chart_docs: list[dict[str, Any]], namespace: str = "home") -> list[dict[str, Any]]:
    """The objects the operator would own for every Device the controller would keep: the
    chart's Devices, and those the home's defaults add (sun, weather, inverter)."""
    from homesim.bus.router import device_ticket
    from homesim.home import home_from_dict
    from homesim.k8s import manifests

    operator = next(d for d in chart_docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-operator"))
    env = {e["name"]: e["value"] for e in operator["spec"]["template"]["spec"]["containers"][0]["env"] if "value" in e}
    settings = manifests.settings_from(env)  # as the operator reads its environment
    secret = next(d for d in chart_docs if d["kind"] == "Secret")
    import base64

    key = base64.b64decode(secret["data"]["device-key"]).decode()
    home_cm = next(d for d in chart_docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == settings.home_configmap)
    home = home_from_dict(yaml.safe_load(home_cm["data"]["home.yaml"]))
    objects = []
    for device in home.model_dump(mode="json")["devices"]:
        device_cr = manifests.device_object(device, True, namespace)
        name = device_cr["metadata"]["name"]
        objects += manifests.objects(name, namespace, device_cr["spec"], settings,
                                     device_ticket(key, manifests.device_id(name)))
    return objects


class PodmanHome:
    """A home's Deployments played into podman on a network of its own; ``down()`` removes all."""

    def __init__(self, objects: list[dict[str, Any]], workdir: Path, network: str) -> None:
        self.objects = objects
        self.workdir = workdir
        self.network = network
        self.played: list[Path] = []
        self.secrets: list[str] = []
        self.configmaps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
        self.deployments = [o for o in objects if o["kind"] == "Deployment"
                            and not o["metadata"]["name"].endswith(tuple(f"-{s}" for s in NEEDS_API))]

    def up(self, router_service: str) -> None:
        podman("network", "create", self.network)
        for secret in (o for o in self.objects if o["kind"] == "Secret"):
            name = secret["metadata"]["name"]
            podman("secret", "rm", name, check=False)
            podman("secret", "create", name, "-", input=json.dumps(secret["data"]))
            self.secrets.append(name)
        router = next(d for d in self.deployments if d["metadata"]["name"] == router_service)
        self._play(router, aliases={})
        self.router_ip = self.wait_until_healthy(self.container_of(router_service))
        for deployment in self.deployments:
            if deployment is not router:
                self._play(deployment, aliases={self.router_ip: [router_service]})

    def _play(self, deployment: dict[str, Any], aliases: dict[str, list[str]]) -> None:
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            container.pop("ports", None)
        if aliases:
            pod["hostAliases"] = [{"ip": ip, "hostnames": names} for ip, names in aliases.items()]
        used = [v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v]
        path = self.workdir / f"{deployment['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump_all([self.configmaps[name] for name in used] + [deployment]))
        podman("kube", "play", "--network", self.network, str(path))
        self.played.append(path)

    @staticmethod
    def container_of(deployment: str) -> str:
        """The container of a Deployment's pod (podman names them ``<deployment>-pod-0-<container>``)."""
        names = podman("ps", "--format", "{{.Names}}", "--filter", f"pod={deployment}-pod-0").split()
        ours = [n for n in names if n.startswith(f"{deployment}-pod-0-")]
        if not ours:
            raise RuntimeError(f"no container of {deployment} is running")
        return ours[0]

    def wait_until_healthy(self, container: str, timeout_s: float = 120) -> str:
        """Run the image's HEALTHCHECK until it passes; the container's address."""
        wait_until_healthy(container, timeout_s)
        return ip_of(container)

    @staticmethod
    def logs(container: str) -> str:
        return logs(container)

    def down(self) -> None:
        for path in reversed(self.played):
            podman("kube", "down", str(path), check=False)
        for name in self.secrets:
            podman("secret", "rm", name, check=False)
        for name in self.configmaps:  # kube play keeps each ConfigMap as a volume
            podman("volume", "rm", "--force", name, check=False)
        podman("network", "rm", "--force", self.network, check=False)
