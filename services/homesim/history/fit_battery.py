"""The battery from a measured history: usable capacity and round-trip efficiency from the
state of charge against the battery's power, and the most power seen either way.

Energy balance of the store over a window ``w`` (homesim's battery model,
:mod:`homesim.devices.battery`): the stored energy ``C * SoC`` changes by what charging put in
times the charge efficiency, less what discharging took out divided by the discharge
efficiency::

    C * (SoC_end - SoC_start) = eta_c * E_charge - E_discharge / eta_d

with ``E_charge``, ``E_discharge`` the energies at the terminals [J] (``battery_w`` < 0 and > 0
integrated). Divided by ``C`` this is linear in ``a = eta_c / C`` and ``b = 1 / (eta_d C)``:
``dSoC = a E_charge - b E_discharge``, fitted by least squares over every window of
``WINDOW_S`` with complete data. The round-trip efficiency is ``a / b = eta_c eta_d``; the data
hold only that product and ``C``'s ratio to each efficiency, so ``C`` is taken with the two
efficiencies equal: ``C = sqrt(a / b) / a``. If the true split is 0.95/0.98 instead of
0.965/0.965, ``C`` is off by 1.6 %.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from homesim.devices.base import J_PER_KWH
from homesim.history.series import History

#: Window of the energy balance [s].
WINDOW_S = 3600


def most_power(series: np.ndarray, limited: np.ndarray) -> tuple[float, str]:
    """The most power a battery gives or takes [W]: the median where the data show it held at
    its limit (``limited``: discharging while the home also imports, or charging while PV is
    exported, short of full; the 10th to 90th percentiles there within 10 % of the median), else the 99.9th percentile of the power seen (the limit is at
    least that)."""
    at = limited & np.isfinite(series) & (series > 100.0)
    if at.sum() >= 10:
        low, middle, high = np.percentile(series[at], [10, 50, 90])
        if high - low <= 0.1 * middle:  # a plateau: the limit (else those moments are other things)
            return float(middle), "median where held at its limit (the grid or export taking the rest)"
    on = series[np.isfinite(series) & (series > 20.0)]
    return float(np.percentile(on, 99.9)), "99.9th percentile of the power seen (its limit never seen)"


def fit_battery(history: History) -> tuple[dict[str, Any] | None, list[str]]:
    """Capacity [kWh], round-trip efficiency and the powers seen, each with its method and
    uncertainty; or None and the reason (no battery power, no SoC, too little cycling)."""
    values = history.values
    notes: list[str] = []
    battery = values.get("battery_w")
    soc = values.get("soc")
    if battery is None or not np.isfinite(battery).any() or np.nanmax(np.abs(battery)) < 50.0:
        return None, ["no battery power in the data (column battery_w missing or always 0): no battery fitted"]
    out: dict[str, Any] = {}
    charge = -np.where(np.isfinite(battery), np.minimum(battery, 0.0), np.nan)
    discharge = np.where(np.isfinite(battery), np.maximum(battery, 0.0), np.nan)
    imports = np.nan_to_num(values.get("grid_import_w", np.zeros(history.size))) > 50.0
    exports = np.nan_to_num(values.get("grid_export_w", np.zeros(history.size))) > 50.0
    not_full = np.nan_to_num(soc, nan=1.0) < 0.97 if soc is not None else np.zeros(history.size, dtype=bool)
    sunny = np.nan_to_num(values.get("pv_w", np.zeros(history.size))) > 30.0
    for name, series, limited in (("max_charge_w", charge, exports & not_full & sunny),
                                  ("max_discharge_w", discharge, imports)):
        if (np.nan_to_num(series) > 20.0).any():
            value, method = most_power(series, limited)
            out[name] = {"value": value, "unit": "W", "method": method,
                         "uncertainty": f"{int((np.nan_to_num(series) > 20.0).sum())} samples"}
    if soc is None or not np.isfinite(soc).any():
        notes.append("no SoC column: battery capacity and efficiencies not fitted (defaults used)")
        return out, notes
    per = max(1, WINDOW_S // history.step_s)
    windows = history.size // per
    if windows < 3:
        notes.append("less than 3 h of battery data: capacity not fitted")
        return out, notes
    cut = windows * per
    dt = float(history.step_s)
    e_charge = (charge[:cut] * dt).reshape(windows, per)
    e_discharge = (discharge[:cut] * dt).reshape(windows, per)
    end = soc[per - 1:cut:per]
    start = np.concatenate([[np.nan], end[:-1]])
    ok = np.isfinite(e_charge).all(axis=1) & np.isfinite(start) & np.isfinite(end)
    x_c, x_d = e_charge.sum(axis=1)[ok], e_discharge.sum(axis=1)[ok]
    y = (end - start)[ok]
    if x_c.sum() < 1e-3 * J_PER_KWH or x_d.sum() < 1e-3 * J_PER_KWH or ok.sum() < 6:
        notes.append("the battery hardly charged or discharged with SoC known: capacity not fitted")
        return out, notes
    design = np.column_stack([x_c, -x_d])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    a, b = float(coef[0]), float(coef[1])
    if a <= 0.0 or b <= 0.0:
        notes.append(f"the SoC does not follow the battery's power (fit a={a:.3g}, b={b:.3g}): capacity not fitted; "
                     "is battery_w's sign right (positive discharging)?")
        return out, notes
    residual = y - design @ coef
    dof = max(1, y.size - 2)
    sigma2 = float(residual @ residual) / dof
    cov = sigma2 * np.linalg.inv(design.T @ design)
    rel_a, rel_b = np.sqrt(cov[0, 0]) / a, np.sqrt(cov[1, 1]) / b
    rte = a / b
    capacity_j = np.sqrt(rte) / a
    out["capacity_kwh"] = {"value": float(capacity_j / J_PER_KWH), "unit": "kWh",
                           "method": "least squares dSoC = a E_charge - b E_discharge over hourly windows; "
                                     "C = sqrt(a/b)/a (charge and discharge efficiencies taken equal)",
                           "uncertainty": float(np.hypot(rel_a, 0.5 * np.hypot(rel_a, rel_b))),
                           "windows": int(y.size)}
    out["round_trip_efficiency"] = {"value": float(rte), "unit": "0..1", "method": "a / b of the same fit",
                                    "uncertainty": float(rte * np.hypot(rel_a, rel_b)), "windows": int(y.size)}
    if rte > 1.0 or rte < 0.6:
        notes.append(f"the fitted round-trip efficiency {rte:.3f} is outside 0.6..1: check the SoC and battery power "
                     "columns (units, sign); efficiency clamped")
    seen = soc[np.isfinite(soc)]
    high = float(np.percentile(seen, 99.9))
    pv, load = values.get("pv_w"), values.get("load_w")
    if pv is not None and load is not None:
        # full and idle with PV to spare: the battery's top (else it is only never filled)
        stops = (soc >= high - 0.005) & (np.abs(battery) < 30.0) & (pv > load + 200.0)
        if stops.sum() >= 60:
            out["soc_ceiling"] = {"value": high, "unit": "0..1", "method": "highest SoC, where the battery stands "
                                  "idle with PV to spare", "uncertainty": f"{int(stops.sum())} samples"}
    out["soc_seen"] = {"value": [float(np.percentile(seen, 0.1)), float(np.percentile(seen, 99.9))], "unit": "0..1",
                       "method": "0.1th and 99.9th percentiles of the SoC", "uncertainty": f"{seen.size} samples"}
    return out, notes
