"""Reports of a ledger by local day or month: energy, cost, self-sufficiency, outage coverage.

Pure: a ledger in, rows out (and plots written where asked). Used by ``homesim report`` and by
the recorder's ``report.daily`` / ``report.monthly`` RPCs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from homesim.ledger import Ledger

#: Columns of a report row, in order (energy in [kWh], cost and bill in the home's currency). ``bill``:
#: a month's bill by the home's tariff (homesim.tariffs.bill: fixed charges, blocks, metering); None
#: in a day's row (a bill is by month) and for a ledger without a tariff.
COLUMNS = ("period", "ticks", "pv_kwh", "load_kwh", "grid_import_kwh", "grid_export_kwh", "battery_charge_kwh",
           "battery_discharge_kwh", "unmet_kwh", "cost", "bill", "self_sufficiency", "outage_hours",
           "outage_coverage")
PERIODS = {"day": "%Y-%m-%d", "month": "%Y-%m"}


def report(ledger: Ledger, by: str = "day", only: str | None = None) -> list[dict[str, Any]]:
    """One row per local ``day`` or ``month`` (``only``: just that period, e.g. ``2026-01-05``)."""
    if by not in PERIODS:
        raise ValueError(f"by {by!r} is not allowed: must be day or month")
    table = ledger.table
    if table.empty:
        return []
    local = table["time"].dt.tz_convert(ledger.meta["timezone"]).dt.strftime(PERIODS[by])
    rows = []
    for period, part in table.groupby(local, sort=True):
        if only is not None and period != only:
            continue
        summary = Ledger(part.reset_index(drop=True), ledger.meta).summary()
        energy = summary["energy_kwh"]
        rows.append({
            "period": period, "ticks": summary["ticks"], "pv_kwh": energy["pv"], "load_kwh": energy["load"],
            "grid_import_kwh": energy["grid_import"], "grid_export_kwh": energy["grid_export"],
            "battery_charge_kwh": energy["battery_charge"], "battery_discharge_kwh": energy["battery_discharge"],
            "unmet_kwh": energy["unmet"], "cost": summary["cost"],
            "bill": summary["bill"]["total"] if by == "month" and summary["bill"] else None,
            "self_sufficiency": summary["self_sufficiency"],
            "outage_hours": summary["outage_hours"], "outage_coverage": summary["outage_coverage"],
        })
    return rows


def format_rows(rows: list[dict[str, Any]], currency: str) -> str:
    """An aligned text table."""
    headers = ["period", "PV kWh", "load kWh", "import kWh", "export kWh", f"cost {currency}", "self-suff.",
               "outage h", "covered"]
    keys = ["period", "pv_kwh", "load_kwh", "grid_import_kwh", "grid_export_kwh", "cost", "self_sufficiency",
            "outage_hours", "outage_coverage"]
    # the bill beside the cost where a month's bill is not its cost (fixed charges, blocks, net metering)
    if any(r.get("bill") is not None and abs(r["bill"] - r["cost"]) > 1e-6 * max(1.0, abs(r["cost"])) for r in rows):
        headers.insert(6, f"bill {currency}")
        keys.insert(6, "bill")
    cells = [headers] + [[_cell(k, r[k]) for k in keys] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in cells)


def _cell(key: str, value: Any) -> str:
    if key in ("self_sufficiency", "outage_coverage"):
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def plot(rows: list[dict[str, Any]], path: Path, currency: str, title: str) -> Path:
    """Energy per period (PV, load, grid import) and cost, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = [r["period"] for r in rows]
    x = np.arange(len(rows))
    fig, (energy, cost) = plt.subplots(2, 1, figsize=(max(6, len(rows) * 0.6 + 3), 6), sharex=True)
    width = 0.27
    for offset, key, label, color in ((-width, "pv_kwh", "PV", "#f2a900"), (0, "load_kwh", "load", "#3d5a80"),
                                      (width, "grid_import_kwh", "grid import", "#7a7a7a")):
        energy.bar(x + offset, [r[key] for r in rows], width, label=label, color=color)
    energy.set_ylabel("energy [kWh]")
    energy.legend(loc="upper right")
    energy.set_title(title)
    cost.bar(x, [r["cost"] for r in rows], 0.5, color="#2a9d8f")
    cost.set_ylabel(f"cost [{currency}]")
    cost.set_xticks(x, periods, rotation=45, ha="right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
