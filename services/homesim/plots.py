"""Plots of a ledger, as PNG: a day's power flows, SoC and grid state, monthly energy.

A year at 1-minute steps is 525,600 rows: nothing here converts them to dates or draws them
one by one. Times are integer seconds read once from the ledger, the x axis is matplotlib's date
number (days since 1970) with tick labels in the home's time zone, and what is drawn is
aggregated first (:func:`envelope`, :func:`spans`, :func:`period_bounds` / :func:`monthly_totals`);
the aggregates keep what the eye reads: every bucket's minimum and maximum, every outage tick,
every Joule of each month.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from homesim.devices.base import J_PER_KWH  # noqa: E402
from homesim.ledger import Ledger  # noqa: E402

#: soc_grid.png draws at most this many buckets (min-max envelopes) over the run.
MAX_BUCKETS = 10_000
#: Bucket lengths tried for the envelope, shortest first [s].
BUCKET_S = (60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400)
_EPOCH_NUM = float(mdates.date2num(np.datetime64("1970-01-01T00:00:00")))


# --- aggregation (pure, tested in tests/test_plots.py) -------------------------------------------

def unix_seconds(ledger: Ledger) -> np.ndarray:
    """Each tick's start as integer seconds since 1970 (UTC), without per-row date objects."""
    return ledger.table["time"].to_numpy(dtype="datetime64[s]").astype(np.int64)


def date_numbers(unix_s: np.ndarray) -> np.ndarray:
    """Unix seconds as matplotlib date numbers (days since its epoch)."""
    return np.asarray(unix_s, dtype=float) / 86_400.0 + _EPOCH_NUM


def envelope(values: np.ndarray, bucket: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive buckets of ``bucket`` values (the last may be shorter): each bucket's first
    index, minimum and maximum."""
    values = np.asarray(values)
    if bucket < 1:
        raise ValueError(f"bucket {bucket} is not allowed: must be >= 1")
    starts = np.arange(0, len(values), bucket)
    if not len(starts):
        return starts, values[:0], values[:0]
    return starts, np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)


def bucket_ticks(ticks: int, dt_s: int, max_buckets: int = MAX_BUCKETS) -> int:
    """Ticks per envelope bucket: the shortest of :data:`BUCKET_S` (at least one tick) that
    leaves at most ``max_buckets`` buckets."""
    for seconds in BUCKET_S:
        bucket = max(1, seconds // dt_s)
        if -(-ticks // bucket) <= max_buckets:
            return bucket
    return max(1, -(-ticks // max_buckets))


def spans(mask: np.ndarray) -> np.ndarray:
    """Runs of ``True`` as ``[start, end)`` index pairs, shape ``(runs, 2)``."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    return np.column_stack((np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def period_bounds(unix_s: np.ndarray, timezone: str, freq: str) -> tuple[list[pd.Timestamp], np.ndarray]:
    """Local calendar periods (``"day"`` or ``"month"``) the ticks fall in: each non-empty
    period's local start and its first tick index, plus a last index ``len(unix_s)``."""
    if freq not in ("day", "month"):
        raise ValueError(f"freq {freq!r} is not allowed: must be day or month")
    if not len(unix_s):
        return [], np.zeros(1, dtype=np.int64)
    first, last = (pd.Timestamp(int(unix_s[i]), unit="s", tz="UTC").tz_convert(timezone).tz_localize(None)
                   for i in (0, -1))
    first = first.normalize() if freq == "day" else first.normalize().replace(day=1)
    naive = pd.date_range(first, last, freq="D" if freq == "day" else "MS")
    local = naive.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    starts_s = local.as_unit("s").asi8
    index = np.searchsorted(unix_s, starts_s, side="left")
    index[0] = 0
    bounds = np.append(index, len(unix_s))
    keep = bounds[:-1] < bounds[1:]  # drop periods without a tick (gaps in a recorded ledger)
    return [local[i] for i in np.flatnonzero(keep)], np.append(index[keep], len(unix_s))


def unmet_parts(ledger: Ledger) -> dict[str, np.ndarray]:
    """Per tick [J]: shed in outages, essential loads short, non-essential short outside outages."""
    parts = ledger.unmet_by_cause()
    return {
        "shed in outages (non-essential, by design)": parts["shed_in_outages"],
        "essential loads short": parts["essential_short_in_outages"] + parts["essential_short_outside_outages"],
        "non-essential short, grid on": parts["non_essential_short_outside_outages"],
    }


def monthly_totals(ledger: Ledger) -> tuple[list[str], dict[str, np.ndarray]]:
    """Energy per local month [kWh]: PV, load served, grid import and export, and the unmet
    energy by cause (:func:`unmet_parts`). Sums of integer Joules, month by month."""
    t = ledger.table
    meta = ledger.meta
    months, bounds = period_bounds(unix_seconds(ledger), meta["timezone"], "month")
    column = lambda name: t[name].to_numpy(dtype=np.int64)  # noqa: E731
    zero = np.zeros(len(t), dtype=np.int64)
    series: dict[str, np.ndarray] = {
        "PV": sum((column(f"e.{i}") for i in meta["pv_ids"]), zero),
        "load served": -sum((column(f"e.{i}") for i in meta["load_ids"]), zero),
    }
    if meta["grid_id"]:
        grid = column(f"e.{meta['grid_id']}")
        series["grid import"] = np.maximum(grid, 0)
        series["grid export"] = np.maximum(-grid, 0)
    series.update(unmet_parts(ledger))
    starts = bounds[:-1]
    totals = {name: (np.add.reduceat(values, starts) / J_PER_KWH if len(starts) else np.zeros(0))
              for name, values in series.items()}
    return [f"{m:%Y-%m}" for m in months], totals


def _local_axis(ax, timezone: str, label: bool = True, show_offset: bool = True) -> None:
    locator = mdates.AutoDateLocator(tz=timezone)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=timezone, show_offset=show_offset))
    if label:
        ax.set_xlabel(f"local time ({timezone})")


