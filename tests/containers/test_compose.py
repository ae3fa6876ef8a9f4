"""The generated docker-compose.yml run for real with podman-compose: the router, the services
and every device of the reference home in their own containers. PostgreSQL, Prometheus and
Grafana are left out: their images come from a registry this machine can't reach (their
configuration is checked below; the dashboards against a real Prometheus and a real
PostgreSQL in tests/observability). Without the postgres service the recorder runs on SQLite
in a volume, as the chart does without ``recorder.postgresUrl``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import ROOT
from podman_home import (CONTAINERS_CONF, ENERGY_OUT, images, metrics_of, podman, wait_for_ticks,  # noqa: F401
                         wait_until_healthy)

COMPOSE = ROOT / "docker-compose.yml"
SPEED = 10
#: Settled ticks to wait for (30 s at SPEED on a quiet machine).
TICKS = 75
#: Services whose images come from a registry.
REGISTRY_SERVICES = ("postgres", "prometheus", "grafana")


def compose_services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_the_compose_file_is_the_reference_home_with_prometheus_and_grafana():
    from homesim.generators.compose import container_name
    from homesim.home import home_from_dict, read_home_file

    home = home_from_dict(read_home_file(ROOT / "examples" / "home.yaml"))
    services = compose_services()
    devices = {container_name(d.id) for d in home.devices}
    assert set(services) == {"router", "authorizer", "recorder", "clock", "watcher", "controller", "planner",
                             *REGISTRY_SERVICES} | devices
    targets = json.loads((ROOT / "infra" / "prometheus" / "targets" / "compose.json").read_text())
    scraped = {t["targets"][0].split(":")[0] for t in targets}
    assert scraped == set(services) - {"router", *REGISTRY_SERVICES}
    for mount in services["grafana"]["volumes"] + services["prometheus"]["volumes"]:
        assert (ROOT / mount.split(":")[0]).exists(), mount
    # the recorder writes to the postgres service, whose password Grafana's data source shares
    assert services["recorder"]["environment"]["HOMESIM_DB"].startswith("postgresql://homesim:${HOMESIM_DB_PASSWORD:?")
    assert services["recorder"]["environment"]["HOMESIM_DB"].endswith("@postgres:5432/homesim")
    assert services["recorder"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "HOMESIM_DB_PASSWORD" in services["grafana"]["environment"]
    assert "ports" not in services["postgres"]  # the database is not published
    for name, service in services.items():
        if name not in REGISTRY_SERVICES:
            assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
    assert services["router"]["ports"] == ["127.0.0.1:${HOMESIM_UI_PORT:-8080}:8080"]  # loopback only by default
    text = COMPOSE.read_text()
    assert not re.search(r"(SECRET|TICKET|KEY): '?[A-Za-z0-9_-]{16,}", text), "a credential is written in the file"


def test_prometheus_config_of_compose_passes_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing (make test installs Debian's prometheus)"
    result = subprocess.run([promtool, "check", "config", str(ROOT / "infra" / "prometheus" / "prometheus.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def compose_home(images, tmp_path_factory):
    from homesim.generators.compose import credentials_env
    from homesim.home import home_from_dict, read_home_file

    home = home_from_dict(read_home_file(ROOT / "examples" / "home.yaml"))
    env = dict(line.split("=", 1) for line in credentials_env(home).splitlines() if line and not line.startswith("#"))
    project = f"hs{uuid.uuid4().hex[:6]}"
    from homesim.bus.router import free_port

    environment = {**os.environ, **env, "HOMESIM_SPEED": str(SPEED), "HOMESIM_UI_PORT": str(free_port()),
                   "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    # the file without the registry's images: the recorder on SQLite in a volume instead of PostgreSQL
    document = yaml.safe_load(COMPOSE.read_text())
    for name in REGISTRY_SERVICES:
        document["services"].pop(name)
    recorder = document["services"]["recorder"]
    recorder["environment"]["HOMESIM_DB"] = "/var/lib/homesim/ledger.sqlite"
    recorder["volumes"].append("recorder-data:/var/lib/homesim")
    recorder["depends_on"].pop("postgres")
    document["volumes"]["recorder-data"] = {}
    variant = ROOT / f".compose-test-{project}.yml"  # next to the original: its relative paths hold
    variant.write_text(yaml.safe_dump(document, sort_keys=False))
    ours = list(document["services"])
    command = ["podman-compose", "-f", str(variant), "-p", project]
    started = time.monotonic()
    try:
        up = subprocess.run(command + ["up", "-d", *ours], capture_output=True, text=True, env=environment,
                            cwd=ROOT, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield {"project": project, "port": environment["HOMESIM_UI_PORT"], "services": ours}
    finally:
        subprocess.run(command + ["down", "-v"], capture_output=True, env=environment, cwd=ROOT, timeout=600)
        variant.unlink(missing_ok=True)
        print(f"compose home: up and down in {time.monotonic() - started:.0f} s")


def test_the_reference_home_runs_in_compose(compose_home):
    project = compose_home["project"]
    containers = {name: f"{project}_{name}_1" for name in compose_home["services"]}
    for container in containers.values():  # each image's HEALTHCHECK: metrics up, on the bus
        wait_until_healthy(container, timeout_s=240)
    for name, container in containers.items():  # and none has stopped since
        state = json.loads(podman("inspect", container))[0]["State"]
        assert state["Running"], f"{name} is not running: {podman('logs', '--tail', '30', container, check=False)}"

    rows = wait_for_ticks(containers["recorder"], TICKS)
    assert [r["tick"] for r in rows] == list(range(rows[0]["tick"], rows[0]["tick"] + len(rows)))
    assert all(sum(r["e"].values()) == r["loss_j"] for r in rows)
    assert rows[-1]["missing"] == [] and rows[-1]["soc"] is not None

    served = re.search(ENERGY_OUT, metrics_of(containers["device-base-load"]))
    assert served and float(served.group(1)) > 0
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{compose_home['port']}/", timeout=5) as response:
        assert "<app-root" in response.read().decode()  # published on loopback, as the file says
