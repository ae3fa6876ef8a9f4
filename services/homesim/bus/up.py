"""``homesim up``: a live home. Starts the router, the services and one process per device,
supervises them (a process that dies is started again; the controller's desired home says
which devices run), and stops everything cleanly on Ctrl-C or, with ``--ticks N``, once N
ticks are settled and recorded.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from homesim.bus.forkserver import Forked, ForkServer
from homesim.bus.starting import die_with_parent
from homesim.bus.store import safe_url
from homesim.credentials import SERVICES, Credentials  # SERVICES: the service processes, in start order
from homesim.bus.router import free_port, launch_router, router_config, start_router, wait_router, write_node
from homesim.bus.uris import Uris
from homesim.engine.compiled import start_unix_s
from homesim.home import Home, parse_yaml

SRC = Path(__file__).resolve().parents[2]


@dataclass
class Managed:
    """A process the supervisor keeps running."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    metrics_port: int
    labels: dict[str, str]
    process: subprocess.Popen | Forked | None = None
    #: Forks it from the home's fork server where it can (light and fast to start), else exec.
    forkserver: ForkServer | None = None
    restarts: int = 0
    started_at: float = 0.0
    #: Consecutive exits within a minute of starting (restarts back off exponentially).
    quick_exits: int = 0

    def start(self) -> None:
        self.started_at = time.monotonic()
        if self.forkserver is not None and self.command[1:2] == ["-m"]:
            self.process = self.forkserver.start(self.command[2], self.command[3:], self.env, self.log_path)
            if self.process is not None:
                return
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=die_with_parent)
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def restart_due(self) -> bool:
        """Whether an exited process may start again now (0.2 s, then doubling to 30 s if it
        keeps dying within a minute)."""
        lived = time.monotonic() - self.started_at
        if lived > 60:
            self.quick_exits = 0
        return lived >= min(30.0, 0.2 * 2 ** self.quick_exits)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()

    def wait(self, timeout_s: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(0.1, timeout_s))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class LiveHome:
    """A home run live: where it writes, how it is reached, and its processes."""

    home: Home
    home_path: Path
    out: Path
    step: int = 60
    seed: int | None = None
    port: int | None = None
    ticks: int = 0
    speed: str = "max"
    anonymous: str | None = None
    prometheus: bool = False
    db: str | None = None
    home_id: str = ""
    processes: dict[str, Managed] = field(default_factory=dict)
    forkserver: ForkServer | None = None

    def __post_init__(self) -> None:
        self.home_id = self.home_id or re.sub(r"[^a-z0-9_]", "_", self.home_path.stem.lower())[:40] or "home"
        if not self.home_id[0].isalpha():
            self.home_id = "h_" + self.home_id[:38]
        self.uris = Uris(self.home_id)
        self.port = self.port or free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self.out = self.out.resolve()
        self.db_path = self.db or str(self.out / "ledger.sqlite")
        self.logs = self.out / "logs"
        self.live_dir = self.out / "live"
        self.live_home = self.live_dir / "home.yaml"
        #: Written once the authenticator answers: the devices, started with the router, join then.
        self.gate = self.live_dir / "authenticator.ready"
        self.targets_path = self.out / "prometheus" / "targets.json"
        self.home_dir = self.home_path.resolve().parent
        self.seed = self.home.seed if self.seed is None else self.seed
        inverters = [d.id for d in self.home.devices if d.JOINS_AS == "service"]  # the inverter settles the home
        self.credentials = Credentials.generate(list(SERVICES) + ["supervisor"] + inverters)

    # --- environment -------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOMESIM_")}
        env.update({
            "HOMESIM_ROUTER_URL": self.url,
            "HOMESIM_HOME_ID": self.home_id,
            "HOMESIM_HOME": str(self.live_home),
            "HOMESIM_HOME_DIR": str(self.home_dir),
            "HOMESIM_LIVE_DIR": str(self.live_dir),
            "HOMESIM_STEP": str(self.step),
            "HOMESIM_START": self.home.start.isoformat(),
            "HOMESIM_START_UNIX": str(start_unix_s(self.home)),
            "HOMESIM_SEED": str(self.seed),
            "HOMESIM_TICKS": str(self.ticks),
            "HOMESIM_SPEED": self.speed,
            "HOMESIM_DB": str(self.db_path),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        })
        for key in ("HOMESIM_LOGLEVEL", "HOMESIM_BARRIER_TIMEOUT_S", "HOMESIM_WAMP_LOGLEVEL", "HOMESIM_JIT",
                    "HOMESIM_REPUBLISH_S"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def service_env(self, name: str) -> dict[str, str]:
        env = self.base_env()
        env.update({"HOMESIM_AUTHID": name, "HOMESIM_SECRET": self.credentials.services[name]})
        if name == "authorizer":
            env.update({"HOMESIM_DEVICE_KEY": self.credentials.device_key,
                        "HOMESIM_DEVICE_ROLES": ",".join(self.initial_devices()),
                        "HOMESIM_VIEWER_TICKET": self.credentials.viewer_ticket,
                        "HOMESIM_OPERATOR_TICKET": self.credentials.operator_ticket})
        return env

    def initial_devices(self) -> list[str]:
        """Devices with a router role of their own (those of the home file; not the inverter)."""
        return [d.id for d in self.home.devices if d.id not in self.credentials.services]

    def device_env(self, device_id: str) -> dict[str, str]:
        if device_id in self.credentials.services:  # the inverter settles: a service
            return self.service_env(device_id)
        env = self.base_env()
        env.update({"HOMESIM_AUTHID": device_id, "HOMESIM_TICKET": self.credentials.device_ticket(device_id),
                    "HOMESIM_JOIN_AFTER": str(self.gate)})
        return env

    # --- processes -----------------------------------------------------------------------

    def add_service(self, name: str) -> Managed:
        return self._add(name, [sys.executable, "-m", "homesim.bus.services", name], self.service_env(name),
                         {"process": name, "kind": "service"})

    def add_device(self, device_id: str, kind: str) -> Managed:
        command = [sys.executable, "-m", "homesim.bus.device", "--kind", kind, "--id", device_id,
                   "--home", str(self.live_home)]
        return self._add(f"device.{device_id}", command, self.device_env(device_id),
                         {"process": device_id, "device": device_id, "kind": kind})

    def _add(self, name: str, command: list[str], env: dict[str, str], labels: dict[str, str]) -> Managed:
        port = free_port()
        env["HOMESIM_METRICS_PORT"] = str(port)
        managed = Managed(name, command, env, self.logs / f"{name}.log", port, {"home": self.home_id, **labels},
                          forkserver=None if name == "planner" else self.forkserver)  # the planner compiles
        self.processes[name] = managed
        return managed

    def ui_url(self, role: str) -> str:
        """The UI's address with this run's ticket in the fragment (never sent to a server)."""
        ticket = self.credentials.operator_ticket if role == "operator" else self.credentials.viewer_ticket
        return f"http://127.0.0.1:{self.port}/#home={self.home_id}&authid={role}&ticket={ticket}"

    def write_ui_link(self, role: str) -> Path:
        """``OUT/ui-<role>.html``, readable by the owner only: a page that opens :meth:`ui_url`
        (the UI with the role's ticket), what ``homesim up`` prints instead of the link itself."""
        path = self.out / f"ui-{role}.html"
        url = html.escape(self.ui_url(role), quote=True)
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(f'<!doctype html><meta charset="utf-8"><title>homesim {role}</title>\n'
                       f'<meta http-equiv="refresh" content="0; url={url}">\n'
                       f'<a href="{url}">Open the homesim UI as {role}</a>\n')
        os.replace(tmp, path)
        return path

    def write_targets(self) -> None:
        """Prometheus file_sd targets: every process's metrics endpoint, with its labels."""
        targets = [{"targets": [f"127.0.0.1:{m.metrics_port}"], "labels": m.labels}
                   for m in self.processes.values()]
        self.targets_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.targets_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(targets, indent=2))
        os.replace(tmp, self.targets_path)

    def write_credentials(self) -> Path:
        """The viewer's and operator's tickets, readable by the owner only."""
        path = self.out / "credentials.json"
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(json.dumps({"url": self.url, "realm": "home", "home": self.home_id,
                                    "viewer": {"authid": "viewer", "ticket": self.credentials.viewer_ticket},
                                    "operator": {"authid": "operator", "ticket": self.credentials.operator_ticket}},
                                   indent=2))
        os.replace(tmp, path)  # whole or not at all, never readable by others
        return path

    def write_live_home(self) -> None:
        """The desired home the controller takes over: all devices, none switched off."""
        self.live_dir.mkdir(parents=True, exist_ok=True)
        self.gate.unlink(missing_ok=True)
        self.live_home.write_text(f"# The live home (version 0). Relative paths resolve against {self.home_dir}.\n"
                                  + yaml.safe_dump(self.home.model_dump(mode="json"), sort_keys=False))
        (self.live_dir / "state.json").write_text(json.dumps({"version": 0, "off": []}))

    def desired_devices(self) -> dict[str, str]:
        """Device id -> kind of every device that should run now (controller's files)."""
        try:
            state = json.loads((self.live_dir / "state.json").read_text())
            data = parse_yaml(self.live_home.read_text())  # as a home file is read
        except (OSError, ValueError, yaml.YAMLError):
            return {}
        return {d["id"]: d["kind"] for d in data["devices"] if d["id"] not in state["off"]}


