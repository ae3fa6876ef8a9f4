"""The calibration report's numbers (homesim.history.report) on cases whose answer is known:
a series against itself, a known bias, gaps, a clock change, other steps, the day choice."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from homesim.history import report
from homesim.history.report_text import daily_energy_errors
from homesim.history.series import QUANTITIES, History


def midnight(day: str, timezone: str) -> int:
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(timezone)).timestamp())


def home_like(days: int, step_s: int = 60, start: str = "2026-01-30", timezone: str = "Africa/Johannesburg",
              seed: int = 1) -> History:
    """A plausible history: PV a daytime bump, load with noise, the grid the rest, a battery."""
    rng = np.random.default_rng(seed)
    n = days * 86_400 // step_s
    t0 = midnight(start, timezone)
    hour = ((np.arange(n) * step_s) % 86_400) / 3600.0
    pv = np.clip(3000 * np.sin(np.pi * (hour - 6) / 12), 0, None)
    load = 400 + 300 * rng.random(n)
    battery = np.where(hour > 18, 300.0, np.where((hour > 9) & (hour < 15), -500.0, 0.0))
    net = load - pv - battery
    soc = np.clip(0.5 + 0.3 * np.sin(np.pi * hour / 24), 0, 1)
    values = {"pv_w": pv, "load_w": load, "grid_import_w": np.maximum(net, 0), "grid_export_w": np.maximum(-net, 0),
              "battery_w": battery, "soc": soc}
    return History(start_s=t0, step_s=step_s, timezone=timezone, values=values)


def copy(h: History) -> History:
    return History(h.start_s, h.step_s, h.timezone, {q: v.copy() for q, v in h.values.items()})


def test_a_history_against_itself_has_no_error_anywhere():
    h = home_like(5)
    r = report.compare(h, copy(h))
    assert set(r.quantities) == set(QUANTITIES)
    for q, by in r.errors.items():
        for resolution in ("hourly", "daily"):
            e = by[resolution]
            assert e["n"] == (5 * 24 if resolution == "hourly" else 5), (q, resolution)
            assert e["mae"] == e["rmse"] == e["bias"] == 0.0, (q, resolution)
    for row in r.days + r.months:
        for e in row["energy_kwh"].values():
            assert e["error"] == 0.0
    assert all(d["score"] == 0.0 for d in r.days)
    assert set(r.chosen) == {"typical", "best", "worst"} and all(r.chosen.values())


def test_a_constant_bias_is_measured_as_that_bias_in_power_and_energy():
    h = home_like(4)
    sim = copy(h)
    sim.values["load_w"] = sim.values["load_w"] + 250.0  # the simulation's load 250 W too high
    sim.values["soc"] = sim.values["soc"] - 0.05          # and its SoC 5 points low
    r = report.compare(h, sim)
    load = r.errors["load_w"]
    for resolution in ("hourly", "daily"):
        assert load[resolution]["bias"] == pytest.approx(250.0)
        assert load[resolution]["mae"] == pytest.approx(250.0)
        assert load[resolution]["rmse"] == pytest.approx(250.0)
    assert r.errors["soc"]["hourly"]["bias"] == pytest.approx(-5.0)
    assert r.errors["pv_w"]["hourly"]["mae"] == 0.0
    for day in r.days:  # 250 W for 24 h = 6 kWh a day
        assert day["energy_kwh"]["load"]["error"] == pytest.approx(6.0)
        assert day["energy_kwh"]["pv"]["error"] == pytest.approx(0.0, abs=1e-9)
    by_month = {m["month"]: m for m in r.months}
    assert by_month["2026-01"]["energy_kwh"]["load"]["error"] == pytest.approx(2 * 6.0)  # 30, 31 January
    assert by_month["2026-02"]["energy_kwh"]["load"]["error"] == pytest.approx(2 * 6.0)
    assert by_month["2026-01"]["days_with_data"] == 2.0
    per_day = daily_energy_errors(r.to_dict()["days"])
    assert per_day["load"]["bias"] == pytest.approx(6.0) and per_day["load"]["days"] == 4


def test_energies_are_the_integral_of_power():
    h = home_like(1)
    r = report.compare(h, copy(h))
    day = r.days[0]["energy_kwh"]
    assert day["pv"]["measured"] == pytest.approx(h.values["pv_w"].sum() * 60 / 3.6e6)
    assert day["battery_discharge"]["measured"] == pytest.approx(0.300 * 6 - 0.300 / 60, rel=0.01)  # 18:01..24:00
    assert day["battery_charge"]["measured"] == pytest.approx(0.5 * 6 - 0.5 / 60, rel=0.01)


def test_gaps_in_the_history_are_left_out_of_both_sides():
    h = home_like(3)
    sim = copy(h)
    sim.values["load_w"][:] += 100.0
    h.values["load_w"][1440:2880] = np.nan  # the second day has no load data
    h.values["pv_w"][1440 + 600:1440 + 660] = np.nan  # an hour of PV missing
    sim.values["pv_w"][1440 + 600:1440 + 660] = 1e6  # what the simulation says then does not count
    r = report.compare(h, sim)
    assert r.errors["load_w"]["daily"]["n"] == 2
    assert r.errors["load_w"]["hourly"]["n"] == 48
    assert r.errors["pv_w"]["hourly"]["n"] == 71 and r.errors["pv_w"]["hourly"]["mae"] == 0.0
    assert "load" not in r.days[1]["energy_kwh"]
    assert r.days[1]["energy_kwh"]["pv"]["coverage"] == pytest.approx(1 - 60 / 1440)
    assert [m["energy_kwh"]["load"]["error"] for m in r.months] == pytest.approx([2.4, 2.4])  # 30 Jan, 1 Feb


def test_an_hour_with_less_than_half_its_data_does_not_count():
    h = home_like(1)
    h.values["load_w"][0:31] = np.nan  # 29 of the first hour's 60 minutes left
    h.values["load_w"][60:89] = np.nan  # 31 of the second's
    r = report.compare(h, copy(h))
    assert r.errors["load_w"]["hourly"]["n"] == 23


def test_days_and_hours_are_local_across_a_clock_change():
    zone = "Europe/Berlin"  # 2026-03-29: 23 hours; 2026-10-25: 25 hours
    h = home_like(3, start="2026-03-28", timezone=zone)
    r = report.compare(h, copy(h))
    lengths = [d["end"] - d["first"] for d in r.days]
    # 3 x 1440 minutes from 28 March's midnight end at 01:00 on the 31st: a day an hour short
    assert [d["date"] for d in r.days] == ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"]
    assert lengths == [1440, 1380, 1440, 60]
    assert r.errors["load_w"]["daily"]["n"] == 3  # the last day has too little data to count
    assert r.days[-1]["score"] is None
    autumn = home_like(2, start="2026-10-25", timezone=zone)
    ra = report.compare(autumn, copy(autumn))
    assert ra.days[0]["end"] - ra.days[0]["first"] == 1500
    assert ra.errors["pv_w"]["hourly"]["n"] == 48


def test_a_coarser_history_meets_a_finer_simulation_on_its_grid():
    sim = home_like(2, step_s=60)
    coarse = {q: v.reshape(-1, 5).mean(axis=1) for q, v in sim.values.items()}
    coarse["soc"] = sim.values["soc"].reshape(-1, 5)[:, -1]  # SoC at each interval's end
    measured = History(sim.start_s, 300, sim.timezone, coarse)
    r = report.compare(measured, sim)
    assert r.measured.step_s == 300
    for q in QUANTITIES:
        assert r.errors[q]["hourly"]["mae"] == pytest.approx(0.0, abs=1e-9), q


def test_the_history_and_the_simulation_are_compared_over_the_time_they_share():
    sim = home_like(3)
    h = copy(sim)
    part = History(h.start_s + 86_400 + 3600, 60, h.timezone, {q: v[1440 + 60:] for q, v in h.values.items()})
    r = report.compare(part, sim)
    assert r.measured.start_s == part.start_s and r.measured.size == part.size
    assert [d["date"] for d in r.days] == ["2026-01-31", "2026-02-01"]
    with pytest.raises(ValueError, match="share no time"):
        report.compare(History(h.start_s + 10 * 86_400, 60, h.timezone, h.values), sim)
    with pytest.raises(ValueError, match="don't meet"):
        report.compare(History(h.start_s + 30, 60, h.timezone, h.values), sim)


def test_the_worst_day_is_the_one_with_the_largest_error_and_the_best_one_without():
    h = home_like(7)
    sim = copy(h)
    rng = np.random.default_rng(3)
    for d in range(7):  # every day a little off, day 4 (2026-02-03) far off, day 2 (2026-02-01) exact
        if d != 2:
            sim.values["grid_import_w"][d * 1440:(d + 1) * 1440] *= 1.0 + (0.5 if d == 4 else 0.02 * rng.random())
    r = report.compare(h, sim)
    assert r.chosen["worst"] == "2026-02-03"
    assert r.chosen["best"] == "2026-02-01"
    scores = sorted(d["score"] for d in r.days)
    assert next(d for d in r.days if d["date"] == r.chosen["typical"])["score"] == scores[3]


def test_a_short_day_is_not_chosen_and_a_missing_battery_is_left_out():
    h = home_like(2)
    h = History(h.start_s, 60, h.timezone, {q: v[: 1440 + 600] for q, v in h.values.items()})
    h.values["battery_w"][:] = np.nan
    h.values["soc"][:] = np.nan
    r = report.compare(h, copy(h))
    assert "battery_w" not in r.errors and "soc" not in r.errors
    assert r.chosen == {"typical": "2026-01-30", "best": "2026-01-30", "worst": "2026-01-30"}
    assert next(d for d in r.days if d["date"] == "2026-01-31")["score"] is None


def test_the_json_and_markdown_forms_hold_the_numbers():
    h = home_like(3)
    sim = copy(h)
    sim.values["pv_w"] = sim.values["pv_w"] * 0.9
    r = report.compare(h, sim)
    data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert data["errors"]["pv_w"]["daily"]["bias"] == pytest.approx(-0.1 * h.values["pv_w"].mean())
    assert data["chosen"]["worst"] in {d["date"] for d in data["days"]}
    text = r.markdown({"typical": "typical.png", "monthly": "monthly.png"})
    pv_all = sum(m["energy_kwh"]["pv"]["measured"] for m in data["months"])
    assert f"**{pv_all:,.1f} / {0.9 * pv_all:,.1f}** (−10.0 %)" in text
    assert f"![the typical day, {data['chosen']['typical']}, measured against simulated](typical.png)" in text
    assert f"| PV | W | {h.values['pv_w'].mean():,.1f} |" in text
    assert data["day_choice"] in text


def test_a_ledger_becomes_a_history_of_its_flows(tmp_path):
    from conftest import EXAMPLES
    from homesim.engine.fastforward import simulate
    from homesim.home import load_home

    ledger = simulate(load_home(EXAMPLES / "home.yaml"), 2, 60)
    h = report.simulated(ledger)
    meta = ledger.meta
    t = ledger.table
    assert h.size == len(t) and h.step_s == 60 and h.start_s == meta["start_unix_s"]
    grid = t[f"e.{meta['grid_id']}"].to_numpy() / 60
    np.testing.assert_allclose(h.values["grid_import_w"] - h.values["grid_export_w"], grid)
    np.testing.assert_allclose(h.values["battery_w"], t[f"e.{meta['battery_id']}"].to_numpy() / 60)
    # the balance: PV + battery + grid = load + loss
    np.testing.assert_allclose(h.values["pv_w"] + h.values["battery_w"] + grid,
                               h.values["load_w"] + t["loss_j"].to_numpy() / 60, atol=1e-9)
    r = report.compare(h, ledger)
    assert all(e["hourly"]["mae"] == 0.0 for e in r.errors.values())
    assert summary_matches(r, ledger)


def summary_matches(r: report.Report, ledger) -> bool:
    s = ledger.summary()["energy_kwh"]
    total = lambda name: sum(d["energy_kwh"][name]["simulated"] for d in r.days)  # noqa: E731
    return all(total(a) == pytest.approx(s[b]) for a, b in (("pv", "pv"), ("load", "load"),
                                                              ("grid_import", "grid_import"),
                                                              ("battery_charge", "battery_charge")))


def test_the_plots_are_written_one_per_day_and_the_months(tmp_path):
    from homesim.history import report_plots

    h = home_like(3)
    sim = copy(h)
    sim.values["pv_w"] = sim.values["pv_w"] * 0.9
    r = report.compare(h, sim)
    written = report_plots.write_plots(r, tmp_path)
    assert set(written) == {"typical", "best", "worst", "monthly"}
    for name in set(written.values()):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert written["worst"] == "day_worst.png"
