"""The PV system from a measured history: the sun check, orientation, kWp and derate.

Everything is fitted against homesim's own PV model (:mod:`homesim.devices.pv_array`, pvlib's
PVWatts chain), run on a coarse grid of ``BIN_S`` ticks over the measured period: a PV array
of 1 kW DC with no losses, under homesim's clear sky (Ineichen, Linke turbidity 3: a weather of
0 cloud cover) and, when given, under a weather file (TMY3/TMY2/EPW). The measured PV power is
averaged onto the same grid.

- The sun check (:func:`check_sun`): the PV energy produced while the sun is down, and the
  time of day of the PV's centroid against the clear sky's.
- Orientation (:func:`fit_orientation`): clear-day envelopes. For each window of
  ``WINDOW_DAYS`` days and each tick of the day, the highest measured power of the window (a
  clear moment, as long as one day of the window was clear then) and the clear-sky model at
  the same moment; the orientation whose model is proportional to those envelopes with the
  least spread is chosen (grid search, coarse then fine).
- Scale ``k`` [W per kW of the 1 kW lossless model]: with a weather file, the ratio of the
  measured energy to the model's over the valid ticks; without, the median ratio of the
  envelopes to the clear-sky model. ``k = kWp * (1 - dc_loss_fraction)``: the data hold the
  product; one is fitted when the other is given (or the default derate assumed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices.pv_array import Config as PvConfig
from homesim.devices.pv_array import Daylight, daylight
from homesim.engine.compiled import CompiledHome
from homesim.engine.exogenous import block_count
from homesim.history.series import History, HistoryError
from homesim.home import home_from_dict

#: The grid the PV fits run on [s].
BIN_S = 900
#: Days per clear-day envelope window.
WINDOW_DAYS = 14
#: Share of a window's days a tick must have PV data for (not a gap, not suspected of
#: curtailment) to give an envelope point.
ENVELOPE_DAYS_SHARE = 0.5
#: Most share of a tick's days with data that may be suspected of curtailment for it to give an
#: envelope point (the days left would be the cloudy ones).
ENVELOPE_REMOVED_SHARE = 0.2
#: How far the middle of the PV's day may be from solar noon [h].
SUN_TOLERANCE_H = 1.5
#: Envelope points count where the clear-sky model gives at least this share of its peak [0..1].
STRONG_SHARE = 0.3
#: Percentile of the envelope-to-model ratios taken as the PV's scale.
SCALE_PERCENTILE = 75
#: PVWatts' default DC losses (pv_array's dc_loss_fraction), assumed when kWp is fitted.
DEFAULT_DC_LOSS = 0.1408


@dataclass
class PvModel:
    """homesim's PV model of a 1 kW, lossless array on the fit grid (``n`` ticks of ``dt_s``
    from ``t0``, local midnight of the first day)."""

    t0: int
    dt_s: int
    n: int
    blocks: list[Any]
    array: Any
    per: int = 1  # model ticks averaged into one tick of ``dt_s``

    def mean(self, fine: np.ndarray) -> np.ndarray:
        """Values at the model's own ticks averaged onto ticks of ``dt_s`` (``n`` of them)."""
        fine = fine[: self.n * self.per]
        return fine if self.per == 1 else fine.reshape(self.n, self.per).mean(axis=1)

    def power(self, tilt: float, azimuth: float) -> np.ndarray:
        """DC power of 1 kW at that orientation, each tick's mean [W] (the model at the middles
        of ``per`` parts of it)."""
        array = self.array.model_copy(update={"tilt_deg": float(tilt), "azimuth_deg": float(azimuth) % 360.0})
        return self.mean(np.concatenate([array.dc_power_w(block) for block in self.blocks]))

    def at(self, ticks: np.ndarray) -> "PvModel":
        """The same model at some of its ticks only (sorted, unique): a grid search evaluates
        the envelope's ticks, not the whole period."""
        fine = (ticks[:, None] * self.per + np.arange(self.per)).ravel()
        found, fields = [], []
        for number, block in enumerate(self.blocks):
            day = daylight(block)
            ticks_here = number * block.size + day.index
            keep = np.isin(ticks_here, fine)
            found.append(ticks_here[keep])
            fields.append([np.asarray(value)[keep] for value in day[1:]])
        index = np.searchsorted(fine, np.concatenate(found))
        sub = Daylight(index, *(np.concatenate(parts) for parts in zip(*fields)))
        return PvModel(self.t0, self.dt_s, int(ticks.size), [SimpleNamespace(size=int(fine.size),
                                                                               values={"daylight": sub})],
                       self.array, self.per)

    def environment(self, name: str, field: str) -> np.ndarray:
        """A block value's field (e.g. ``clear_sky``, ``ghi``), each tick's mean."""
        return self.mean(np.concatenate([getattr(block.values[name], field) for block in self.blocks]))

    def clear_ghi(self) -> np.ndarray:
        """Clear-sky GHI, each tick's mean [W/m2] (0 with the sun down)."""
        return self.environment("clear_sky", "ghi")


