"""The weather the replay's PV runs on: a typical-year TMY3 file whose measured hours are the
weather the PV saw.

homesim's PV model gives, hour by hour, what the fitted array would make under the clear sky;
the measured PV over that is the hour's clearness ``c`` (its share of the clear-sky PV). The
file's irradiance for that hour is ``c`` times the clear sky (GHI, DNI and DHI alike), so the
replay's PV makes about what was measured. One correction pass runs the PV model on the file
written and scales each measured hour by measured / modelled energy (the model is not linear
in irradiance: the cell temperature, Perez's sky, the hourly interpolation).

Hours without a usable measurement (a gap, the battery full and no export: the PV may have
been curtailed, dawn and dusk) take the day's median clearness, else the month's, else the
period's; hours outside the measured period take the given weather file's hour, or the
clearness of the same month measured (else the period's). The air temperature and wind are
the weather file's, or homesim's cloud model's defaults by month. A history longer than a
year is a typical year of its first 365 days (the file repeats each year).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from homesim.history import fit_pv
from homesim.history.series import History
from homesim.iotools.weather import typical_year_seconds

HOURS = 8760
#: The most a derived clearness may be (cloud edges can beat the clear sky for a while) [-].
MAX_CLEARNESS = 1.3
_COLUMNS = "Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2),DNI (W/m^2),DHI (W/m^2),Dry-bulb (C),Wspd (m/s)"


def standard_offset_s(timezone: str, at_s: int) -> int:
    """The zone's standard UTC offset (without daylight saving) at an instant [s]."""
    moment = dt.datetime.fromtimestamp(at_s, ZoneInfo(timezone))
    return int((moment.utcoffset() - (moment.dst() or dt.timedelta(0))).total_seconds())


