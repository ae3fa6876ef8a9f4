"""Benchmark: the fast-forward engine on the reference home for a year at 60 s steps, side by
side with pvlib's ModelChain (PVWatts) on the same year at 1-minute steps for the PV alone.

All are timed in this process, after a warm-up, as the best of ``--repeat`` runs; engine time
excludes process start, JIT compilation (cached on disk after the first run), building the
ledger table and file writing. Three homesim figures:

cold
    ``simulate`` computing everything (in-process caches cleared before every run).
cached
    a what-if variant (the battery at twice its capacity) given the reference home's exogenous
    blocks, computed before the clock starts (``exogenous_blocks``): only the dispatch runs.
exogenous
    the CPU time of computing a year's exogenous blocks in one thread (caches cleared).

The runs are interleaved (each round: cold, exogenous, cached, pvlib), so a machine busy with
other work slows both sides of a ratio alike; the best of the rounds is reported. Prints the
machine (CPU model, cores) and its load average at the start and the end: a ratio measured on
a loaded machine says less than one on a quiet machine, and a figure without its machine says
nothing. Targets: whole home < 1 s, >= 10x faster than pvlib's PV chain (and 20x as a
moonshot, so a slower machine still clears 10x).

    python bench/engine.py [--home examples/home.yaml] [--days 365] [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from homesim.devices import solar_geometry, weather  # noqa: E402
from homesim.devices.base import BLOCK_TICKS  # noqa: E402
from homesim.engine.compiled import CompiledHome  # noqa: E402
from homesim.engine.exogenous import exogenous_blocks  # noqa: E402
from homesim.engine.fastforward import simulate  # noqa: E402
from homesim.home import load_home, with_changes  # noqa: E402


def pvlib_chain(home, days: int, dt_s: int):
    """A ModelChain for the home's PV arrays, and the weather it runs on (from homesim's
    weather model, computed before the clock starts)."""
    compiled = CompiledHome(home, dt_s)
    ticks = days * 86_400 // dt_s
    weather = []
    for index in range((ticks + BLOCK_TICKS - 1) // BLOCK_TICKS):
        block = compiled.block(index, min(BLOCK_TICKS, ticks - index * BLOCK_TICKS))
        compiled.fill_environment(block)
        w = block.values["weather"]
        weather.append(pd.DataFrame({"ghi": w.ghi, "dni": w.dni, "dhi": w.dhi, "temp_air": w.temp_air,
                                     "wind_speed": w.wind_speed},
                                    index=pd.to_datetime(block.mid_unix_s, unit="s", utc=True)))
    weather = pd.concat(weather)
    arrays = [
        pvlib.pvsystem.Array(
            pvlib.pvsystem.FixedMount(a.tilt_deg, a.azimuth_deg),
            module_parameters={"pdc0": a.rated_w(), "gamma_pdc": a.gamma_pdc()},
            temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][a.mount],
            name=a.id,
        )
        for a in home.pv_arrays
    ]
    system = pvlib.pvsystem.PVSystem(arrays=arrays, inverter_parameters={"pdc0": home.inverter.rated_power_w / 0.96})
    loc = home.location
    location = pvlib.location.Location(loc.latitude, loc.longitude, loc.timezone, loc.altitude_m)
    return pvlib.modelchain.ModelChain.with_pvwatts(system, location), weather


def timed(run) -> float:
    """Wall time of ``run()`` [s]."""
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def machine() -> dict:
    """The CPU model (``/proc/cpuinfo``), the cores this process may use and the machine's."""
    model, mhz = None, None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model is None:
                model = value.strip()
            elif key.strip() == "cpu MHz" and mhz is None:
                mhz = float(value)
    except OSError:
        pass
    model = model or platform.processor() or platform.machine()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model, "mhz": mhz, "cores": usable, "cores_machine": os.cpu_count(), "python": platform.python_version()}


