"""Benchmark: settlements persisted per second by the recorder's store, on SQLite and on a real
PostgreSQL server (Debian's, started for the run), side by side in the same run.

Real settlements of the reference home (from the bus adapters), each written the way the
recorder writes it: one upsert, committed on its own (SQLite WAL with synchronous=FULL;
PostgreSQL autocommit with synchronous_commit on).

    python bench/recorder.py [--settlements 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests"))

from homesim.bus.adapters import ENERGY_ROLES, adapter_for  # noqa: E402
from homesim.bus.store import open_store  # noqa: E402
from homesim.engine.compiled import CompiledHome  # noqa: E402
from homesim.home import load_home  # noqa: E402
from pgserver import PostgresServer  # noqa: E402


def settlements(n: int) -> list[dict]:
    home = load_home(ROOT / "examples" / "home.yaml")
    compiled = CompiledHome(home, 60)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    out = []
    for tick in range(n):
        events = {d: e for d, a in adapters.items() if (e := a.on_tick(tick)) is not None
                  and home.device(d).ROLE in ENERGY_ROLES}
        settlement = adapters["inverter"].settle(tick, events)
        for adapter in adapters.values():
            adapter.on_settlement(settlement)
        out.append(settlement)
    return out


def rate(target: str, rows: list[dict]) -> float:
    store = open_store(target)
    try:
        began = time.perf_counter()
        for settlement in rows:
            store.store(settlement)
        elapsed = time.perf_counter() - began
        assert store.count()["ticks"] == len(rows)
    finally:
        store.close()
    return len(rows) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settlements", type=int, default=3000)
    args = parser.parse_args()
    rows = settlements(args.settlements)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = rate(str(Path(tmp) / "bench.sqlite"), rows)
    server = PostgresServer()
    try:
        postgres = rate(server.database("bench"), rows)
    finally:
        server.stop()
    print(f"settlements persisted per second, {args.settlements} reference-home settlements, one commit each:")
    print(f"  SQLite (WAL, synchronous=FULL)   {sqlite:10.0f}/s")
    print(f"  PostgreSQL (local, autocommit)   {postgres:10.0f}/s")
    print(f"  ratio SQLite / PostgreSQL        {sqlite / postgres:10.2f}")
    print("  (a live home settles ~180 ticks/s at --max: both keep up)" if min(sqlite, postgres) > 180 else
          "  WARNING: slower than a live home at --max (~180 ticks/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
