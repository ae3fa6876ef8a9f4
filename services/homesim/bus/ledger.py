"""Settlements from the bus turned into the same ledger ``homesim simulate`` writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from homesim.bus.store import open_store
from homesim.engine.compiled import CompiledHome
from homesim.errors import BadInput
from homesim.ledger import Ledger, LedgerArrays
from homesim.live import load_live_home


def ledger_from_settlements(compiled: CompiledHome, settlements: Iterable[dict[str, Any]]) -> Ledger:
    """A ledger of consecutive settlements (tick 0 first)."""
    rows = sorted(settlements, key=lambda s: s["tick"])
    arrays = LedgerArrays.empty(compiled, len(rows))
    battery = compiled.battery.id if compiled.battery is not None else None
    grid = compiled.grid.id if compiled.grid is not None else None
    for t, s in enumerate(rows):
        if s["tick"] != t:
            raise ValueError(f"settlements are not consecutive: row {t} is tick {s['tick']}")
        e = s["e"]
        for j, array in enumerate(compiled.pv_arrays):
            arrays.pv_used[t, j] = e.get(array.id, 0)
        for i, load in enumerate(compiled.loads):
            arrays.demand[t, i] = s["demand"].get(load.id, 0)
            arrays.served[t, i] = -e.get(load.id, 0)
        if battery is not None:
            arrays.battery[t] = e.get(battery, 0)
            arrays.soc[t] = s["soc"] if s["soc"] is not None else 0.0
        if grid is not None:
            flow = e.get(grid, 0)
            arrays.grid_import[t] = max(flow, 0)
            arrays.grid_export[t] = max(-flow, 0)
        arrays.loss[t] = s["loss_j"]
        arrays.curtailed[t] = s["curtailed_j"]
        arrays.grid_on[t] = s["grid_on"]
        arrays.cost[t] = s["cost"]
    ledger = arrays.to_ledger()
    # Ticks settled without a device that should have been there are marked, not invented.
    ledger.table["missing"] = [",".join(s.get("missing", [])) for s in rows]
    return ledger


def ledger_from_db(target) -> Ledger:
    """The ledger of a recorder database (SQLite path or ``postgresql://`` URL); the home file
    and run options are in its meta."""

    store = open_store(target, read_only=True)
    try:
        meta = store.meta()
        payloads = list(store.payloads())
    finally:
        store.close()
    if "home" not in meta:
        raise BadInput(f"{target}: not a homesim recorder database (no run settings in its meta table)")
    base = Path(meta["home_dir"]) if meta.get("home_dir") else None
    compiled = CompiledHome(load_live_home(Path(meta["home"]), base), int(meta["step"]),
                            dt.date.fromisoformat(meta["start"]), int(meta["seed"]))
    return ledger_from_settlements(compiled, payloads)