def _hour_of_year(unix_s: np.ndarray, offset_s: int) -> np.ndarray:
    """Typical-year hour (0..8759) of each instant, in file-local standard time."""
    local = (unix_s + offset_s).astype("datetime64[s]")
    days = local.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    month = (months - days.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    second = (local - days).astype(np.int64)
    return (typical_year_seconds(month, day, second) // 3600).astype(np.int64) % HOURS


def _fill(c: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each NaN of ``c`` as the median of its group's values (NaN if it has none)."""
    out = c.copy()
    ok = np.isfinite(c)
    for g in np.unique(group[~ok]):
        members = group == g
        have = members & ok
        if have.any():
            out[members & ~ok] = np.median(c[have])
    return out


def tmy3_text(rows: np.ndarray, offset_s: int, loc: dict[str, Any]) -> str:
    """A TMY3 file of a typical year: ``rows`` [8760, 5] (GHI, DNI, DHI [W/m2], air
    temperature [degrees C], wind speed [m/s]) from 1 January 00:00 file-local standard time,
    each row labelled with its hour's end as TMY3 does (NREL/TP-581-43156)."""
    first = dt.datetime(2023, 1, 1)  # labels only: a year of 365 days
    lines = [f"0,calibrated replay weather,NA,{offset_s / 3600:g},{loc['latitude']},{loc['longitude']},"
             f"{loc.get('altitude_m', 0.0)}", _COLUMNS]
    for k in range(HOURS):
        end = first + dt.timedelta(hours=k + 1)
        label = end - dt.timedelta(days=1) if end.hour == 0 else end
        time = "24:00" if end.hour == 0 else f"{end.hour:02d}:00"
        g, b, d, t, w = rows[k]
        lines.append(f"{label.month:02d}/{label.day:02d}/{label.year},{time},{g:.1f},{b:.1f},{d:.1f},{t:.1f},{w:.1f}")
    return "\n".join(lines) + "\n"


def derive(history: History, loc: dict[str, Any], start: dt.date, t0: int, days: int, array: dict[str, Any],
           clean: np.ndarray, clean_dt_s: int, weather: Path | None) -> tuple[dict[str, Any], str | None, list[str]]:
    """The replay's weather device (its ``file`` filled in by the caller), the TMY3 text, and
    notes. ``clean``: the measured PV on ticks of ``clean_dt_s`` (which divides an hour) from
    local midnight of ``start``, NaN where unusable."""
    notes: list[str] = []
    horizon = max(days, 366)
    model = fit_pv.pv_model(loc, start, horizon, 3600, model_dt_s=fit_pv.BIN_S)  # hourly means, as TMY3 rows
    per_kw = model.power(array["tilt_deg"], array["azimuth_deg"])
    scale = array["rated_power_w"] / 1000.0 * (1.0 - array["dc_loss_fraction"])
    clear_pv = per_kw * scale
    n = model.n
    unix = t0 + 3600 * np.arange(n, dtype=np.int64)
    per_hour = 3600 // clean_dt_s
    measured = np.full(n, np.nan)
    usable = clean[: clean.size // per_hour * per_hour].reshape(-1, per_hour)
    with np.errstate(invalid="ignore"):
        hourly = usable.mean(axis=1)  # NaN if any quarter is unusable
    measured[: hourly.size] = hourly[:n]
    peak = max(float(clear_pv.max()), 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(clear_pv > 0.05 * peak, measured / clear_pv, np.nan)
    c = np.clip(c, 0.0, MAX_CLEARNESS)
    in_period = unix < history.start_s + history.size * history.step_s
    offset = standard_offset_s(loc["timezone"], history.start_s)
    hour = _hour_of_year(unix, offset)
    day = np.arange(n) // 24
    month = (unix + offset).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12
    period_c = c.copy()
    period_c[~in_period] = np.nan
    filled = _fill(period_c, np.where(in_period, day, -1))
    filled = np.where(in_period, filled, np.nan)
    by_month = _fill(np.where(np.isfinite(period_c), period_c, np.nan), month)
    filled = np.where(np.isfinite(filled), filled, by_month)
    overall = float(np.nanmedian(period_c)) if np.isfinite(period_c).any() else 0.75
    filled = np.where(np.isfinite(filled), filled, overall)
    if not np.isfinite(period_c).any():
        notes.append("no hour of usable PV data to derive the weather from: clearness 0.75 assumed")

    weather_model = (fit_pv.pv_model(loc, start, horizon, 3600, weather=weather, model_dt_s=fit_pv.BIN_S)
                     if weather is not None else None)
    clear = np.stack([model.environment("clear_sky", name) for name in ("ghi", "dni", "dhi")])
    source = weather_model if weather_model is not None else model
    ambient = np.stack([source.environment("weather", name) for name in ("temp_air", "wind_speed")])
    irradiance = clear * filled
    if weather_model is not None:
        given = np.stack([weather_model.environment("weather", name) for name in ("ghi", "dni", "dhi")])
        irradiance = np.where(in_period, irradiance, given)
    # the first tick of each typical hour: the measured period first, as the model starts there
    order = np.argsort(hour, kind="stable")
    first = order[np.concatenate([[True], hour[order][1:] != hour[order][:-1]])]
    rows = np.zeros((HOURS, 5))
    rows[hour[first], :3] = irradiance[:, first].T
    rows[hour[first], 3:] = ambient[:, first].T
    missing = np.setdiff1d(np.arange(HOURS), hour[first])
    if missing.size:  # hours no tick maps to (29 February's): the hour before
        rows[missing] = rows[missing - 1]
    text = tmy3_text(rows, offset, loc)
    text = _correct(text, history, loc, start, days, array, measured, hour, in_period, rows, offset)
    if days > 365:
        notes.append(f"the history covers {days} days: the replay's weather file is a typical year of its first 365 "
                     "days, so later days replay the weather of a year before")
    device = {"id": "weather", "kind": "weather", "model": "file", "file": ""}
    return device, text, notes


def _correct(text: str, history: History, loc: dict[str, Any], start: dt.date, days: int, array: dict[str, Any],
             measured: np.ndarray, hour: np.ndarray, in_period: np.ndarray, rows: np.ndarray, offset: int) -> str:
    """One pass scaling each measured hour by measured / modelled PV energy under ``text``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "replay.csv"
        path.write_text(text)
        model = fit_pv.pv_model(loc, start, days, 300, weather=path)
        power = model.power(array["tilt_deg"], array["azimuth_deg"])
    power = power * array["rated_power_w"] / 1000.0 * (1.0 - array["dc_loss_fraction"])
    hourly = power[: power.size // 12 * 12].reshape(-1, 12).mean(axis=1)
    m = min(hourly.size, measured.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = measured[:m] / hourly[:m]
    ok = np.isfinite(ratio) & (hourly[:m] > 0.02 * max(float(hourly.max()), 1e-9)) & in_period[:m]
    if not ok.any():
        return text
    ratio = np.clip(ratio, 0.5, 2.0)
    corrected = rows.copy()
    # the first occurrence of each hour only (the one written)
    target, first = np.unique(hour[:m][ok], return_index=True)
    corrected[target, :3] *= ratio[ok][first][:, None]
    return tmy3_text(corrected, offset, loc)