def run_up(live: LiveHome, print_fn=print, first_block: Callable[[], None] | None = None) -> int:
    """Run the live home until Ctrl-C, or until ``live.ticks`` are settled and recorded.
    ``first_block``: a check of the home's first block (``homesim.preflight.preflight_run``),
    run while the router starts; what it raises stops everything and is raised."""
    live.out.mkdir(parents=True, exist_ok=True)
    live.logs.mkdir(parents=True, exist_ok=True)
    for old in live.logs.glob("*.log"):  # a new run, new logs
        old.unlink()
    (live.out / "credentials.json").unlink(missing_ok=True)  # and new tickets (a client waits for them)
    from homesim.bus.store import is_postgres

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
    print_fn(f"homesim: starting the router and {len(live.home.devices)} devices of {live.home.name!r} ...")
    # The router and the fork server each take seconds to import and start: together, and the
    # authorizer (forked) meanwhile, so that it joins as soon as the router listens.
    router = launch_router(cbdir, live.logs / "router.log", with_parent=True)
    live.forkserver = ForkServer(live.base_env(), live.logs / "forkserver.log", die_with_parent)
    live.forkserver.launch()
    stopping = {"now": False}
    scraper = None

    def request_stop(*_):
        stopping["now"] = True

    previous = (signal.signal(signal.SIGINT, request_stop), signal.signal(signal.SIGTERM, request_stop))
    try:
        for name in SERVICES:
            live.add_service(name)
        # Everything but the clock and the planner while the router starts: each device computes
        # its first block meanwhile, and joins once the router listens and (the gate) the
        # authenticator answers tickets.
        for name in ("authorizer", "recorder", "watcher", "controller"):
            live.processes[name].start()
        running_devices = live.desired_devices()
        for device_id, kind in running_devices.items():
            live.add_device(device_id, kind).start()
        live.write_targets()
        if first_block is not None:
            first_block()
        router = wait_router(router, live.port, live.logs / "router.log")
        asyncio.run(_wait_registered(live, [live.uris.authenticator, live.uris.authorizer]))
        live.gate.touch()
        # As soon as tickets are checked: a client may join before the first tick (and watch it).
        credentials = live.write_credentials()
        asyncio.run(_wait_registered(live, [live.uris.report("count"), live.uris.controller("list"),
                                            live.uris.settlements_since]
                                     + [live.uris.get(d) for d in running_devices]))
        clock = live.processes["clock"]
        clock.start()
        began = time.monotonic()
        # The planner (it imports numba and the engine: seconds of CPU) once the home runs: no
        # first tick waits for it; the home is said live once it answers (the UI's plan panel).
        live.processes["planner"].start()
        # A clock with --ticks may have run them all and left before the planner answers.
        finished = {live.uris.clock("get"): lambda: bool(live.ticks) and clock.process.poll() == 0}
        asyncio.run(_wait_registered(live, [live.uris.clock("get"), live.uris.plan("optimize")], finished))
        print_fn(f"homesim: {live.home.name!r} is live at {live.url} (realm home, home id {live.home_id})")
        # Not the links themselves: they carry the tickets, and a terminal's scrollback or a CI
        # log would keep them. Each opens from a file only its owner can read.
        print_fn(f"homesim: UI (operator): {live.write_ui_link('operator').as_uri()} "
                 f"(opens http://127.0.0.1:{live.port}/ with the operator's ticket; readable by you only)")
        print_fn(f"homesim: UI (viewer, watch only): {live.write_ui_link('viewer').as_uri()}")
        print_fn(f"homesim: recorder writes {safe_url(live.db_path)}; the bus is documented at "
                 f"http://127.0.0.1:{live.port}/specs/")
        if live.anonymous:
            print_fn(f"homesim: WARNING: anyone on this machine can join without credentials as {live.anonymous}")
        print_fn(f"homesim: viewer/operator tickets in {credentials}; logs in {live.logs}")
        print_fn(f"homesim: Prometheus targets in {live.targets_path}")
        if live.prometheus:
            from homesim.bus import prometheus

            prometheus_port = free_port()
            scraper = prometheus.start(live.targets_path.parent, prometheus_port, live.logs / "prometheus.log",
                                       with_parent=True)
            print_fn(f"homesim: Prometheus at http://127.0.0.1:{prometheus_port}/ (scraping every process)")
        desired_mtime = 0.0
        router_started = time.monotonic()
        while not stopping["now"]:
            time.sleep(0.1)
            if router.poll() is not None and not stopping["now"]:
                # Everyone reconnects with backoff; devices keep their state in memory and the
                # clock its position; the retained topics come back with the next settlement.
                print_fn(f"homesim: the router exited ({router.returncode}); restarting it")
                router = _restart_router(router, cbdir, live, router_started, print_fn, stopping)
                router_started = time.monotonic()
                continue
            if live.ticks and clock.process is not None and clock.process.poll() == 0:
                break
            mtime = _mtime(live.live_dir / "state.json")
            if mtime != desired_mtime:
                desired_mtime = mtime
                _reconcile(live, print_fn)
            for managed in list(live.processes.values()):
                if managed.process is not None and not managed.alive() and not stopping["now"]:
                    if managed is clock and live.ticks and managed.process.returncode == 0:
                        continue
                    if not managed.restart_due():
                        continue
                    managed.restarts += 1
                    managed.quick_exits += 1
                    print_fn(f"homesim: {managed.name} exited ({managed.process.returncode}); restarting it")
                    managed.start()
        if live.ticks and not stopping["now"]:
            asyncio.run(_wait_recorded(live, live.ticks))
            elapsed = time.monotonic() - began
            print_fn(f"homesim: {live.ticks} ticks settled and recorded in {elapsed:.1f} s "
                     f"({live.ticks / elapsed:.0f} ticks/s); ledger: homesim ledger {safe_url(live.db_path)} --out DIR")
        return 0
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
        for managed in live.processes.values():
            managed.stop()
        deadline = time.monotonic() + 5
        for managed in live.processes.values():
            managed.wait(deadline - time.monotonic())
        live.forkserver.stop()
        if scraper is not None:
            scraper.terminate()
            try:
                scraper.wait(10)
            except subprocess.TimeoutExpired:
                scraper.kill()
        router.terminate()
        try:
            router.wait(10)
        except subprocess.TimeoutExpired:
            router.kill()
        if stopping["now"]:
            print_fn(f"homesim: stopped; {_recorded(live.db_path)} ticks recorded in {safe_url(live.db_path)} "
                     f"(export: homesim ledger DB --out DIR; reports: homesim report DB)")


