"""Load benchmark: several homes on one Crossbar router, every device its own process.

Each home is the reference home (14 device processes with its inverter, plus its clock and
recorder); ``--homes 1 3 5`` runs each count in turn on a fresh router (a count whose processes
would not fit in the memory available, about 2 GB a home, is skipped). For each count:

1. real time: 1 s ticks at 1 tick/s for ``--realtime-s`` seconds;
2. as fast as possible (``clock.set_speed("max")`` on every home) for ``--max-s`` seconds.

Measured per phase: settled ticks/s over all homes, the p50/p99 tick latency (from the clock
publishing a tick to the bench's session receiving its settlement), the router's CPU (cores,
controller and worker) and its peak memory (RSS). At the end every home's recorder database
must hold every tick from 0 once, each balancing to the Joule ("nothing lost"). The anchor,
measured in the same run, is one home alone at ``--max``: the ratio says how much of a lone
home's pace N homes keep in total.

All processes join as services (WAMP-CRA): the per-device authorizer of ``homesim up`` is per
home and is not exercised here (its cost is in bench/bus.py).

    python bench/load.py [--homes 1 3 5] [--realtime-s 30] [--max-s 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from autobahn.asyncio.component import Component  # noqa: E402

from homesim.bus.router import free_port, permission, start_router, write_node  # noqa: E402
from homesim.bus.uris import REALM  # noqa: E402
from homesim.home import load_home  # noqa: E402

HOME_FILE = ROOT / "examples" / "home.yaml"
CLOCK_TICK_S = os.sysconf("SC_CLK_TCK")
#: Memory one reference home's 16 processes take (measured: about 2 GB with 8 homes running).
HOME_MEMORY_BYTES = 2 << 30


def memory_available() -> int:
    """MemAvailable [bytes] (a count of homes that does not fit is skipped, not swapped)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def bench_config(port: int, secret: str, authids: set[str]) -> dict:
    """One realm, one ``service`` role on every home, one WAMP-CRA user per process id."""
    return {"version": 2, "controller": {}, "workers": [{
        "type": "router",
        "realms": [{"name": REALM, "roles": [{"name": "service", "permissions": [
            permission("home.", "prefix", call=True, register=True, publish=True, subscribe=True),
            permission("wamp.", "prefix", call=True, subscribe=True)]}]}],
        "transports": [{"type": "web", "endpoint": {"type": "tcp", "port": port, "interface": "127.0.0.1"},
                        "paths": {"ws": {"type": "websocket", "options": {"tcp_nodelay": True},
                                         "auth": {"wampcra": {"type": "static", "users": {
                                             a: {"secret": secret, "role": "service"} for a in authids}}}}}}],
    }]}


class Homes:
    """``count`` reference homes' processes (clock, recorder, every device) on one router."""

    def __init__(self, count: int, out: Path, url: str, secret: str) -> None:
        self.count, self.out, self.url, self.secret = count, out, url, secret
        self.home = load_home(HOME_FILE)
        self.processes: list[subprocess.Popen] = []

    def ids(self) -> list[str]:
        return [f"load{i}" for i in range(self.count)]

    def env(self, home_id: str, authid: str, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT / "services"), "HOMESIM_ROUTER_URL": self.url,
                "HOMESIM_HOME_ID": home_id, "HOMESIM_HOME": str(HOME_FILE), "HOMESIM_HOME_DIR": str(HOME_FILE.parent),
                "HOMESIM_STEP": "1", "HOMESIM_SPEED": "1", "HOMESIM_AUTHID": authid, "HOMESIM_SECRET": self.secret,
                **extra}

    def spawn(self, command: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            self.processes.append(subprocess.Popen([sys.executable, *command], env=env, stdout=out,
                                                   stderr=subprocess.STDOUT, start_new_session=True))

    def start_all_but_clocks(self) -> None:
        for home_id in self.ids():
            logs = self.out / home_id
            logs.mkdir(parents=True, exist_ok=True)
            self.spawn(["-m", "homesim.bus.services", "recorder"],
                       self.env(home_id, "recorder", HOMESIM_DB=str(logs / "ledger.sqlite")), logs / "recorder.log")
            for device in self.home.devices:
                self.spawn(["-m", "homesim.bus.device", "--kind", device.kind, "--id", device.id, "--home", str(HOME_FILE)],
                           self.env(home_id, device.id), logs / f"{device.id}.log")

    def start_clocks(self) -> None:
        for home_id in self.ids():
            self.spawn(["-m", "homesim.bus.services", "clock"], self.env(home_id, "clock"),
                       self.out / home_id / "clock.log")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def router_usage(router_pid: int) -> tuple[float, int]:
    """CPU seconds and RSS [bytes] of the router's process tree (controller and workers)."""
    pids = [router_pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == router_pid]
    cpu, rss = 0.0, 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICK_S
            rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError):
            continue
    return cpu, rss


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


