"""The recorder on a real PostgreSQL server gives the same ledger and reports as on SQLite."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from conftest import EXAMPLES, ROOT
from homesim import reports
from homesim.bus.ledger import ledger_from_db
from homesim.bus.store import open_store

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PostgresServer  # noqa: E402


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    yield server
    server.stop()


def up(out, *args):
    result = subprocess.run([sys.executable, "-m", "homesim.cli", "up", str(EXAMPLES / "home.yaml"), "--max",
                             "--ticks", "1500", "--out", str(out), *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_same_ledger_and_reports_on_postgresql_and_sqlite(postgres, tmp_path):
    url = postgres.database("homesim_same")
    up(tmp_path / "sqlite")
    up(tmp_path / "pg", "--db", url)
    on_sqlite = ledger_from_db(tmp_path / "sqlite" / "ledger.sqlite")
    on_postgres = ledger_from_db(url)
    assert len(on_postgres.table) == 1500
    pd.testing.assert_frame_equal(on_postgres.table, on_sqlite.table)
    on_postgres.check()
    for by in ("day", "month"):
        assert reports.report(on_postgres, by) == reports.report(on_sqlite, by)
    printed = subprocess.run([sys.executable, "-m", "homesim.cli", "report", url, "--out", str(tmp_path / "rep")],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr
    assert "2026-01-05" in printed.stdout and (tmp_path / "rep" / "report.png").stat().st_size > 10_000
    assert "postgres@" not in printed.stderr


def test_postgres_store_is_idempotent_per_tick_and_finds_gaps(postgres):
    store = open_store(postgres.database("homesim_store"))
    try:
        for tick in (0, 1, 1, 3):
            store.store({"tick": tick, "e": {}, "loss_j": 0})
        assert store.count() == {"ticks": 3, "last": 3}
        assert store.first_gap() == 2
        store.store({"tick": 2, "e": {}, "loss_j": 0})
        assert store.first_gap() is None
        assert [p["tick"] for p in store.payloads()] == [0, 1, 2, 3]
    finally:
        store.close()


def test_a_bad_database_url_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "homesim.cli", "report", "postgresql://nobody:secret@127.0.0.1:1/x",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "cannot connect" in result.stderr and "secret" not in result.stderr and "Traceback" not in result.stderr