def _shade_outages(ax, x_start: np.ndarray, x_end: np.ndarray, runs: np.ndarray, color: str, alpha: float,
                   label: str) -> None:
    """One shaded band per merged outage (one artist for all of them)."""
    if not len(runs):
        return
    left = x_start[runs[:, 0]]
    width = x_end[runs[:, 1] - 1] - left
    low, high = ax.get_ylim()
    ax.broken_barh(list(zip(left, width)), (low, high - low), facecolors=color, alpha=alpha,
                   edgecolor=color, linewidth=0.5, label=label)
    ax.set_ylim(low, high)


# --- the plots -----------------------------------------------------------------------------------

def _save(fig, path: Path, left_in: float = 0.8, right_in: float = 0.25, bottom_in: float = 0.85,
          top_in: float = 0.4) -> Path:
    """Save with fixed margins [inches] (what ``tight_layout`` would find for these plots, without
    laying out every label twice), then close the figure."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left_in / width, right=1 - right_in / width, bottom=bottom_in / height,
                        top=1 - top_in / height)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def pick_day(ledger: Ledger) -> pd.Timestamp:
    """The day to show: the first full local day with an outage, else the first full day."""
    days, bounds = period_bounds(unix_seconds(ledger), ledger.meta["timezone"], "day")
    counts = np.diff(bounds)
    full = [i for i in range(len(days)) if counts[i] * ledger.meta["dt_s"] >= 86_400]
    if not full:
        return days[0]
    if ledger.meta["grid_id"]:
        outage_before = np.concatenate(([0], np.cumsum(ledger.outage())))
        for i in full:
            if outage_before[bounds[i + 1]] > outage_before[bounds[i]]:
                return days[i]
    return days[full[0]]


def day_flows(ledger: Ledger, path: Path, day: pd.Timestamp | None = None) -> Path:
    """Stacked power flows over one local day [W]: sources up, sinks down."""
    t = ledger.table
    meta = ledger.meta
    timezone = meta["timezone"]
    dt_s = meta["dt_s"]
    day = day if day is not None else pick_day(ledger)
    day = pd.Timestamp(day)
    day_start = (day.tz_convert(timezone).tz_localize(None) if day.tzinfo else day).normalize()
    edges = pd.DatetimeIndex([day_start, day_start + pd.Timedelta(days=1)]).tz_localize(
        timezone, ambiguous=True, nonexistent="shift_forward").as_unit("s").asi8
    unix_s = unix_seconds(ledger)
    lo, hi = np.searchsorted(unix_s, edges, side="left")
    x = date_numbers(unix_s[lo:hi])
    x_end = date_numbers(unix_s[lo:hi] + dt_s)
    power = lambda column: t[column].to_numpy()[lo:hi].astype(float) / dt_s  # noqa: E731
    sources, sinks = {}, {}
    pv = sum((power(f"e.{i}") for i in meta["pv_ids"]), np.zeros(hi - lo))
    sources["PV"] = pv
    if meta["battery_id"]:
        battery = power(f"e.{meta['battery_id']}")
        sources["battery discharge"] = np.maximum(battery, 0)
        sinks["battery charge"] = np.maximum(-battery, 0)
    if meta["grid_id"]:
        grid = power(f"e.{meta['grid_id']}")
        sources["grid import"] = np.maximum(grid, 0)
        sinks["grid export"] = np.maximum(-grid, 0)
    for load_id in meta["load_ids"]:
        sinks[load_id] = -power(f"e.{load_id}")
    sinks["loss"] = power("loss_j")
    fig, ax = plt.subplots(figsize=(12, 6))
    source_colors = {"PV": "#f2b701", "battery discharge": "#3a9e4f", "grid import": "#7f7f7f"}
    ax.stackplot(x, *sources.values(), labels=list(sources), colors=[source_colors[k] for k in sources], alpha=0.9)
    # Battery and grid keep their source's hue (lighter) below the axis; loads take hues that
    # none of them uses (no green, yellow or grey), so a kettle never reads as the battery.
    flow_colors = {"battery charge": "#8fd19e", "grid export": "#c7c7c7", "loss": "#d9d9d9"}
    palette = [c for i, c in enumerate(plt.get_cmap("tab20").colors) if i not in (4, 5, 14, 15, 16, 17)]
    load_colors = iter(palette * (1 + len(sinks) // len(palette)))
    sink_colors = [flow_colors.get(name) or next(load_colors) for name in sinks]
    ax.stackplot(x, *[-v for v in sinks.values()], labels=list(sinks), colors=sink_colors, alpha=0.85)
    available = pv + power("curtailed_j")
    ax.plot(x, available, color="#b8860b", lw=1.0, ls="--", label="PV available")
    if meta["grid_id"]:
        _shade_outages(ax, x, x_end, spans(ledger.outage()[lo:hi]), "grey", 0.15, "grid off")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(f"{meta['home']}: power flows on {day_start:%Y-%m-%d} (sources up, sinks down)")
    ax.set_ylabel("power [W]")
    _local_axis(ax, timezone, show_offset=False)  # the title names the day
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    return _save(fig, path)


def soc_and_grid(ledger: Ledger, path: Path) -> Path:
    """Battery SoC (its range per bucket of up to a few hours) and grid outages over the run."""
    t = ledger.table
    meta = ledger.meta
    dt_s = meta["dt_s"]
    unix_s = unix_seconds(ledger)
    x = date_numbers(unix_s)
    x_end = date_numbers(unix_s + dt_s)
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.set_ylim(0, 100)
    if meta["battery_id"] and len(t):
        soc = t[f"soc.{meta['battery_id']}"].to_numpy(dtype=float) * 100
        bucket = bucket_ticks(len(soc), dt_s)
        if bucket == 1:
            ax.plot(x, soc, lw=0.8, color="#1f77b4", label="battery SoC")
        else:
            starts, low, high = envelope(soc, bucket)
            edges = np.append(x[starts], x_end[-1])
            label = f"battery SoC, lowest to highest in each {_duration(bucket * dt_s)}"
            # A filled band with an edge: at least a line's width even where the SoC barely moves.
            ax.fill_between(edges, np.append(low, low[-1]), np.append(high, high[-1]), step="post",
                            color="#1f77b4", edgecolor="#1f77b4", linewidth=0.8, label=label)
            _, days = period_bounds(unix_s, meta["timezone"], "day")
            lowest = np.minimum.reduceat(soc, days[:-1])
            ax.stairs(lowest, np.append(x[days[:-1]], x_end[-1]), baseline=None, color="black", lw=1.0,
                      label="lowest SoC of each local day")
    runs = spans(ledger.outage()) if meta["grid_id"] else np.zeros((0, 2), dtype=np.int64)
    if meta["grid_id"]:
        _shade_outages(ax, x, x_end, runs, "red", 0.25, f"grid off ({len(runs)} outages, "
                                                         f"{int(ledger.outage().sum()) * dt_s / 3600:.1f} h)")
    ax.set_ylabel("state of charge [%]")
    ax.set_title(f"{meta['home']}: battery state of charge and grid outages")
    _local_axis(ax, meta["timezone"])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path, bottom_in=0.75)


def _duration(seconds: int) -> str:
    if seconds % 86_400 == 0:
        return "day" if seconds == 86_400 else f"{seconds // 86_400} days"
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds // 3600} hours"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def monthly_energy(ledger: Ledger, path: Path) -> Path:
    """Energy per month [kWh]: PV, load served, grid import and export, unmet by cause."""
    months, totals = monthly_totals(ledger)
    shown = {k: v for k, v in totals.items() if k != "non-essential short, grid on" or v.any()}
    colors = {"PV": "#f2b701", "load served": "#3d5a80", "grid import": "#7f7f7f", "grid export": "#2a9d8f",
              "shed in outages (non-essential, by design)": "#e9a3c9", "essential loads short": "#d62728",
              "non-essential short, grid on": "#9467bd"}
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(months) + 3), 4.5))
    width = 0.8 / max(1, len(shown))
    x = np.arange(len(months))
    for k, (name, values) in enumerate(shown.items()):
        # One collection of rectangles per series (ax.bar adds one patch per bar, 10x slower).
        left = x + (k - len(shown) / 2) * width
        bars = [[(a, 0), (a, h), (a + width, h), (a + width, 0)] for a, h in zip(left, values)]
        ax.add_collection(PolyCollection(bars, facecolors=colors[name], edgecolors="none", label=name))
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.set_xticks(x, months)
    ax.set_xlabel(f"month (local time, {ledger.meta['timezone']})")
    ax.set_ylabel("energy [kWh]")
    ax.set_title(f"{ledger.meta['home']}: energy per month")
    top = max((float(v.max()) for v in shown.values() if len(v)), default=0.0)
    ax.set_ylim(0, 1.3 * top if top > 0 else 1.0)  # headroom for the legend above the bars
    ax.legend(loc="upper center", fontsize=8, ncol=4)
    return _save(fig, path)


def write_all(ledger: Ledger, out_dir: Path, day: pd.Timestamp | None = None) -> list[Path]:
    """Write every plot of a run into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        day_flows(ledger, out_dir / "day_flows.png", day),
        soc_and_grid(ledger, out_dir / "soc_grid.png"),
        monthly_energy(ledger, out_dir / "monthly_energy.png"),
    ]


