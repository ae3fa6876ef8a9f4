"""The calibration report (:mod:`homesim.history.report`) as markdown, from its JSON form."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from homesim.history.series import UNITS

#: What each quantity is called in the report, and the unit its hourly and daily errors are in.
LABELS = {"pv_w": ("PV", "W"), "load_w": ("load", "W"), "grid_import_w": ("grid import", "W"),
          "grid_export_w": ("grid export", "W"), "battery_w": ("battery power (+ discharging)", "W"),
          "soc": ("battery SoC", "% points")}
SHORT = {"pv_w": "PV", "load_w": "load", "grid_import_w": "import", "grid_export_w": "export", "battery_w": "battery",
         "soc": "SoC"}
ENERGY_LABELS = {"pv": "PV", "load": "load", "grid_import": "grid import", "grid_export": "grid export",
                 "battery_discharge": "battery discharge", "battery_charge": "battery charge"}
#: The heading the report's plots come under, last (a page that shows the report without them
#: includes it up to this line).
PLOTS_HEADING = "## Plots"  # at level 1; one # more for each level down
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


def markdown(report: dict[str, Any], plots: dict[str, str], title: str = "Calibration report", level: int = 1) -> str:
    """``report``: :meth:`homesim.history.report.Report.to_dict`; ``plots``: image paths by what
    they show (``typical``, ``best``, ``worst``, ``monthly``), last, under :data:`PLOTS_HEADING`;
    ``level``: the title's heading level (the sections one below)."""
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
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report["notes"]]
    if plots:
        lines += ["", PLOTS_HEADING]
    for which in ("typical", "best", "worst", "monthly"):
        if which in plots:
            shown = f"the {which} day, {report['chosen'][which]}" if which != "monthly" else "energy per month"
            lines += ["", f"![{shown}, measured against simulated]({plots[which]})"]
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + level - 1) + " ", "\n".join(lines) + "\n", flags=re.M)


