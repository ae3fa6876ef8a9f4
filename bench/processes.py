"""Benchmark: what a live home weighs and how long it takes to start, as ``homesim up`` runs
it (light processes, ``homesim.jit``: plain-Python kernels, no numba, pandas, SciPy or pvlib in
a load, grid, battery, inverter or service process; forked from one fork server that imported
them, ``homesim.bus.forkserver``) side by side, in the same run and alternating, with an
anchor: ``--anchor exec`` (default: this code with every process started by exec and
importing for itself, ``HOMESIM_FORKSERVER=0``), ``--anchor compiled`` (exec, and every
process compiling its kernels, ``HOMESIM_JIT=1``) or ``--before SRC`` (the ``services``
folder of an earlier checkout, e.g. a worktree of an earlier commit).

For each start of ``homesim up examples/home.yaml``: the time from launching it to tick 0's
settlement reaching a viewer (which joins as soon as the router listens: ``homesim up`` writes
the tickets then), then, once ``--settle`` ticks have settled (every process past its first
block), each process's PSS and RSS from ``/proc/<pid>/smaps_rollup``, grouped by kind: every
device, service, the fork server and the router (Crossbar's controller and worker).

    python bench/processes.py [--rounds 2] [--settle 30] [--anchor exec|compiled] [--before SRC]

Targets (issue 16): a load, grid or battery process <= 40 MB PSS, sun/weather/PV <= 60 MB,
the home <= 800 MB PSS (the router counted), start to first settled tick <= 5 s.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests" / "bus"))


HOME = ROOT / "examples" / "home.yaml"


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process [kB]."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields["Pss"], fields["Rss"]


def processes_of(live_dir: Path, up_pid: int | None = None) -> dict[int, str]:
    """pid -> what it is (``device:<kind>``, ``service:<name>``, ``forkserver``, ``router``) for
    every process of the home: those whose environment names its live folder, and the router's
    (Crossbar's controller, a child of ``homesim up`` that renames itself, and its worker)."""
    found = {}
    marker = f"HOMESIM_LIVE_DIR={live_dir}".encode()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if argv[0].startswith("crossbar"):
            found[int(entry.name)] = "router"  # kept if it is this home's (below)
            continue
        if marker not in environ.split(b"\0"):
            continue
        if "homesim.bus.device" in argv or "homesim.device" in argv:  # (before: python -m homesim.device)
            found[int(entry.name)] = f"device:{argv[argv.index('--kind') + 1]}"
        elif "homesim.bus.services" in argv:
            found[int(entry.name)] = f"service:{argv[argv.index('homesim.bus.services') + 1]}"
        elif "homesim.bus.forkserver" in argv:  # what the processes forked from it share
            found[int(entry.name)] = "forkserver"
    controllers = {pid for pid, what in found.items() if what == "router" and parents.get(pid) == up_pid}
    return {pid: what for pid, what in found.items()
            if what != "router" or pid in controllers or parents.get(pid) in controllers}


def one_start(mode: str, settle: int, out: Path, before: Path | None = None) -> dict:
    """Launch ``homesim up`` (at 20 ticks/s), join as a viewer as soon as the tickets are written
    (before the clock starts) and take the time tick 0's settlement arrives; then, once
    ``settle`` ticks have settled, every process's memory."""
    from live import LiveProcess

    env = {"light": {}, "exec": {"HOMESIM_FORKSERVER": "0"}, "compiled": {"HOMESIM_JIT": "1"},
           "before": {"PYTHONPATH": str(before)}}[mode]
    began = time.perf_counter()
    live = LiveProcess(HOME, out, "--speed", "20", env=env, early=True)
    first: dict[int, float] = {}
    settled = threading.Event()
    client = None
    try:
        client = live.client("viewer")

        def on_settlement(*args, **_):
            first.setdefault(args[0]["tick"], time.perf_counter())
            if args[0]["tick"] >= settle:
                settled.set()

        client._run(lambda: client.session.subscribe(on_settlement, f"home.{live.home_id}.settlement"))
        if not settled.wait(600):
            raise RuntimeError(f"{mode}: {settle} ticks did not settle:\n{live.output()}")
        if 0 not in first:
            raise RuntimeError(f"{mode}: the viewer joined after tick 0 settled (the router listened late?)")
        memory: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
        for pid, what in processes_of(out / "live", live.process.pid).items():
            memory[what].append(memory_kb(pid))
    finally:
        if client is not None:
            client.close()
        live.stop()
    return {"start_s": first[0] - began, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="starts of each mode (alternating)")
    parser.add_argument("--settle", type=int, default=30, help="ticks settled before memory is read")
    parser.add_argument("--anchor", choices=("exec", "compiled"), default="exec",
                        help="what to compare with (without --before)")
    parser.add_argument("--before", type=Path, help="the services folder of the version to compare with")
    args = parser.parse_args()
    anchor = "before" if args.before else args.anchor
    runs: dict[str, list[dict]] = {"light": [], anchor: []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for mode in ("light", anchor):
                run = one_start(mode, args.settle, Path(tmp) / f"{mode}-{round_}", args.before)
                runs[mode].append(run)
                total = sum(p for ps in run["memory"].values() for p, _ in ps) / 1024
                print(f"  {mode:8s} round {round_ + 1}: first settled tick after {run['start_s']:.1f} s, "
                      f"{sum(len(v) for v in run['memory'].values())} processes, {total:,.0f} MB PSS", flush=True)

    def median(mode: str, key) -> float:
        return statistics.median(key(run) for run in runs[mode])

    groups = sorted({what for run in runs["light"] + runs[anchor] for what in run["memory"]})
    print(f"\nreference home, {len(groups)} kinds of process; medians of {args.rounds} starts each "
          "(PSS per process [MB], mean over the processes of that kind)")
    print(f"{'process':28s} {'light':>9s} {anchor:>9s}")
    for what in groups:
        cells = []
        for mode in ("light", anchor):
            def mean_pss(run, what=what):
                values = run["memory"].get(what) or [(0, 0)]
                return statistics.mean(p for p, _ in values) / 1024
            cells.append(median(mode, mean_pss))
        count = max(len(run["memory"].get(what, [])) for run in runs["light"] + runs[anchor])
        print(f"{what + (f' (x{count})' if count > 1 else ''):28s} {cells[0]:9.1f} {cells[1]:9.1f}")
    light_total = median("light", lambda r: sum(p for ps in r["memory"].values() for p, _ in ps) / 1024)
    compiled_total = median(anchor, lambda r: sum(p for ps in r["memory"].values() for p, _ in ps) / 1024)
    light_rss = median("light", lambda r: sum(s for ps in r["memory"].values() for _, s in ps) / 1024)
    compiled_rss = median(anchor, lambda r: sum(s for ps in r["memory"].values() for _, s in ps) / 1024)
    light_start = median("light", lambda r: r["start_s"])
    compiled_start = median(anchor, lambda r: r["start_s"])
    def without_router(run) -> float:
        return sum(p for what, ps in run["memory"].items() if what != "router" for p, _ in ps) / 1024

    print(f"{'whole home, PSS':28s} {light_total:9.0f} {compiled_total:9.0f}   ratio {compiled_total / light_total:.2f}x")
    print(f"{'  of it, all but the router':28s} {median('light', without_router):9.0f} {median(anchor, without_router):9.0f}")
    print(f"{'whole home, RSS':28s} {light_rss:9.0f} {compiled_rss:9.0f}")
    print(f"{'start to first settlement':28s} {light_start:8.1f}s {compiled_start:8.1f}s   ratio "
          f"{compiled_start / light_start:.2f}x")
    print(f"targets: home <= 800 MB PSS: {'met' if light_total <= 800 else 'NOT met'}; "
          f"first settled tick <= 5 s: {'met' if light_start <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