def _restart_router(old: subprocess.Popen, cbdir: Path, live: LiveHome, last_start: float,
                    print_fn, stopping: dict[str, bool]) -> subprocess.Popen:
    """Start the router again on the same port and configuration (after what is left of the
    old one, e.g. an orphaned worker, is killed); retried every 2 s until it listens, or
    until a stop is asked for (then the dead one is returned)."""
    try:
        os.killpg(old.pid, signal.SIGKILL)  # its worker processes, if they outlived it
    except OSError:
        pass
    time.sleep(max(0.0, 1.0 - (time.monotonic() - last_start)))  # no tight loop if it keeps dying
    while not stopping["now"]:
        try:
            return start_router(cbdir, live.port, live.logs / "router.log", with_parent=True)
        except RuntimeError as error:
            print_fn(f"homesim: the router did not start again ({error}); retrying in 2 s")
            time.sleep(2.0)
    return old


def _check_writable(target: str) -> None:
    """Refuse to start on a recorder database that can't be written (read-only, full...)."""
    from homesim.bus.store import StoreWriteError, open_store, safe_url
    from homesim.errors import BadInput

    try:
        open_store(target).close()
    except (StoreWriteError, BadInput) as error:
        raise RuntimeError(f"the recorder can't write its database {safe_url(target)}: {error}") from None


