"""``homesim up``: a live home. Starts the router, the services and one process per device,
supervises them (a process that dies is started again; the controller's desired home says
which devices run), and stops everything cleanly on Ctrl-C or, with ``--ticks N``, once N
ticks are settled and recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp import auth

from homesim.bus import prometheus
from homesim.bus.forkserver import ForkServer
from homesim.bus.livehome import LiveHome, Managed
from homesim.bus.router import free_port, launch_router, router_config, start_router, wait_router, write_node
from homesim.bus.starting import die_with_parent
from homesim.bus.store import StoreWriteError, is_postgres, open_store, safe_url
from homesim.credentials import SERVICES  # the service processes, in start order
from homesim.errors import BadInput

__all__ = ["LiveHome", "Managed", "run_up"]  # LiveHome and Managed: homesim.bus.livehome's


def run_up(live: LiveHome, print_fn=print, first_block: Callable[[], None] | None = None) -> int:
    """Run the live home until Ctrl-C, or until ``live.ticks`` are settled and recorded.
    ``first_block``: a check of the home's first block (``homesim.preflight.preflight_run``),
    run while the router starts; what it raises stops everything and is raised."""
    cbdir = prepare_out(live)
    print_fn(f"homesim: starting the router and {len(live.home.devices)} devices of {live.home.name!r} ...")
    run = Supervisor(live, cbdir, print_fn)
    previous = (signal.signal(signal.SIGINT, run.request_stop), signal.signal(signal.SIGTERM, run.request_stop))
    try:
        began = run.start(first_block)
        for line in announcement(live, run.credentials):
            print_fn(line)
        run.start_prometheus()
        run.supervise()
        if live.ticks and not run.stopping:
            asyncio.run(_wait_recorded(live, live.ticks))
            elapsed = time.monotonic() - began
            print_fn(f"homesim: {live.ticks} ticks settled and recorded in {elapsed:.1f} s "
                     f"({live.ticks / elapsed:.0f} ticks/s); ledger: homesim ledger {safe_url(live.db_path)} --out DIR")
        return 0
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
        run.stop_all()
        if run.stopping:
            print_fn(f"homesim: stopped; {_recorded(live.db_path)} ticks recorded in {safe_url(live.db_path)} "
                     f"(export: homesim ledger DB --out DIR; reports: homesim report DB)")


def prepare_out(live: LiveHome) -> Path:
    """``live.out`` made ready for a new run: new logs, no old tickets, a new SQLite database
    (PostgreSQL: the caller's to give), checked writable; the live home and the router's
    configuration written. Returns the router's directory."""
    live.out.mkdir(parents=True, exist_ok=True)
    live.logs.mkdir(parents=True, exist_ok=True)
    for old in live.logs.glob("*.log"):  # a new run, new logs
        old.unlink()
    (live.out / "credentials.json").unlink(missing_ok=True)  # and new tickets (a client waits for them)
    if not is_postgres(live.db_path):  # a new run, a new database (PostgreSQL: the caller's to give)
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(live.db_path + suffix).unlink(missing_ok=True)
            except OSError as error:
                raise RuntimeError(f"the recorder database {live.db_path} can't be replaced: {error.strerror}") from None
    _check_writable(live.db_path)
    live.write_live_home()
    cbdir = live.out / "router"
    write_node(cbdir, router_config(live.uris, live.port, live.credentials, live.initial_devices(),
                                    anonymous_role=live.anonymous))
    return cbdir


def start_order(services: Iterable[str] = SERVICES) -> tuple[list[str], list[str]]:
    """The services started with the router (before the devices), and those started once every
    device answers, in this order: the clock (the first tick waits for nothing else), then the
    planner (it imports numba and the engine: seconds of CPU)."""
    late = [name for name in ("clock", "planner") if name in services]
    return [name for name in services if name not in late], late


def announcement(live: LiveHome, credentials: Path) -> list[str]:
    """What ``homesim up`` says once the home is live (the UI's links written to files only the
    owner can read: the links carry the tickets, and a terminal's scrollback or a CI log would
    keep them)."""
    lines = [f"homesim: {live.home.name!r} is live at {live.url} (realm home, home id {live.home_id})",
             f"homesim: UI (operator): {live.write_ui_link('operator').as_uri()} "
             f"(opens http://127.0.0.1:{live.port}/ with the operator's ticket; readable by you only)",
             f"homesim: UI (viewer, watch only): {live.write_ui_link('viewer').as_uri()}",
             f"homesim: recorder writes {safe_url(live.db_path)}; the bus is documented at "
             f"http://127.0.0.1:{live.port}/specs/"]
    if live.anonymous:
        lines.append(f"homesim: WARNING: anyone on this machine can join without credentials as {live.anonymous}")
    lines += [f"homesim: viewer/operator tickets in {credentials}; logs in {live.logs}",
              f"homesim: Prometheus targets in {live.targets_path}"]
    return lines


def reconcile_plan(running: Iterable[str], desired: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The device processes (names ``device.<id>`` among ``running``) to stop, and the devices
    (id -> kind) to start, for ``desired`` (the controller's); nothing when it names none (its
    files unreadable)."""
    if not desired:
        return [], {}
    running = list(running)
    stop = [name for name in running if name.startswith("device.") and name.removeprefix("device.") not in desired]
    start = {device_id: kind for device_id, kind in desired.items() if f"device.{device_id}" not in running}
    return stop, start


class Supervisor:
    """``homesim up``'s processes: the router, the fork server, the services and the devices,
    started in order, kept running (restarted if they die, the devices the controller wants)
    and stopped."""

    def __init__(self, live: LiveHome, cbdir: Path, print_fn: Callable[[str], None]) -> None:
        self.live, self.cbdir, self.print = live, cbdir, print_fn
        self.stopping = False
        self.scraper: subprocess.Popen | None = None
        self.credentials = live.out / "credentials.json"
        # The router and the fork server each take seconds to import and start: together, and
        # the authorizer (forked) meanwhile, so that it joins as soon as the router listens.
        self.router = launch_router(cbdir, live.logs / "router.log", with_parent=True)
        live.forkserver = ForkServer(live.base_env(), live.logs / "forkserver.log", die_with_parent)
        live.forkserver.launch()

    def request_stop(self, *_) -> None:
        self.stopping = True

    def start(self, first_block: Callable[[], None] | None) -> float:
        """Start every process in order and wait until each answers; returns when the clock
        started [s, monotonic]."""
        live = self.live
        for name in SERVICES:
            live.add_service(name)
        early, late = start_order()
        # Everything but the clock and the planner while the router starts: each device computes
        # its first block meanwhile, and joins once the router listens and (the gate) the
        # authenticator answers tickets.
        for name in early:
            live.processes[name].start()
        running_devices = live.desired_devices()
        for device_id, kind in running_devices.items():
            live.add_device(device_id, kind).start()
        live.write_targets()
        if first_block is not None:
            first_block()
        self.router = wait_router(self.router, live.port, live.logs / "router.log")
        asyncio.run(_wait_registered(live, [live.uris.authenticator, live.uris.authorizer]))
        live.gate.touch()
        # As soon as tickets are checked: a client may join before the first tick (and watch it).
        self.credentials = live.write_credentials()
        asyncio.run(_wait_registered(live, [live.uris.report("count"), live.uris.controller("list"),
                                            live.uris.settlements_since]
                                     + [live.uris.get(d) for d in running_devices]))
        clock = live.processes["clock"]
        began = time.monotonic()
        for name in late:  # the planner once the home runs: no first tick waits for it
            live.processes[name].start()
            if name == "clock":
                began = time.monotonic()
        # The home is said live once the planner answers too (the UI's plan panel). A clock with
        # --ticks may have run them all and left before the planner answers.
        finished = {live.uris.clock("get"): lambda: bool(live.ticks) and clock.process.poll() == 0}
        asyncio.run(_wait_registered(live, [live.uris.clock("get"), live.uris.plan("optimize")], finished))
        return began

    def start_prometheus(self) -> None:
        """With ``live.prometheus``, a Prometheus scraping every process."""
        if not self.live.prometheus:
            return
        prometheus_port = free_port()
        self.scraper = prometheus.start(self.live.targets_path.parent, prometheus_port,
                                        self.live.logs / "prometheus.log", with_parent=True)
        self.print(f"homesim: Prometheus at http://127.0.0.1:{prometheus_port}/ (scraping every process)")

    def supervise(self) -> None:
        """Until a stop is asked for (or, with ``--ticks``, the clock has run them): the router
        restarted if it exits, the devices the controller wants run, a process that died restarted."""
        live = self.live
        clock = live.processes["clock"]
        desired_mtime = 0.0
        router_started = time.monotonic()
        while not self.stopping:
            time.sleep(0.1)
            if self.router.poll() is not None and not self.stopping:
                # Everyone reconnects with backoff; devices keep their state in memory and the
                # clock its position; the retained topics come back with the next settlement.
                self.print(f"homesim: the router exited ({self.router.returncode}); restarting it")
                self.router = _restart_router(self.router, self.cbdir, live, router_started, self.print,
                                              lambda: self.stopping)
                router_started = time.monotonic()
                continue
            if live.ticks and clock.process is not None and clock.process.poll() == 0:
                break
            mtime = _mtime(live.live_dir / "state.json")
            if mtime != desired_mtime:
                desired_mtime = mtime
                _reconcile(live, self.print)
            self.restart_exited()

    def restart_exited(self) -> None:
        """Start again each process that exited (when its backoff allows; not a clock that ran
        its ``--ticks``)."""
        live = self.live
        for managed in list(live.processes.values()):
            if managed.process is not None and not managed.alive() and not self.stopping:
                if managed.name == "clock" and live.ticks and managed.process.returncode == 0:
                    continue
                if not managed.restart_due():
                    continue
                managed.restarts += 1
                managed.quick_exits += 1
                self.print(f"homesim: {managed.name} exited ({managed.process.returncode}); restarting it")
                managed.start()

    def stop_all(self) -> None:
        """Every process stopped (5 s for all to leave, then killed), then the fork server, the
        Prometheus and the router."""
        live = self.live
        for managed in live.processes.values():
            managed.stop()
        deadline = time.monotonic() + 5
        for managed in live.processes.values():
            managed.wait(deadline - time.monotonic())
        live.forkserver.stop()
        for process in (self.scraper, self.router):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _restart_router(old: subprocess.Popen, cbdir: Path, live: LiveHome, last_start: float,
                    print_fn, stopping: Callable[[], bool]) -> subprocess.Popen:
    """Start the router again on the same port and configuration (after what is left of the
    old one, e.g. an orphaned worker, is killed); retried every 2 s until it listens, or
    until a stop is asked for (then the dead one is returned)."""
    try:
        os.killpg(old.pid, signal.SIGKILL)  # its worker processes, if they outlived it
    except OSError:
        pass
    time.sleep(max(0.0, 1.0 - (time.monotonic() - last_start)))  # no tight loop if it keeps dying
    while not stopping():
        try:
            return start_router(cbdir, live.port, live.logs / "router.log", with_parent=True)
        except RuntimeError as error:
            print_fn(f"homesim: the router did not start again ({error}); retrying in 2 s")
            time.sleep(2.0)
    return old


def _check_writable(target: str) -> None:
    """Refuse to start on a recorder database that can't be written (read-only, full...)."""
    try:
        open_store(target).close()
    except (StoreWriteError, BadInput) as error:
        raise RuntimeError(f"the recorder can't write its database {safe_url(target)}: {error}") from None


def _recorded(target: str) -> int:
    try:
        store = open_store(target, read_only=True)
        try:
            return store.count()["ticks"]
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - a summary line only
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0.0


def _reconcile(live: LiveHome, print_fn) -> None:
    """Start the devices the controller wants and stop those it no longer wants."""
    stop, start = reconcile_plan(live.processes, live.desired_devices())
    for name in stop:
        managed = live.processes[name]
        managed.stop()
        managed.wait(3.0)
        del live.processes[name]
        print_fn(f"homesim: {name.removeprefix('device.')} stopped (switched off or removed)")
    for device_id, kind in start.items():
        live.add_device(device_id, kind).start()
        print_fn(f"homesim: {device_id} ({kind}) started")
    if stop or start:
        live.write_targets()


#: How long the supervisor tries to join the router [s], and how long one try waits [s].
SUPERVISOR_JOIN_S, SUPERVISOR_TRY_S = 60.0, 5.0


async def supervisor_session(live: LiveHome, timeout_s: float = SUPERVISOR_JOIN_S):
    """A session of the supervisor (service role, WAMP-CRA) for readiness and progress.

    The router accepts connections a moment before it serves its WebSocket path (a try then
    fails with ``404``, more often on a busy machine), so a try that has not joined after
    :data:`SUPERVISOR_TRY_S` is followed by another, until ``timeout_s``; then a RuntimeError
    naming the router's log (was a bare ``TimeoutError``: ``homesim:`` and nothing after it)."""
    joined: asyncio.Future = asyncio.get_running_loop().create_future()
    secret = live.credentials.services["supervisor"]

    class Supervisor(ApplicationSession):
        def onConnect(self):
            self.join(self.config.realm, ["wampcra"], "supervisor")

        def onChallenge(self, challenge):
            return auth.compute_wcs(secret, challenge.extra["challenge"])

        async def onJoin(self, details):
            if joined.done():
                self.leave()  # an earlier try got there first
            else:
                joined.set_result(self)

    deadline = time.monotonic() + timeout_s
    while True:
        asyncio.ensure_future(ApplicationRunner(live.url, "home").run(Supervisor, start_loop=False))
        try:
            return await asyncio.wait_for(asyncio.shield(joined), SUPERVISOR_TRY_S)
        except (TimeoutError, asyncio.TimeoutError):
            if time.monotonic() >= deadline:
                raise RuntimeError(f"could not join the router at {live.url} within {timeout_s:.0f} s; "
                                   f"see {live.logs / 'router.log'}") from None


async def _wait_registered(live: LiveHome, procedures: list[str], finished: dict | None = None,
                           timeout_s: float = 180.0) -> None:
    """Wait until every procedure is registered (its process is up and joined), or, for those
    in ``finished``, until its callable says the process did its work and left."""
    finished = finished or {}
    session = await supervisor_session(live)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            missing = [uri for uri in procedures if not (uri in finished and finished[uri]())
                       and await session.call("wamp.registration.lookup", uri) is None]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout_s:.0f} s: {', '.join(missing)}; see {live.logs}")
            await asyncio.sleep(0.2)
    finally:
        session.leave()


async def _wait_recorded(live: LiveHome, ticks: int, timeout_s: float = 60.0) -> None:
    session = await supervisor_session(live)
    deadline = time.monotonic() + timeout_s
    try:
        while (await session.call(live.uris.report("count")))["ticks"] < ticks:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the recorder did not store {ticks} ticks within {timeout_s:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        session.leave()
