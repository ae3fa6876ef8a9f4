"""Benchmark: the reference home live on the bus at ``--max`` (a real Crossbar router, every
device its own process), side by side with the same router's raw pub/sub rate for messages of
a settlement's size, measured in the same run.

1. ``homesim up examples/home.yaml --max --ticks N``: settled ticks per second, timed by a
   viewer session from the settlement of tick ``--warmup`` to that of tick N-1 (start-up and
   the first ticks, which compute the first block, are not counted).
2. A fresh router with one publisher and one subscriber (Python autobahn, msgpack, as the
   services use): messages per second delivered, for a payload the size of a settlement.

Prints both rates and their ratio. Target: at least 100 settled ticks/s on a 2-core machine,
at most 25 raw messages per settled tick. Before them, in a run of its own, what each tick
sends and to whom (every topic's messages counted per settled tick; the router's meta API
says which sessions receive each).

    python bench/bus.py [--ticks 3000] [--warmup 200] [--messages 20000] [--no-accounting]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests" / "bus"))

from autobahn.asyncio.component import Component  # noqa: E402

from homesim.bus.router import Credentials, free_port, router_config, start_router, write_node  # noqa: E402
from homesim.bus.uris import REALM, Uris  # noqa: E402


def home_rate(ticks: int, warmup: int, out: Path) -> tuple[float, int, int]:
    """Settled ticks per second of the live reference home, a settlement's size [bytes] and
    how many processes the home ran (router not counted)."""
    from live import LiveProcess

    live = LiveProcess(ROOT / "examples" / "home.yaml", out, "--max", "--ticks", str(ticks), early=True)
    client = live.client("viewer")  # before the clock starts: every settlement is seen
    times: dict[int, float] = {}
    sizes: list[int] = []
    done = threading.Event()

    def on_settlement(*args, **_):
        settlement = args[0]
        times[settlement["tick"]] = time.perf_counter()
        if len(sizes) < 50:
            sizes.append(len(json.dumps(settlement)))
        if settlement["tick"] >= ticks - 1:
            done.set()

    client._run(lambda: client.session.subscribe(on_settlement, f"home.{live.home_id}.settlement"))
    if not done.wait(600):
        raise RuntimeError(f"the home did not settle {ticks} ticks:\n{live.output()}")
    client.close()
    processes = len(json.loads((out / "prometheus" / "targets.json").read_text()))
    live.process.wait(120)
    if warmup not in times:
        raise RuntimeError("the viewer joined after the warm-up ticks: raise --warmup")
    rate = (ticks - 1 - warmup) / (times[ticks - 1] - times[warmup])
    printed = re.search(r"\((\d+) ticks/s\)", live.output())
    print(f"  homesim up reported: {printed.group(0) if printed else '?'} (including start of the clock)")
    return rate, int(sum(sizes) / len(sizes)), processes


def accounting(ticks: int, out: Path) -> None:
    """What a tick sends and to whom: the reference home at ``--max`` with a service session
    subscribed to every topic of the home, counting the messages of each topic (per settled
    tick) and asking the router (its meta API) which sessions receive each topic. Printed as a
    table; a run of its own, since the counting session's deliveries would slow the timed one."""
    import collections

    from live import BusClient, LiveProcess

    live = LiveProcess(ROOT / "examples" / "home.yaml", out, "--max", "--ticks", str(ticks))
    secret = live.env_of("watcher")["HOMESIM_SECRET"]
    counter = BusClient(live.url, "watcher", secret=secret)  # a service may call the router's meta API
    prefix = f"home.{live.home_id}."
    seen = counter.subscribe(prefix, match="prefix")
    receivers: dict[str, str] = {}

    def who(topic: str) -> str:
        """The authids of the sessions a publish on ``topic`` reaches (not this counter)."""
        found = []
        matches = counter.call("wamp.subscription.match", topic) or []
        ids = [i for group in matches.values() for i in group] if isinstance(matches, dict) else matches
        for subscription in ids:
            for session in counter.call("wamp.subscription.list_subscribers", subscription) or []:
                if session == counter.details.session:
                    continue
                found.append(counter.call("wamp.session.get", session)["authid"])
        return ", ".join(sorted(found))

    deadline = time.monotonic() + 600
    while live.process.poll() is None and time.monotonic() < deadline:
        for topic in {t for t, _ in list(seen)} - set(receivers):
            try:
                receivers[topic] = who(topic)
            except Exception:  # noqa: BLE001 - the home ended meanwhile
                receivers.setdefault(topic, "?")
        time.sleep(0.2)
    counter.close()
    counts = collections.Counter(t for t, _ in seen)
    settled = counts[f"{prefix}settlement"]
    print(f"  what a tick sends, over {settled} settled ticks at --max (per tick; the counting session not counted):")
    print(f"  {'topic':42s} {'published':>9s} {'delivered':>9s}  to")
    total_published = total_delivered = 0.0
    for topic, count in sorted(counts.items(), key=lambda item: -item[1]):
        to = receivers.get(topic, "")
        fanout = len([r for r in to.split(", ") if r])
        published, delivered = count / settled, count * fanout / settled
        total_published += published
        total_delivered += delivered
        print(f"  {topic.removeprefix(prefix):42s} {published:9.3f} {delivered:9.3f}  {to}")
    print(f"  {'every topic':42s} {total_published:9.2f} {total_delivered:9.2f}")
    live.stop()


