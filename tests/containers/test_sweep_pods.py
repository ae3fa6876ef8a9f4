"""A sweep's Indexed Job for real, as far as this machine goes: the homesim image (built by
infra/docker/build.py, as the other container tests build it) runs as k containers, each as
the Job's pod of index i would (the Job's command and environment from
homesim.k8s.manifests.sweep_job, JOB_COMPLETION_INDEX=i, the database URL the Secret would
hold, uid 10001, a read-only root file system with /tmp writable), against a real PostgreSQL
server (tests/pgserver.py). The gathered rows equal the local compare's.

Where podman stands in for a cluster, and says so: the containers use the host's network
(the test server listens on 127.0.0.1 only, as tests/pgserver.py makes it), the Secret's
value is passed as the environment variable it would fill, and the containers are started by
this test, not by a Job controller (no API server here: retries, parallelism and the TTL are
not exercised)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from conftest import EXAMPLES, ROOT
from podman_home import VERSION, podman

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PostgresServer  # noqa: E402

DAYS = 2
VARIES = [("battery.capacity_kwh", [5, 10.24, 15]), ("inverter.rated_power_w", [3000, 5000])]
SHARDS = 3


@pytest.fixture(scope="module")
def homesim_image() -> str:
    """The homesim image, built (or found up to date) by infra/docker/build.py."""
    subprocess.run([sys.executable, str(ROOT / "infra" / "docker" / "build.py"), "--only", "homesim"], check=True,
                   timeout=1800)
    return f"localhost/homesim:{VERSION}"


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    yield server
    server.stop()


def test_the_jobs_pods_in_containers_store_every_row_the_local_compare_makes(homesim_image, postgres, tmp_path):
    import yaml

    from homesim.planning import sweep
    from homesim.engine import compare
    from homesim.home import load_home

    url = postgres.database("sweep_pods")
    varies = [f"--vary={key}={','.join(map(str, values))}" for key, values in VARIES]
    stored = subprocess.run([sys.executable, "-m", "homesim.cli", "compare", str(EXAMPLES / "home.yaml"), *varies,
                             "--days", str(DAYS), "--kubernetes", "--database", url, "--shards", str(SHARDS),
                             "--image", homesim_image, "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert stored.returncode == 0, stored.stderr
    job = yaml.safe_load((tmp_path / "sweep-job.yaml").read_text())
    sweep_id = job["metadata"]["labels"]["homesim.io/sweep"]
    assert job["spec"]["completions"] == SHARDS
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    env["HOMESIM_DATABASE_URL"] = url  # what the Secret named in valueFrom would hold
    assert set(env) == {e["name"] for e in container["env"]}

    names = [f"sweep-{sweep_id}-{index}-{uuid.uuid4().hex[:5]}" for index in range(SHARDS)]
    started = time.monotonic()
    try:
        for index, name in enumerate(names):
            podman("run", "--detach", "--name", name, "--network", "host",
                   "--user", str(pod["securityContext"]["runAsUser"]), "--read-only", "--tmpfs", "/tmp:rw,mode=1777",
                   "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                   *[f"--env={k}={v}" for k, v in {**env, "JOB_COMPLETION_INDEX": str(index)}.items()],
                   "--entrypoint", container["command"][0], container["image"], *container["command"][1:])
        codes = [int(podman("wait", name, timeout=900).strip()) for name in names]
        logs = {name: podman("logs", name, check=False) for name in names}
    finally:
        for name in names:
            podman("rm", "--force", name, check=False)
    print(f"{SHARDS} sweep pods in containers: {time.monotonic() - started:.0f} s")
    assert codes == [0] * SHARDS, logs
    for index, name in enumerate(names):
        assert f"shard {index} of {SHARDS}: {len(sweep.shard(6, index, SHARDS))} variants done" in logs[name], logs[name]

    db = sweep.connect(url)
    gathered = sweep.gather(db, sweep_id)
    local = compare.compare(load_home(EXAMPLES / "home.yaml"), VARIES, DAYS, workers=2, home_dir=EXAMPLES)
    assert gathered == local
    assert [list(r) for r in gathered] == [list(r) for r in local]
