"""Slow consumers don't stall the home. A viewer that subscribes to everything and then freezes
(SIGSTOP) changes nothing for the home, and the router drops it once it stops answering pings
(what it buffered for it goes with it). A device that freezes holds each tick up to the
inverter's barrier only until the router drops it; then it is marked missing (and counted in
``homesim_missing_devices``) and the home goes on without waiting for it (counted in ``homesim_barrier_timeouts_total``: no tick
runs into the barrier once it is dropped); thawed, it comes back.

Nothing here is timed: each test waits for ticks and counts what the inverter did with them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


def timeouts(home: LiveProcess) -> float:
    """Ticks the inverter has settled so far because its barrier ran out."""
    return home.metric("inverter", "homesim_barrier_timeouts_total")


def settle_more(settlements: list, count: int, what: str) -> list:
    """Wait for ``count`` more settlements and return them (the home goes on)."""
    start = len(settlements)
    wait_until(lambda: len(settlements) >= start + count, 120, what)
    return [s for _, s in settlements[start:start + count]]


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
        # the home at its pace: every device reports within the inverter's barrier
        wait_until(lambda: len(settlements) >= 2 * SPEED, 60, "the home at its pace")
        before = timeouts(home)
        os.kill(greedy.pid, signal.SIGSTOP)
        # If the router waited on the frozen viewer, devices' events would wait with it: ticks would
        # run into the barrier and settle with devices missing.
        # (A device can be late on its own on a loaded machine: a tenth of the ticks is allowed.)
        during = settle_more(settlements, 10 * SPEED, "ticks settled while the viewer is frozen")
        assert sum(1 for s in during if s["missing"]) <= len(during) / 10
        assert timeouts(home) - before <= len(during) / 10
        wait_until(lambda: not connected(service, greedy_session), 60, "the frozen viewer dropped by the router")
        before = timeouts(home)
        after = settle_more(settlements, 5 * SPEED, "ticks settled after the viewer was dropped")
        assert sum(1 for s in after if s["missing"]) <= len(after) / 10
        assert timeouts(home) - before <= len(after) / 10
    finally:
        os.kill(greedy.pid, signal.SIGCONT)
        greedy.kill()
        greedy.wait()
        service.close()
        operator.close()


def test_a_frozen_device_is_dropped_marked_missing_and_comes_back(home):
    operator = home.client("operator")
    settlements = operator.subscribe(f"home.{home.home_id}.settlement")
    fridge = home.pid_of("device.fridge")  # it answers every tick (a device running ahead, a TV, sent its ticks before)
    try:
        before = timeouts(home)
        os.kill(fridge, signal.SIGSTOP)
        # Until the router drops it, each tick waits for it up to the inverter's barrier ...
        wait_until(lambda: settlements and "fridge" in settlements[-1][1]["missing"], 30, "a tick settled without the fridge")
        assert timeouts(home) > before
        topology = lambda: operator.call(f"home.{home.home_id}.topology.get")["devices"]["fridge"]["status"]  # noqa: E731
        wait_until(lambda: topology() == "missing", 60, "the frozen fridge dropped and marked missing")
        # ... then no tick waits for it: the barrier runs out only when another device is late
        # (a tick settled then lists that device as missing too).
        settle_more(settlements, 3, "ticks settled once the fridge is marked missing")  # the inverter heard it too
        since = timeouts(home)
        after = settle_more(settlements, 5 * SPEED, "ticks settled without the frozen fridge")
        assert all("fridge" in s["missing"] for s in after)
        late_others = sum(1 for s in after if set(s["missing"]) - {"fridge"})
        assert timeouts(home) - since <= late_others + 1  # +1: a tick waiting when the topology changed
        assert all(sum(s["e"].values()) == s["loss_j"] for _, s in settlements)
    finally:
        os.kill(fridge, signal.SIGCONT)
    wait_until(lambda: settlements and not settlements[-1][1]["missing"], 45, "the thawed fridge back")
    operator.close()
