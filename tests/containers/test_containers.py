"""Containers for real: build the images with podman (``infra/docker/build.py``), then run a
small home from the manifests a cluster would get (``podman kube play``): the chart's router
and services, the operator's device Deployments. Its settlements balance, its metrics are
served, every container passes its image's HEALTHCHECK, the router serves the UI.

Run with ``make test-containers`` (needs root, podman, runc, catatonit, debootstrap; about
4 minutes from nothing, 2 with the images' base and wheels cached). ``make test`` runs it
too when podman is installed.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid

import pytest

from podman_home import (ENERGY_OUT, VERSION, PodmanHome, device_manifests, images, metrics_of, podman,  # noqa: F401
                         render_chart, wait_for_ticks)

SPEED = 10  # ticks per wall second
#: Settled ticks to wait for (25 s at SPEED on a quiet machine).
TICKS = 83


@pytest.fixture(scope="module")
def home(images, tmp_path_factory):
    values = {"clock": {"speed": str(SPEED)},
              "image": {"repository": "localhost/homesim", "tag": VERSION},
              "deviceImage": {"repository": "localhost/homesim-device", "tag": VERSION},
              "routerImage": {"repository": "localhost/homesim-router", "tag": VERSION}}
    chart = render_chart(values)
    objects = [d for d in chart if d["kind"] in ("Deployment", "ConfigMap", "Secret")] + device_manifests(chart)
    running = PodmanHome(objects, tmp_path_factory.mktemp("kube"), f"homesim-test-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    try:
        running.up(router_service="home-router")
        yield running
    finally:
        running.down()
        print(f"home in containers: up and down in {time.monotonic() - started:.0f} s")


def test_images_run_as_non_root_with_a_healthcheck_and_hold_no_secret(images):
    for image in images.values():
        info = json.loads(podman("image", "inspect", image))[0]
        assert info["Config"]["User"].split(":")[0] == "10001", image
        assert info["Healthcheck"]["Test"][:4] == ["CMD", "python", "-m", "homesim.health"], image
        env = dict(item.split("=", 1) for item in info["Config"]["Env"])
        assert not [k for k in env if re.search(r"KEY|TICKET|SECRET|PASSWORD", k)], env
        # no key files, node configurations or credentials anywhere in the image's file system
        # (crossbar's `crossbar init` template is a sample configuration without credentials)
        found = podman("run", "--rm", "--user", "0", "--entrypoint", "", image, "find", "/", "-xdev",
                       "-path", "*/crossbar/node/templates", "-prune", "-o", "(", "-name", "*.priv", "-o",
                       "-name", "key.pub", "-o", "-name", "credentials.json", "-o", "-name", ".env", "-o", "-path",
                       "*/.crossbar/*", ")", "-print")
        assert found.strip() == "", found


def test_the_device_image_holds_no_engine_but_every_kind_the_sun_and_the_weather_files(images):
    """``homesim-device``: numpy, pydantic, autobahn; no numba, pandas, SciPy, pyarrow,
    matplotlib, psycopg or kopf (the services' and the engine's), yet every kind's module
    imports and pvlib's SPA module and weather files are there (pvlib's package itself would
    not import: it loads pandas)."""
    script = ("import importlib, importlib.util as u, homesim.devices as d, homesim.bus.device\n"
              "from homesim.devices.solar_geometry import pvlib_spa\n"
              "from homesim.devices.weather import read_named_weather_file, Config\n"
              "pvlib_spa()\n"
              "w = Config(id='w', kind='weather', model='file', file='pvlib:723170TYA.CSV')\n"
              "print(read_named_weather_file(w.file, w.resolved_file())[1].shape[0])\n"
              "print(sorted(m for m in ('numba', 'pandas', 'scipy', 'pyarrow', 'matplotlib', 'psycopg', 'kopf',\n"
              "                          'click') if u.find_spec(m)))\n")
    out = podman("run", "--rm", images["device"], "python", "-c", script).split()
    assert out == ["5", "[]"], out


def test_a_home_from_its_manifests_settles_records_and_serves_metrics(home):
    containers = {d["metadata"]["name"]: home.container_of(d["metadata"]["name"]) for d in home.deployments}
    assert {"device-pv", "device-load", "device-grid", "device-inverter", "device-sun", "device-weather",
            "home-recorder", "home-clock", "home-authorizer"} <= set(containers)
    for container in containers.values():  # every image's HEALTHCHECK passes: metrics up, on the bus
        home.wait_until_healthy(container)
    rows = wait_for_ticks(containers["home-recorder"], TICKS)
    assert [r["tick"] for r in rows] == list(range(rows[0]["tick"], rows[0]["tick"] + len(rows)))
    for row in rows:
        assert sum(row["e"].values()) == row["loss_j"], row
    last = rows[-1]
    assert last["missing"] == [] and {"pv", "load", "grid"} <= set(last["e"])
    assert last["e"]["load"] == -200 * last["dt_s"]  # a 200 W load for one tick, served

    load_metrics = metrics_of(containers["device-load"])
    served = re.search(ENERGY_OUT, load_metrics)
    assert served and float(served.group(1)) > 0, load_metrics[:2000]
    from homesim.k8s.manifests import energy_status  # what the operator writes as status.lastEnergy

    status = energy_status(load_metrics, "load")
    assert status["powerW"] == -200.0 and status["energyOutJ"] > 0 and status["tick"] > 0, status
    settled = re.search(r"homesim_settled_ticks_total\{[^}]*\} ([0-9.e+]+)", metrics_of(containers["device-inverter"]))
    assert settled and float(settled.group(1)) >= len(rows) - SPEED * 2

    with urllib.request.urlopen(f"http://{home.router_ip}:8080/", timeout=5) as response:
        assert "<app-root" in response.read().decode()  # the UI, from the router image
