"""One store over SQLite and PostgreSQL (``homesim.bus.store``): the same operations give the same
answers on both dialects (a real PostgreSQL server), and a write that fails leaves the store
usable."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from conftest import ROOT
from homesim.bus.store import POSTGRES, SQLITE, SqlStore, StoreWriteError, open_store
from homesim.errors import BadInput

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PostgresServer  # noqa: E402


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """A new, empty database of each dialect."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return request.getfixturevalue("postgres").database(f"homesim_{request.node.name.split('[')[0][5:40]}")


def settlement(tick, loss_j=0):
    return {"tick": tick, "e": {}, "loss_j": loss_j}


def opened(target):
    store = open_store(target)
    assert isinstance(store, SqlStore)
    return store


def test_each_target_opens_the_store_in_its_dialect(target):
    store = opened(target)
    try:
        assert store.dialect is (POSTGRES if target.startswith("postgresql://") else SQLITE)
    finally:
        store.close()


def test_a_tick_stored_again_replaces_its_payload(target):
    store = opened(target)
    try:
        store.store(settlement(0, loss_j=1))
        store.store(settlement(0, loss_j=2))
        assert store.count() == {"ticks": 1, "last": 0}
        assert [p["loss_j"] for p in store.payloads()] == [2]
    finally:
        store.close()


def test_a_setting_stored_again_replaces_its_value(target):
    store = opened(target)
    try:
        store.set_meta("step", "60")
        store.set_meta("step", "30")
        store.set_meta("home", "a")
        assert store.meta() == {"step": "30", "home": "a"}
    finally:
        store.close()


def test_the_first_gap_is_the_first_missing_tick(target):
    store = opened(target)
    try:
        assert store.count() == {"ticks": 0, "last": -1} and store.first_gap() is None  # empty: nothing missing
        for tick in (1, 2, 4):
            store.store(settlement(tick))
        assert store.first_gap() == 0  # the run's first tick
        store.store(settlement(0))
        assert store.first_gap() == 3
        store.store(settlement(3))
        assert store.first_gap() is None
    finally:
        store.close()


def test_recent_gives_the_last_ticks_oldest_first(target):
    store = opened(target)
    try:
        for tick in (3, 0, 2, 1):
            store.store(settlement(tick))
        assert [p["tick"] for p in store.recent(2)] == [2, 3]
        assert [p["tick"] for p in store.recent(10)] == [0, 1, 2, 3]
        assert [p["tick"] for p in store.payloads()] == [0, 1, 2, 3]
    finally:
        store.close()


def test_a_store_reopened_read_only_reads_what_was_written(target):
    store = opened(target)
    store.store(settlement(0, loss_j=5))
    store.set_meta("step", "60")
    store.close()
    again = open_store(target, read_only=True)
    try:
        assert [p["loss_j"] for p in again.payloads()] == [5] and again.meta() == {"step": "60"}
    finally:
        again.close()


def test_a_missing_sqlite_file_read_only_is_a_clear_error(tmp_path):
    with pytest.raises(BadInput, match="no such recorder database"):
        open_store(tmp_path / "none.sqlite", read_only=True)


def test_a_failed_write_raises_a_store_write_error_and_the_store_stays_usable(tmp_path):
    path = tmp_path / "ledger.sqlite"
    store = opened(str(path))
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        with pytest.raises(StoreWriteError, match="locked"):
            store.store(settlement(0))
        blocker.execute("COMMIT")
        store.store(settlement(0))  # tried again, it is stored
        assert store.count() == {"ticks": 1, "last": 0}
    finally:
        blocker.close()
        store.close()


def test_the_dialects_differ_only_in_their_data():
    assert SQLITE.upsert.format(table="meta", key="key", value="value") == "INSERT OR REPLACE INTO meta VALUES (?, ?)"
    assert POSTGRES.upsert.format(table="meta", key="key", value="value").replace("?", POSTGRES.param) == (
        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
    assert (SQLITE.tick_type, POSTGRES.tick_type) == ("INTEGER", "BIGINT")