def _value(value: Any) -> str:
    """A fitted value as a person reads it: numbers to 4 significant digits, lists and mappings
    inline."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if len(value) > 6:
            return f"{len(value)} values (in calibration.json)"
        return "; ".join(_value(v) for v in value)
    return str(value)


def quality_markdown(quality: dict[str, Any], history: Any) -> str:
    """The data-quality report (``quality.md``): files read, the grid, coverage, every problem
    found and what was done about it, notes. ``quality``: ``Quality.to_dict()``."""
    lines = ["# Data quality", "",
             "What was read, and everything done to the data on its way to the regular grid: nothing is "
             "changed silently.", "", "## Files", "", "| file | layout | rows | first | last |", "|---|---|---:|---|---|"]
    for f in quality["files"]:
        lines.append(f"| `{f['path']}` | {f['layout']} | {f['rows']:,} | {f['first']} | {f['last']} |")
    lines += ["", "## The grid", "",
              f"{history.size:,} intervals of {history.step_s} s from {_local(history.start_s, history.timezone)} "
              f"to {_local(history.start_s + history.size * history.step_s, history.timezone)} ({history.timezone}).",
              "", "| quantity | unit | share of the grid with data |", "|---|---|---:|"]
    for q, share in quality["coverage"].items():
        lines.append(f"| {LABELS.get(q, (q,))[0]} (`{q}`) | {UNITS.get(q, '')} | {100 * share:.1f} % |")
    lines += ["", "## Problems found and what was done", ""]
    if quality["problems"]:
        lines += ["| kind | quantity | count | what was done | first seen |", "|---|---|---:|---|---|"]
        for p in quality["problems"]:
            seen = "<br>".join(str(e).replace("|", "\\|") for e in p["examples"][:3])
            lines.append(f"| {p['kind']} | {p['quantity'] or '–'} | {p['count']:,} | "
                         f"{p['detail'].replace('|', chr(92) + '|')} | {seen} |")
    else:
        lines.append("None: no gap, duplicate, reset, spike or unit mistake.")
    if quality["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in quality["notes"]]
    return "\n".join(lines) + "\n"


def _local(unix_s: int, timezone: str) -> str:
    return dt.datetime.fromtimestamp(int(unix_s), ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _fitted(entry: Any) -> str:
    """A fitted parameter (``{"value", "unit", ...}``, or a bare value) as value and unit."""
    if isinstance(entry, dict) and "value" in entry:
        unit = entry.get("unit") or ""
        value = entry["value"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or unit == "0..1":
            return _value(value)
        return f"{_value(value)} {unit}".strip()
    return _value(entry)


def _cell(text: Any) -> str:
    return str(text if text is not None else "–").replace("|", "\\|").replace("\n", " ")


def calibration_markdown(fitted: dict[str, Any], notes: list[str], report: dict[str, Any],
                         plots: dict[str, str]) -> str:
    """``calibration.md``: what was fitted (value, unit, method, uncertainty), the calibration's
    notes, then the report."""
    lines = ["# Calibration", "", "What the history says of the home (written into `home.yaml`):", "",
             "| parameter | value | method | uncertainty |", "|---|---|---|---|"]
    for key, entry in fitted.items():
        method = entry.get("method") if isinstance(entry, dict) else None
        spread = entry.get("uncertainty") if isinstance(entry, dict) else None
        lines.append(f"| {key} | {_cell(_fitted(entry))} | {_cell(method)} | "
                     f"{_cell(_value(spread) if spread is not None else None)} |")
    if notes:
        lines += ["", "Notes of the calibration:", ""] + [f"- {n}" for n in notes]
    lines.append("")
    return "\n".join(lines) + "\n" + markdown(report, plots, title="How closely the calibrated home reproduces "
                                                                  "the history", level=2)


def import_summary(quality: dict[str, Any], history: Any, fitted: dict[str, Any],
                   report: dict[str, Any]) -> list[str]:
    """What ``homesim import`` prints: the data read, what was fitted (its numbers and words;
    tables and curves are in calibration.md), how close the replay is."""
    rows = sum(f["rows"] for f in quality["files"])
    lines = [f"read {len(quality['files'])} file(s), {rows:,} rows: {_local(history.start_s, history.timezone)} to "
             f"{_local(history.start_s + history.size * history.step_s, history.timezone)} ({history.timezone}), "
             f"{history.step_s} s grid",
             "  data: " + ", ".join(f"{SHORT[q]} {100 * s:.0f} %" for q, s in quality["coverage"].items()
                                    if q in SHORT and s > 0)]
    kinds: dict[str, int] = {}
    for p in quality["problems"]:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + p["count"]
    lines.append("  found and handled: " + (", ".join(f"{k} {n:,}" for k, n in kinds.items()) or "nothing")
                 + " (quality.md)")
    lines += ["", "calibrated (calibration.md says how):"] + [
        f"  {k:<32} {_fitted(v)}" for k, v in fitted.items()
        if not isinstance(v, dict) or isinstance(v.get("value"), (int, float, str))]
    totals: dict[str, list[float]] = {}
    for m in report["months"]:
        for name, e in m["energy_kwh"].items():
            t = totals.setdefault(name, [0.0, 0.0])
            t[0] += e["measured"]
            t[1] += e["simulated"]
    lines += ["", "the calibrated home over the measured period (calibration.md):",
              f"  {'':<18} {'measured':>10} {'simulated':>10} {'error':>8}"]
    for name, (a, b) in totals.items():
        share = f"{100 * (b - a) / a:+.1f} %" if abs(a) > 1e-9 else "–"
        lines.append(f"  {ENERGY_LABELS[name]:<18} {a:7,.1f} kWh {b:6,.1f} kWh {share:>8}")
    errors = report["errors"]
    lines.append("  hourly MAE: " + ", ".join(f"{SHORT[q]} {_n(e['hourly']['mae'], 0)} "
                                             f"{'points' if q == 'soc' else 'W'}" for q, e in errors.items()))
    chosen = report["chosen"]
    lines.append(f"  days plotted: typical {chosen['typical']}, best {chosen['best']}, worst {chosen['worst']}")
    return lines
