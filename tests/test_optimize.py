"""homesim optimize: candidates planned against one baseline, ranked, searched beyond a grid."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from homesim.planning import optimize, plan
from homesim.errors import BadInput
from homesim.home import HomeFileError, load_home, with_changes

from conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def reference():
    return load_home(EXAMPLES / "home.yaml")


@pytest.fixture(scope="module")
def prices():
    return plan.with_years(plan.load_finance(EXAMPLES / "home.yaml")[0], 2)


def test_a_range_gives_every_step_from_start_to_end():
    assert optimize.parse_range("battery.capacity_kwh=0:20:2.5") == (
        "battery.capacity_kwh", [0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 17.5, 20.0])
    assert optimize.parse_range("pv_east.modules=4:12") == ("pv_east.modules", list(range(4, 13)))
    assert optimize.parse_range("battery.capacity_kwh=0.1:0.35:0.05")[1] == [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
    assert optimize.parse_range("inverter.work_mode=zero_export,selling_first") == (
        "inverter.work_mode", ["zero_export", "selling_first"])


@pytest.mark.parametrize("spec, message", [
    ("battery.capacity_kwh=5:1", "end 1 is not allowed: must be >= the start 5"),
    ("battery.capacity_kwh=0:10:0", "step 0 is not allowed: must be > 0"),
    ("battery.capacity_kwh=a:10", "start, end and step must be numbers"),
    ("battery.capacity_kwh=0:1:2:3", "must be <device_id>.<property>=<start>:<end>[:<step>]"),
    ("battery.capacity_kwh=0:100000", "100001 values is not allowed: must be <= 1000"),
])
def test_a_bad_range_is_named(spec, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace("[", r"\[")):
        optimize.parse_range(spec)


def _row(npv, payback=None, capital=100.0, coverage=1.0):
    return {"npv": npv, "simple_payback_years": payback, "capital": capital, "outage_coverage": coverage}


def test_a_candidate_breaking_a_constraint_ranks_after_every_one_keeping_them():
    for score in (optimize.rank, optimize.score):
        _ranks(score)


def _ranks(score):
    cheap, dear = _row(10.0, capital=100.0), _row(1e9, capital=1e6)
    assert score(dear, "npv") < score(cheap, "npv")
    assert score(cheap, "npv", budget=1000) < score(dear, "npv", budget=1000)
    weak = _row(1e9, coverage=0.5)
    assert score(cheap, "npv", min_outage_coverage=0.9) < score(weak, "npv", min_outage_coverage=0.9)
    # never paying back ranks after any payback; among those that never do, by NPV
    assert score(_row(-1e6, payback=19.0), "payback") < score(_row(5.0), "payback")
    assert score(_row(5.0), "payback") < score(_row(4.0), "payback")
    # equal coverage: the better NPV first
    assert score(_row(5.0), "outage_coverage") < score(_row(4.0), "outage_coverage")


def test_every_candidate_of_a_small_space_is_planned_and_ranked(reference, prices):
    result = optimize.optimize(reference, prices, [("battery.capacity_kwh", [5.0, 10.24, 15.0])], "npv",
                               home_dir=EXAMPLES, days=2, workers=2)
    assert result["method"] == "grid" and result["evaluated"] == result["space"] == 3
    npvs = [r["npv"] for r in result["rows"]]
    assert npvs == sorted(npvs, reverse=True) and result["best"] == result["rows"][0]
    # a candidate's row is its own plan against the same baseline
    alone = plan.plan(with_changes(reference, {"battery.capacity_kwh": 15.0}, EXAMPLES), prices, home_dir=EXAMPLES,
                      days=2)
    row = next(r for r in result["rows"] if r["battery.capacity_kwh"] == 15.0)
    assert row["npv"] == pytest.approx(alone.totals["npv"], rel=1e-12)
    assert row["capital"] == alone.totals["capital"]


def test_a_budget_leaves_out_what_costs_more(reference, prices):
    result = optimize.optimize(reference, prices, [("battery.capacity_kwh", [5.0, 15.0])], "outage_coverage",
                               budget=130_000, home_dir=EXAMPLES, days=2, workers=1)
    assert [r["feasible"] for r in result["rows"]] == [r["capital"] <= 130_000 for r in result["rows"]]
    assert result["best"]["capital"] <= 130_000
    nothing = optimize.optimize(reference, prices, [("battery.capacity_kwh", [5.0])], "npv", budget=1.0,
                                home_dir=EXAMPLES, days=2, workers=1)
    assert nothing["best"] is None and nothing["rows"][0]["feasible"] is False


def test_differential_evolution_finds_the_grids_best_with_fewer_candidates(reference, prices):
    one_day = plan.with_years(prices, 1)
    varies = [("battery.capacity_kwh", [2.0 + 2 * k for k in range(10)]), ("pv_east.modules", list(range(2, 11)))]
    grid = optimize.optimize(reference, one_day, varies, "npv", home_dir=EXAMPLES, days=1, max_evaluations=90)
    searched = optimize.optimize(reference, one_day, varies, "npv", home_dir=EXAMPLES, days=1, max_evaluations=40)
    assert grid["method"] == "grid" and grid["evaluated"] == 90
    assert searched["method"] == "differential_evolution" and searched["evaluated"] <= 40
    assert searched["best"]["npv"] == pytest.approx(grid["best"]["npv"], rel=1e-12)


def test_a_bad_value_of_a_range_is_named_before_any_simulation(reference, prices):
    with pytest.raises(HomeFileError, match=r"--vary battery.capacity_kwh=0: .*capacity_kwh"):
        optimize.optimize(reference, prices, [("battery.capacity_kwh", [0, 5])], home_dir=EXAMPLES, days=1)


def _homesim(*args):
    return subprocess.run([sys.executable, "-m", "homesim", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "services"), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("args, message", [
    (["--vary", "battery.capacity_kwh=9:1"], "end 1 is not allowed"),
    (["--vary", "battery.capacity_kwh=5:10", "--objective", "irr"], "invalid choice: 'irr'"),
    (["--vary", "battery.capacity_kwh=5:10", "--min-outage-coverage", "1.5"], "must be a share 0..1"),
    (["--vary", "nosuch.capacity_kwh=5:10"], "no device 'nosuch'"),
])
def test_bad_optimize_options_are_named(args, message, tmp_path):
    done = _homesim("optimize", str(EXAMPLES / "home.yaml"), "--out", str(tmp_path), *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_homesim_optimize_recommends_and_writes_its_table_and_chart(tmp_path):
    done = _homesim("optimize", str(EXAMPLES / "home.yaml"), "--vary", "battery.capacity_kwh=5:10:5", "--years", "1",
                    "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "optimize.json").read_text())
    best = result["best"]
    assert f"recommended: battery.capacity_kwh={best['battery.capacity_kwh']}" in done.stdout
    assert (tmp_path / "optimize.csv").read_text().splitlines()[0].startswith("battery.capacity_kwh,capital,npv")
    assert (tmp_path / "optimize.png").read_bytes()[:4] == b"\x89PNG"
