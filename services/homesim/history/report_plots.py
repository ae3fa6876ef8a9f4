"""The calibration report's plots (PNG): a day measured against simulated, a panel per quantity,
and the energy per month, measured beside simulated.

Times on the x axis are the home's local time (the history's time zone); powers in kW, the
state of charge in %, energies in kWh.
"""

from __future__ import annotations

from pathlib import Path

# This module is matplotlib's (the commands import it only when they draw): TID253 waived here.
import matplotlib  # noqa: TID253

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402, TID253
import matplotlib.pyplot as plt  # noqa: E402, TID253
import numpy as np  # noqa: E402

from homesim.history.report import Report  # noqa: E402
from homesim.history.report_text import ENERGY_LABELS, LABELS  # noqa: E402

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH_NUM = float(mdates.date2num(np.datetime64("1970-01-01T00:00:00")))
MEASURED = {"color": "#222222", "lw": 1.1}
SIMULATED = {"color": "#d9480f", "lw": 1.1, "ls": "--"}
#: Panels of a day plot: (title, [(quantity, sign, what)], unit, scale).
PANELS = (
    ("PV", [("pv_w", 1, "")], "kW", 1e-3),
    ("load", [("load_w", 1, "")], "kW", 1e-3),
    ("grid (+ import, − export)", [("grid_import_w", 1, ""), ("grid_export_w", -1, "")], "kW", 1e-3),
    ("battery (+ discharging, − charging)", [("battery_w", 1, "")], "kW", 1e-3),
    ("battery state of charge", [("soc", 1, "")], "%", 100.0),
)


def _x(unix_s: np.ndarray) -> np.ndarray:
    return np.asarray(unix_s, dtype=float) / 86_400.0 + _EPOCH_NUM


def day_plot(report: Report, day: str, path: Path, which: str = "") -> Path:
    """One local day, measured (solid) against simulated (dashed), a panel per quantity the
    history has."""
    part = report.day_slice(day)
    m, s = report.measured, report.simulation
    unix_s = m.unix_s[part]
    x = _x(unix_s + m.step_s)  # each mean drawn at its interval's end, a step line
    panels = [p for p in PANELS if any(not np.all(np.isnan(m.values[q][part])) for q, _, _ in p[1])]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.9 * len(panels) + 1.0), sharex=True, squeeze=False)
    for ax, (title, series, unit, scale) in zip(axes[:, 0], panels):
        for q, sign, _ in series:
            mv = m.values[q][part] * scale * sign
            sv = s.values[q][part] * scale * sign
            if q == "soc":
                sv = np.where(np.isnan(mv), np.nan, sv)  # compared where measured only
            ax.step(x, mv, where="pre", label="measured", **MEASURED)
            ax.step(x, sv, where="pre", label="simulated", **SIMULATED)
        if len(series) > 1 or title.startswith("battery ("):
            ax.axhline(0, color="#999999", lw=0.6)
        if unit == "%":
            ax.set_ylim(-2, 102)
        ax.set_ylabel(f"[{unit}]")
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    axes[0, 0].legend(handles[:2], labels[:2], loc="upper right", fontsize=8)
    zone = m.timezone
    bottom = axes[-1, 0]
    bottom.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3), tz=zone))
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    bottom.set_xlim(_x(unix_s[0]), _x(unix_s[-1] + m.step_s))
    bottom.set_xlabel(f"local time ({zone})")
    label = f"the {which} day, " if which else ""
    fig.suptitle(f"Measured against simulated: {label}{day}", fontsize=12)
    return _save(fig, path, top_in=0.75)


def monthly_plot(report: Report, path: Path) -> Path:
    """Energy per month [kWh], measured beside simulated, a panel per energy."""
    months = report.months
    names = [n for n in ENERGY_LABELS if any(n in mo["energy_kwh"] for mo in months)]
    cols = 2 if len(names) > 1 else 1
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(min(14, max(8, 0.5 * len(months) * cols + 2)), 2.6 * rows + 1.2),
                             squeeze=False)
    x = np.arange(len(months))
    # a month with data on fewer days says how many (its bars are not a whole month's)
    labels = [f"{MONTHS[int(mo['month'][5:]) - 1]}\n{mo['month'][:4]}"
              + (f"\n{mo['days_with_data']:.0f} d" if mo["days_with_data"] < 27.5 else "") for mo in months]
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.set_visible(False)
            continue
        name = names[k]
        got = [mo["energy_kwh"].get(name) for mo in months]
        measured = [g["measured"] if g else np.nan for g in got]
        simulated = [g["simulated"] if g else np.nan for g in got]
        ax.bar(x - 0.2, measured, width=0.4, color="#555555", label="measured")
        ax.bar(x + 0.2, simulated, width=0.4, color="#f08c00", label="simulated")
        ax.set_xticks(x, labels, fontsize=7 if len(months) > 8 else 8)
        ax.set_title(ENERGY_LABELS[name], loc="left", fontsize=10)
        ax.set_ylabel("[kWh]")
        top = np.nanmax([*measured, *simulated, 0.0])
        ax.set_ylim(0, (1.35 if k == 0 else 1.1) * top if top > 0 else 1.0)  # the first: room for the legend
        ax.grid(axis="y", alpha=0.3)
        if k == 0:
            ax.legend(fontsize=8, loc="upper center", ncol=2)
    fig.suptitle(f"Energy per month, measured and simulated, over the intervals with data\n(months of "
                 f"{report.measured.timezone}; \"d\": days with data in a month not wholly covered)", fontsize=11)
    return _save(fig, path, top_in=0.9, bottom_in=0.7, hspace_in=0.95, wspace_in=0.9)


def _save(fig, path: Path, left_in: float = 0.85, right_in: float = 0.25, bottom_in: float = 0.7, top_in: float = 0.6,
          hspace_in: float = 0.5, wspace_in: float = 0.0) -> Path:
    """Save with fixed margins and gaps [inches] (``tight_layout`` would lay every label out
    twice: most of a plot's time), then close the figure."""
    width, height = fig.get_size_inches()
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes else (1, 1)
    inner_h = height - top_in - bottom_in
    inner_w = width - left_in - right_in
    fig.subplots_adjust(left=left_in / width, right=1 - right_in / width, bottom=bottom_in / height,
                        top=1 - top_in / height,
                        hspace=hspace_in / ((inner_h - (rows - 1) * hspace_in) / rows) if rows > 1 else 0.0,
                        wspace=wspace_in / ((inner_w - (cols - 1) * wspace_in) / cols) if cols > 1 else 0.0)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_plots(report: Report, out: Path) -> dict[str, str]:
    """The three days' plots and the monthly chart into ``out``: file names by what they show."""
    written: dict[str, str] = {}
    done: dict[str, str] = {}
    for which in ("typical", "best", "worst"):
        day = report.chosen.get(which)
        if day is None:
            continue
        if day in done:  # a short history: the same day twice
            written[which] = done[day]
            continue
        name = f"day_{which}.png"  # the day is in its title and in the report
        day_plot(report, day, out / name, which)
        written[which] = done[day] = name
    if report.months:
        written["monthly"] = monthly_plot(report, out / "monthly_energy.png").name
    return written


__all__ = ["LABELS", "day_plot", "monthly_plot", "write_plots"]
