"""Where the recorder keeps settlements: SQLite (the embedded default) or PostgreSQL
(``postgresql://...``). Same schema on both: ``settlements(tick PRIMARY KEY, payload)`` with
the settlement as JSON, and ``meta(key PRIMARY KEY, value)`` with the run's settings.
Every write commits on its own (one tick), so a crash loses nothing already stored. A write
that fails (disk full, read-only database) raises :class:`StoreWriteError` and leaves the
store usable: the recorder keeps the settlement and tries again.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator


class StoreWriteError(Exception):
    """A settlement could not be written (disk full, read-only database, server gone): it
    is not stored, and the store can be tried again."""


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


class Store:
    """The operations the recorder and the reports need."""

    def store(self, settlement: dict[str, Any]) -> None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def meta(self) -> dict[str, str]: ...
    def count(self) -> dict[str, int]: ...
    def first_gap(self) -> int | None: ...
    def payloads(self) -> Iterator[dict[str, Any]]: ...
    def recent(self, ticks: int) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


class SqliteStore(Store):
    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        path = Path(path)
        if read_only:
            if not path.exists():
                from homesim.errors import BadInput

                raise BadInput(f"{path}: no such recorder database")
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            return
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=1.0)  # a lock: fail fast, retried
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS settlements (tick INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error as error:  # a read-only file system, a full disk, not a database
            raise StoreWriteError(f"{path}: {error}") from error

    def store(self, settlement: dict[str, Any]) -> None:
        try:
            self.db.execute("INSERT OR REPLACE INTO settlements VALUES (?, ?)",
                            (int(settlement["tick"]), json.dumps(settlement, sort_keys=True)))
        except sqlite3.Error as error:  # e.g. "database or disk is full", "attempt to write a readonly database"
            if self.db.in_transaction:
                self.db.rollback()
            raise StoreWriteError(str(error)) from error

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def count(self) -> dict[str, int]:
        n, last = self.db.execute("SELECT COUNT(*), COALESCE(MAX(tick), -1) FROM settlements").fetchone()
        return {"ticks": n, "last": last}

    def first_gap(self) -> int | None:
        return _first_gap(self, lambda sql, *a: self.db.execute(sql, a).fetchone()[0])

    def payloads(self) -> Iterator[dict[str, Any]]:
        for (payload,) in self.db.execute("SELECT payload FROM settlements ORDER BY tick"):
            yield json.loads(payload)

    def recent(self, ticks: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT payload FROM settlements ORDER BY tick DESC LIMIT ?", (int(ticks),)).fetchall()
        return [json.loads(payload) for (payload,) in reversed(rows)]

    def close(self) -> None:
        self.db.close()


class PostgresStore(Store):
    def __init__(self, url: str, read_only: bool = False) -> None:
        import psycopg

        try:
            self.db = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as error:
            from homesim.errors import BadInput

            raise BadInput(f"cannot connect to {safe_url(url)}: {str(error).strip().splitlines()[0]}") from None
        if not read_only:
            self.db.execute("CREATE TABLE IF NOT EXISTS settlements (tick BIGINT PRIMARY KEY, payload TEXT NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def store(self, settlement: dict[str, Any]) -> None:
        import psycopg

        try:
            self.db.execute("INSERT INTO settlements VALUES (%s, %s) ON CONFLICT (tick) DO UPDATE SET payload = EXCLUDED.payload",
                            (int(settlement["tick"]), json.dumps(settlement, sort_keys=True)))
        except psycopg.Error as error:  # disk full on the server, connection lost...
            raise StoreWriteError(str(error).strip().splitlines()[0] if str(error).strip() else repr(error)) from error

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, value))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def count(self) -> dict[str, int]:
        n, last = self.db.execute("SELECT COUNT(*), COALESCE(MAX(tick), -1) FROM settlements").fetchone()
        return {"ticks": int(n), "last": int(last)}

    def first_gap(self) -> int | None:
        return _first_gap(self, lambda sql, *a: self.db.execute(sql.replace("?", "%s"), a).fetchone()[0])

    def payloads(self) -> Iterator[dict[str, Any]]:
        for (payload,) in self.db.execute("SELECT payload FROM settlements ORDER BY tick"):
            yield json.loads(payload)

    def recent(self, ticks: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT payload FROM settlements ORDER BY tick DESC LIMIT %s", (int(ticks),)).fetchall()
        return [json.loads(payload) for (payload,) in reversed(rows)]

    def close(self) -> None:
        self.db.close()


def _first_gap(store: Store, scalar) -> int | None:
    n, last = store.count().values()
    if n == last + 1:
        return None
    if scalar("SELECT MIN(tick) FROM settlements") > 0:
        return 0
    return int(scalar("SELECT MIN(tick) + 1 FROM settlements s WHERE s.tick < ? AND NOT EXISTS "
                      "(SELECT 1 FROM settlements t WHERE t.tick = s.tick + 1)", last))


def safe_url(url: str) -> str:
    """The URL without its password."""
    import re

    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


def open_store(target: str | Path, read_only: bool = False) -> Store:
    """A store for a SQLite path or a ``postgresql://`` URL."""
    target = str(target)
    return PostgresStore(target, read_only) if is_postgres(target) else SqliteStore(target, read_only)
