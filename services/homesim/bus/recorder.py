"""The recorder: ``python -m homesim.bus.services recorder``.

Persists every settlement to SQLite (``HOMESIM_DB``): one row per tick, written idempotently
(a settlement seen twice is stored once), committed per tick with ``synchronous=FULL`` in WAL
mode, so a crash of any process, the recorder's own included, loses no settled tick it had
received. Ticks it did not receive (it was down, or restarting) it fetches from the
inverter's recent settlements (``settlements.since``) when it joins and whenever a settlement
arrives after a gap. RPC ``report.count`` says how many ticks are stored and the last one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, run_component, uris_from_env
from homesim.messages import Settlement, valid

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


def first_gap(db: sqlite3.Connection) -> int | None:
    """The first tick missing below the newest stored one (``None``: no gap)."""
    n, last = count(db).values()
    if n == last + 1:
        return None
    if db.execute("SELECT MIN(tick) FROM settlements").fetchone()[0] > 0:
        return 0
    return db.execute("SELECT MIN(tick) + 1 FROM settlements s WHERE s.tick < ? AND NOT EXISTS "
                      "(SELECT 1 FROM settlements t WHERE t.tick = s.tick + 1)", (last,)).fetchone()[0]


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

        import asyncio

        filling = {"busy": False}

        async def backfill() -> None:
            """Fetch the ticks missing between what is stored and the newest settlement."""
            if filling["busy"]:
                return
            filling["busy"] = True
            try:
                while True:
                    gap = first_gap(db)
                    if gap is None:
                        return
                    try:
                        missed = await session.call(uris.settlements_since, gap, 1000)
                    except Exception as error:  # noqa: BLE001 - the inverter may be restarting
                        log.warning("backfill from tick %d failed: %s", gap, error)
                        return
                    missed = [s for s in missed if valid(Settlement, s, uris.settlements_since) and int(s["tick"]) >= gap]
                    if not missed or int(missed[0]["tick"]) != gap:
                        log.error("ticks from %d are no longer held by the inverter: gap left", gap)
                        return
                    for settlement in missed:
                        store(db, settlement)
                    log.info("backfilled ticks %d..%d", gap, missed[-1]["tick"])
            finally:
                filling["busy"] = False

        newest = {"tick": count(db)["last"]}

        def on_settlement(settlement: dict[str, Any]) -> None:
            if not valid(Settlement, settlement, uris.settlement):
                return
            tick = int(settlement["tick"])
            store(db, settlement)
            metrics.tick.set(tick)
            if tick > newest["tick"] + 1:
                asyncio.ensure_future(backfill())
            newest["tick"] = max(newest["tick"], tick)

        # The retained settlement: the last one, in case it came while the recorder was down.
        await session.subscribe(on_settlement, uris.settlement, options=SubscribeOptions(get_retained=True))
        await session.register(lambda: count(db), uris.report("count"))
        asyncio.ensure_future(backfill())
        log.info("recording to %s (%d ticks stored)", env("HOMESIM_DB"), count(db)["ticks"])

    run_component(comp)
