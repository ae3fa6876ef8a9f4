"""After ``homesim import``: the calibrated home replays the measured period with ``homesim
simulate``, and ``homesim plan --set`` prices a change to it (a bigger battery) against the home
as it is."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES
from homesim.cli import main

CAPE_TOWN = "-33.93,18.47,Africa/Johannesburg"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from homesim.history import render
    from homesim.history.synthetic import synthetic_history

    folder = tmp_path_factory.mktemp("own")
    made = synthetic_history(5, days=3)
    wide = render.write_wide(made.history, folder / "wide.csv")
    assert main(["import", str(wide.path), "--location", CAPE_TOWN, "--out", str(folder / "home")]) == 0
    return folder / "home", made


def test_simulate_replays_the_measured_period(imported, tmp_path, capsys):
    home, made = imported
    capsys.readouterr()
    assert main(["simulate", str(home / "home.yaml"), "--days", "3", "--out", str(tmp_path), "--no-plots"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    measured_load_kwh = float(made.history.values["load_w"].sum()) * 60 / 3.6e6
    assert summary["energy_kwh"]["load"] == pytest.approx(measured_load_kwh, rel=0.01)
    assert summary["start"].startswith("2026-01-05T00:00:00")


def test_plan_with_a_bigger_battery_against_the_home_as_it_is(imported, tmp_path, capsys):
    home, made = imported
    import yaml

    data = yaml.safe_load((home / "home.yaml").read_text())
    fitted = next(d for d in data["devices"] if d["kind"] == "battery")["capacity_kwh"]
    bigger = round(fitted + 5, 2)
    capsys.readouterr()
    code = main(["plan", str(home / "home.yaml"), "--set", f"battery.capacity_kwh={bigger}", "--baseline",
                 str(home / "home.yaml"), "--finance", str(EXAMPLES / "finance.yaml"), "--years", "2",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"(battery.capacity_kwh={bigger})" in out
    capital = json.loads((tmp_path / "plan.json").read_text())["capital"]
    per_kwh = yaml.safe_load((EXAMPLES / "finance.yaml").read_text())["battery_per_kwh"]
    assert capital["battery"] == pytest.approx((bigger - fitted) * per_kwh)  # only the kWh added are bought
    assert capital["pv"] == 0 and capital["inverter"] == 0


@pytest.mark.parametrize("spec, said", [("battery=15", "must be <device_id>.<property>=<value>"),
                                        ("battery.capacity_kwh=", "must be <device_id>.<property>=<value>"),
                                        ("nosuch.capacity_kwh=5", "no device 'nosuch'"),
                                        ("battery.capacity_kwh=-5", "capacity_kwh")])
def test_a_bad_set_is_named(spec, said, tmp_path, capsys):
    code = main(["plan", str(EXAMPLES / "home.yaml"), "--set", spec, "--out", str(tmp_path / "plan")])
    err = capsys.readouterr().err
    assert code == 2 and said in err, err
    assert not (tmp_path / "plan").exists()
