"""The calibration report: how closely a simulated ledger reproduces a home's measured history.

:func:`compare` puts the measured :class:`~homesim.history.series.History` and the simulation
(a :class:`~homesim.ledger.Ledger`, or a History made of one by :func:`simulated`) on one grid
and measures, for PV, load, grid import and export, battery power and SoC:

- the error **by hour** and **by day**: MAE, RMSE and bias (simulated minus measured) of the
  hourly and daily means [W] (SoC: of its hourly and daily means, in percentage points);
- the **energy** by day and by month [kWh], measured and simulated, and their difference
  (battery power split into discharge and charge energy);
- a **typical**, a **best** and a **worst** day (:data:`DAY_CHOICE` says how) for the plots
  (:mod:`homesim.history.report_plots`).

Only the intervals where the history has a value count, on both sides: a gap in the data is a
gap in the comparison, not an error. An hour counts when at least half of it has data
(:data:`MIN_COVERAGE`), a day when at least half of it has. Local days, hours and months are of
the history's time zone.

Forms: :meth:`Report.to_dict` (``calibration.json``) and :meth:`Report.markdown`
(``calibration.md``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices.base import J_PER_KWH
from homesim.history.report_text import DAY_CHOICE, markdown
from homesim.history.series import QUANTITIES, History
from homesim.ledger import Ledger

#: The energies compared by day and month: name -> (quantity, sign of the part counted).
ENERGIES = {"pv": ("pv_w", 0), "load": ("load_w", 0), "grid_import": ("grid_import_w", 0),
            "grid_export": ("grid_export_w", 0), "battery_discharge": ("battery_w", 1),
            "battery_charge": ("battery_w", -1)}
#: Least share of an hour or a day with data for it to count [0..1].
MIN_COVERAGE = 0.5


def simulated(ledger: Ledger) -> History:
    """A ledger's flows as a History on its own grid: PV used, load served, grid import and
    export [W] (each tick's Joules over its length), battery power [W] (+ discharging), SoC
    [0..1] (NaN without a battery)."""
    t = ledger.table
    meta = ledger.meta
    dt_s = int(meta["dt_s"])
    n = len(t)
    power = lambda column: t[column].to_numpy(dtype=np.int64).astype(float) / dt_s  # noqa: E731
    zeros = np.zeros(n)
    pv = sum((power(f"e.{i}") for i in meta["pv_ids"]), zeros.copy())
    load = -sum((power(f"e.{i}") for i in meta["load_ids"]), zeros.copy())
    grid = power(f"e.{meta['grid_id']}") if meta.get("grid_id") else zeros
    battery_id = meta.get("battery_id")
    values = {
        "pv_w": pv, "load_w": load, "grid_import_w": np.maximum(grid, 0.0), "grid_export_w": np.maximum(-grid, 0.0),
        "battery_w": power(f"e.{battery_id}") if battery_id else zeros.copy(),
        "soc": t[f"soc.{battery_id}"].to_numpy(dtype=float, copy=True) if battery_id else np.full(n, np.nan),
    }
    return History(start_s=int(meta["start_unix_s"]), step_s=dt_s, timezone=meta["timezone"], values=values)


def _resampled(history: History, step_s: int) -> History:
    """``history`` on a coarser grid of ``step_s`` (a multiple of its step): powers averaged over
    the intervals with data, SoC the last known of each interval; an interval without data NaN."""
    k = step_s // history.step_s
    n = history.size // k
    values = {}
    for q, v in history.values.items():
        block = np.asarray(v[: n * k], dtype=float).reshape(n, k)
        if q == "soc":
            known = ~np.isnan(block)
            last = np.where(known.any(axis=1), k - 1 - np.argmax(known[:, ::-1], axis=1), 0)
            values[q] = np.where(known.any(axis=1), block[np.arange(n), last], np.nan)
        else:
            count = np.sum(~np.isnan(block), axis=1)
            with np.errstate(invalid="ignore"):
                values[q] = np.where(count > 0, np.nansum(block, axis=1) / np.maximum(count, 1), np.nan)
    return History(start_s=history.start_s, step_s=step_s, timezone=history.timezone, values=values,
                   quality=history.quality)


def align(measured: History, simulation: History) -> tuple[History, History]:
    """Both on one grid over the time they share: the coarser step if one step divides the other
    (the finer one averaged onto it), and the same interval starts. ``ValueError`` if they share
    no time or their grids can't meet."""
    step = max(measured.step_s, simulation.step_s)
    if step % measured.step_s or step % simulation.step_s:
        raise ValueError(f"steps {measured.step_s} s and {simulation.step_s} s: one must divide the other")
    if (measured.start_s - simulation.start_s) % step:
        raise ValueError(f"the grids don't meet: starts {measured.start_s} and {simulation.start_s} "
                         f"are not a whole number of {step} s steps apart")
    parts = []
    for h in (measured, simulation):
        if h.step_s != step:
            offset = (-(h.start_s - min(measured.start_s, simulation.start_s))) % step // h.step_s
            h = _resampled(History(h.start_s + offset * h.step_s, h.step_s, h.timezone,
                                   {q: v[offset:] for q, v in h.values.items()}, h.quality), step)
        parts.append(h)
    start = max(p.start_s for p in parts)
    end = min(p.start_s + p.size * step for p in parts)
    if end <= start:
        raise ValueError("the history and the simulation share no time")
    out = []
    for p in parts:
        lo = (start - p.start_s) // step
        hi = lo + (end - start) // step
        values = {q: np.asarray(p.values.get(q, np.full(p.size, np.nan)), dtype=float)[lo:hi] for q in QUANTITIES}
        out.append(History(start_s=start, step_s=step, timezone=measured.timezone, values=values,
                           quality=p.quality))
    return out[0], out[1]


def local_bounds(unix_s: np.ndarray, timezone: str, freq: str) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    """Local calendar periods (``"day"`` or ``"month"``) covering the sorted ``unix_s``: each
    period's first local date, its interval index bounds and its local midnights [s since
    1970] (each ``len(dates) + 1``: the last is the next period's)."""
    if not len(unix_s):
        return [], np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    zone = ZoneInfo(timezone)
    first = dt.datetime.fromtimestamp(int(unix_s[0]), zone).date()
    last = dt.datetime.fromtimestamp(int(unix_s[-1]), zone).date()
    dates = []
    day = first.replace(day=1) if freq == "month" else first
    step = (lambda d: (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)) if freq == "month" else (
        lambda d: d + dt.timedelta(days=1))
    while day <= last:
        dates.append(day)
        day = step(day)
    starts = np.array([dt.datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() for d in [*dates, day]],
                      dtype=np.int64)
    index = np.searchsorted(unix_s, starts[:-1], side="left")
    index[0] = 0
    return dates, np.append(index, len(unix_s)), starts


def _errors(measured: np.ndarray, simulation: np.ndarray) -> dict[str, float | int | None]:
    """MAE, RMSE and bias (simulated - measured) of paired values, and how many there were."""
    keep = ~(np.isnan(measured) | np.isnan(simulation))
    d = simulation[keep] - measured[keep]
    if not d.size:
        return {"n": 0, "mae": None, "rmse": None, "bias": None, "measured_mean": None}
    return {"n": int(d.size), "mae": float(np.mean(np.abs(d))), "rmse": float(math.sqrt(np.mean(d * d))),
            "bias": float(np.mean(d)), "measured_mean": float(np.mean(measured[keep]))}


def _bin_means(values: np.ndarray, known: np.ndarray, bins: np.ndarray, n_bins: int, full: np.ndarray) -> np.ndarray:
    """Mean of the known values in each bin; NaN where less than :data:`MIN_COVERAGE` of the
    bin's ``full`` count is known."""
    count = np.bincount(bins, weights=known, minlength=n_bins)
    total = np.bincount(bins, weights=np.where(known, values, 0.0), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= MIN_COVERAGE * full, total / count, np.nan)


@dataclass
class Report:
    """The comparison (see the module docstring); every number in :meth:`to_dict`."""

    measured: History
    simulation: History
    errors: dict[str, dict[str, dict[str, Any]]]   # quantity -> "hourly" | "daily" -> _errors
    days: list[dict[str, Any]]
    months: list[dict[str, Any]]
    chosen: dict[str, str | None]                  # "typical" | "best" | "worst" -> ISO date
    notes: list[str] = field(default_factory=list)

    @property
    def quantities(self) -> list[str]:
        """The quantities compared (measured somewhere)."""
        return list(self.errors)

    def day_slice(self, day: str) -> slice:
        """The intervals of a local day (ISO date) in the aligned series."""
        for row in self.days:
            if row["date"] == day:
                return slice(row["first"], row["end"])
        raise KeyError(day)

    def to_dict(self) -> dict[str, Any]:
        m = self.measured
        return {
            "timezone": m.timezone, "step_s": m.step_s,
            "start": _iso(m.start_s, m.timezone), "end": _iso(m.start_s + m.size * m.step_s, m.timezone),
            "units": {"hourly": "W (soc: percentage points)", "daily": "W (soc: percentage points)",
                      "energy": "kWh"},
            "errors": self.errors, "days": [{k: v for k, v in d.items() if k not in ("first", "end")} for d in self.days],
            "months": self.months, "chosen": self.chosen, "day_choice": DAY_CHOICE, "notes": list(self.notes),
        }

    def markdown(self, plots: dict[str, str] | None = None) -> str:
        """The report as a person reads it; ``plots``: image name by what it shows (typical,
        best, worst, monthly), relative to the report."""
        return markdown(self.to_dict(), plots or {})


def period(history: History) -> tuple[dt.date, float]:
    """The local day a history starts on and the days from its midnight to the history's end:
    the horizon of a simulation covering it [day]."""
    zone = ZoneInfo(history.timezone)
    first = dt.datetime.fromtimestamp(history.start_s, zone).date()
    midnight = dt.datetime(first.year, first.month, first.day, tzinfo=zone).timestamp()
    return first, (history.start_s + history.size * history.step_s - midnight) / 86_400


def _iso(unix_s: int, timezone: str) -> str:
    return dt.datetime.fromtimestamp(int(unix_s), ZoneInfo(timezone)).isoformat()


def compare(measured: History, simulation: History | Ledger) -> Report:
    """Compare a measured history with a simulation of the same home (module docstring)."""
    if isinstance(simulation, Ledger):
        simulation = simulated(simulation)
    meas, sim = align(measured, simulation)
    step = meas.step_s
    unix_s = meas.unix_s
    n = meas.size
    per_hour = 3600 // step if step <= 3600 else 1
    dates, day_bounds, midnights = local_bounds(unix_s, meas.timezone, "day")
    months, month_bounds, month_starts = local_bounds(unix_s, meas.timezone, "month")
    day_of = np.repeat(np.arange(len(dates)), np.diff(day_bounds))
    month_of = np.repeat(np.arange(len(months)), np.diff(month_bounds))
    # Local hours: whole hours from the first local midnight (DST moves them by whole hours).
    hour_of = (unix_s - int(midnights[0])) // max(3600, step)
    hour_of -= hour_of[0]
    n_hours = int(hour_of[-1]) + 1
    hour_full = np.full(n_hours, float(per_hour))
    day_full = np.diff(midnights).astype(float) / step  # 23 or 25 hours on a clock change
    errors: dict[str, dict[str, dict[str, Any]]] = {}
    hourly: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for q in QUANTITIES:
        m, s = meas.values[q], sim.values[q]
        known = ~(np.isnan(m) | np.isnan(s))
        if not known.any():
            continue
        scale = 100.0 if q == "soc" else 1.0
        hm, hs = (_bin_means(v * scale, known, hour_of, n_hours, hour_full) for v in (m, s))
        dm, ds = (_bin_means(v * scale, known, day_of, len(dates), day_full) for v in (m, s))
        hourly[q] = (hm, hs)
        errors[q] = {"hourly": _errors(hm, hs), "daily": _errors(dm, ds)}
    days = _energy_rows(meas, sim, dates, day_bounds, day_of, day_full)
    month_rows = _energy_rows(meas, sim, months, month_bounds, month_of, np.diff(month_starts) / step)
    for row in month_rows:
        row["month"] = row.pop("date")[:7]
        del row["first"], row["end"]
    _score_days(days, hourly, hour_of, day_bounds)
    chosen = _choose(days)
    notes = []
    if n * step < 86_400:
        notes.append("the history and the simulation share less than a day")
    return Report(meas, sim, errors, days, month_rows, chosen, notes)


def _energy_rows(meas: History, sim: History, dates: list[dt.date], bounds: np.ndarray, index: np.ndarray,
                 full: np.ndarray) -> list[dict[str, Any]]:
    """Per period: for each energy measured and simulated [kWh] over the intervals the history
    has data for, and the share of the period's ``full`` intervals that had."""
    step = meas.step_s
    n = len(dates)
    rows = [{"date": d.isoformat(), "first": int(bounds[i]), "end": int(bounds[i + 1]), "energy_kwh": {}}
            for i, d in enumerate(dates)]
    known_any = np.zeros(len(index), dtype=bool)
    for q in QUANTITIES:
        known_any |= ~np.isnan(meas.values[q])
    data_s = np.bincount(index, weights=known_any, minlength=n) * step
    for i, row in enumerate(rows):
        row["days_with_data"] = round(float(data_s[i]) / 86_400, 3)
    for name, (q, sign) in ENERGIES.items():
        m, s = meas.values[q], sim.values[q]
        known = ~(np.isnan(m) | np.isnan(s))
        if not known.any():
            continue
        part = (lambda v: v) if sign == 0 else ((lambda v: np.maximum(v, 0.0)) if sign > 0 else (lambda v: np.maximum(-v, 0.0)))
        totals = [np.bincount(index, weights=np.where(known, part(v), 0.0) * step, minlength=n) / J_PER_KWH
                  for v in (m, s)]
        have = np.bincount(index, weights=known, minlength=n)
        for i, row in enumerate(rows):
            if have[i] == 0:
                continue
            mk, sk = float(totals[0][i]), float(totals[1][i])
            row["energy_kwh"][name] = {"measured": mk, "simulated": sk, "error": sk - mk,
                                       "error_share": (sk - mk) / mk if abs(mk) > 1e-9 else None,
                                       "coverage": float(have[i] / full[i])}
    return rows


def _score_days(days: list[dict[str, Any]], hourly: dict[str, tuple[np.ndarray, np.ndarray]], hour_of: np.ndarray,
                day_bounds: np.ndarray) -> None:
    """Each day's score (:data:`DAY_CHOICE`) and its coverage, into its row (``score`` None if
    the day has too little data)."""
    powers = [q for q in hourly if q != "soc"]
    scales = {q: float(np.nanmean(np.abs(hourly[q][0]))) if np.any(~np.isnan(hourly[q][0])) else 0.0 for q in powers}
    for i, row in enumerate(days):
        lo, hi = int(day_bounds[i]), int(day_bounds[i + 1])
        if hi <= lo:
            row["score"], row["coverage"] = None, 0.0
            continue
        h0, h1 = int(hour_of[lo]), int(hour_of[hi - 1]) + 1
        coverages = [e["coverage"] for e in row["energy_kwh"].values()]
        row["coverage"] = float(min(coverages)) if coverages else 0.0
        parts = []
        for q in powers:
            hm, hs = hourly[q][0][h0:h1], hourly[q][1][h0:h1]
            keep = ~(np.isnan(hm) | np.isnan(hs))
            if keep.any() and scales[q] > 0:
                parts.append(float(np.mean(np.abs(hs[keep] - hm[keep]))) / scales[q])
        row["score"] = float(np.mean(parts)) if parts and row["coverage"] >= 0.9 else None


def _choose(days: list[dict[str, Any]]) -> dict[str, str | None]:
    scored = sorted((d for d in days if d.get("score") is not None), key=lambda d: (d["score"], d["date"]))
    if not scored:
        return {"typical": None, "best": None, "worst": None}
    return {"typical": scored[(len(scored) - 1) // 2]["date"], "best": scored[0]["date"], "worst": scored[-1]["date"]}