def load_average() -> tuple[float, float, float] | None:
    """The 1, 5 and 15-minute load averages, or None where the OS has none."""
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / "examples" / "home.yaml")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best of each figure is reported")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    started = dt.datetime.now(dt.timezone.utc)
    load_start = load_average()
    home = load_home(args.home)

    compile_began = time.perf_counter()
    simulate(home, days=1, dt_s=60)  # warm-up: loads (or compiles) the JIT kernels
    warmup_s = time.perf_counter() - compile_began

    def clear_caches() -> None:
        # Cold runs share nothing with earlier ones (solar terms, cloud chain).
        solar_geometry._chunk.cache_clear()
        weather._cloud_chain.cache_clear()

    capacity = home.battery.capacity_kwh * 2 if home.battery is not None else None
    variant = with_changes(home, {"battery.capacity_kwh": capacity}, home_dir=args.home.parent) if capacity else home
    blocks = exogenous_blocks(home, days=args.days, dt_s=60)
    chain, pv_weather = pvlib_chain(home, args.days, 60)

    engine_times, exogenous_cpu, cached_times, pvlib_times = [], [], [], []
    for _ in range(args.repeat):
        clear_caches()
        ledger = simulate(home, days=args.days, dt_s=60)
        engine_times.append(ledger.engine_wall_s)
        clear_caches()
        began = time.process_time()
        exogenous_blocks(home, days=args.days, dt_s=60, workers=1)
        exogenous_cpu.append(time.process_time() - began)
        cached = simulate(variant, days=args.days, dt_s=60, exogenous=blocks)
        cached_times.append(cached.engine_wall_s)
        pvlib_times.append(timed(lambda: chain.run_model(pv_weather)))
    ledger.check()
    cached.check()
    del blocks
    engine_s, exogenous_s, cached_s, pvlib_s = (min(engine_times), min(exogenous_cpu), min(cached_times),
                                                min(pvlib_times))
    pvlib_kwh = sum(np.nansum(np.asarray(ac, dtype=float)) for ac in [chain.results.ac]) * 60 / 3.6e6
    load_end = load_average()
    box = machine()

    summary = ledger.summary()
    ticks = summary["ticks"]
    print(f"machine: {box['cpu']}, {box['cores']} cores usable ({box['cores_machine']} in all)"
          + (f", {box['mhz']:.0f} MHz" if box["mhz"] else "") + f"; Python {box['python']}")
    print(f"load average (1, 5, 15 min): {load_start} at the start, {load_end} at the end"
          f" (on {box['cores']} cores; above ~{box['cores'] / 2:g} the figures are slowed by other work)")
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; command: python bench/engine.py --repeat {args.repeat}"
          + (f" --days {args.days}" if args.days != 365 else ""))
    print(f"home: {home.name}, {args.days} days at 60 s = {ticks:,} ticks, best of {args.repeat} interleaved rounds")
    print(f"  warm-up run (JIT load/compile + 1 day): {warmup_s:8.3f} s")
    print(f"  homesim engine, whole home, cold:        {engine_s:8.3f} s   ({ticks / engine_s:,.0f} ticks/s)")
    print(f"  homesim, variant on cached exogenous:    {cached_s:8.3f} s   ({ticks / cached_s:,.0f} ticks/s;"
          f" battery {capacity} kWh)")
    print(f"  exogenous blocks alone, 1 thread, CPU:   {exogenous_s:8.3f} s")
    print(f"  pvlib ModelChain (PVWatts), PV only:     {pvlib_s:8.3f} s")
    print(f"  ratio pvlib / homesim cold:              {pvlib_s / engine_s:8.1f} x")
    print(f"  ratio pvlib / homesim cached:            {pvlib_s / cached_s:8.1f} x")
    print(f"  (PV DC used {summary['energy_kwh']['pv']:,.0f} kWh + curtailed {summary['energy_kwh']['curtailed']:,.0f} kWh;"
          f" pvlib AC {pvlib_kwh:,.0f} kWh)")
    print(f"targets: engine < 1 s: {'met' if engine_s < 1 else 'NOT met'}; "
          f">= 10x pvlib cold: {'met' if pvlib_s / engine_s >= 10 else 'NOT met'}"
          f" (20x: {'met' if pvlib_s / engine_s >= 20 else 'not met'}); "
          f"cached: {'met' if pvlib_s / cached_s >= 10 else 'NOT met'}")
    if args.json is not None:
        args.json.write_text(json.dumps({
            "date": started.isoformat(timespec="seconds"), "machine": box, "load_start": load_start,
            "load_end": load_end, "repeat": args.repeat, "days": args.days, "ticks": ticks,
            "warmup_s": warmup_s, "cold_s": engine_times, "cached_s": cached_times, "exogenous_cpu_s": exogenous_cpu,
            "pvlib_s": pvlib_times, "ratio_cold": pvlib_s / engine_s, "ratio_cached": pvlib_s / cached_s,
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
