"""A home run live (``homesim up``): where it writes, how it is reached, each process's command
and environment (:class:`LiveHome`), and a process the supervisor keeps running
(:class:`Managed`). Starting, watching and stopping them is :mod:`homesim.bus.up`'s."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from homesim.bus.forkserver import Forked, ForkServer
from homesim.bus.router import free_port
from homesim.bus.starting import die_with_parent
from homesim.bus.uris import Uris
from homesim.credentials import SERVICES, Credentials
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
