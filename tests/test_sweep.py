"""Sweeps in shards (homesim.planning.sweep): shards cover every variant once; shards run and stored in
a real PostgreSQL server (tests/pgserver.py) gather to the rows homesim.engine.compare makes
locally; a repeated shard changes nothing; missing variants are named; bad specs are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT
from homesim.planning import sweep
from homesim.engine import compare
from homesim.errors import BadInput
from homesim.home import load_home

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PostgresServer  # noqa: E402

DAYS = 2
VARIES = [("battery.capacity_kwh", [5, 10.24, 15]), ("inverter.rated_power_w", [3000, 5000])]


@pytest.mark.parametrize("n,count", [(0, 1), (1, 1), (1, 3), (6, 1), (6, 2), (6, 4), (7, 3), (10, 10), (13, 5)])
def test_shards_cover_every_variant_exactly_once(n, count):
    taken = [i for index in range(count) for i in sweep.shard(n, index, count)]
    assert sorted(taken) == list(range(n))
    assert all(i % count == index for index in range(count) for i in sweep.shard(n, index, count))


@pytest.mark.parametrize("index,count", [(-1, 2), (2, 2), (0, 0), (0, -1), (True, 2), (0, 1.5)])
def test_a_bad_shard_is_refused_naming_index_or_count(index, count):
    with pytest.raises(BadInput, match="shard (index|count)"):
        sweep.shard(5, index, count)


def reference_spec(sweep_id: str) -> dict:
    path = EXAMPLES / "home.yaml"
    home = load_home(path)
    changes = [c for c, _ in compare.variants(home, VARIES, path.parent)]
    return {"id": sweep_id, "kind": "compare", "home": home.model_dump(mode="json"), "home_dir": str(path.parent),
            "variants": changes, "options": sweep.compare_options(DAYS)}


@pytest.fixture(scope="module")
def local_rows():
    path = EXAMPLES / "home.yaml"
    return compare.compare(load_home(path), VARIES, DAYS, workers=2, home_dir=path.parent)


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    yield server
    server.stop()


def test_shards_stored_in_postgresql_gather_to_the_local_rows_and_a_retry_is_harmless(postgres, local_rows):
    db = sweep.connect(postgres.database("sweep_gather"))
    spec = reference_spec("ref-test")
    sweep.create(db, spec)
    count = 3
    with pytest.raises(sweep.SweepIncomplete) as incomplete:
        sweep.gather(db, "ref-test")
    assert incomplete.value.missing == list(range(6))
    assert "6 of 6 variants have no result yet" in str(incomplete.value)

    done = sweep.work(db, "ref-test", 0, count)
    assert done == [0, 3]
    with pytest.raises(sweep.SweepIncomplete) as incomplete:
        sweep.gather(db, "ref-test")
    assert incomplete.value.missing == [1, 2, 4, 5]
    message = str(incomplete.value)
    assert "4 of 6 variants" in message and "#1 (battery.capacity_kwh=5, inverter.rated_power_w=5000)" in message
    for index in (1, 2):
        sweep.work(db, "ref-test", index, count)
    gathered = sweep.gather(db, "ref-test")
    assert gathered == local_rows  # equal: floats through jsonb and back, ints stay ints
    assert [list(r) for r in gathered] == [list(r) for r in local_rows]  # and the columns in compare's order

    # a retried pod (shard 1 again) stores the same rows once more: nothing changes
    before = db.execute('SELECT variant_index, "row" FROM sweep_results ORDER BY 1').fetchall()
    assert sweep.run_shard(spec, 1, count) == [(1, local_rows[1]), (4, local_rows[4])]
    sweep.work(db, "ref-test", 1, count)
    after = db.execute('SELECT variant_index, "row" FROM sweep_results ORDER BY 1').fetchall()
    assert after == before and len(after) == 6
    assert sweep.gather(db, "ref-test") == local_rows

    with pytest.raises(BadInput, match="already exists"):
        sweep.create(db, spec)
    with pytest.raises(BadInput, match="'nope': no such sweep.*ref-test"):
        sweep.gather(db, "nope")


def test_files_the_home_names_travel_with_the_spec(tmp_path, local_rows):
    """A worker elsewhere has no home folder: the load-shedding files ride in the spec."""
    spec = reference_spec("ref-files")
    spec["files"] = sweep.files_of(spec["home"], spec["variants"], EXAMPLES)
    assert set(spec["files"]) == {"loadshedding/area_schedule.csv", "loadshedding/stage_timeline.csv"}
    spec["home_dir"] = str(tmp_path / "nowhere")
    assert sweep.run_shard(spec, 0, 6) == [(0, local_rows[0])]


def test_a_bad_spec_is_refused_naming_every_field():
    spec = reference_spec("ok")
    sweep.check_spec(spec)
    bad = {**spec, "id": "Not OK!", "kind": "nosuch", "variants": [{"battery": 5}, 3],
           "options": {"days": -1, "dt_s": 0, "start": "2026-02-30", "seed": True, "colour": 1}, "extra": 1}
    with pytest.raises(BadInput) as refused:
        sweep.check_spec(bad)
    text = str(refused.value)
    for field in ("extra: unknown field", "id: 'Not OK!'", "kind: 'nosuch'", "variants[0]: 'battery'", "variants[1]"):
        assert field in text, (field, text)
    bad["kind"] = "compare"
    with pytest.raises(BadInput) as refused:
        sweep.check_spec(bad)
    text = str(refused.value)
    for field in ("options.days", "options.dt_s", "options.start", "options.seed", "options.colour"):
        assert field in text, (field, text)
    with pytest.raises(BadInput, match="must be a mapping"):
        sweep.check_spec([1])


def test_another_module_adds_a_kind():
    calls = []

    def evaluate(home, changes, options, home_dir):
        calls.append(changes)
        return {**changes, "n": options["n"]}

    sweep.register("test-kind", evaluate, lambda options: [] if options.get("n") else ["options.n: missing"])
    try:
        spec = {**reference_spec("kind"), "kind": "test-kind", "options": {"n": 2}}
        assert sweep.run_shard(spec, 1, 2) == [(i, {**spec["variants"][i], "n": 2}) for i in (1, 3, 5)]
        with pytest.raises(BadInput, match="options.n: missing"):
            sweep.check_spec({**spec, "options": {}})
    finally:
        sweep.EVALUATORS.pop("test-kind")
        sweep._KINDS.pop("test-kind")


def test_sweep_does_not_import_the_bus():
    code = "import sys, homesim.planning.sweep; sys.exit(any(m.startswith('homesim.bus') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT / "services")}).returncode == 0


def cli(*args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "homesim.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT / "services"), **(env or {})})


def test_the_commands_store_the_sweep_write_its_job_run_workers_and_gather(postgres, local_rows, tmp_path):
    """compare --kubernetes -> the spec in PostgreSQL and OUT/sweep-job.yaml; workers as a
    Job's pods run them (JOB_COMPLETION_INDEX, HOMESIM_SWEEP_COUNT, HOMESIM_DATABASE_URL);
    sweep-results prints and writes the rows compare writes locally."""
    import csv

    import yaml

    from homesim.k8s import manifests

    url = postgres.database("sweep_cli")
    varies = [f"--vary={key}={','.join(map(str, values))}" for key, values in VARIES]
    done = cli("compare", EXAMPLES / "home.yaml", *varies, "--days", DAYS, "--kubernetes", "--database", url,
               "--parallelism", 2, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    job = yaml.safe_load((tmp_path / "sweep-job.yaml").read_text())
    sweep_id = job["metadata"]["labels"]["homesim.io/sweep"]
    assert job == manifests.sweep_job(sweep_id, 2, 2)
    assert f"kubectl apply -f {tmp_path / 'sweep-job.yaml'}" in done.stdout
    assert f"homesim sweep-results --database '{url}' --sweep {sweep_id}" in done.stdout

    early = cli("sweep-results", "--database", url, "--sweep", sweep_id, "--out", tmp_path)
    assert early.returncode == 3 and "6 of 6 variants have no result yet: #0 (battery.capacity_kwh=5" in early.stderr
    env = {e["name"]: e.get("value", url) for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["homesim", "sweep-worker"]
    for index in range(job["spec"]["completions"]):
        worker = cli(*command[1:], env={**env, "JOB_COMPLETION_INDEX": str(index)})
        assert worker.returncode == 0, worker.stderr
    results = cli("sweep-results", "--database", url, "--sweep", sweep_id, "--out", tmp_path)
    assert results.returncode == 0, results.stderr
    assert results.stdout.startswith(compare.format_table(local_rows))
    with (tmp_path / "sweep.csv").open() as handle:
        assert list(csv.DictReader(handle)) == [{k: str(v) for k, v in r.items()} for r in local_rows]
    assert (tmp_path / "compare.png").stat().st_size > 0


@pytest.mark.parametrize("args,env,message", [
    (["sweep-worker", "--database", "postgresql://x@127.0.0.1:1/x", "--sweep", "s"], {}, "--index is missing (and JOB_COMPLETION_INDEX is not set)"),
    (["sweep-worker", "--database", "postgresql://x@127.0.0.1:1/x", "--sweep", "s"], {"JOB_COMPLETION_INDEX": "0"},
     "--count is missing (and HOMESIM_SWEEP_COUNT is not set)"),
    (["sweep-worker", "--database", "postgresql://x@127.0.0.1:1/x", "--sweep", "s"],
     {"JOB_COMPLETION_INDEX": "zero", "HOMESIM_SWEEP_COUNT": "2"}, "JOB_COMPLETION_INDEX 'zero' is not allowed"),
    (["sweep-worker", "--database", "postgresql://x@127.0.0.1:1/x", "--sweep", "s", "--index", "2", "--count", "2"], {},
     "--index 2 is not allowed: must be 0..1"),
    (["sweep-worker", "--sweep", "s", "--index", "0", "--count", "1"], {}, "--database is missing (and HOMESIM_DATABASE_URL"),
    (["sweep-worker", "--database", "mysql://x", "--sweep", "s", "--index", "0", "--count", "1"], {}, "--database 'mysql://x' is not allowed"),
    (["sweep-worker", "--database", "postgresql://x:pw@127.0.0.1:1/x", "--sweep", "s", "--index", "0", "--count", "1"], {},
     "--database postgresql://x:***@127.0.0.1:1/x: cannot connect"),
    (["sweep-results", "--database", "postgresql://x@127.0.0.1:1/x"], {}, "--sweep"),
    (["compare", EXAMPLES / "tiny.yaml", "--vary", "load.power_w=1,2", "--kubernetes"], {}, "--kubernetes needs --database"),
    (["compare", EXAMPLES / "tiny.yaml", "--vary", "load.power_w=1,2", "--database", "postgresql://x@h/d"], {},
     "--database is only for --kubernetes"),
    (["compare", EXAMPLES / "tiny.yaml", "--vary", "load.power_w=1,2", "--kubernetes", "--parallelism", "0"], {},
     "--parallelism: 0 is not allowed"),
    (["compare", EXAMPLES / "tiny.yaml", "--vary", "load.power_w=1,-2", "--kubernetes", "--database", "postgresql://x@h/d"], {},
     "variant load.power_w=-2"),
])
def test_bad_sweep_options_get_one_line_naming_them_and_exit_2(args, env, message, tmp_path):
    done = cli(*args, "--out", tmp_path / "o", env={"JOB_COMPLETION_INDEX": "", "HOMESIM_SWEEP_COUNT": "",
                                                     "HOMESIM_DATABASE_URL": "", **env}) \
        if args[0] != "sweep-worker" else cli(*args, env={"JOB_COMPLETION_INDEX": "", "HOMESIM_SWEEP_COUNT": "",
                                                           "HOMESIM_DATABASE_URL": "", **env})
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o" / "sweep-job.yaml").exists()


def test_optimize_on_kubernetes_gathers_the_candidates_optimize_ranks_here(postgres, tmp_path):
    """optimize --kubernetes stores every candidate as a sweep of kind "plan"; its pods plan them
    against the grid alone; sweep-results ranks them as optimize does locally."""
    import yaml

    from homesim.planning import optimize, plan

    url = postgres.database("sweep_optimize")
    done = cli("optimize", EXAMPLES / "home.yaml", "--vary", "battery.capacity_kwh=5:10:5", "--years", 1,
               "--objective", "npv", "--budget", 140_000, "--kubernetes", "--database", url, "--parallelism", 2,
               "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    job = yaml.safe_load((tmp_path / "sweep-job.yaml").read_text())
    sweep_id = job["metadata"]["labels"]["homesim.io/sweep"]
    env = {e["name"]: e.get("value", url) for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    for index in range(job["spec"]["completions"]):
        worker = cli(*command[1:], env={**env, "JOB_COMPLETION_INDEX": str(index)})
        assert worker.returncode == 0, worker.stderr
    results = cli("sweep-results", "--database", url, "--sweep", sweep_id, "--out", tmp_path)
    assert results.returncode == 0, results.stderr

    home = load_home(EXAMPLES / "home.yaml")
    prices = plan.with_years(plan.load_finance(EXAMPLES / "home.yaml")[0], 1)
    local = optimize.optimize(home, prices, [("battery.capacity_kwh", [5, 10])], "npv", budget=140_000,
                              home_dir=EXAMPLES, workers=1)
    db = sweep.connect(url)
    gathered = optimize.ranked(sweep.gather(db, sweep_id), sweep.load(db, sweep_id)["options"])
    assert gathered == local["rows"]
    best = local["best"]
    assert f"recommended: battery.capacity_kwh={best['battery.capacity_kwh']}" in results.stdout
    assert [r["feasible"] for r in gathered] == [r["capital"] <= 140_000 for r in gathered]
    assert (tmp_path / "optimize.png").stat().st_size > 0