def raw_rate(messages: int, size: int, out: Path) -> float:
    """Messages per second one subscriber receives from one publisher through a fresh router."""
    uris = Uris("bench")
    port = free_port()
    credentials = Credentials.generate(["publisher", "subscriber"])
    cbdir = out / "router"
    write_node(cbdir, router_config(uris, port, credentials))
    router = start_router(cbdir, port, out / "router.log")
    url = f"ws://127.0.0.1:{port}/ws"
    topic = f"{uris.prefix}raw"
    payload = {"pad": "x" * max(0, size - 12)}
    try:
        return asyncio.run(_raw(url, credentials, topic, payload, messages))
    finally:
        router.terminate()
        router.wait(20)


async def _raw(url: str, credentials: Credentials, topic: str, payload: dict, messages: int) -> float:
    def component(name: str) -> Component:
        return Component(transports=[{"url": url, "serializers": ["msgpack"]}], realm=REALM,
                         authentication={"wampcra": {"authid": name, "secret": credentials.services[name]}})

    loop = asyncio.get_running_loop()
    received = {"n": 0, "first": 0.0, "last": 0.0}
    all_in = loop.create_future()
    sessions = {}
    ready = {name: loop.create_future() for name in ("publisher", "subscriber")}
    comps = {name: component(name) for name in ready}
    for name, comp in comps.items():
        comp.on_join(lambda session, details, name=name: ready[name].set_result(session))
        comp.start(loop)
    for name in ready:
        sessions[name] = await asyncio.wait_for(ready[name], 30)

    def on_event(*_args, **_kw):
        now = time.perf_counter()
        received["n"] += 1
        if received["n"] == 1:
            received["first"] = now
        received["last"] = now
        if received["n"] == messages and not all_in.done():
            all_in.set_result(None)

    await sessions["subscriber"].subscribe(on_event, topic)
    publisher = sessions["publisher"]
    for i in range(messages):
        publisher.publish(topic, payload)
        if i % 200 == 199:
            await asyncio.sleep(0)  # let the transport drain
    await asyncio.wait_for(all_in, 300)
    for session in sessions.values():
        session.leave()
    return (messages - 1) / (received["last"] - received["first"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--no-accounting", action="store_true", help="skip the run counting what a tick sends")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="homesim-bench-bus-") as tmp:
        out = Path(tmp)
        if not args.no_accounting:
            print(f"reference home live at --max, {args.ticks} ticks, every message counted ...")
            accounting(args.ticks, out / "accounting")
        print(f"reference home live at --max, {args.ticks} ticks (timed after tick {args.warmup}) ...")
        ticks_per_s, size, processes = home_rate(args.ticks, args.warmup, out / "home")
        print(f"raw pub/sub through a fresh router: {args.messages} messages of {size} bytes ...")
        messages_per_s = raw_rate(args.messages, size, out)
    print()
    print(f"settled ticks/s (home, {processes} processes)   {ticks_per_s:10.0f}   target >= 100")
    print(f"raw messages/s (1 pub -> 1 sub)          {messages_per_s:10.0f}")
    print(f"ratio raw messages per settled tick      {messages_per_s / ticks_per_s:10.1f}   target <= 25")
    return 0 if ticks_per_s >= 100 and messages_per_s / ticks_per_s <= 25 else 1


if __name__ == "__main__":
    sys.exit(main())
