"""Slow consumers don't stall the home. A viewer that subscribes to everything and then freezes
(SIGSTOP) changes nothing for the home, and the router drops it once it stops answering pings
(what it buffered for it goes with it). A device that freezes holds each tick up to the
inverter's barrier only until the router drops it; then it is marked missing (and counted in
``homesim_missing_devices``) and the home goes on at full pace; thawed, it comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))

from conftest import EXAMPLES  # noqa: E402
from live import BusClient, LiveProcess, wait_until  # noqa: E402

SPEED = 20
#: A viewer that subscribes to every topic of the home (prefix match) and prints "ready".
GREEDY_VIEWER = """
import sys
from autobahn.asyncio.component import Component, run
from autobahn.wamp.types import SubscribeOptions
url, home, ticket = sys.argv[1:4]
comp = Component(transports=[{"url": url, "max_retries": 0}], realm="home",
                 authentication={"ticket": {"authid": "viewer", "ticket": ticket}})
@comp.on_join
async def joined(session, details):
    await session.subscribe(lambda *a, **k: None, f"home.{home}.", options=SubscribeOptions(match="prefix"))
    print(details.session, flush=True)
run([comp], log_level="error")
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path_factory.mktemp("slow") / "up", "--speed", str(SPEED))
    yield live
    live.stop()


def rate(events: list, seconds: float) -> float:
    """Settlements per second over the next ``seconds``."""
    start = len(events)
    time.sleep(seconds)
    return (len(events) - start) / seconds


def connected(service: BusClient, session_id: int) -> bool:
    """Whether the router still has the session ``session_id``."""
    try:
        service.call("wamp.session.get", session_id)
        return True
    except ApplicationError as error:
        assert error.error == "wamp.error.no_such_session", error
        return False


def test_a_frozen_viewer_neither_slows_the_home_nor_stays_connected(home):
    watcher = home.env_of("watcher")
    service = BusClient(home.url, "watcher", secret=watcher["HOMESIM_SECRET"])
    operator = home.client("operator")
    settlements = operator.subscribe(f"home.{home.home_id}.settlement")
    greedy = subprocess.Popen([sys.executable, "-c", GREEDY_VIEWER, home.url, home.home_id,
                               home.credentials["viewer"]["ticket"]], stdout=subprocess.PIPE, text=True)
    try:
        greedy_session = int(greedy.stdout.readline())
        assert connected(service, greedy_session)
        # the pace before, measured once the clock is past its start (it may burst to catch up)
        wait_until(lambda: len(settlements) >= 5 * SPEED, 60, "the home at its pace")
        before = rate(settlements, 4)
        os.kill(greedy.pid, signal.SIGSTOP)
        during = rate(settlements, 8)
        assert during >= 0.75 * before, (before, during)
        wait_until(lambda: not connected(service, greedy_session), 60, "the frozen viewer dropped by the router")
        time.sleep(2.0)  # the router lets go of what it buffered for it
        assert rate(settlements, 4) >= 0.75 * before
    finally:
        os.kill(greedy.pid, signal.SIGCONT)
        greedy.kill()
        greedy.wait()
        service.close()
        operator.close()


def test_a_frozen_device_is_dropped_marked_missing_and_comes_back(home):
    operator = home.client("operator")
    settlements = operator.subscribe(f"home.{home.home_id}.settlement")
    tv = home.pid_of("device.tv")
    try:
        before = rate(settlements, 3)
        os.kill(tv, signal.SIGSTOP)
        # Until the router drops it, each tick waits for it up to the inverter's barrier ...
        wait_until(lambda: settlements and "tv" in settlements[-1][1]["missing"], 10, "a tick settled without the tv")
        topology = lambda: operator.call(f"home.{home.home_id}.topology.get")["devices"]["tv"]["status"]  # noqa: E731
        wait_until(lambda: topology() == "missing", 45, "the frozen tv dropped and marked missing")
        time.sleep(1.0)
        assert rate(settlements, 3) >= 0.75 * before  # ... then the home goes on at full pace without it
        assert all(sum(s["e"].values()) == s["loss_j"] for _, s in settlements)
    finally:
        os.kill(tv, signal.SIGCONT)
    wait_until(lambda: settlements and not settlements[-1][1]["missing"], 45, "the thawed tv back")
    operator.close()
