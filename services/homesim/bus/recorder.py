"""The recorder: ``python -m homesim.bus.services recorder``.

Persists every settlement to SQLite (``HOMESIM_DB``): one row per tick, written idempotently
(a settlement seen twice is stored once), committed per tick with ``synchronous=FULL`` in WAL
mode, so a crash of any process, the recorder's own included, loses no settled tick it had
received. RPC ``report.count`` says how many ticks are stored and the last one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, run_component, uris_from_env

#: Run settings stored with the settlements (``homesim ledger`` rebuilds the home from them).
META_KEYS = ("HOMESIM_HOME", "HOMESIM_HOME_DIR", "HOMESIM_STEP", "HOMESIM_START", "HOMESIM_SEED", "HOMESIM_HOME_ID")


def open_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS settlements (tick INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return db


def store(db: sqlite3.Connection, settlement: dict[str, Any]) -> None:
    """Store one settlement (a second copy of a tick replaces the first: same content)."""
    db.execute("INSERT OR REPLACE INTO settlements VALUES (?, ?)",
               (int(settlement["tick"]), json.dumps(settlement, sort_keys=True)))


def count(db: sqlite3.Connection) -> dict[str, int]:
    n, last = db.execute("SELECT COUNT(*), COALESCE(MAX(tick), -1) FROM settlements").fetchone()
    return {"ticks": n, "last": last}


def run_recorder() -> None:
    uris = uris_from_env()
    db = open_db(Path(env("HOMESIM_DB")))
    for key in META_KEYS:
        if os.environ.get(key):
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key.removeprefix("HOMESIM_").lower(), os.environ[key]))
    metrics = ProcessMetrics(uris.home, "recorder")
    comp = component()

    @comp.on_join
    async def joined(session, details):
        from autobahn.wamp.types import SubscribeOptions

        def on_settlement(settlement: dict[str, Any]) -> None:
            store(db, settlement)
            metrics.tick.set(int(settlement["tick"]))

        # The retained settlement: the last one, in case it came while the recorder was down.
        await session.subscribe(on_settlement, uris.settlement, options=SubscribeOptions(get_retained=True))
        await session.register(lambda: count(db), uris.report("count"))
        log.info("recording to %s (%d ticks stored)", env("HOMESIM_DB"), count(db)["ticks"])

    run_component(comp)
