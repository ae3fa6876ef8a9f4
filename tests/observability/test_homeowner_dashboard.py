"""The homeowner's dashboard (per simulated local day, SQL on the recorder's PostgreSQL): a
live reference home (with a 1 kWh battery) records two simulated days (120 s ticks) into a real PostgreSQL server, every panel's
SQL runs as Grafana would send it (its only variable, ``$days``, filled in) and every figure
equals the ledger's (``homesim.reports`` daily rows and the ledger table) within 0.001 kWh.
Grafana itself is not run (no package on this machine)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import EXAMPLES, ROOT
from homesim import reports
from homesim.bus.ledger import ledger_from_db
from homesim.devices.base import J_PER_KWH

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PostgresServer  # noqa: E402

DASHBOARD = ROOT / "infra" / "grafana" / "dashboards" / "homeowner.json"
STEP_S = 120
TICKS = 1440  # two simulated days of 120 s ticks: PV, curtailment and load-shedding outages on both
KWH = 0.001


def small_battery_home(folder):
    """The reference home with a 1 kWh battery at 20 %: the second day's evening outage leaves an
    essential load short (the 10 kWh battery carries both days' outages in full)."""
    import yaml

    data = yaml.safe_load((EXAMPLES / "home.yaml").read_text())
    for device in data["devices"]:
        if device["kind"] == "battery":
            device.update(capacity_kwh=1.0, initial_soc=0.2)
        for key in ("area_schedule_csv", "stage_timeline"):
            if key in device.get("load_shedding", {}):
                device["load_shedding"][key] = str(EXAMPLES / device["load_shedding"][key])
    path = folder / "home.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    server = PostgresServer()
    try:
        url = server.database("homesim_homeowner")
        out = tmp_path_factory.mktemp("homeowner") / "up"
        home_file = small_battery_home(out.parent)
        result = subprocess.run([sys.executable, "-m", "homesim.cli", "up", str(home_file), "--max",
                                 "--step", str(STEP_S), "--ticks", str(TICKS), "--out", str(out), "--db", url],
                                cwd=ROOT, capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        ledger = ledger_from_db(url)
        assert len(ledger.table) == TICKS
        ledger.check()
        yield url, ledger
    finally:
        server.stop()


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = [(panel["title"], target["rawSql"]) for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(found) >= 7
    assert all(p["datasource"]["uid"] == "homesim-recorder" for p in dashboard["panels"])
    return found


def run(url: str, sql: str, days: int = 31) -> list[dict]:
    """The SQL as Grafana sends it: variables interpolated; no macro may be left."""
    import psycopg
    from psycopg.rows import dict_row

    concrete = sql.replace("$days", str(days))
    assert "$" not in concrete, "a Grafana variable or macro left in the SQL"
    with psycopg.connect(url, row_factory=dict_row) as db:
        return db.execute(concrete).fetchall()


def expected_by_day(ledger) -> dict[str, dict]:
    """Every figure of the dashboard, from the ledger: the daily report plus what it lacks
    (losses, curtailment, essential load served in outages) [kWh]."""
    rows = {row["period"]: dict(row) for row in reports.report(ledger, "day")}
    table = ledger.table
    day = table["time"].dt.tz_convert(ledger.meta["timezone"]).dt.strftime("%Y-%m-%d")
    outage = ledger.outage()
    served_essential = np.zeros(len(table), dtype=np.int64)
    for load_id in ledger.meta["essential_ids"]:
        served_essential += -table[f"e.{load_id}"].to_numpy(dtype=np.int64)
    for period, part in table.groupby(day):
        index = part.index.to_numpy()
        rows[period].update(
            loss_kwh=int(part["loss_j"].sum()) / J_PER_KWH,
            curtailed_kwh=int(part["curtailed_j"].sum()) / J_PER_KWH,
            essential_served_in_outages_kwh=int(served_essential[index][outage[index]].sum()) / J_PER_KWH)
    return rows


#: dashboard column -> (expected key, tolerance)
FIGURES = {
    "pv_kwh": ("pv_kwh", KWH), "battery_discharge_kwh": ("battery_discharge_kwh", KWH),
    "grid_import_kwh": ("grid_import_kwh", KWH), "load_kwh": ("load_kwh", KWH),
    "battery_charge_kwh": ("battery_charge_kwh", KWH), "grid_export_kwh": ("grid_export_kwh", KWH),
    "loss_kwh": ("loss_kwh", KWH), "curtailed_kwh": ("curtailed_kwh", KWH),
    "essential_served_in_outages_kwh": ("essential_served_in_outages_kwh", KWH),
    "cost": ("cost", 1e-6), "self_sufficiency": ("self_sufficiency", 1e-9), "outage_hours": ("outage_hours", 1e-9),
    "outage_coverage": ("outage_coverage", 1e-9), "ticks": ("ticks", 0),
}


def test_the_recorded_days_are_worth_checking(recorded):
    """The comparison below could fail: both days have PV, grid import, battery use, outages
    with essential load served, curtailment, and one day an essential load short in an outage."""
    _, ledger = recorded
    days = expected_by_day(ledger)
    assert sorted(days) == ["2026-01-05", "2026-01-06"]  # local days of Africa/Johannesburg
    for row in days.values():
        assert row["pv_kwh"] > 1 and row["grid_import_kwh"] > 0.01 and row["battery_discharge_kwh"] > 0.1
        assert row["outage_hours"] > 0 and row["essential_served_in_outages_kwh"] > 0.01
        assert 0 < row["self_sufficiency"] < 1
    assert sum(row["curtailed_kwh"] for row in days.values()) > 0.1
    assert min(row["outage_coverage"] for row in days.values()) < 1


@pytest.mark.parametrize("title, sql", panel_queries(), ids=[t for t, _ in panel_queries()])
def test_every_panel_equals_the_ledger(recorded, title, sql):
    url, ledger = recorded
    expected = expected_by_day(ledger)
    rows = run(url, sql)
    assert [r["day"] for r in rows] == sorted(expected), title
    columns = set(rows[0]) - {"day"}
    assert columns, title
    for row in rows:
        want = expected[row["day"]]
        for column in columns:
            if column == "currency":
                assert row[column] == "ZAR"
                continue
            key, tolerance = FIGURES[column]
            assert float(row[column]) == pytest.approx(want[key], abs=tolerance), f"{title}: {row['day']} {column}"


def test_days_variable_keeps_the_last_recorded_days(recorded):
    url, _ = recorded
    title, sql = panel_queries()[0]
    assert [r["day"] for r in run(url, sql, days=1)] == ["2026-01-06"], title


def test_sources_and_sinks_balance_per_day(recorded):
    """What came in (PV, battery, grid) went out (loads, battery, export, losses) [kWh]."""
    url, _ = recorded
    rows = run(url, next(sql for title, sql in panel_queries() if title == "Every day"))
    for row in rows:
        sources = float(row["pv_kwh"] + row["battery_discharge_kwh"] + row["grid_import_kwh"])
        sinks = float(row["load_kwh"] + row["battery_charge_kwh"] + row["grid_export_kwh"] + row["loss_kwh"])
        assert sources == pytest.approx(sinks, abs=1e-9)
