"""The recorder: ``python -m homesim.bus.services recorder``.

Persists every settlement to SQLite or PostgreSQL (``HOMESIM_DB``: a path or ``postgresql://...``): one row per tick, written idempotently
(a settlement seen twice is stored once), committed per tick with ``synchronous=FULL`` in WAL
mode, so a crash of any process, the recorder's own included, loses no settled tick it had
received. Ticks it did not receive (it was down, or restarting) it fetches from the
inverter's recent settlements (``settlements.since``) when it joins and whenever a settlement
arrives after a gap. RPC ``report.count`` says how many ticks are stored and the last one; ``report.daily`` and
``report.monthly`` give energy, cost, self-sufficiency and outage coverage per local day or month; ``report.recent`` the last recorded settlements (the UI's history after a
reload).

When the database can't be written (disk full, read-only, server gone) the recorder says so
once, keeps the settlements it could not write, in order, and pauses the clock: the home waits
rather than losing ticks. It tries again every second; once everything is written it resumes
the clock (unless somebody else had paused it). ``homesim_recorder_pending_settlements`` and
``homesim_recorder_write_errors_total`` show it.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from autobahn.wamp.types import SubscribeOptions

from homesim.bus.arguments import rpc_arguments
from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import checked, component, env, log, run_component, uris_from_env
from homesim.bus.store import StoreWriteError, open_store, safe_url
from homesim.live import load_live_home
from homesim.messages import RecentRequest, ReportRequest, Settlement, valid

#: Run settings stored with the settlements (``homesim ledger`` rebuilds the home from them).
#: How often the recorder asks the inverter again for missed ticks it could not get [s].
BACKFILL_RETRY_S = 1.0
META_KEYS = ("HOMESIM_HOME", "HOMESIM_HOME_DIR", "HOMESIM_STEP", "HOMESIM_START", "HOMESIM_SEED", "HOMESIM_HOME_ID")


def home_facts() -> dict[str, str]:
    """What SQL on the database needs and can't read from the home file (the homeowner's
    Grafana dashboard): ``timezone`` (local days), ``currency``, ``battery_id``, ``grid_id``
    and ``essential_ids`` (a JSON list: the loads on the inverter's essential circuit). Keys
    without a value (no battery, no grid) are left out. Empty without ``HOMESIM_HOME``."""

    path = os.environ.get("HOMESIM_HOME")
    if not path:
        return {}
    base = os.environ.get("HOMESIM_HOME_DIR")
    home = load_live_home(Path(path), Path(base) if base else None)
    essential = [load.id for load in home.loads if load.circuit == "essential"] if home.inverter is not None else []
    facts = {"timezone": home.location.timezone, "currency": home.currency,
             "battery_id": home.battery.id if home.battery is not None else None,
             "grid_id": home.grid.id if home.grid is not None else None,
             "essential_ids": json.dumps(essential)}
    return {key: value for key, value in facts.items() if value is not None}


def report_of(target: str, by: str, only: str | None) -> dict[str, Any]:
    """Report rows of the recorded ticks (its own read-only connection: runs in a worker thread)."""
    # the recorder is preloaded in the fork server, which imports no pandas: a report loads it
    from homesim import reports  # noqa: PLC0415
    from homesim.bus.ledger import ledger_from_db  # noqa: PLC0415

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
    for key, value in home_facts().items():
        db.set_meta(key, value)
    metrics = ProcessMetrics(uris.home, "recorder")
    writer = Writer(db, target, metrics)
    comp = component()

    @comp.on_join
    async def joined(session, details):
        filling = {"busy": False}

        async def backfill() -> None:
            """Fetch the ticks missing between what is stored and the newest settlement; while the
            inverter can't answer (restarting, or not yet registered after a router restart) try
            again every ``BACKFILL_RETRY_S``: no later settlement may come to trigger it again."""
            if filling["busy"]:
                return
            filling["busy"] = True
            try:
                while session.is_attached():
                    gap = db.first_gap()
                    if gap is None:
                        return
                    try:
                        missed = await session.call(uris.settlements_since, gap, 1000)
                    except Exception as error:  # noqa: BLE001 - the inverter may be restarting
                        log.warning("backfill from tick %d failed (%s): trying again", gap, error)
                        await asyncio.sleep(BACKFILL_RETRY_S)
                        continue
                    missed = [s for s in missed if valid(Settlement, s, uris.settlements_since) and int(s["tick"]) >= gap]
                    if not missed or int(missed[0]["tick"]) != gap:
                        log.error("ticks from %d are no longer held by the inverter: gap left", gap)
                        return
                    for settlement in missed:
                        writer.store(settlement)
                    if writer.pending:
                        return  # the database can't take them now; the writer pauses the home
                    log.info("backfilled ticks %d..%d", gap, missed[-1]["tick"])
            finally:
                filling["busy"] = False

        newest = {"tick": db.count()["last"]}

        def on_settlement(settlement: dict[str, Any]) -> None:
            if not valid(Settlement, settlement, uris.settlement):
                return
            tick = int(settlement["tick"])
            writer.store(settlement)
            metrics.tick.set(tick)
            if tick > newest["tick"] + 1:
                asyncio.ensure_future(backfill())
            newest["tick"] = max(newest["tick"], tick)

        # The retained settlement: the last one, in case it came while the recorder was down.
        await session.subscribe(on_settlement, uris.settlement, options=SubscribeOptions(get_retained=True))
        await session.register(checked(db.count), uris.report("count"))

        async def periodic(by: str, only: Any = None) -> dict[str, Any]:
            request = rpc_arguments(ReportRequest, only=only)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, report_of, target, by, request.only)

        await session.register(checked(lambda only=None: periodic("day", only)), uris.report("daily"))
        await session.register(checked(lambda only=None: periodic("month", only)), uris.report("monthly"))

        def recent(ticks: int = 720) -> list[dict[str, Any]]:
            return db.recent(rpc_arguments(RecentRequest, ticks=ticks).ticks)

        await session.register(checked(recent), uris.report("recent"))
        asyncio.ensure_future(backfill())
        writer.attach(session, uris)
        log.info("recording to %s (%d ticks stored)", safe_url(target), db.count()["ticks"])

    run_component(comp)


class Writer:
    """Writes settlements in order; when the database refuses, keeps them, pauses the clock,
    retries every ``RETRY_S`` and resumes the clock once all are written."""

    RETRY_S = 1.0

    def __init__(self, db, target: str, metrics: ProcessMetrics) -> None:
        from prometheus_client import Counter, Gauge

        self.db = db
        self.target = target
        self.pending: list[dict[str, Any]] = []
        self.failing: str | None = None  # the error while the database refuses writes
        self.paused_clock = False
        self.session = None
        self.uris = None
        Gauge("homesim_recorder_pending_settlements", "Settlements the recorder keeps because its database refuses writes (0 normally)",
              ["home"], registry=metrics.registry).labels(metrics.home).set_function(self.backlog)
        self.errors = Counter("homesim_recorder_write_errors", "Failed writes to the recorder's database",
                              ["home"], registry=metrics.registry).labels(metrics.home)

    def attach(self, session, uris) -> None:
        """The session to pause and resume the clock through (again after a reconnect)."""
        self.session, self.uris = session, uris
        if self.failing and not self.paused_clock:
            asyncio.ensure_future(self._pause())

    def store(self, settlement: dict[str, Any]) -> None:
        """Write ``settlement`` now, or keep it (behind the others kept) if the database refuses."""
        self.pending.append(settlement)
        if self.failing is None:
            self.flush()

    def flush(self) -> bool:
        """Write what is pending, oldest first; whether everything is written. A settlement
        leaves ``pending`` only once written, and is counted there only while one is refused."""
        while self.pending:
            try:
                self.db.store(self.pending[0])
            except StoreWriteError as error:
                self.errors.inc()
                if self.failing is None:
                    self.failing = str(error)
                    log.error("cannot write to %s: %s; %d settlement(s) kept in memory, pausing the home "
                              "until it can be written", safe_url(self.target), error, len(self.pending))
                    asyncio.ensure_future(self._pause())
                    asyncio.ensure_future(self._retry())
                return False
            self.pending.pop(0)
        if self.failing is not None:
            log.info("writing to %s again: every kept settlement is written", safe_url(self.target))
            self.failing = None
            asyncio.ensure_future(self._resume())
        return True

    def backlog(self) -> int:
        """Settlements kept because the database refuses writes (0 while it takes them)."""
        return len(self.pending) if self.failing is not None else 0

    async def _retry(self) -> None:
        while self.failing is not None:
            await asyncio.sleep(self.RETRY_S)
            self.flush()

    async def _pause(self) -> None:
        if self.session is None or not self.session.is_attached():
            return
        try:
            view = await self.session.call(self.uris.clock("get"))
            if not view.get("paused"):
                await self.session.call(self.uris.clock("pause"))
                self.paused_clock = True
        except Exception as error:  # noqa: BLE001 - the clock may be restarting; retried on attach
            log.warning("could not pause the clock: %s", error)

    async def _resume(self) -> None:
        if not self.paused_clock or self.session is None or not self.session.is_attached():
            return
        try:
            await self.session.call(self.uris.clock("resume"))
            self.paused_clock = False
            log.info("resumed the clock")
        except Exception as error:  # noqa: BLE001
            log.warning("could not resume the clock: %s", error)
