"""Helpers for tests against a live home: ``homesim up`` in a subprocess (a real Crossbar
router and real processes) and a synchronous WAMP client running in a thread."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

from autobahn.asyncio.component import Component
from autobahn.wamp.types import PublishOptions, SubscribeOptions

ROOT = Path(__file__).resolve().parents[2]


class LiveProcess:
    """``homesim up HOME ...`` running in the background."""

    def __init__(self, home: Path, out: Path, *args: str, env: dict[str, str] | None = None,
                 early: bool = False) -> None:
        """``early``: return as soon as the tickets are written (the authenticator answers; the
        clock may not have started), not once ``homesim up`` says the home is live."""
        self.out = out
        self.log_path = out.parent / f"{out.name}.up.log"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "homesim.cli", "up", str(home), "--out", str(out), *args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=ROOT,
            start_new_session=True)
        try:
            if early:
                wait_until(lambda: (out / "credentials.json").exists() or self.process.poll() is not None, 240,
                           "the tickets written")
                if self.process.poll() is not None:
                    raise RuntimeError(f"homesim up exited ({self.process.returncode}):\n{self.output()}")
                self.credentials = json.loads((out / "credentials.json").read_text())
                self.url = self.credentials["url"]
            else:
                self.url = self.wait_for(r"is live at (ws://\S+)", 240)
                self.credentials = json.loads((out / "credentials.json").read_text())
            self.home_id = self.credentials["home"]
        except BaseException:  # never leave a home running behind a failed start (it slows every later test)
            self.stop()
            raise

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, pattern: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"homesim up exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.2)
        raise TimeoutError(f"no {pattern!r} within {timeout_s} s:\n{self.output()}")

    def pid_of(self, process_name: str) -> int:
        """The pid of one of the home's processes (``device.<id>``, ``clock``, ``forkserver``...)."""
        needle = f"--id {process_name.removeprefix('device.')} " if process_name.startswith("device.") \
            else "-m homesim.bus.forkserver " if process_name == "forkserver" else f"homesim.bus.services {process_name}"
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if needle in cmdline + " " and f"HOMESIM_LIVE_DIR={self.out / 'live'}".encode() in environ:
                return int(entry.name)
        raise LookupError(f"no process {process_name} running")

    def client(self, role: str = "operator") -> "BusClient":
        cred = self.credentials[role]
        return BusClient(self.url, cred["authid"], ticket=cred["ticket"])

    def env_of(self, process_name: str) -> dict[str, str]:
        """The environment of one of the home's processes (its credentials: what an attacker on
        the host could read)."""
        raw = Path(f"/proc/{self.pid_of(process_name)}/environ").read_bytes().decode()
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)

    def metrics(self, process: str) -> dict[str, float]:
        """One scrape of a process's ``/metrics`` (``inverter``, ``battery``, ``clock``, ...), found in
        the Prometheus targets file ``homesim up`` writes: sample (with its labels) -> value."""
        targets = json.loads((self.out / "prometheus" / "targets.json").read_text())
        address = next(t["targets"][0] for t in targets if t["labels"]["process"] == process)
        text = urllib.request.urlopen(f"http://{address}/metrics", timeout=5).read().decode()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line and not line.startswith("#")}

    def metric(self, process: str, name: str) -> float:
        """The value of the one sample of ``name`` that ``process`` serves."""
        return next(v for k, v in self.metrics(process).items() if k.split("{")[0] == name)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return self.process.returncode


class BusClient:
    """A WAMP session in a background thread, used synchronously from a test."""

    def __init__(self, url: str, authid: str, ticket: str | None = None, secret: str | None = None) -> None:
        """Join with a ticket (devices, viewer, operator), a WAMP-CRA ``secret`` (services) or,
        with neither, anonymously."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.session = None
        joined = threading.Event()
        if secret is not None:
            authentication = {"wampcra": {"authid": authid, "secret": secret}}
        elif ticket is not None:
            authentication = {"ticket": {"authid": authid, "ticket": ticket}}
        else:
            authentication = {"anonymous": {}}
        self.component = Component(transports=[{"url": url, "max_retries": 0}], realm="home",
                                   authentication=authentication)

        @self.component.on_join
        async def on_join(session, details):
            self.session = session
            self.details = details
            joined.set()

        self.failure: BaseException | None = None

        async def start():
            try:
                await self.component.start(self.loop)
            except BaseException as error:  # noqa: BLE001 - reported to the test
                self.failure = error
                joined.set()

        asyncio.run_coroutine_threadsafe(start(), self.loop)
        if not joined.wait(30) or self.session is None:
            raise RuntimeError(f"could not join as {authid}: {self.failure}")

    def _run(self, start: Callable[[], Any], timeout_s: float = 30.0):
        """Run ``start()`` (returning an awaitable) in the session's loop and wait for it."""
        async def run():
            return await start()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout_s)

    def call(self, uri: str, *args: Any, **kwargs: Any) -> Any:
        return self._run(lambda: self.session.call(uri, *args, **kwargs))

    def call_within(self, timeout_s: float, uri: str, *args: Any, **kwargs: Any) -> Any:
        """``call`` for a slow procedure (a plan): wait up to ``timeout_s``."""
        return self._run(lambda: self.session.call(uri, *args, **kwargs), timeout_s)

    def register(self, uri: str, procedure: Callable[..., Any]) -> Any:
        return self._run(lambda: self.session.register(procedure, uri))

    def unregister(self, registration: Any) -> None:
        self._run(lambda: registration.unregister())

    def subscribe_once(self, topic: str) -> None:
        """Subscribe to ``topic`` and unsubscribe again (raises if refused)."""
        async def both():
            subscription = await self.session.subscribe(lambda *a, **k: None, topic)
            await subscription.unsubscribe()
        self._run(both)

    def publish(self, topic: str, *args: Any, acknowledge: bool = True, **kwargs: Any) -> Any:
        return self._run(lambda: self.session.publish(topic, *args, options=PublishOptions(acknowledge=acknowledge), **kwargs))

    def subscribe(self, topic: str, match: str = "exact", retained: bool = False) -> list[tuple[str, Any]]:
        """Events of ``topic`` as (topic, first argument), collected as they arrive."""
        events: list[tuple[str, Any]] = []

        def on_event(*args, details=None, **_):
            events.append((details.topic or topic, args[0] if args else None))

        self._run(lambda: self.session.subscribe(on_event, topic, options=SubscribeOptions(
            match=match, details_arg="details", get_retained=retained or None)))
        return events

    def close(self) -> None:
        try:
            self._run(lambda: self.session.leave(), 5)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def process_parents() -> dict[int, int]:
    """Every process on the machine and its parent's pid, from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return parents


def wait_until(predicate: Callable[[], Any], timeout_s: float = 20.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{what} not reached within {timeout_s} s")
