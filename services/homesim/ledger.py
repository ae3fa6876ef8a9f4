"""The ledger: one settlement per tick, the fact of record; its checks, summary and files.

Columns (the contract; described as data in :data:`LEDGER_COLUMNS`):

``tick``, ``time`` (tick start, UTC), ``dt_s``;
``e.<device_id>`` signed integer Joules at the device's connection to the inverter (+ into the
home's system: PV generation, battery discharge, grid import; - out: served consumption,
battery charge, grid export); ``demand.<load_id>`` and ``unmet.<load_id>`` [J]; ``short.<load_id>``
for a load with deadlines (an EV charger, a pool pump) [J];
``loss_j`` conversion loss [J]; ``curtailed_j`` PV left unused [J]; ``soc.<battery_id>`` at the
tick's end [0..1]; ``grid_on``; ``cost`` grid cost of the tick [currency].

Every row satisfies exactly ``sum(e.*) - loss_j == 0`` and, per load,
``-e.<id> + unmet.<id> == demand.<id>``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from homesim.devices.base import BLOCK_TICKS, J_PER_KWH, Deadlines, LoadConfig
from homesim.tariffs.bill import bill
from homesim.tariffs.model import UtilityTariff

if TYPE_CHECKING:
    from homesim.engine.compiled import CompiledHome

LEDGER_FORMATS = ("parquet", "csv")

#: The ledger's columns, the contract (the docs' reference is generated from this): a column name
#: or pattern (``<device_id>`` stands for a device's id), its unit and what it means.
#: ``tests/docs`` checks that every column of a real ledger matches one of these.
LEDGER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("tick", "", "tick number, from 0"),
    ("time", "UTC", "tick start"),
    ("dt_s", "s", "tick length"),
    ("e.<device_id>", "J", "the device's signed energy at its connection to the inverter, integer J: + into the "
     "home's system (PV generation, battery discharge, grid import), - out of it (served consumption, battery "
     "charge, grid export); sun, weather and the inverter have none (the sun is the infinite source PV draws on; "
     "the inverter's share is loss_j)"),
    ("demand.<load_id>", "J", "what the load asked for"),
    ("unmet.<load_id>", "J", "what the load asked for and did not get: -e.<load_id> + unmet.<load_id> == "
     "demand.<load_id>"),
    ("short.<load_id>", "J", "only for a load whose activities have deadlines (an EV charger's sessions, a pool "
     "pump's daily hours): the energy an activity still wanted when its deadline passed, at its last tick; 0 "
     "elsewhere"),
    ("loss_j", "J", "inverter conversion loss: every row has sum(e.*) - loss_j == 0 exactly"),
    ("curtailed_j", "J", "PV available but not used"),
    ("soc.<battery_id>", "0..1", "battery state of charge at the tick's end"),
    ("grid_on", "", "the grid was on"),
    ("cost", "currency", "grid cost of the tick: import x the tick's energy rate - export x its export credit "
     "(with blocks: the first block's rate; no fixed charges, blocks or netting: the summary's bill has them)"),
    ("missing", "", "devices absent from the tick, comma-separated (only in homesim ledger's export of a "
     "recorder database)"),
)

#: The keys of ``summary.json`` (:meth:`Ledger.summary`), the contract: key, unit, meaning.
#: ``energy_kwh.<part>`` are the parts of ``energy_kwh``. ``tests/docs`` checks that these are
#: exactly the summary's keys.
SUMMARY_KEYS: tuple[tuple[str, str, str], ...] = (
    ("summary_version", "", "version of these keys (2 added the split of unmet energy by cause, demand_kwh and "
     "demand_served; 3 added deadlines; 4 added bill; every key of version 1 keeps its meaning)"),
    ("home", "", "the home's name"),
    ("currency", "", "the home's currency, ISO 4217"),
    ("start", "ISO 8601", "the first tick's start, local time"),
    ("dt_s", "s", "tick length"),
    ("seed", "", "the weather model's seed"),
    ("energy_kwh.pv", "kWh", "PV generated and used"),
    ("energy_kwh.load", "kWh", "load served"),
    ("energy_kwh.grid_import", "kWh", "bought from the grid"),
    ("energy_kwh.grid_export", "kWh", "sold to the grid"),
    ("energy_kwh.battery_charge", "kWh", "into the battery, at its terminals"),
    ("energy_kwh.battery_discharge", "kWh", "out of the battery, at its terminals"),
    ("energy_kwh.loss", "kWh", "inverter conversion loss"),
    ("energy_kwh.unmet", "kWh", "not served, all loads, any cause"),
    ("energy_kwh.curtailed", "kWh", "PV available but not used"),
    ("cost", "currency", "grid cost: the sum of the ledger's cost, each tick's energy at its rate (see bill)"),
    ("bill.metering", "", "the tariff's metering, gross or net (the bill.* keys are null for a home without a grid, "
     "or a ledger written before issue 26)"),
    ("bill.total", "currency", "the grid bill by the home's tariff (homesim.tariffs.bill): fixed + energy - "
     "export_credit + minimum_topup over the billing months"),
    ("bill.fixed", "currency", "fixed charges: per day for each date, per month for each month (a part month: "
     "its share)"),
    ("bill.energy", "currency", "energy charges, blocks applied to each month's import (net: the net import)"),
    ("bill.export_credit", "currency", "feed-in credit for the export (net: the net export)"),
    ("bill.minimum_topup", "currency", "what months under the tariff's minimum charge added"),
    ("bill.import_kwh", "kWh", "grid import billed (every tick's import)"),
    ("bill.export_kwh", "kWh", "grid export billed"),
    ("bill.months", "", "each billing month: month (YYYY-MM), days, days_in_month, import_kwh, export_kwh, fixed, "
     "energy, export_credit, minimum_topup, total and rates (each rate's part by name)"),
    ("deadlines", "", "per load whose activities have deadlines (EV charger sessions, pool pump days), by id: "
     "kind, activity (what one is called: session, day), activities (how many), wanted_kwh, delivered_kwh, "
     "short_kwh, short_activities (how many ended short) and rows "
     "(each activity's start and end, local time, and its kWh); empty without such loads"),
    ("self_sufficiency", "0..1", "share of the load served not bought from the grid: 1 - grid import / load "
     "served (energy not served does not lower it; see demand_served)"),
    ("outage_hours", "h", "hours the grid was off"),
    ("outage_coverage", "0..1", "share of the outage time in which every essential load was fully served"),
    ("unmet_hours", "h", "hours with any load short, for any cause"),
    ("unmet_hours_in_outages", "h", "hours of outage with an essential load short (= "
     "essential_short_in_outages_hours; non-essential loads shed by design do not count)"),
    ("demand_kwh", "kWh", "what the loads asked for: served + unmet"),
    ("demand_served", "0..1", "share of demand_kwh served"),
    ("shed_in_outages_kwh", "kWh", "non-essential loads not served during outages: off by design (they are on "
     "the grid side of the inverter)"),
    ("shed_in_outages_hours", "h", "hours with a non-essential load shed in an outage"),
    ("essential_short_kwh", "kWh", "essential loads not served (the battery and PV could not): the two parts "
     "below"),
    ("essential_short_hours", "h", "hours with an essential load short"),
    ("essential_short_in_outages_kwh", "kWh", "essential loads short during outages"),
    ("essential_short_in_outages_hours", "h", "hours of outage with an essential load short"),
    ("essential_short_outside_outages_kwh", "kWh", "essential loads short with the grid on"),
    ("essential_short_outside_outages_hours", "h", "hours with the grid on and an essential load short"),
    ("non_essential_short_outside_outages_kwh", "kWh", "non-essential loads short with no outage (an import "
     "limit, or a home without a grid)"),
    ("non_essential_short_outside_outages_hours", "h", "hours of the above"),
    ("ticks", "", "ticks simulated"),
    ("engine_wall_s", "s", "wall time of the engine's loop"),
)


@dataclass
class LedgerArrays:
    """The raw per-tick arrays a runtime fills, before they become a :class:`Ledger`.

    Per-device arrays are tick-major (``[ticks, devices]``) so that a run of ticks is one
    contiguous slice the compiled loop writes into directly.
    """

    meta: dict[str, Any]
    pv_ids: list[str]
    load_ids: list[str]
    pv_used: np.ndarray
    demand: np.ndarray
    served: np.ndarray
    battery: np.ndarray
    grid_import: np.ndarray
    grid_export: np.ndarray
    loss: np.ndarray
    curtailed: np.ndarray
    soc: np.ndarray
    cost: np.ndarray
    grid_on: np.ndarray
    #: The compiled home the arrays are of (for its loads' deadlines), if known.
    compiled: Any = None

    def fits(self, compiled: "CompiledHome", ticks: int) -> bool:
        """Whether these arrays have the shape a run of ``compiled`` over ``ticks`` fills."""
        return self.demand.shape == (ticks, len(compiled.loads)) and self.pv_used.shape == (ticks, len(compiled.pv_arrays))

    def recycled(self, compiled: "CompiledHome", ticks: int) -> "LedgerArrays":
        """These arrays (every tick of which a run overwrites) for another run of the same shape,
        with that run's description: a plan's years reuse them instead of allocating about
        100 MB a year (a year at 60 s, 11 loads)."""
        if not self.fits(compiled, ticks):
            raise ValueError("the arrays are not of this run's shape")
        return dataclasses.replace(self, meta=self._meta(compiled), pv_ids=[d.id for d in compiled.pv_arrays],
                                   load_ids=[d.id for d in compiled.loads], compiled=compiled)

    @staticmethod
    def _meta(compiled: "CompiledHome") -> dict[str, Any]:
        """What a run of ``compiled`` is: the ledger's metadata."""
        home = compiled.home
        return {
            "home": home.name,
            "currency": home.currency,
            "timezone": home.location.timezone,
            "start_unix_s": compiled.start_unix_s,
            "dt_s": compiled.dt_s,
            "seed": compiled.seed,
            "grid_id": home.grid.id if home.grid is not None else None,
            "battery_id": home.battery.id if home.battery is not None else None,
            "pv_ids": [d.id for d in compiled.pv_arrays],
            "load_ids": [d.id for d in compiled.loads],
            "essential_ids": [d.id for d, e in zip(compiled.loads, compiled.essential) if e],
            # the grid's tariff in its full form, for the summary's bill (issue 26)
            "tariff": home.grid.utility_tariff().model_dump(mode="json") if home.grid is not None else None,
        }

    @classmethod
    def empty(cls, compiled: "CompiledHome", ticks: int) -> "LedgerArrays":
        n_pv, n_loads = len(compiled.pv_arrays), len(compiled.loads)
        meta = cls._meta(compiled)
        ints = lambda *shape: np.zeros(shape, dtype=np.int64)  # noqa: E731
        return cls(
            meta=meta,
            pv_ids=[d.id for d in compiled.pv_arrays],
            load_ids=[d.id for d in compiled.loads],
            pv_used=ints(ticks, n_pv),
            demand=ints(ticks, n_loads),
            served=ints(ticks, n_loads),
            battery=ints(ticks),
            grid_import=ints(ticks),
            grid_export=ints(ticks),
            loss=ints(ticks),
            curtailed=ints(ticks),
            soc=np.zeros(ticks),
            cost=np.zeros(ticks),
            grid_on=np.zeros(ticks, dtype=bool),
            compiled=compiled,
        )

    def deadlines(self) -> dict[str, Deadlines]:
        """Each load with deadlines (``LoadConfig.deadlines``): what its activities got."""
        compiled = self.compiled
        if compiled is None:
            return {}
        ticks = self.battery.shape[0]
        unix_s = self.meta["start_unix_s"] + np.arange(ticks, dtype=np.int64) * self.meta["dt_s"]
        found: dict[str, Deadlines] = {}
        for i, load in enumerate(compiled.loads):
            if type(load).deadlines is LoadConfig.deadlines:
                continue  # no deadlines: skip computing its inputs
            parts = []
            for index in range((ticks + BLOCK_TICKS - 1) // BLOCK_TICKS):
                block = compiled.block(index)
                if load.READS_ENVIRONMENT:
                    compiled.fill_environment(block)
                parts.append(load.block_inputs(block)[:, : min(BLOCK_TICKS, ticks - index * BLOCK_TICKS)])
            inputs = np.concatenate(parts, axis=1) if parts else np.zeros((len(load.BEHAVIOUR.inputs), 0))
            got = load.deadlines(inputs, self.served[:, i], unix_s, self.meta["dt_s"])
            if got is not None:
                found[load.id] = got
        return found

    def to_ledger(self, engine_wall_s: float = 0.0) -> "Ledger":
        ticks = self.battery.shape[0]
        meta = self.meta
        columns: dict[str, Any] = {
            "tick": np.arange(ticks, dtype=np.int64),
            "time": pd.to_datetime(meta["start_unix_s"] + np.arange(ticks, dtype=np.int64) * meta["dt_s"], unit="s", utc=True),
            "dt_s": np.full(ticks, meta["dt_s"], dtype=np.int64),
        }
        column = lambda table, i: np.ascontiguousarray(table[:, i])  # noqa: E731
        for i, pv_id in enumerate(self.pv_ids):
            columns[f"e.{pv_id}"] = column(self.pv_used, i)
        if meta["battery_id"] is not None:
            columns[f"e.{meta['battery_id']}"] = self.battery
        if meta["grid_id"] is not None:
            columns[f"e.{meta['grid_id']}"] = self.grid_import - self.grid_export
        for i, load_id in enumerate(self.load_ids):
            columns[f"e.{load_id}"] = -column(self.served, i)
        for i, load_id in enumerate(self.load_ids):
            columns[f"demand.{load_id}"] = column(self.demand, i)
            columns[f"unmet.{load_id}"] = columns[f"demand.{load_id}"] + columns[f"e.{load_id}"]
        deadlines = self.deadlines()
        for load_id, got in deadlines.items():
            columns[f"short.{load_id}"] = got.short_j
        columns["loss_j"] = self.loss
        columns["curtailed_j"] = self.curtailed
        if meta["battery_id"] is not None:
            columns[f"soc.{meta['battery_id']}"] = self.soc
        columns["grid_on"] = self.grid_on
        columns["cost"] = self.cost
        # copy=False keeps one array per column (no consolidation copy of the whole table).
        loads = {load.id: load for load in self.compiled.loads} if self.compiled is not None else {}
        return Ledger(pd.DataFrame(columns, copy=False), dict(meta), engine_wall_s=engine_wall_s,
                      extra={"deadlines": {load_id: deadline_summary(got, loads[load_id], meta["timezone"])
                                           for load_id, got in deadlines.items()}})


def deadline_summary(got: Deadlines, load: LoadConfig, timezone: str) -> dict[str, Any]:
    """summary.json's ``deadlines`` entry of one load: totals and one row per activity (local
    times, kWh)."""
    zone = ZoneInfo(timezone)
    kwh = lambda joules: round(float(joules) / J_PER_KWH, 6)  # noqa: E731
    local = lambda unix_s: dt.datetime.fromtimestamp(int(unix_s), zone).isoformat()  # noqa: E731
    rows = [{"start": local(row["start"]), "end": local(row["end"]), "wanted_kwh": kwh(row["wanted_j"]),
             "delivered_kwh": kwh(row["delivered_j"]), "short_kwh": kwh(row["short_j"]),
             **{k: v for k, v in row.items() if k not in ("start", "end", "wanted_j", "delivered_j", "short_j")}}
            for row in got.rows]
    return {
        "kind": load.kind,
        "activity": load.ACTIVITY,
        "activities": len(rows),
        "wanted_kwh": kwh(sum(r["wanted_j"] for r in got.rows)),
        "delivered_kwh": kwh(sum(r["delivered_j"] for r in got.rows)),
        "short_kwh": kwh(sum(r["short_j"] for r in got.rows)),
        "short_activities": sum(1 for r in got.rows if r["short_j"] > 0),
        "rows": rows,
    }


@dataclass
class Ledger:
    """Settlements as a table (one row per tick) plus what the run was."""

    table: pd.DataFrame
    meta: dict[str, Any]
    engine_wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def columns(self, prefix: str) -> list[str]:
        return [c for c in self.table.columns if c.startswith(prefix)]

    def balance_residual(self) -> np.ndarray:
        """``sum(e.*) - loss_j`` per row [J]; all zeros in a valid ledger."""
        energies = self.table[self.columns("e.")].to_numpy(dtype=np.int64)
        return energies.sum(axis=1) - self.table["loss_j"].to_numpy(dtype=np.int64)

    def check(self) -> None:
        """Raise ``AssertionError`` naming the first row that breaks an identity."""
        residual = self.balance_residual()
        bad = np.flatnonzero(residual != 0)
        if bad.size:
            raise AssertionError(f"tick {int(self.table['tick'].iloc[bad[0]])}: sum(e.*) - loss_j = {residual[bad[0]]} J")
        for column in self.columns("demand."):
            load_id = column.removeprefix("demand.")
            lhs = -self.table[f"e.{load_id}"] + self.table[f"unmet.{load_id}"]
            wrong = np.flatnonzero((lhs != self.table[column]).to_numpy())
            if wrong.size:
                raise AssertionError(f"tick {wrong[0]}: load {load_id}: -e + unmet != demand")

    #: Version of :meth:`summary`'s keys: 2 added the split of unmet energy by cause
    #: (``shed_in_outages_*``, ``essential_short_*``, ``non_essential_short_outside_outages_*``),
    #: ``demand_kwh`` and ``demand_served``; 3 added ``deadlines``; every key of version 1 keeps
    #: its meaning.
    SUMMARY_VERSION = 4

    def outage(self) -> np.ndarray:
        """Per tick: the home has a grid and it was off (an outage)."""
        if not self.meta["grid_id"]:
            return np.zeros(len(self.table), dtype=bool)
        return ~self.table["grid_on"].to_numpy(dtype=bool)

    def unmet_by_cause(self) -> dict[str, np.ndarray]:
        """Unmet energy per tick [J, int64], split by cause; the four parts add up to the sum of
        ``unmet.*``:

        ``shed_in_outages``: non-essential loads in outages (off by design: they are on the grid
        side of the inverter); ``essential_short_in_outages`` and
        ``essential_short_outside_outages``: essential loads short (the battery or PV could not
        serve them); ``non_essential_short_outside_outages``: non-essential loads short while
        there was no outage (e.g. an import limit, or a home without a grid).
        """
        t = self.table
        n = len(t)
        essential_ids = set(self.meta["essential_ids"])
        essential = np.zeros(n, dtype=np.int64)
        non_essential = np.zeros(n, dtype=np.int64)
        for load_id in self.meta["load_ids"]:
            unmet = t[f"unmet.{load_id}"].to_numpy(dtype=np.int64)
            if load_id in essential_ids:
                essential += unmet
            else:
                non_essential += unmet
        outage = self.outage()
        zero = np.zeros(n, dtype=np.int64)
        return {
            "shed_in_outages": np.where(outage, non_essential, zero),
            "essential_short_in_outages": np.where(outage, essential, zero),
            "essential_short_outside_outages": np.where(outage, zero, essential),
            "non_essential_short_outside_outages": np.where(outage, zero, non_essential),
        }

    def summary(self) -> dict[str, Any]:
        """Totals of the run; every key is described in :data:`SUMMARY_KEYS`."""
        t = self.table
        dt_s = self.meta["dt_s"]
        kwh = lambda joules: float(joules) / J_PER_KWH  # noqa: E731
        hours = lambda mask: int(np.count_nonzero(mask)) * dt_s / 3600.0  # noqa: E731
        pv = sum(int(t[f"e.{i}"].sum()) for i in self.meta["pv_ids"])
        load_ids = self.meta["load_ids"]
        served = -sum(int(t[f"e.{i}"].sum()) for i in load_ids)
        unmet = sum(int(t[f"unmet.{i}"].sum()) for i in load_ids)
        grid = t[f"e.{self.meta['grid_id']}"].to_numpy() if self.meta["grid_id"] else np.zeros(len(t), dtype=np.int64)
        battery = t[f"e.{self.meta['battery_id']}"].to_numpy() if self.meta["battery_id"] else np.zeros(len(t), dtype=np.int64)
        grid_import = int(grid[grid > 0].sum())
        grid_export = int(-grid[grid < 0].sum())
        unmet_any = np.zeros(len(t), dtype=bool)
        for i in load_ids:
            unmet_any |= t[f"unmet.{i}"].to_numpy() > 0
        # In an outage non-essential loads are off by design: coverage is about essential ones.
        essential_unmet = np.zeros(len(t), dtype=bool)
        for i in self.meta["essential_ids"]:
            essential_unmet |= t[f"unmet.{i}"].to_numpy() > 0
        outage = self.outage()
        outage_ticks = int(outage.sum())
        covered = int((outage & ~essential_unmet).sum())
        parts = self.unmet_by_cause()
        essential_short = parts["essential_short_in_outages"] + parts["essential_short_outside_outages"]
        demand = served + unmet
        return {
            "summary_version": self.SUMMARY_VERSION,
            "home": self.meta["home"],
            "currency": self.meta["currency"],
            "start": t["time"].iloc[0].tz_convert(self.meta["timezone"]).isoformat() if len(t) else None,
            "dt_s": dt_s,
            "seed": self.meta["seed"],
            "energy_kwh": {
                "pv": kwh(pv),
                "load": kwh(served),
                "grid_import": kwh(grid_import),
                "grid_export": kwh(grid_export),
                "battery_charge": kwh(-battery[battery < 0].sum()),
                "battery_discharge": kwh(battery[battery > 0].sum()),
                "loss": kwh(t["loss_j"].sum()),
                "unmet": kwh(unmet),
                "curtailed": kwh(t["curtailed_j"].sum()),
            },
            "cost": float(t["cost"].sum()),
            "bill": self.bill(),
            "deadlines": self.extra.get("deadlines", {}),
            # 1 - grid import / load served: the share of the SERVED load not bought from the grid.
            "self_sufficiency": max(0.0, 1.0 - grid_import / served) if served > 0 else 1.0,
            "outage_hours": outage_ticks * dt_s / 3600.0,
            "outage_coverage": covered / outage_ticks if outage_ticks else 1.0,
            "unmet_hours": int(unmet_any.sum()) * dt_s / 3600.0,
            "unmet_hours_in_outages": int((essential_unmet & outage).sum()) * dt_s / 3600.0,
            # Version 2: what the loads asked for, how much of it was served, and the unmet
            # energy split by cause (the three *_kwh parts below add up to energy_kwh.unmet).
            "demand_kwh": kwh(demand),
            "demand_served": served / demand if demand > 0 else 1.0,
            "shed_in_outages_kwh": kwh(parts["shed_in_outages"].sum()),
            "shed_in_outages_hours": hours(parts["shed_in_outages"] > 0),
            "essential_short_kwh": kwh(essential_short.sum()),
            "essential_short_hours": hours(essential_short > 0),
            "essential_short_in_outages_kwh": kwh(parts["essential_short_in_outages"].sum()),
            "essential_short_in_outages_hours": hours(parts["essential_short_in_outages"] > 0),
            "essential_short_outside_outages_kwh": kwh(parts["essential_short_outside_outages"].sum()),
            "essential_short_outside_outages_hours": hours(parts["essential_short_outside_outages"] > 0),
            "non_essential_short_outside_outages_kwh": kwh(parts["non_essential_short_outside_outages"].sum()),
            "non_essential_short_outside_outages_hours": hours(parts["non_essential_short_outside_outages"] > 0),
            "ticks": int(len(t)),
            "engine_wall_s": self.engine_wall_s,
        }

    def bill(self) -> dict[str, Any] | None:
        """The grid bill of the run by the home's tariff (:func:`homesim.tariffs.bill.bill`), as
        plain data; ``None`` without a grid or a tariff in the metadata."""
        if not self.meta.get("grid_id") or not self.meta.get("tariff"):
            return None
        t = self.table
        grid = t[f"e.{self.meta['grid_id']}"].to_numpy()
        unix_s = np.round((t["time"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()).astype(np.int64)
        return bill(_tariff(json.dumps(self.meta["tariff"], sort_keys=True)), unix_s, np.maximum(grid, 0),
                    np.maximum(-grid, 0), self.meta["timezone"]).to_dict()

    def write(self, out_dir: str | Path, fmt: str = "parquet") -> Path:
        """Write ``ledger.<fmt>`` in ``out_dir`` (metadata in the parquet schema / ``ledger.meta.json``)."""
        if fmt not in LEDGER_FORMATS:
            raise ValueError(f"format {fmt!r} is not allowed: must be one of {', '.join(LEDGER_FORMATS)}")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"ledger.{fmt}"
        if fmt == "parquet":
            table = self.table.copy()
            table.attrs = {"homesim": json.dumps(self.meta)}
            table.to_parquet(path, index=False)
        else:
            self.table.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
        (out / "ledger.meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")
        return path


@functools.lru_cache(maxsize=8)
def _tariff(data: str) -> UtilityTariff:
    """A ledger's tariff from its metadata (JSON), validated once (a report bills each day)."""
    return UtilityTariff.model_validate_json(data)


def read_ledger(path: str | Path) -> Ledger:
    """Read a ledger written by :meth:`Ledger.write`."""
    path = Path(path)
    meta = json.loads((path.parent / "ledger.meta.json").read_text())
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, parse_dates=["time"])
    return Ledger(table, meta)
