"""Where the recorder keeps settlements: SQLite (the embedded default) or PostgreSQL
(``postgresql://...``). Same schema on both: ``settlements(tick PRIMARY KEY, payload)`` with
the settlement as JSON, and ``meta(key PRIMARY KEY, value)`` with the run's settings.
Every write commits on its own (one tick), so a crash loses nothing already stored. A write
that fails (disk full, read-only database) raises :class:`StoreWriteError` and leaves the
store usable: the recorder keeps the settlement and tries again.

One store (:class:`SqlStore`) over either database: its SQL is written once, with ``?`` for a
parameter, and what differs between the two dialects is data (:class:`Dialect`: the driver's
parameter marker, the tick's column type, how a row is replaced, what SQLite sets on opening).
Only opening differs in code: each driver connects and reports a failed connection its own way.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from homesim.errors import BadInput


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


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite's and PostgreSQL's SQL for the store, as data."""

    #: the driver's parameter marker (the store's SQL writes ``?``)
    param: str
    #: the column type of a tick (a 64-bit integer)
    tick_type: str
    #: an insert that replaces the row of the same key: ``{table}``, its ``{key}`` and ``{value}``
    upsert: str
    #: statements run when a store is opened for writing
    on_open: tuple[str, ...] = ()


SQLITE = Dialect(param="?", tick_type="INTEGER", upsert="INSERT OR REPLACE INTO {table} VALUES (?, ?)",
                 on_open=("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"))
POSTGRES = Dialect(param="%s", tick_type="BIGINT", upsert="INSERT INTO {table} VALUES (?, ?) "
                   "ON CONFLICT ({key}) DO UPDATE SET {value} = EXCLUDED.{value}")


def _message(error: BaseException) -> str:
    """An error's first line (a server's may carry a hint and context below it)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


class SqlStore(Store):
    """The store over a DB-API connection in autocommit (``db``), in ``dialect``; ``errors``
    are the driver's exceptions."""

    def __init__(self, db: Any, dialect: Dialect, errors: type[Exception] | tuple[type[Exception], ...]) -> None:
        self.db = db
        self.dialect = dialect
        self.errors = errors

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        return self.db.execute(sql.replace("?", self.dialect.param), parameters)

    def _upsert(self, table: str, key: str, value: str, row: tuple[Any, Any]) -> None:
        self._execute(self.dialect.upsert.format(table=table, key=key, value=value), row)

    def create(self) -> None:
        """Set the connection up for writing and make the tables if they are not there."""
        for statement in self.dialect.on_open:
            self._execute(statement)
        self._execute(f"CREATE TABLE IF NOT EXISTS settlements (tick {self.dialect.tick_type} PRIMARY KEY, "
                      "payload TEXT NOT NULL)")
        self._execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def store(self, settlement: dict[str, Any]) -> None:
        try:
            self._upsert("settlements", "tick", "payload", (int(settlement["tick"]), json.dumps(settlement, sort_keys=True)))
        except self.errors as error:  # a full disk, a read-only database, the server gone...
            if getattr(self.db, "in_transaction", False):  # SQLite may leave the failed insert's transaction open
                self.db.rollback()
            raise StoreWriteError(_message(error)) from error

    def set_meta(self, key: str, value: str) -> None:
        self._upsert("meta", "key", "value", (key, value))

    def meta(self) -> dict[str, str]:
        return dict(self._execute("SELECT key, value FROM meta").fetchall())

    def count(self) -> dict[str, int]:
        n, last = self._execute("SELECT COUNT(*), COALESCE(MAX(tick), -1) FROM settlements").fetchone()
        return {"ticks": int(n), "last": int(last)}

    def first_gap(self) -> int | None:
        n, last = self.count().values()
        if n == last + 1:
            return None
        if self._execute("SELECT MIN(tick) FROM settlements").fetchone()[0] > 0:
            return 0
        return int(self._execute("SELECT MIN(tick) + 1 FROM settlements s WHERE s.tick < ? AND NOT EXISTS "
                                 "(SELECT 1 FROM settlements t WHERE t.tick = s.tick + 1)", (last,)).fetchone()[0])

    def payloads(self) -> Iterator[dict[str, Any]]:
        for (payload,) in self._execute("SELECT payload FROM settlements ORDER BY tick"):
            yield json.loads(payload)

    def recent(self, ticks: int) -> list[dict[str, Any]]:
        rows = self._execute("SELECT payload FROM settlements ORDER BY tick DESC LIMIT ?", (int(ticks),)).fetchall()
        return [json.loads(payload) for (payload,) in reversed(rows)]

    def close(self) -> None:
        self.db.close()


def open_sqlite(path: str | Path, read_only: bool = False) -> SqlStore:
    """The store in a SQLite file (made if it is not there, unless ``read_only``)."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise BadInput(f"{path}: no such recorder database")
        return SqlStore(sqlite3.connect(f"file:{path}?mode=ro", uri=True), SQLITE, sqlite3.Error)
    try:
        store = SqlStore(sqlite3.connect(path, isolation_level=None, timeout=1.0), SQLITE, sqlite3.Error)  # a lock: fail fast, retried
        store.create()
    except sqlite3.Error as error:  # a read-only file system, a full disk, not a database
        raise StoreWriteError(f"{path}: {error}") from error
    return store


def open_postgres(url: str, read_only: bool = False) -> SqlStore:
    """The store in a PostgreSQL database (its tables made if they are not there, unless ``read_only``)."""
    import psycopg

    try:
        store = SqlStore(psycopg.connect(url, autocommit=True), POSTGRES, psycopg.Error)
    except psycopg.OperationalError as error:
        raise BadInput(f"cannot connect to {safe_url(url)}: {_message(error)}") from None
    if not read_only:
        store.create()
    return store


def safe_url(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


def open_store(target: str | Path, read_only: bool = False) -> Store:
    """A store for a SQLite path or a ``postgresql://`` URL."""
    target = str(target)
    return open_postgres(target, read_only) if is_postgres(target) else open_sqlite(target, read_only)