def start_of(history: History) -> tuple[dt.date, int]:
    """The local date of the first sample and its midnight [s since 1970 UTC]."""
    zone = ZoneInfo(history.timezone)
    day = dt.datetime.fromtimestamp(history.start_s, zone).date()
    return day, int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def pv_model(location: dict[str, Any], start: dt.date, days: int, dt_s: int = BIN_S,
             weather: Path | None = None, model_dt_s: int | None = None) -> PvModel:
    """homesim's PV model of a 1 kW lossless array over ``days`` from ``start`` on ticks of
    ``dt_s`` (see :class:`PvModel`), run at ``model_dt_s`` (default: the same; a divisor of
    ``dt_s``) and averaged: under the clear sky, or under ``weather`` (a TMY3/TMY2/EPW file)."""
    run_dt = dt_s if model_dt_s is None else int(model_dt_s)
    per = max(1, dt_s // run_dt)
    sky = ({"id": "weather", "kind": "weather", "model": "file", "file": str(weather)} if weather is not None
           else {"id": "weather", "kind": "weather", "mean_cloud_cover": 0.0})
    data = {"name": "pv fit", "location": location, "start": start.isoformat(),
            "devices": [{"id": "sun", "kind": "sun"}, sky,
                        {"id": "pv", "kind": "pv_array", "rated_power_w": 1000.0, "dc_loss_fraction": 0.0},
                        {"id": "grid", "kind": "grid"}]}
    home = home_from_dict(data)
    compiled = CompiledHome(home, run_dt, start)
    total = int(days * 86_400 // dt_s) * per
    blocks = []
    for index in range(block_count(total)):
        block = compiled.block(index)
        compiled.fill_environment(block)
        blocks.append(block)
    array: PvConfig = home.pv_arrays[0]
    return PvModel(compiled.start_unix_s, dt_s, total // per, blocks, array, per)


def binned(history: History, t0: int, dt_s: int, n: int, series: np.ndarray) -> np.ndarray:
    """Mean of ``series`` (on the history's grid) over each of ``n`` ticks of ``dt_s`` from
    ``t0`` [same unit]; NaN where less than half the tick has data."""
    index = (history.unix_s - t0) // dt_s
    inside = (index >= 0) & (index < n) & np.isfinite(series)
    sums = np.bincount(index[inside], weights=series[inside], minlength=n)[:n]
    counts = np.bincount(index[inside], minlength=n)[:n]
    per_bin = max(1, dt_s // history.step_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / counts
    out[counts * 2 < per_bin] = np.nan
    return out


def curtailment_suspect(history: History) -> np.ndarray:
    """Samples where the PV measured may be less than the PV available. A home that exports
    (more than 1 % of the samples): where the export is at its limit (97 % of its 99.9th
    percentile). One that does not: where the battery is full or charging at its most, unless
    the PV was short of the load (all of it used)."""
    values = history.values
    soc = values.get("soc")
    battery = values.get("battery_w")
    export = values.get("grid_export_w")
    suspect = np.zeros(history.size, dtype=bool)
    exporting = np.zeros(history.size, dtype=bool) if export is None else np.nan_to_num(export) > 20.0
    if exporting.mean() > 0.01:  # a home that exports sends its surplus out: curtailed only at its export limit
        most = np.nanpercentile(export, 99.9)
        return np.nan_to_num(export) >= 0.97 * most
    if soc is not None and np.isfinite(soc).any():
        top = np.nanpercentile(soc, 99.5)
        suspect |= (np.nan_to_num(soc) >= top - 0.02) & ~exporting
    if battery is not None and np.isfinite(battery).any():
        charging = -np.nan_to_num(battery)
        most = np.nanpercentile(charging, 99.9)
        if most > 100.0:
            suspect |= (charging >= 0.95 * most) & ~exporting
    load = values.get("load_w")
    if load is not None:  # PV short of the load was all used: nothing to curtail
        pv = values.get("pv_w")
        short = np.nan_to_num(pv, nan=np.inf) < 0.95 * np.nan_to_num(load) - 50.0
        suspect &= ~short
    return suspect


def check_sun(measured: np.ndarray, model: PvModel, location: dict[str, Any], timezone: str) -> dict[str, float]:
    """Refuse (:class:`HistoryError`) PV data whose sun is not this location's: more than 10 %
    of the PV energy with the sun down, or the middle of the PV's day (halfway between its first
    and last tick above 2 % of the day's most, over the days 90 % complete) more than
    :data:`SUN_TOLERANCE_H` from the middle of the sun's (sunrise to sunset: solar noon).
    Panels facing east or west move their first and last light little, and a battery full by
    noon (the PV curtailed) not at all; a clock off by hours moves both. Returns the two middles
    [h after local midnight] and the share of PV energy with the sun down [0..1]."""
    pv = np.where(np.isfinite(measured), measured, 0.0)
    total = pv.sum()
    if total <= 0.0:
        raise HistoryError("the PV column has no energy in it: nothing to fit a PV system to")
    clear_ghi = model.clear_ghi()
    night = float(pv[clear_ghi <= 0.0].sum() / total)
    per_day = 86_400 // model.dt_s
    days = pv.size // per_day
    if days == 0:
        raise HistoryError("less than a day of PV data: the sun's path can't be seen in it")

    angle = 2.0 * np.pi * (np.arange(per_day) + 0.5) / per_day

    def middle(series: np.ndarray) -> float:
        """The middle of the arc of the day the series is on (above 2 % of its day's most): the
        circular mean of the share of days it is on at each tick of the day [h] (an arc
        across midnight has its middle where it should)."""
        table = series[: days * per_day].reshape(days, per_day)
        on = (table > 0.02 * table.max(axis=1, keepdims=True))[have].mean(axis=0)
        return float(np.angle(np.sum(on * np.exp(1j * angle))) % (2 * np.pi) / (2 * np.pi) * 24.0)

    have = np.isfinite(measured[: days * per_day]).reshape(days, per_day).mean(axis=1) > 0.9
    have &= pv[: days * per_day].reshape(days, per_day).max(axis=1) > 0.0
    if not have.any():
        raise HistoryError("no day with PV data 90 % complete: the sun's path can't be seen in the PV")
    measured_mid, sun_noon = middle(pv), middle(clear_ghi)
    shift = (measured_mid - sun_noon + 12.0) % 24.0 - 12.0
    if night > 0.10 or not abs(shift) <= SUN_TOLERANCE_H:
        lon = (location["longitude"] - 15.0 * shift + 180.0) % 360.0 - 180.0

        def hhmm(hours: float) -> str:
            minutes = int(round(hours * 60)) % 1440
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        raise HistoryError(
            f"the PV data's sun is not the sun at latitude {location['latitude']}, longitude {location['longitude']} "
            f"({timezone}): the PV's day is centred on {hhmm(measured_mid)} local time (halfway from its first to its "
            f"last light), the sun's there on {hhmm(sun_noon)} ({shift:+.1f} h), and {100 * night:.0f} % of the PV "
            f"energy comes with the sun down. The time zone (or the timestamps' zone) or the longitude looks wrong: "
            f"a longitude near {lon:.0f} or a time zone {-shift:+.0f} h from this one would fit the data")
    return {"pv_day_middle_h": measured_mid, "solar_noon_h": sun_noon, "night_share": night}


def envelopes(measured: np.ndarray, dt_s: int, removed: np.ndarray | None = None) -> np.ndarray:
    """Indexes of the envelope ticks: for each window of :data:`WINDOW_DAYS` days and each tick
    of the day with data on :data:`ENVELOPE_DAYS_SHARE` of the days (3 at least) and no more
    than :data:`ENVELOPE_REMOVED_SHARE` of those with data ``removed`` (suspected of
    curtailment), the tick of the window's highest measured power."""
    per_day = 86_400 // dt_s
    days = measured.size // per_day
    if days == 0:
        return np.zeros(0, dtype=np.int64)
    table = measured[: days * per_day].reshape(days, per_day)
    gone = (np.zeros(table.shape, dtype=bool) if removed is None
            else removed[: days * per_day].reshape(days, per_day))
    windows = max(1, int(round(days / WINDOW_DAYS)))
    edges = np.linspace(0, days, windows + 1).astype(int)
    picks = []
    for first, last in zip(edges[:-1], edges[1:]):
        part = table[first:last]
        filled = np.where(np.isfinite(part), part, -1.0)
        best = np.argmax(filled, axis=0)
        # a tick most of whose days are gaps or curtailed (the clear ones, often) would give a
        # cloudy day's power as its envelope: left out
        valid = np.isfinite(part).sum(axis=0)
        taken = gone[first:last].sum(axis=0)  # suspected of curtailment: the clear days, often
        seen = (valid >= max(3, ENVELOPE_DAYS_SHARE * part.shape[0])) & (taken <= ENVELOPE_REMOVED_SHARE * (valid + taken))
        ok = (filled[best, np.arange(per_day)] > 0.0) & seen
        index = (first + best) * per_day + np.arange(per_day)
        picks.append(np.where(ok, index, -1))
    out = np.concatenate(picks)
    return out[out >= 0]


def _score(measured_env: np.ndarray, model_env: np.ndarray) -> tuple[float, float]:
    """Scale (the :data:`SCALE_PERCENTILE` th percentile of the ratios: a window whose best moment
    was still cloudy gives a low ratio) and spread (median absolute relative deviation from
    it) of the envelope points whose model is at least :data:`STRONG_SHARE` of its peak (15 % if
    fewer than 8 are)."""
    # where the clear sky gives the array little, it gives it mostly diffuse light, and a cloudy
    # sky more: the sun low or behind the panels (a window's best moment there is cloudy)
    strong = model_env >= STRONG_SHARE * max(model_env.max(), 1e-9)
    if strong.sum() < 8:
        strong = model_env >= 0.15 * max(model_env.max(), 1e-9)
    if strong.sum() < 8:
        return float("nan"), float("inf")
    ratio = measured_env[strong] / model_env[strong]
    k = float(np.percentile(ratio, SCALE_PERCENTILE))
    return k, float(np.median(np.abs(ratio / k - 1.0)))


def fit_orientation(model: PvModel, measured: np.ndarray, tilt: float | None, azimuth: float | None,
                    southern: bool, removed: np.ndarray | None = None) -> dict[str, float]:
    """Tilt and azimuth (those not given) whose clear-sky model best matches the clear-day
    envelopes (grid search: 5 and 15 degree steps, then 2 and 5, then 1 and 2 degrees around
    each of the three best).
    Returns tilt, azimuth [degrees], the envelope scale ``k`` [W/kW] and the spread [-]."""
    picks = np.unique(envelopes(measured, model.dt_s, removed))
    if picks.size < 8:
        raise HistoryError("too little PV data to see the sun's path in it (less than a day of daylight)")
    env = measured[picks]
    at_picks = model.at(picks)
    cache: dict[tuple[float, float], tuple[float, float]] = {}

    def score(t: float, a: float) -> tuple[float, float]:
        key = (round(t, 3), round(a % 360.0, 3))
        if key not in cache:
            cache[key] = _score(env, at_picks.power(t, a))
        return cache[key]

    def spread(ta: tuple[float, float]) -> float:
        return score(*ta)[1]

    tilts = [tilt] if tilt is not None else list(np.arange(0.0, 70.1, 5.0))
    azimuths = [azimuth] if azimuth is not None else list(np.arange(0.0, 360.0, 15.0))
    coarse = sorted(((t, a) for t in tilts for a in azimuths), key=spread)
    best = coarse[0]
    for start in coarse[:3]:  # the three best: the landscape has local minima
        here = start
        for t_step, a_step in ((2.0, 5.0), (1.0, 2.0)):
            t_options = [here[0]] if tilt is not None else [min(90.0, max(0.0, here[0] + t_step * i)) for i in range(-4, 5)]
            a_options = [here[1]] if azimuth is not None else [here[1] + a_step * i for i in range(-4, 5)]
            here = min(((t, a) for t in t_options for a in a_options), key=spread)
        best = min(best, here, key=spread)
    k, spread = score(*best)
    t, a = best
    if t < 0.5:
        a = 0.0 if southern else 180.0  # flat: the azimuth means nothing
    return {"tilt_deg": float(round(t, 1)), "azimuth_deg": float(round(a % 360.0, 1)), "k_w_per_kw": k,
            "spread": spread, "envelope_points": int(picks.size)}


def scale_from_weather(model_w: np.ndarray, measured: np.ndarray) -> tuple[float, float]:
    """``k`` [W/kW] as the ratio of measured to modelled energy over the ticks both have, and
    the relative RMS error of ``k * model`` per tick against the mean measured power."""
    both = np.isfinite(measured) & (model_w > 0.0)
    if both.sum() < 8 or model_w[both].sum() <= 0.0:
        raise HistoryError("no daylight tick with both PV data and the weather file's sun to fit the PV's scale")
    k = float(measured[both].sum() / model_w[both].sum())
    error = float(np.sqrt(np.mean((measured[both] - k * model_w[both]) ** 2)) / max(measured[both].mean(), 1e-9))
    return k, error
