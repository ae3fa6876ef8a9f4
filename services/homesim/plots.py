"""Plots of a ledger, as PNG: a day's power flows, SoC and grid state, monthly energy."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from homesim.devices.base import J_PER_KWH  # noqa: E402
from homesim.ledger import Ledger  # noqa: E402


def _local_time(ledger: Ledger) -> pd.Series:
    return ledger.table["time"].dt.tz_convert(ledger.meta["timezone"])


def pick_day(ledger: Ledger) -> pd.Timestamp:
    """The day to show: the first full local day with an outage, else the first full day."""
    local = _local_time(ledger)
    days = local.dt.normalize()
    counts = days.value_counts()
    full = sorted(d for d, n in counts.items() if n * ledger.meta["dt_s"] >= 86_400)
    if not full:
        return days.iloc[0]
    for day in full:
        if not ledger.table["grid_on"][days == day].all() and ledger.meta["grid_id"]:
            return day
    return full[0]


def day_flows(ledger: Ledger, path: Path, day: pd.Timestamp | None = None) -> Path:
    """Stacked power flows over one local day [W]: sources up, sinks down."""
    t = ledger.table
    local = _local_time(ledger)
    day = day if day is not None else pick_day(ledger)
    rows = (local.dt.normalize() == day).to_numpy()
    x = local[rows]
    dt_s = ledger.meta["dt_s"]
    power = lambda column: t.loc[rows, column].to_numpy(dtype=float) / dt_s  # noqa: E731
    sources, sinks = {}, {}
    pv = sum((power(f"e.{i}") for i in ledger.meta["pv_ids"]), np.zeros(rows.sum()))
    sources["PV"] = pv
    if ledger.meta["battery_id"]:
        battery = power(f"e.{ledger.meta['battery_id']}")
        sources["battery discharge"] = np.maximum(battery, 0)
        sinks["battery charge"] = np.maximum(-battery, 0)
    if ledger.meta["grid_id"]:
        grid = power(f"e.{ledger.meta['grid_id']}")
        sources["grid import"] = np.maximum(grid, 0)
        sinks["grid export"] = np.maximum(-grid, 0)
    for load_id in ledger.meta["load_ids"]:
        sinks[load_id] = -power(f"e.{load_id}")
    sinks["loss"] = power("loss_j")
    fig, ax = plt.subplots(figsize=(12, 6))
    source_colors = {"PV": "#f2b701", "battery discharge": "#3a9e4f", "grid import": "#7f7f7f"}
    ax.stackplot(x, *sources.values(), labels=list(sources), colors=[source_colors[k] for k in sources], alpha=0.9)
    palette = plt.get_cmap("tab20").colors
    sink_colors = [palette[i % len(palette)] for i in range(len(sinks))]
    ax.stackplot(x, *[-v for v in sinks.values()], labels=list(sinks), colors=sink_colors, alpha=0.85)
    available = pv + power("curtailed_j")
    ax.plot(x, available, color="#b8860b", lw=1.0, ls="--", label="PV available")
    off = ~t.loc[rows, "grid_on"].to_numpy() if ledger.meta["grid_id"] else np.zeros(rows.sum(), bool)
    if off.any():
        low, high = ax.get_ylim()
        ax.fill_between(x, low, high, where=off, color="grey", alpha=0.15, step="post", label="grid off")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(f"{ledger.meta['home']}: power flows on {day:%Y-%m-%d} (sources up, sinks down)")
    ax.set_ylabel("power [W]")
    ax.set_xlabel(f"local time ({ledger.meta['timezone']})")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def soc_and_grid(ledger: Ledger, path: Path) -> Path:
    """Battery SoC and grid state over the whole run."""
    t = ledger.table
    local = _local_time(ledger)
    fig, ax = plt.subplots(figsize=(12, 4))
    if ledger.meta["battery_id"]:
        ax.plot(local, t[f"soc.{ledger.meta['battery_id']}"] * 100, lw=0.8, label="battery SoC")
    if ledger.meta["grid_id"]:
        ax.fill_between(local, 0, 100, where=~t["grid_on"].to_numpy(), color="red", alpha=0.2, step="post",
                        label="grid off")
    ax.set_ylim(0, 100)
    ax.set_ylabel("state of charge [%]")
    ax.set_title(f"{ledger.meta['home']}: battery state of charge and grid outages")
    ax.legend(loc="lower left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def monthly_energy(ledger: Ledger, path: Path) -> Path:
    """Energy per month [kWh]: PV, load, grid import and export, unmet."""
    t = ledger.table
    month = _local_time(ledger).dt.strftime("%Y-%m")
    frame = pd.DataFrame({"month": month})
    frame["PV"] = sum((t[f"e.{i}"] for i in ledger.meta["pv_ids"]), pd.Series(0, index=t.index))
    frame["load"] = -sum((t[f"e.{i}"] for i in ledger.meta["load_ids"]), pd.Series(0, index=t.index))
    if ledger.meta["grid_id"]:
        grid = t[f"e.{ledger.meta['grid_id']}"]
        frame["grid import"] = grid.clip(lower=0)
        frame["grid export"] = (-grid).clip(lower=0)
    frame["unmet"] = sum((t[f"unmet.{i}"] for i in ledger.meta["load_ids"]), pd.Series(0, index=t.index))
    totals = frame.groupby("month").sum() / J_PER_KWH
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(totals) + 3), 4.5))
    totals.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("energy [kWh]")
    ax.set_title(f"{ledger.meta['home']}: energy per month")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_all(ledger: Ledger, out_dir: Path, day: pd.Timestamp | None = None) -> list[Path]:
    """Write every plot of a run into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        day_flows(ledger, out_dir / "day_flows.png", day),
        soc_and_grid(ledger, out_dir / "soc_grid.png"),
        monthly_energy(ledger, out_dir / "monthly_energy.png"),
    ]
