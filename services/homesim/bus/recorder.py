"""The recorder: ``python -m homesim.bus.services recorder``.

Persists every settlement to SQLite or PostgreSQL (``HOMESIM_DB``: a path or ``postgresql://...``): one row per tick, written idempotently
(a settlement seen twice is stored once), committed per tick with ``synchronous=FULL`` in WAL
mode, so a crash of any process, the recorder's own included, loses no settled tick it had
received. Ticks it did not receive (it was down, or restarting) it fetches from the
inverter's recent settlements (``settlements.since``) when it joins and whenever a settlement
arrives after a gap. RPC ``report.count`` says how many ticks are stored and the last one; ``report.daily`` and
``report.monthly`` give energy, cost, self-sufficiency and outage coverage per local day or month.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, run_component, uris_from_env
from homesim.bus.store import safe_url, open_store
from homesim.messages import ReportRequest, Settlement, rpc_arguments, valid

#: Run settings stored with the settlements (``homesim ledger`` rebuilds the home from them).
META_KEYS = ("HOMESIM_HOME", "HOMESIM_HOME_DIR", "HOMESIM_STEP", "HOMESIM_START", "HOMESIM_SEED", "HOMESIM_HOME_ID")


def report_of(target: str, by: str, only: str | None) -> dict[str, Any]:
    """Report rows of the recorded ticks (its own read-only connection: runs in a worker thread)."""
    from homesim import reports
    from homesim.bus.ledger import ledger_from_db

    ledger = ledger_from_db(target)
    return {"by": by, "columns": list(reports.COLUMNS), "rows": reports.report(ledger, by, only),
            "currency": ledger.meta["currency"]}


def run_recorder() -> None:
    uris = uris_from_env()
    target = env("HOMESIM_DB")
    db = open_store(target)
    for key in META_KEYS:
        if os.environ.get(key):
            db.set_meta(key.removeprefix("HOMESIM_").lower(), os.environ[key])
    metrics = ProcessMetrics(uris.home, "recorder")
    comp = component()

    @comp.on_join
    async def joined(session, details):
        from autobahn.wamp.types import SubscribeOptions

        filling = {"busy": False}

        async def backfill() -> None:
            """Fetch the ticks missing between what is stored and the newest settlement."""
            if filling["busy"]:
                return
            filling["busy"] = True
            try:
                while True:
                    gap = db.first_gap()
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
                        db.store(settlement)
                    log.info("backfilled ticks %d..%d", gap, missed[-1]["tick"])
            finally:
                filling["busy"] = False

        newest = {"tick": db.count()["last"]}

        def on_settlement(settlement: dict[str, Any]) -> None:
            if not valid(Settlement, settlement, uris.settlement):
                return
            tick = int(settlement["tick"])
            db.store(settlement)
            metrics.tick.set(tick)
            if tick > newest["tick"] + 1:
                asyncio.ensure_future(backfill())
            newest["tick"] = max(newest["tick"], tick)

        # The retained settlement: the last one, in case it came while the recorder was down.
        await session.subscribe(on_settlement, uris.settlement, options=SubscribeOptions(get_retained=True))
        await session.register(db.count, uris.report("count"))

        async def periodic(by: str, only: Any = None) -> dict[str, Any]:
            request = rpc_arguments(ReportRequest, only=only)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, report_of, target, by, request.only)

        await session.register(lambda only=None: periodic("day", only), uris.report("daily"))
        await session.register(lambda only=None: periodic("month", only), uris.report("monthly"))
        asyncio.ensure_future(backfill())
        log.info("recording to %s (%d ticks stored)", safe_url(target), db.count()["ticks"])

    run_component(comp)
