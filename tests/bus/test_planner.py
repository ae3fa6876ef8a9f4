"""The planner's ``plan.purchase`` on a live home: a bad request is refused naming the field, a
home without a finance section is refused naming ``finance`` and where to give it, and once
finance.yaml sits beside the home file the plan runs with progressive results; ``plan.optimize``
ranks the candidates as ``homesim.planning.optimize`` does in this process.""" 

from __future__ import annotations

import shutil

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions

from conftest import EXAMPLES
from live import LiveProcess

INVALID = "homesim.error.invalid_property"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    shutil.copy(EXAMPLES / "tiny.yaml", folder / "tiny.yaml")  # no finance: section, no finance.yaml beside it
    live = LiveProcess(folder / "tiny.yaml", folder / "up", "--speed", "5")
    client = live.client("operator")
    yield live, client, folder
    client.close()
    assert live.stop() == 0


def purchase(live, client, **kwargs):
    return client.call_within(300, f"home.{live.home_id}.plan.purchase", **kwargs)


@pytest.mark.parametrize("kwargs, field", [({"years": 0}, "years: 0 is not allowed"),
                                           ({"years": 41}, "years: 41 is not allowed"),
                                           ({"years": "ten"}, "years: 'ten' is not allowed"),
                                           ({"baseline": "today"}, "baseline: 'today' is not allowed")])
def test_a_bad_request_is_refused_naming_the_field(home, kwargs, field):
    live, client, _ = home
    with pytest.raises(ApplicationError) as error:
        purchase(live, client, **kwargs)
    assert error.value.error == INVALID
    assert field in error.value.args[0], error.value.args


def test_without_a_finance_section_the_plan_is_refused_naming_finance(home):
    live, client, folder = home
    with pytest.raises(ApplicationError) as error:
        purchase(live, client, years=1)
    assert error.value.error == INVALID
    message = error.value.args[0]
    assert message.startswith("finance: ") and "'finance:' section" in message, message
    assert str(folder / "finance.yaml") in message, message


def test_a_bad_finance_yaml_is_refused_naming_its_field(home):
    live, client, folder = home
    (folder / "finance.yaml").write_text("pv_per_kwp: -5\n")
    try:
        with pytest.raises(ApplicationError) as error:
            purchase(live, client, years=1)
    finally:
        (folder / "finance.yaml").unlink()
    assert error.value.error == INVALID
    assert "finance" in error.value.args[0] and "pv_per_kwp" in error.value.args[0], error.value.args


def test_with_finance_yaml_beside_the_home_the_plan_runs_and_reports_progress(home):
    live, client, folder = home
    (folder / "finance.yaml").write_text("pv_per_kwp: 9000\ninverter_per_kw: 4000\ninstallation: 5000\n"
                                         "analysis_years: 20\n")
    progress: list[tuple[int, int]] = []
    try:
        result = client._run(lambda: client.session.call(
            f"home.{live.home_id}.plan.purchase", years=1,
            options=CallOptions(on_progress=lambda done, total: progress.append((done, total)))), 300)
    finally:
        (folder / "finance.yaml").unlink()
    assert result["years"] == 1 and result["home"] == "Tiny home"
    assert [r["year"] for r in result["rows"]] == [0, 1]
    assert result["capital"]["pv"] == pytest.approx(9000 * result["size"]["pv_kwp"])
    assert result["totals"]["capital"] == pytest.approx(result["capital"]["total"])
    # each year reported as it is done (the home and its baseline settle side by side)
    assert progress and progress[-1] == (1, 1) and [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_plan_optimize_ranks_the_candidates_as_optimize_does_here(home):
    from homesim.planning import optimize, plan
    from homesim.home import load_home

    live, client, folder = home
    (folder / "finance.yaml").write_text("pv_per_kwp: 9000\nbattery_per_kwh: 5000\ninverter_per_kw: 4000\n"
                                         "installation: 5000\n")
    try:
        result = client.call_within(300, f"home.{live.home_id}.plan.optimize",
                                    vary={"pv.rated_power_w": [1000, 3000]}, years=1, budget=40_000)
        prices = plan.with_years(plan.load_finance(folder / "tiny.yaml")[0], 1)
        with pytest.raises(ApplicationError) as error:
            client.call_within(60, f"home.{live.home_id}.plan.optimize", vary={"pv.rated_power_w": [0]}, years=1)
    finally:
        (folder / "finance.yaml").unlink()
    here = optimize.optimize(load_home(folder / "tiny.yaml"), prices, [("pv.rated_power_w", [1000, 3000])],
                             budget=40_000, home_dir=folder, workers=1)
    assert result["rows"] == here["rows"] and result["best"] == here["best"]
    assert result["evaluated"] == 2 and result["method"] == "grid"
    assert [r["feasible"] for r in result["rows"]] == [r["capital"] <= 40_000 for r in result["rows"]]
    assert error.value.error == INVALID and "rated_power_w" in error.value.args[0]