# --- a plan (homesim plan): money over the years ---------------------------------------------------

def payback_point(years: np.ndarray, cumulative: np.ndarray) -> float | None:
    """Where the cumulative cash flow crosses 0 for good [year], linear inside the year (as
    :func:`homesim.planning.finance.simple_payback`); None if it ends below 0."""
    negative = np.flatnonzero(np.asarray(cumulative) < 0)
    if negative.size == 0:
        return float(years[0])
    last = int(negative[-1])
    if last == len(cumulative) - 1:
        return None
    step = cumulative[last + 1] - cumulative[last]
    return float(years[last] + (-cumulative[last]) / step * (years[last + 1] - years[last]))


def plan_cash_flow(plan: dict, path: Path) -> Path:
    """Cumulative cash flow per year (nominal and discounted) with the payback point, and each
    year's net flow as bars [currency]."""
    rows = plan["rows"]
    years = np.array([r["year"] for r in rows], dtype=float)
    net = np.array([r["net"] for r in rows])
    cumulative = np.array([r["cumulative"] for r in rows])
    discounted = np.array([r["discounted_cumulative"] for r in rows])
    currency = plan["currency"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.bar(years, net, width=0.6, color=np.where(net >= 0, "#8fd19e", "#f4a3a3"), label="net cash flow of the year")
    ax.plot(years, cumulative, "-o", color="#1b5e20", markersize=3.5, label="cumulative")
    ax.plot(years, discounted, "--", color="#4e79a7", label=f"cumulative, discounted at {plan['finance']['discount_rate']:.1%}")
    ax.axhline(0, color="black", linewidth=0.8)
    point = payback_point(years, cumulative)
    if point is not None:
        ax.axvline(point, color="#1b5e20", linestyle=":", linewidth=1)
        # At the top of the chart, right of the payback line: clear of the rising curve.
        ax.annotate(f"pays back after {point:.1f} years", (point, 0.93), xycoords=ax.get_xaxis_transform(),
                    xytext=(6, 0), textcoords="offset points", va="top",
                    color="#1b5e20", fontsize=10, fontweight="bold")
    else:
        ax.text(0.5, 0.06, f"does not pay back within {plan['years']} years", transform=ax.transAxes,
                ha="center", color="#b71c1c", fontsize=10, fontweight="bold")
    ax.set_xlabel("year (0 = purchase)")
    ax.set_ylabel(f"[{currency}]")
    ax.set_xticks(years[:: max(1, len(years) // 20)])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    npv = plan["totals"]["npv"]
    ax.set_title(f"{plan['home']}: cash flow over {plan['years']} years (NPV {currency} {npv:,.0f})")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path, left_in=1.1)


def plan_bills(plan: dict, path: Path) -> Path:
    """The yearly electricity bill without and with the system [currency] (nominal: escalated)."""
    rows = [r for r in plan["rows"] if r["year"] > 0]
    years = np.array([r["year"] for r in rows], dtype=float)
    without = np.array([r["baseline_bill"] for r in rows])
    with_ = np.array([r["bill"] for r in rows])
    currency = plan["currency"]
    baseline = "grid only" if plan["baseline"] == "grid_only" else "baseline"
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(years - 0.2, without, width=0.4, color="#9e9e9e", label=f"without ({baseline})")
    ax.bar(years + 0.2, with_, width=0.4, color="#f2b701", label="with the system")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel(f"electricity bill [{currency}/year]")
    ax.set_xticks(years[:: max(1, len(years) // 20)])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    saved = float((without - with_).sum())
    ax.set_title(f"{plan['home']}: yearly bill (saved {currency} {saved:,.0f} over {len(rows)} years)")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path, left_in=1.1)


def plan_battery(plan: dict, path: Path, eol_share: float = 0.7) -> Path:
    """The battery's capacity at the start of each year [kWh], with its end-of-life line."""
    rows = [r for r in plan["rows"] if r["year"] > 0]
    years = np.array([r["year"] for r in rows], dtype=float)
    capacity = np.array([r["battery_kwh"] for r in rows])
    nominal = plan["size"]["battery_kwh"]
    fig, ax = plt.subplots(figsize=(9, 4.0))
    model = plan["totals"].get("battery_ageing_model")
    others = {name: np.array(shares) * nominal for name, shares in plan["totals"].get("battery_share_by_model", {}).items()
              if name != model and len(shares) == len(years)}
    if others:
        low = np.minimum.reduce([capacity, *others.values()])
        high = np.maximum.reduce([capacity, *others.values()])
        ax.fill_between(years, low, high, color="#2a9d8f", alpha=0.12, linewidth=0,
                        label="range of the published models of its cells")
        for (name, values), style in zip(sorted(others.items()), (":", "--", "-.", (0, (1, 3)))):
            ax.plot(years, values, linestyle=style, color="#555555", linewidth=1, label=name)
    ax.plot(years, capacity, "-o", color="#2a9d8f", markersize=3.5,
            label="capacity at the start of the year" + (f" ({model})" if model else ""))
    ax.axhline(nominal * eol_share, color="#b71c1c", linestyle="--", linewidth=1,
               label=f"end of life: {eol_share:.0%} of {nominal:.2f} kWh")
    ax.set_ylim(0, max(nominal, float(capacity.max()) if len(capacity) else 0.0) * 1.1 or 1.0)
    ax.set_xlabel("year")
    ax.set_ylabel("battery capacity [kWh]")
    ax.set_xticks(years[:: max(1, len(years) // 20)])
    ax.set_title(f"{plan['home']}: battery capacity" + (f" (ageing model {model})" if model else
                                                          " (no ageing model: held)"))
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def plan_plots(plan: dict, out_dir: Path) -> list[Path]:
    """Every plot of a plan (plan.json's data) into ``out_dir``."""
    out = [plan_cash_flow(plan, out_dir / "cash_flow.png"), plan_bills(plan, out_dir / "bills.png")]
    if plan["size"]["battery_kwh"] > 0:
        out.append(plan_battery(plan, out_dir / "battery.png"))
    return out
