"""The sweep's Indexed Job: the chart's templates/sweep-job.yaml (values `sweep:`) renders the
Job homesim.k8s.manifests.sweep_job builds (what `homesim compare --kubernetes` writes), both
valid against the Kubernetes 1.32 schemas (kubernetes-validate --strict); the chart renders no
Job by default; bad sweep values are refused by values.schema.json naming the field."""

from __future__ import annotations

import copy
import subprocess

import pytest
import yaml

from conftest import ROOT
from test_chart import CHART, helm, render, values_of  # noqa: F401  (helm: skips without helm-python-sdk)

from homesim.k8s import manifests


def kubernetes_validate(docs: list[dict], tmp_path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict", "-k", "1.32", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_charts_sweep_job_is_the_one_manifests_builds_and_both_validate(tmp_path):
    values = values_of(CHART / "ci" / "sweep-values.yaml")
    (job,) = [d for d in render(values) if d["kind"] == "Job"]
    sweep = values["sweep"]
    built = manifests.sweep_job(sweep["id"], sweep["shards"], sweep["parallelism"], resources=sweep["resources"])
    kubernetes_validate([job, built], tmp_path)

    assert job["metadata"]["name"] == built["metadata"]["name"] == "sweep-home-3f9c2a1b"
    assert built["metadata"]["labels"].items() <= job["metadata"]["labels"].items()
    assert built["spec"]["template"]["metadata"]["labels"].items() <= job["spec"]["template"]["metadata"]["labels"].items()
    without_pod_labels = lambda j: {k: v for k, v in j["spec"].items() if k != "template"}  # noqa: E731
    assert without_pod_labels(job) == without_pod_labels(built)
    assert job["spec"]["template"]["spec"] == built["spec"]["template"]["spec"]
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 3, 2)
    assert spec["backoffLimitPerIndex"] == 2 and spec["template"]["spec"]["restartPolicy"] == "Never"
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"] == ["homesim", "sweep-worker", "--sweep", "home-3f9c2a1b"]
    env = {e["name"]: e for e in container["env"]}
    assert env["HOMESIM_SWEEP_COUNT"]["value"] == "3"
    assert env["HOMESIM_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "homesim-sweep-db", "key": "url"}
    assert container["image"] == "homesim:0.1.0"


def test_what_compare_kubernetes_writes_validates(tmp_path):
    """Defaults (no resources, one shard per variant up to the parallelism) validate too."""
    kubernetes_validate([manifests.sweep_job("tiny-0a1b2c3d", 1, 4), manifests.sweep_job("x", 12, 4, image="r/h:1")],
                        tmp_path)
    assert manifests.sweep_job("x", 2, 8)["spec"]["parallelism"] == 2


def test_no_job_by_default_and_bad_sweep_values_are_refused_naming_the_field():
    assert not [d for d in render(values_of(CHART / "values.yaml")) if d["kind"] == "Job"]
    chart = helm.Chart.load(CHART)
    good = values_of(CHART / "ci" / "sweep-values.yaml")
    chart.validate_schema(good)
    for path, bad, field in [(("shards",), 0, "shards"), (("parallelism",), "2", "parallelism"),
                             (("id",), "Not An Id", "id"), (("id",), "", "id"), (("colour",), "red", "colour"),
                             (("backoffLimitPerIndex",), -1, "backoffLimitPerIndex")]:
        values = copy.deepcopy(good)
        values["sweep"][path[0]] = bad
        with pytest.raises(helm.HelmValuesError) as refused:
            chart.validate_schema(values)
        assert field in str(refused.value), (field, str(refused.value))
