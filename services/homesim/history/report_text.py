"""The calibration report (:mod:`homesim.history.report`) as markdown, from its JSON form."""

from __future__ import annotations

import math
from typing import Any

#: What each quantity is called in the report, and the unit its hourly and daily errors are in.
LABELS = {"pv_w": ("PV", "W"), "load_w": ("load", "W"), "grid_import_w": ("grid import", "W"),
          "grid_export_w": ("grid export", "W"), "battery_w": ("battery power (+ discharging)", "W"),
          "soc": ("battery SoC", "% points")}
ENERGY_LABELS = {"pv": "PV", "load": "load", "grid_import": "grid import", "grid_export": "grid export",
                 "battery_discharge": "battery discharge", "battery_charge": "battery charge"}
#: How the three days to plot are chosen (said in the report).
DAY_CHOICE = ("Days with data for at least 90 % of their intervals are ranked by a score: for each power "
              "quantity measured (PV, load, grid import, grid export, battery power), the day's mean absolute "
              "error of hourly means divided by that quantity's mean absolute hourly value over the whole "
              "history, averaged over the quantities. Best: the lowest score; worst: the highest; typical: "
              "the median.")


def _n(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}".replace("-", "−")


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f} %".replace("-", "−")


def daily_energy_errors(days: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per energy: MAE, RMSE and bias of the daily energies [kWh] over the days with data, the
    largest daily error and its day."""
    out: dict[str, dict[str, Any]] = {}
    for name in ENERGY_LABELS:
        rows = [(d["date"], d["energy_kwh"][name]["error"]) for d in days if name in d["energy_kwh"]]
        if not rows:
            continue
        errs = [e for _, e in rows]
        worst = max(rows, key=lambda r: abs(r[1]))
        out[name] = {"days": len(errs), "mae": sum(abs(e) for e in errs) / len(errs),
                     "rmse": math.sqrt(sum(e * e for e in errs) / len(errs)), "bias": sum(errs) / len(errs),
                     "largest": worst[1], "largest_day": worst[0]}
    return out


def markdown(report: dict[str, Any], plots: dict[str, str], title: str = "Calibration report") -> str:
    """``report``: :meth:`homesim.history.report.Report.to_dict`; ``plots``: image paths by what
    they show (``typical``, ``best``, ``worst``, ``monthly``)."""
    lines = [f"# {title}", "",
             f"Measured history against the simulated home, {report['start']} to {report['end']} "
             f"({report['timezone']}), on a {report['step_s']} s grid. Only the intervals the history has data "
             "for are compared. Errors are simulated minus measured: a positive bias means the simulation "
             "gives too much.", ""]
    lines += ["## Error by hour and by day", "",
              "MAE, RMSE and bias of the hourly and the daily mean power (the SoC: of its hourly and daily means).",
              "", "| quantity | unit | measured mean | hourly MAE | hourly RMSE | hourly bias | daily MAE | "
              "daily RMSE | daily bias |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for q, e in report["errors"].items():
        label, unit = LABELS[q]
        h, d = e["hourly"], e["daily"]
        lines.append(f"| {label} | {unit} | {_n(h['measured_mean'])} | {_n(h['mae'])} | {_n(h['rmse'])} | "
                     f"{_n(h['bias'])} | {_n(d['mae'])} | {_n(d['rmse'])} | {_n(d['bias'])} |")
    names = [n for n in ENERGY_LABELS if any(n in m["energy_kwh"] for m in report["months"])]
    lines += ["", "## Energy by month", "",
              "Measured / simulated [kWh] (simulated minus measured, as a share of measured).", "",
              "| month | " + " | ".join(ENERGY_LABELS[n] for n in names) + " |",
              "|---|" + "---:|" * len(names)]
    totals = {n: [0.0, 0.0] for n in names}
    for m in report["months"]:
        cells = []
        for n in names:
            e = m["energy_kwh"].get(n)
            if e is None:
                cells.append("–")
                continue
            totals[n][0] += e["measured"]
            totals[n][1] += e["simulated"]
            cells.append(f"{_n(e['measured'])} / {_n(e['simulated'])} ({_share(e['error_share'])})")
        lines.append(f"| {m['month']} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + " | ".join(
        f"**{_n(a)} / {_n(b)}** ({_share((b - a) / a if abs(a) > 1e-9 else None)})" for a, b in totals.values()) + " |")
    per_day = daily_energy_errors(report["days"])
    lines += ["", "## Energy by day", "", "The error of each day's energy [kWh], over the days with data.", "",
              "| energy | days | MAE | RMSE | bias | largest error | on |", "|---|---:|---:|---:|---:|---:|---|"]
    for n, e in per_day.items():
        lines.append(f"| {ENERGY_LABELS[n]} | {e['days']} | {_n(e['mae'], 2)} | {_n(e['rmse'], 2)} | "
                     f"{_n(e['bias'], 2)} | {_n(e['largest'], 2)} | {e['largest_day']} |")
    lines += ["", "Every day's energies, measured and simulated, are in `calibration.json` (`days`).", "",
              "## A typical, a best and a worst day", "", report["day_choice"], ""]
    by_date = {d["date"]: d for d in report["days"]}
    for which in ("typical", "best", "worst"):
        day = report["chosen"].get(which)
        if day is None:
            lines.append(f"- {which}: no day has enough data")
            continue
        row = by_date[day]
        imp = row["energy_kwh"].get("grid_import")
        said = (f"; grid import {_n(imp['measured'])} kWh measured, {_n(imp['simulated'])} kWh simulated"
                if imp else "")
        lines.append(f"- **{which}**: {day} (score {_n(row['score'], 3)}{said})")
    for which in ("typical", "best", "worst", "monthly"):
        if which in plots:
            shown = f"the {which} day" if which != "monthly" else "energy per month"
            lines += ["", f"![{shown}, measured against simulated]({plots[which]})"]
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"