def _recorded(target: str) -> int:
    from homesim.bus.store import open_store

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
    desired = live.desired_devices()
    if not desired:
        return
    changed = False
    for name, managed in list(live.processes.items()):
        if name.startswith("device.") and name.removeprefix("device.") not in desired:
            managed.stop()
            managed.wait(3.0)
            del live.processes[name]
            print_fn(f"homesim: {name.removeprefix('device.')} stopped (switched off or removed)")
            changed = True
    for device_id, kind in desired.items():
        if f"device.{device_id}" not in live.processes:
            live.add_device(device_id, kind).start()
            print_fn(f"homesim: {device_id} ({kind}) started")
            changed = True
    if changed:
        live.write_targets()


async def supervisor_session(live: LiveHome):
    """A session of the supervisor (service role, WAMP-CRA) for readiness and progress."""
    from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
    from autobahn.wamp import auth

    joined: asyncio.Future = asyncio.get_running_loop().create_future()
    secret = live.credentials.services["supervisor"]

    class Supervisor(ApplicationSession):
        def onConnect(self):
            self.join(self.config.realm, ["wampcra"], "supervisor")

        def onChallenge(self, challenge):
            return auth.compute_wcs(secret, challenge.extra["challenge"])

        async def onJoin(self, details):
            if not joined.done():
                joined.set_result(self)

    runner = ApplicationRunner(live.url, "home")
    asyncio.ensure_future(runner.run(Supervisor, start_loop=False))
    return await asyncio.wait_for(joined, 30)


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