async def observe(url: str, secret: str, homes: Homes, router_pid: int, realtime_s: float, max_s: float,
                  only_max: bool = False) -> dict:
    """Wait until every home is ready, start the clocks, measure both phases."""
    import txaio

    txaio.start_logging(level="error")
    loop = asyncio.get_running_loop()
    joined = loop.create_future()
    comp = Component(transports=[{"url": url, "serializers": ["msgpack"]}], realm=REALM,
                     authentication={"wampcra": {"authid": "bench", "secret": secret}})
    comp.on_join(lambda session, details: joined.set_result(session))
    comp.start(loop)
    session = await asyncio.wait_for(joined, 60)
    device_ids = [d.id for d in homes.home.devices]
    deadline = time.monotonic() + 600
    for home_id in homes.ids():  # every device answers get and the inverter serves settlements.since
        for uri in [f"home.{home_id}.device.{d}.get" for d in device_ids] + [f"home.{home_id}.settlements.since"]:
            while True:
                try:
                    await session.call(uri, *( [0, 1] if uri.endswith("since") else []))
                    break
                except Exception:  # noqa: BLE001 - not registered yet
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{uri} never came up; logs in {homes.out}") from None
                    await asyncio.sleep(0.5)
    samples: list[tuple[float, float]] = []  # (received at, latency)

    def on_settlement(settlement, **_):
        now = time.time()
        if settlement.get("tick_sent"):
            samples.append((time.monotonic(), now - settlement["tick_sent"]))

    for home_id in homes.ids():
        await session.subscribe(on_settlement, f"home.{home_id}.settlement")
    homes.start_clocks()
    for home_id in homes.ids():  # the clocks are up
        while True:
            try:
                await session.call(f"home.{home_id}.clock.get")
                break
            except Exception:  # noqa: BLE001
                await asyncio.sleep(0.3)
    results = {}
    phases = [("max", max_s)] if only_max else [("real time", realtime_s), ("max", max_s)]
    for phase, seconds in phases:
        if phase == "max":
            for home_id in homes.ids():
                await session.call(f"home.{home_id}.clock.set_speed", "max")
        await asyncio.sleep(3.0)  # settle into the pace
        cpu0, _ = router_usage(router_pid)
        start, peak = time.monotonic(), 0
        while time.monotonic() - start < seconds:
            await asyncio.sleep(0.5)
            peak = max(peak, router_usage(router_pid)[1])
        cpu1, _ = router_usage(router_pid)
        window = [lat for at, lat in samples if start <= at <= start + seconds]
        window.sort()
        results[phase] = {
            "ticks_per_s": len(window) / seconds,
            "p50_ms": 1000 * window[len(window) // 2] if window else float("nan"),
            "p99_ms": 1000 * window[min(len(window) - 1, int(len(window) * 0.99))] if window else float("nan"),
            "router_cores": (cpu1 - cpu0) / seconds, "router_rss_mb": peak / 1e6}
    for home_id in homes.ids():  # stop ticking, let the recorders catch up
        await session.call(f"home.{home_id}.clock.pause")
    await asyncio.sleep(3.0)
    session.leave()
    return results


def nothing_lost(homes: Homes) -> tuple[bool, int]:
    """Every home's ledger: ticks 0..N once each, every tick balanced; and the ticks stored."""
    from homesim.bus.store import open_store

    total, ok = 0, True
    for home_id in homes.ids():
        rows = list(open_store(homes.out / home_id / "ledger.sqlite", read_only=True).payloads())
        total += len(rows)
        ok &= [r["tick"] for r in rows] == list(range(len(rows))) and all(
            sum(r["e"].values()) == r["loss_j"] for r in rows)
    return ok, total


def run(count: int, out: Path, realtime_s: float, max_s: float, only_max: bool = False) -> dict:
    port, secret = free_port(), secrets.token_urlsafe(24)
    home = load_home(HOME_FILE)
    authids = {"bench", "clock", "recorder"} | {d.id for d in home.devices}
    cbdir = out / "router"
    write_node(cbdir, bench_config(port, secret, authids))
    router = start_router(cbdir, port, out / "router.log")
    url = f"ws://127.0.0.1:{port}/ws"
    homes = Homes(count, out, url, secret)
    try:
        homes.start_all_but_clocks()
        results = asyncio.run(observe(url, secret, homes, router.pid, realtime_s, max_s, only_max))
    finally:
        homes.stop()
        router.terminate()
        router.wait(20)
    results["nothing lost"], results["ticks stored"] = nothing_lost(homes)
    results["processes"] = len(homes.processes)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, nargs="+", default=[1, 3, 5], help="home counts to run (default 1 3 5)")
    parser.add_argument("--realtime-s", type=float, default=30.0, help="seconds of the real-time phase")
    parser.add_argument("--max-s", type=float, default=20.0, help="seconds of the as-fast-as-possible phase")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="homesim-bench-load-") as tmp:
        print("anchor: one home alone at max ...", flush=True)
        anchor = run(1, Path(tmp) / "anchor", 0, args.max_s, only_max=True)["max"]["ticks_per_s"]
        print(f"anchor: one home alone at max: {anchor:.0f} ticks/s\n")
        print(f"{'homes':>5} {'procs':>5} {'phase':>9} {'ticks/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'router cores':>12} {'router MB':>9} {'x anchor':>8} {'lost':>5}", flush=True)
        for count in args.homes:
            need, available = count * HOME_MEMORY_BYTES, memory_available()
            if need > available - (1 << 30):
                print(f"{count:>5}: skipped, needs about {need / 1e9:.0f} GB, {available / 1e9:.0f} GB available")
                continue
            result = run(count, Path(tmp) / f"homes{count}", args.realtime_s, args.max_s)
            rows.append((count, result))
            for phase in ("real time", "max"):
                r = result[phase]
                print(f"{count:>5} {result['processes']:>5} {phase:>9} {r['ticks_per_s']:>8.1f} {r['p50_ms']:>7.1f} "
                      f"{r['p99_ms']:>7.1f} {r['router_cores']:>12.2f} {r['router_rss_mb']:>9.0f} "
                      f"{r['ticks_per_s'] / anchor:>8.2f} {'no' if result['nothing lost'] else 'YES':>5}", flush=True)
    holds = 0
    for count, result in rows:
        if result["real time"]["p99_ms"] < 100 and result["nothing lost"]:
            holds = max(holds, count)
    print(f"\nlargest load held at real time with p99 < 100 ms and nothing lost: {holds} home(s) "
          f"({holds * len(load_home(HOME_FILE).devices)} device processes)")
    return 0 if all(r["nothing lost"] for _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
