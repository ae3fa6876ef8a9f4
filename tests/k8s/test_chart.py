"""The Helm chart, rendered offline with Helm's own library (helm-python-sdk): lint and
template every scenario under charts/home/ci/, validate every built-in object against the real
Kubernetes schemas (kubernetes-validate --strict), every Device against the CRD's own schema,
and refuse bad values through the generated values.schema.json."""

from __future__ import annotations

import copy
import json
import subprocess

import jsonschema
import pytest
import yaml

from conftest import ROOT

helm = pytest.importorskip("helm_python")  # a test dependency: missing means `make test` was not used

CHART = ROOT / "charts" / "home"
SCENARIOS = sorted(CHART.glob("ci/*-values.yaml"))
CUSTOM_KINDS = {"Device", "PodMonitor"}


def render(values: dict) -> list[dict]:
    chart = helm.Chart.load(CHART)
    rendered = chart.render(values, name="home", namespace="home", is_install=True)
    return [doc for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt")
            for doc in yaml.safe_load_all(text) if doc]


def values_of(path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def crd_spec_validator() -> jsonschema.Draft4Validator:
    """The CRD's structural schema as JSON Schema draft 4 (boolean exclusiveMinimum; nullable);
    validate ``{"spec": ...}`` with it (apiVersion, kind, metadata are the API server's)."""
    crd = yaml.safe_load((CHART / "crds" / "device.yaml").read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]

    def convert(node):
        if isinstance(node, dict):
            out = {k: convert(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
            if node.get("nullable") and "type" in out:
                out["type"] = [out["type"], "null"]
                out.pop("nullable")
            if "properties" in out and "additionalProperties" not in out \
                    and not node.get("x-kubernetes-preserve-unknown-fields"):
                out["additionalProperties"] = False  # the API server prunes unknown fields: refuse them here
            return out
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    return jsonschema.Draft4Validator(convert(schema))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_lint_and_template_every_scenario(scenario, tmp_path):
    values = values_of(scenario)
    lint = helm.lint(CHART, values, strict=True)
    assert lint["errors"] == [], lint
    docs = render(values)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "Device"} <= kinds
    builtin = [d for d in docs if d["kind"] not in CUSTOM_KINDS]
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(builtin))
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict", "-k", "1.32", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    validator = crd_spec_validator()
    devices = [d for d in docs if d["kind"] == "Device"]
    assert len(devices) == len(values.get("devices", values_of(CHART / "values.yaml")["devices"]))
    for device in devices:
        errors = sorted(validator.iter_errors({"spec": device["spec"]}), key=str)
        assert not errors, f"{device['metadata']['name']}: {errors[0].message}"
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        labels = deployment["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "home" and labels["app.kubernetes.io/name"] == "homesim"


def test_a_device_switched_off_in_values_is_disabled():
    docs = render(values_of(CHART / "ci" / "reference-home-values.yaml"))
    devices = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Device"}
    assert devices["oven"]["enabled"] is False and devices["tv"]["enabled"] is True
    assert devices["pv-east"]["pv_array"]["modules"] == 5


def test_the_crd_schema_refuses_a_bad_device():
    validator = crd_spec_validator()
    good = {"apiVersion": "homesim.io/v1alpha1", "kind": "Device", "metadata": {"name": "b"},
            "spec": {"kind": "battery", "enabled": True, "battery": {"capacity_kwh": 10}}}
    assert not list(validator.iter_errors({"spec": good["spec"]}))
    bad = copy.deepcopy(good)
    bad["spec"]["battery"]["capacity_kwh"] = 0
    assert any("capacity_kwh" in list(e.path) for e in validator.iter_errors({"spec": bad["spec"]}))
    unknown = copy.deepcopy(good)
    unknown["spec"]["battery"]["colour"] = "red"
    assert list(validator.iter_errors({"spec": unknown["spec"]}))


def test_bad_values_are_refused_by_the_values_schema():
    chart = helm.Chart.load(CHART)
    values = values_of(CHART / "ci" / "reference-home-values.yaml")
    chart.validate_schema(values)
    values["devices"][2]["capacity_kwh"] = -5
    with pytest.raises(helm.HelmValuesError) as refused:
        chart.validate_schema(values)
    assert "capacity_kwh" in str(refused.value)
    with pytest.raises(helm.HelmValuesError) as refused:
        chart.validate_schema({"home": {"currency": "rands"}})
    assert "currency" in str(refused.value)


def test_a_device_in_a_cluster_takes_its_own_properties_from_its_config(tmp_path, monkeypatch):
    """The operator mounts a Device's properties as device.yaml; the device process reads them
    over the home file's entry (HOMESIM_DEVICE_CONFIG)."""
    from homesim.live import load_live_home

    overlay = tmp_path / "device.yaml"
    overlay.write_text(yaml.safe_dump({"id": "load", "kind": "generic_load", "power_w": 750}))
    monkeypatch.setenv("HOMESIM_DEVICE_CONFIG", str(overlay))
    home = load_live_home(ROOT / "examples" / "tiny.yaml")
    assert home.device("load").power_w == 750
    overlay.write_text("{not yaml: [")
    from homesim.home import HomeFileError

    with pytest.raises(HomeFileError):
        load_live_home(ROOT / "examples" / "tiny.yaml")


def test_only_the_operator_and_the_controller_can_use_the_kubernetes_api():
    """Least privilege: the operator owns the devices' objects, the controller edits Device
    objects and nothing else, every other pod runs without a service account token."""
    docs = render(values_of(CHART / "values.yaml"))
    rules = {d["metadata"]["name"]: d["rules"] for d in docs if d["kind"] == "Role"}
    assert set(rules) == {"home-operator", "home-controller"}
    assert rules["home-controller"] == [{"apiGroups": ["homesim.io"], "resources": ["devices"],
                                         "verbs": ["get", "list", "watch", "create", "patch", "delete"]}]
    operator_resources = {r for rule in rules["home-operator"] for r in rule["resources"]}
    assert operator_resources == {"devices", "devices/status", "deployments", "configmaps", "secrets", "services",
                                  "events"}
    for rule in rules.values():
        for verbs in (r["verbs"] for r in rule):
            assert "*" not in verbs and "escalate" not in verbs and "bind" not in verbs
    bindings = {d["metadata"]["name"]: (d["roleRef"]["name"], d["subjects"][0]["name"])
                for d in docs if d["kind"] == "RoleBinding"}
    assert bindings == {"home-operator": ("home-operator", "home-operator"),
                        "home-controller": ("home-controller", "home-controller")}
    pods = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"}
    assert pods["home-controller"]["serviceAccountName"] == "home-controller"
    controller_env = {e["name"]: e for e in pods["home-controller"]["containers"][0]["env"]}
    assert controller_env["HOMESIM_CONTROLLER_BACKEND"]["value"] == "kubernetes"
    for name, pod in pods.items():
        if name not in ("home-operator", "home-controller"):
            assert pod.get("automountServiceAccountToken") is False, name
            assert "serviceAccountName" not in pod, name


def test_the_network_policy_covers_the_devices_the_operator_makes():
    from homesim.k8s import manifests

    docs = render(values_of(CHART / "values.yaml"))
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    operator = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "home-operator")
    env = {e["name"]: e["value"] for e in operator["spec"]["template"]["spec"]["containers"][0]["env"] if "value" in e}
    device = manifests.objects("oven", "home", {"kind": "oven", "enabled": True}, manifests.settings_from(env), "t")[2]
    pod_labels = device["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_the_recorder_on_an_external_postgresql_and_grafanas_data_source_of_it():
    """recorder.postgresUrl: the recorder reads the URL from a Secret, Grafana gets the same
    database (host, database, user, password, sslmode) as the homeowner dashboard's data
    source, and the homeowner dashboard ships; without it, SQLite and no homeowner dashboard."""
    url = "postgresql://homesim:s3cret-Pw_1@db.example:5432/homes?sslmode=require"
    docs = render({"recorder": {"postgresUrl": url}})
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    assert secrets["home-recorder-db"]["stringData"]["url"] == url
    recorder = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("recorder"))
    env = {e["name"]: e for e in recorder["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HOMESIM_DB"]["valueFrom"]["secretKeyRef"] == {"name": "home-recorder-db", "key": "url"}
    datasource_secret = secrets["home-grafana-datasource"]
    assert datasource_secret["metadata"]["labels"]["grafana_datasource"] == "1"
    (datasource,) = yaml.safe_load(datasource_secret["stringData"]["homesim-recorder.yaml"])["datasources"]
    dashboard = json.loads((CHART / "dashboards" / "homeowner.json").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {datasource["uid"]}
    assert {p["datasource"]["type"] for p in dashboard["panels"]} == {datasource["type"]}
    assert (datasource["url"], datasource["user"], datasource["secureJsonData"]["password"]) == \
        ("db.example:5432", "homesim", "s3cret-Pw_1")
    assert datasource["jsonData"]["database"] == "homes" and datasource["jsonData"]["sslmode"] == "require"
    dashboards = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "home-dashboards")
    assert "homeowner.json" in dashboards["data"]

    plain = render({})
    names = {d["metadata"]["name"] for d in plain if d["kind"] == "Secret"}
    assert "home-recorder-db" not in names and "home-grafana-datasource" not in names
    recorder = next(d for d in plain if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("recorder"))
    env = {e["name"]: e for e in recorder["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HOMESIM_DB"]["value"] == "/var/lib/homesim/ledger.sqlite"
    dashboards = next(d for d in plain if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "home-dashboards")
    assert "homeowner.json" not in dashboards["data"] and "home-overview.json" in dashboards["data"]


def test_devices_run_the_light_device_image_and_the_services_the_full_one():
    """The operator makes device Deployments from ``deviceImage`` (no numba, pandas or SciPy);
    the services, the operator and a sweep's workers run ``image``; Compose says the same."""
    from homesim.generators.compose import compose_file
    from homesim.home import load_home
    from homesim.k8s import manifests

    docs = render(values_of(CHART / "values.yaml") | {"deviceImage": {"repository": "r/dev", "tag": "7"}})
    deployments = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]
                   for d in docs if d["kind"] == "Deployment"}
    operator = deployments["home-operator"]
    env = {e["name"]: e["value"] for e in operator["env"] if "value" in e}
    assert manifests.settings_from(env).image == "r/dev:7"
    assert operator["image"] == "homesim:0.1.0"
    assert {name: c["image"] for name, c in deployments.items() if "homesim.bus.services" in c["args"]} == {
        f"home-{s}": "homesim:0.1.0" for s in ("authorizer", "clock", "recorder", "watcher", "controller", "planner")}
    assert manifests.Settings().image.startswith("homesim-device:")
    services = compose_file(load_home(ROOT / "examples" / "home.yaml"), "examples/home.yaml")["services"]
    images = {name: s["image"].split(":")[0] for name, s in services.items()}
    assert {images[n] for n, s in services.items() if "homesim.bus.device" in s.get("command", [])} == {"homesim-device"}
    assert {images[n] for n, s in services.items() if "homesim.bus.services" in s.get("command", [])} == {"homesim"}
