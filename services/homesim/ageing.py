"""Ageing over the years, for "Plan a purchase": battery capacity fade and PV degradation.

Pure functions; the ``homesim plan`` command that will feed them a simulated year of battery
state of charge (SoC) is not built yet.

Battery: :func:`capacity_fade` turns one SoC history (samples at a fixed step ``dt_s``, a cell
temperature) into the capacity lost by its end, split into calendar fade (time, SoC,
temperature) and cycle fade (equivalent full cycles and their depths, counted with
:func:`rainflow_cycles`, ASTM E1049-85). One published model per chemistry:

* ``"lfp"``: Naumann et al., LiFePO4/graphite (Sony/Murata US26650FTC1, 3 Ah), calendar 2018
  and cycle 2020, both square-root laws.
* ``"nmc"``: Smith et al. 2017, NMC/graphite (Kokam 75 Ah), the model in NREL's SAM.

Ageing composes over years: a call can start from the state a previous call ended in
(``start_fade``), so that chaining two half years gives one whole year (to the rainflow
cycles that straddle the cut). Square-root laws continue by the *equivalent-time* method: the
time (or cycle count) that would have produced the starting loss under the new stress, then
onwards. Day by day (the stress taken at the day's mean SoC and SoC range, as SAM does) this is
``q_end**2 = q_start**2 + sum(k_d**2 * dt_d)`` for a loss ``q = k * sqrt(t)``, which is
order-free and exact for histories cut at day boundaries; cycles likewise, with
``sum(k_j**2 * FEC_j)`` over the rainflow cycles.

PV: :func:`pv_degradation`, linear, median 0.5 %/year (Jordan & Kurtz 2013).

Conventions: fades and shares are fractions of the original (new) capacity [-]; times in
seconds [s]; temperatures in degrees Celsius [°C]; a SoC sample holds for one step ``dt_s``,
so ``n`` samples span ``n * dt_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

CHEMISTRIES = ("lfp", "nmc")

#: Universal gas constant as used by both sources [J/(mol K)].
R_GAS = 8.314
#: Faraday constant as used by Smith et al. / SAM [C/mol].
FARADAY = 96485.0
#: Reference temperature of both models, 25 °C [K].
T_REF_K = 298.15
#: Kelvin offset [K].
ZERO_C_K = 273.15
SECONDS_PER_DAY = 86_400.0
#: A year of samples: 365 days [s].
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY

#: End-of-life share of the original capacity used by :func:`end_of_life_year` [-]. 70 % is
#: what home-battery warranties guarantee at 10 years (e.g. Tesla Powerwall 2, LG RESU, BYD);
#: 80 % is the cell-datasheet / EV convention (pass ``eol_share=0.8`` for it). Both models are
#: fitted to data that stop near 80 % (no knee), so anything below is an extrapolation.
EOL_SHARE = 0.7

# --- LFP: Naumann et al. -------------------------------------------------------------------
# Calendar: M. Naumann, M. Schimpe, P. Keil, H. C. Hesse, A. Jossen, "Analysis and modeling of
# calendar aging of a commercial LiFePO4/graphite cell", J. Energy Storage 17 (2018) 153-169,
# doi:10.1016/j.est.2018.01.019. Capacity loss Q_cal = k_T(T) * k_SoC(SoC) * sqrt(t), with
# k_T = k_ref * exp(-Ea/R (1/T - 1/T_ref)) and k_SoC = c (SoC - 0.5)^3 + d, t in seconds.
#: Calendar rate at 25 °C [s^-0.5] (loss as a fraction of capacity).
LFP_CAL_K_REF = 1.2571e-5
#: Calendar activation energy [J/mol].
LFP_CAL_EA = 17126.0
#: Calendar SoC factor, cubic coefficient [-].
LFP_CAL_SOC_C = 2.8575
#: Calendar SoC factor, value at 50 % SoC [-].
LFP_CAL_SOC_D = 0.60225
# Cycle: M. Naumann, F. B. Spingler, A. Jossen, "Analysis and modeling of cycle aging of a
# commercial LiFePO4/graphite cell", J. Power Sources 451 (2020) 227666,
# doi:10.1016/j.jpowsour.2019.227666. Capacity loss in percent
# Q_cyc = k_C(C-rate) * k_DOD(DOD) * sqrt(FEC), k_C = a C + b, k_DOD = c (DOD - 0.6)^3 + d.
# Cycled at 25 °C only: no temperature dependence.
#: C-rate factor, slope [% h] (C-rate in 1/h).
LFP_CYC_CRATE_A = 0.0630
#: C-rate factor, offset [%].
LFP_CYC_CRATE_B = 0.0971
#: Depth factor, cubic coefficient [-].
LFP_CYC_DOD_C = 4.0253
#: Depth factor, value at 60 % depth [-].
LFP_CYC_DOD_D = 1.0923

# --- NMC: Smith et al. 2017 ----------------------------------------------------------------
# K. Smith, A. Saxon, M. Keyser, B. Lundstrom, Z. Cao, A. Roc, "Life prediction model for
# grid-connected Li-ion battery energy storage system", American Control Conference 2017,
# pp. 4062-4068, doi:10.23919/ACC.2017.7963578. Parameters as implemented in NREL's SAM
# (ssc shared/lib_battery_lifetime_nmc.h, "NMC Kandler Smith parameters").
#: Reference (nameplate) capacity of the Kokam cell [Ah].
NMC_AH_REF = 75.0
#: Positive-electrode-site capacity at 25 °C [Ah].
NMC_D0_REF = 75.1
#: Initial lithium inventory, relative to d0 [-].
NMC_B0 = 1.07
#: SEI growth (sqrt of time) rate at 25 °C [day^-0.5].
NMC_B1_REF = 3.503e-3
NMC_B1_EA = 35392.0  # [J/mol]
NMC_B1_ALPHA = -1.0  # Tafel transfer coefficient on the anode potential [-]
NMC_B1_GAMMA = 2.472  # depth-of-discharge factor exp(gamma DOD^beta) [-]
NMC_B1_BETA = 2.157  # [-]
#: Cycling lithium loss per cycle at 25 °C [1/cycle].
NMC_B2_REF = 1.541e-5
NMC_B2_EA = -42800.0  # [J/mol] (negative: faster when colder)
#: Early (break-in) lithium loss, saturating with time constant tau [-].
NMC_B3_REF = 2.805e-2
NMC_B3_EA = 42800.0  # [J/mol]
NMC_B3_ALPHA = 0.0066  # [-]
NMC_B3_TAU_DAYS = 5.0  # [day]
NMC_B3_THETA = 0.135  # depth factor (1 + theta DOD) [-]
#: Negative-electrode-site capacity at 25 °C [Ah].
NMC_C0_REF = 75.64
#: Negative-electrode site loss per cycle at 25 °C and 100 % depth [Ah/cycle].
NMC_C2_REF = 3.9193e-3
NMC_C2_EA = -48260.0  # [J/mol]
NMC_C2_BETA = 4.54  # depth exponent [-]
#: Reference anode potential [V] and open-circuit voltage [V].
NMC_UA_REF = 0.08
NMC_V_REF = 3.7
#: SoC grid [-] of the open-circuit voltage [V] and anode potential [V] tables (SAM, from
#: Table B.1 of "Analysis of degradation in residential battery energy storage systems for
#: rate-based use-cases", Applied Energy 2020).
NMC_SOC_GRID = np.linspace(0.0, 1.0, 11)
NMC_OCV = np.array([3.0000, 3.4679, 3.5394, 3.5950, 3.6453, 3.6876, 3.7469, 3.8400, 3.9521, 4.0668, 4.1930])
NMC_UNEG = np.array([1.2868, 0.2420, 0.1818, 0.1488, 0.1297, 0.1230, 0.1181, 0.1061, 0.0925, 0.0876, 0.0859])


@dataclass(frozen=True)
class Fade:
    """Capacity lost by the end of a SoC history, as fractions of the original capacity.

    Attributes
    ----------
    chemistry : str
        ``"lfp"`` or ``"nmc"``.
    calendar : float
        Share lost to calendar ageing (time, SoC, temperature) [-].
    cycle : float
        Share lost to cycling (equivalent full cycles and their depths) [-].
    age_s : float
        Age of the battery at the end of the history [s].
    efc : float
        Equivalent full cycles in this history alone (half the SoC swing summed) [-].
    """

    chemistry: str
    calendar: float
    cycle: float
    age_s: float
    efc: float
    state: tuple[float, ...] = field(default=(), repr=False)  # the model's own quantities, to continue

    @property
    def total(self) -> float:
        """Share of the original capacity lost, calendar plus cycle [-]."""
        return min(1.0, self.calendar + self.cycle)

    @property
    def remaining(self) -> float:
        """Share of the original capacity left, ``1 - total`` [-]."""
        return 1.0 - self.total


# --- input checks --------------------------------------------------------------------------

def _chemistry(chemistry: object) -> str:
    if not isinstance(chemistry, str) or chemistry not in CHEMISTRIES:
        raise ValueError(f"chemistry must be 'lfp' or 'nmc', got {chemistry!r}")
    return chemistry


def _series(values: ArrayLike, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must hold finite numbers; got NaN or infinity at index "
                         f"{int(np.flatnonzero(~np.isfinite(x))[0])}")
    return x


def _soc(soc: ArrayLike) -> np.ndarray:
    x = _series(soc, "soc")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        bad = int(np.flatnonzero((x < 0.0) | (x > 1.0))[0])
        raise ValueError(f"soc must be within 0..1 (a share of capacity); soc[{bad}] = {float(x[bad])!r}")
    return x


def _positive(value: object, name: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0 [{unit}], got {value!r}")
    return float(value)


def _finite(value: object, name: str, unit: str, low: float, high: float) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not low <= value <= high):
        raise ValueError(f"{name} must be a number within {low:g}..{high:g} [{unit}], got {value!r}")
    return float(value)


# --- rainflow ------------------------------------------------------------------------------

def _turning_points(x: np.ndarray) -> np.ndarray:
    """The peaks and valleys of ``x``, first and last point included, repeats dropped."""
    if x.size < 2:
        return x
    x = np.concatenate([x[:1], x[1:][np.diff(x) != 0.0]])
    if x.size < 3:
        return x
    slope = np.sign(np.diff(x))
    turns = np.flatnonzero(slope[1:] != slope[:-1]) + 1
    return np.concatenate([x[:1], x[turns], x[-1:]])


def rainflow_cycles(soc: ArrayLike) -> list[tuple[float, float, float]]:
    """Count the cycles of a history by rainflow, ASTM E1049-85 (reapproved 2017), §5.4.4.

    The history is first reduced to its peaks and valleys. Then, point by point (the
    standard's steps): with ``X`` the range of the two most recent points and ``Y`` the range
    before it, while ``X >= Y``: if ``Y`` holds the starting point, ``Y`` counts as half a
    cycle and the starting point is discarded; otherwise ``Y`` counts as one cycle and its two
    points are discarded. At the end each range left counts as half a cycle.

    Parameters
    ----------
    soc : array_like
        The history, e.g. state of charge [-] (any finite numbers: the standard's own example
        is a load history).

    Returns
    -------
    list of (float, float, float)
        ``(depth, mean, count)`` per counted range: its depth (peak to valley) and mean in the
        history's unit, and ``count`` 1.0 for a full cycle or 0.5 for a half, in the order the
        standard counts them.

    Examples
    --------
    >>> rainflow_cycles([0.2, 0.9, 0.2, 0.9, 0.2])  # two swings of 0.7: four halves
    [(0.7, 0.55, 0.5), (0.7, 0.55, 0.5), (0.7, 0.55, 0.5), (0.7, 0.55, 0.5)]
    """
    points = _turning_points(_series(soc, "soc")).tolist()
    counted: list[tuple[float, float, float]] = []
    stack: list[float] = []
    for point in points:
        stack.append(point)
        while len(stack) >= 3:
            x = abs(stack[-1] - stack[-2])
            y = abs(stack[-2] - stack[-3])
            if x < y:
                break
            if len(stack) == 3:  # Y holds the starting point: half a cycle, drop the start
                counted.append((y, (stack[0] + stack[1]) / 2, 0.5))
                del stack[0]
            else:
                counted.append((y, (stack[-2] + stack[-3]) / 2, 1.0))
                del stack[-3:-1]
    counted += [(abs(b - a), (a + b) / 2, 0.5) for a, b in zip(stack, stack[1:])]
    return [(round(d, 12), round(m, 12), c) for d, m, c in counted]  # 0.9 - 0.2 reads 0.7


# --- the models' stresses over one history ------------------------------------------------

def _arrhenius(ea: float, t_k: float) -> float:
    return math.exp(-ea / R_GAS * (1.0 / t_k - 1.0 / T_REF_K))


def _days(n: int, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Start index and sample count of each day of ``n`` samples (days from the history's start)."""
    day = np.floor(np.arange(n) * dt_s / SECONDS_PER_DAY).astype(np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(day)) + 1]) if n else np.zeros(0, dtype=np.int64)
    return starts, np.diff(np.concatenate([starts, [n]]))


def _daily(soc: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per day: the mean SoC and the SoC range (max - min) [-]."""
    if soc.size == 0:
        return soc, soc
    mean = np.add.reduceat(soc, starts) / counts
    return mean, np.maximum.reduceat(soc, starts) - np.minimum.reduceat(soc, starts)


def _c_rate(soc: np.ndarray, dt_s: float) -> float:
    """Throughput-weighted mean C-rate of the history [1/h] (0 with no movement)."""
    step = np.abs(np.diff(soc))
    moved = step.sum()
    return float((step * step).sum() / moved / dt_s * 3600.0) if moved > 0 else 0.0


@dataclass(frozen=True)
class _Increments:
    """What one history adds, independent of where the battery starts (see ``_advance``)."""

    duration_s: float
    efc: float
    squares: tuple[float, ...]  # sum of k_i^2 dt_i per square-root law
    linear: tuple[float, ...] = ()  # additive quantities
    b3_fresh: float = 0.0  # NMC b3 loss this history gives a new battery (age 0)
    b3_mean: float = 0.0  # NMC time-mean b3 [-]


def _increments(chemistry: str, soc: np.ndarray, dt_s: float, temp_c: float) -> _Increments:
    t_k = temp_c + ZERO_C_K
    duration = soc.size * dt_s
    starts, counts = _days(soc.size, dt_s)
    day_s = counts * dt_s  # length of each day [s] (the last may be partial)
    mean_soc, dod = _daily(soc, starts, counts)
    cycles = np.array(rainflow_cycles(soc), dtype=float).reshape(-1, 3)
    depth, count = cycles[:, 0], cycles[:, 2]
    efc = float((depth * count).sum())
    if chemistry == "lfp":
        k_cal = LFP_CAL_K_REF * _arrhenius(LFP_CAL_EA, t_k) * (LFP_CAL_SOC_C * (mean_soc - 0.5) ** 3 + LFP_CAL_SOC_D)
        k_crate = LFP_CYC_CRATE_A * _c_rate(soc, dt_s) + LFP_CYC_CRATE_B
        k_cyc = k_crate * (LFP_CYC_DOD_C * (depth - 0.6) ** 3 + LFP_CYC_DOD_D) / 100.0  # [1/sqrt(FEC)]
        return _Increments(duration, efc, squares=(float((k_cal ** 2 * day_s).sum()),
                                                   float((k_cyc ** 2 * depth * count).sum())))
    ua = np.interp(mean_soc, NMC_SOC_GRID, NMC_UNEG)
    ocv = np.interp(mean_soc, NMC_SOC_GRID, NMC_OCV)
    f_rt = FARADAY / R_GAS
    b1 = (NMC_B1_REF * _arrhenius(NMC_B1_EA, t_k)
          * np.exp(NMC_B1_ALPHA * f_rt * (ua / t_k - NMC_UA_REF / T_REF_K))
          * np.exp(NMC_B1_GAMMA * dod ** NMC_B1_BETA))  # [day^-0.5]
    b3 = (NMC_B3_REF * _arrhenius(NMC_B3_EA, t_k)
          * np.exp(NMC_B3_ALPHA * f_rt * (ocv / t_k - NMC_V_REF / T_REF_K))
          * (1.0 + NMC_B3_THETA * dod))
    edges = np.concatenate([[0.0], np.cumsum(day_s)]) / SECONDS_PER_DAY  # day boundaries [day]
    decay = np.exp(-edges / NMC_B3_TAU_DAYS)
    b2_loss = NMC_B2_REF * _arrhenius(NMC_B2_EA, t_k) * efc
    c2_sum = float((NMC_C2_REF * _arrhenius(NMC_C2_EA, t_k) * depth ** NMC_C2_BETA * count).sum())  # [Ah]
    return _Increments(duration, efc,
                       squares=(float((b1 ** 2 * day_s).sum() / SECONDS_PER_DAY),),
                       linear=(b2_loss, c2_sum),
                       b3_fresh=float((b3 * (decay[:-1] - decay[1:])).sum()),
                       b3_mean=float((b3 * day_s).sum() / duration) if soc.size else 0.0)


# --- states: (LFP) calendar loss, cycle loss; (NMC) b1, b3, b2 losses, c2 sum ---------------

def _advance(chemistry: str, state: tuple[float, ...], age_s: float, inc: _Increments) -> tuple[float, ...]:
    if chemistry == "lfp":
        cal, cyc = state
        return (math.sqrt(cal ** 2 + inc.squares[0]), math.sqrt(cyc ** 2 + inc.squares[1]))
    l_b1, l_b3, l_b2, c2_sum = state
    b3_gain = math.exp(-age_s / SECONDS_PER_DAY / NMC_B3_TAU_DAYS) * inc.b3_fresh
    return (math.sqrt(l_b1 ** 2 + inc.squares[0]), l_b3 + b3_gain, l_b2 + inc.linear[0], c2_sum + inc.linear[1])


def _repeated(chemistry: str, inc: _Increments, times: float) -> tuple[float, ...]:
    """The state a new battery reaches after ``times`` repeats of the history (equivalent time)."""
    if chemistry == "lfp":
        return (math.sqrt(times * inc.squares[0]), math.sqrt(times * inc.squares[1]))
    b3 = inc.b3_mean * (1.0 - math.exp(-times * inc.duration_s / SECONDS_PER_DAY / NMC_B3_TAU_DAYS))
    return (math.sqrt(times * inc.squares[0]), b3, times * inc.linear[0], times * inc.linear[1])


def _split(chemistry: str, state: tuple[float, ...]) -> tuple[float, float]:
    """(calendar, cycle) shares of the original capacity lost in ``state``."""
    if chemistry == "lfp":
        return state[0], state[1]
    l_b1, l_b3, l_b2, c2_sum = state
    q_li = NMC_D0_REF / NMC_AH_REF * (NMC_B0 - l_b1 - l_b3 - l_b2)
    q_neg = NMC_C0_REF / NMC_AH_REF * math.sqrt(max(0.0, 1.0 - 2.0 * c2_sum / NMC_C0_REF))
    fresh = min(NMC_D0_REF / NMC_AH_REF * NMC_B0, NMC_C0_REF / NMC_AH_REF)
    total = min(1.0, max(0.0, 1.0 - min(q_li, q_neg) / fresh))
    if q_li < q_neg:  # lithium-limited: share the loss as the lithium losses are shared
        li = l_b1 + l_b3 + l_b2
        return total * (l_b1 + l_b3) / li, total * l_b2 / li
    return 0.0, total  # negative-site-limited: cycling


def _empty_state(chemistry: str) -> tuple[float, ...]:
    return (0.0, 0.0) if chemistry == "lfp" else (0.0, 0.0, 0.0, 0.0)


def _equivalent_repeats(chemistry: str, inc: _Increments, fade: float) -> float:
    """How many repeats of this history take a new battery to ``fade`` (bisection)."""
    def total(times: float) -> float:
        return sum(_split(chemistry, _repeated(chemistry, inc, times)))

    high = 1.0
    while total(high) < fade:
        high *= 2.0
        if high > 1e6:
            raise ValueError(f"start_fade {fade!r} is more than this history can ever cause "
                             "(give a Fade from a previous call instead of a number)")
    low = 0.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if total(mid) < fade else (low, mid)
    return high


def capacity_fade(chemistry: str, soc: ArrayLike, dt_s: float, temp_c: float = 25.0,
                  start_fade: float | Fade = 0.0, start_age_s: float | None = None) -> Fade:
    """Capacity a battery loses over one SoC history, from a given starting state.

    Calendar and cycle fade of the chemistry's model (see the module constants):

    ``"lfp"`` -- Naumann et al., J. Energy Storage 17 (2018) 153-169 (calendar) and J. Power
    Sources 451 (2020) 227666 (cycle), Sony/Murata US26650FTC1 LiFePO4/graphite::

        Q_cal = k_ref exp(-Ea/R (1/T - 1/T_ref)) (c (SoC - 0.5)^3 + d) sqrt(t)       t in s
        Q_cyc = (a_C C + b_C) (c_D (DOD - 0.6)^3 + d_D) sqrt(FEC) / 100
        Q = Q_cal + Q_cyc

    with the calendar rate at each day's mean SoC, the depth factor per rainflow cycle, and C the
    history's throughput-weighted mean C-rate. Cycle fade does not depend on temperature (the
    cells were cycled at 25 °C only).

    ``"nmc"`` -- Smith et al., ACC 2017, Kokam 75 Ah NMC/graphite, as implemented in NREL's SAM::

        Q_Li  = d0 (b0 - b1 sqrt(t) - b2 N - b3 (1 - exp(-t/tau_b3)))
        Q_neg = c0 sqrt(1 - 2 c2 N / c0)            Q = min(Q_Li, Q_neg)
        b1 = b1_ref A(Ea_b1) exp(alpha_b1 F/R (Ua(SoC)/T - Ua_ref/T_ref)) exp(gamma DOD^beta_b1)
        b2 = b2_ref A(Ea_b2)
        b3 = b3_ref A(Ea_b3) exp(alpha_b3 F/R (Voc(SoC)/T - V_ref/T_ref)) (1 + theta DOD)
        c2 = c2_ref A(Ea_c2) DOD^beta_c2            A(Ea) = exp(-Ea/R (1/T - 1/T_ref))

    with ``Ua``, ``Voc`` at each day's mean SoC and ``DOD`` the day's SoC range for ``b1``,
    ``b3`` (as SAM's current ssc code does), and each rainflow cycle's depth for ``c2``.
    Departures from the paper/SAM, stated: ``N`` in the ``b2`` term is equivalent full cycles
    (SAM counts every rainflow cycle whatever its depth, so SoC noise would age the cell); the
    capacities are taken at 25 °C (the reversible temperature effect on ``d0``, ``c0`` is no
    fade); fade is relative to the new cell's capacity ``min(d0 b0, c0)``. Calendar fade is
    the ``b1`` and ``b3`` part of a lithium-limited loss, cycle fade the ``b2`` part or all of
    a negative-site-limited loss. The Li inventory starts 6 % above the negative sites, so
    the first few percent of lithium loss do not show.

    Parameters
    ----------
    chemistry : {"lfp", "nmc"}
        Cell chemistry.
    soc : array_like
        State of charge, one sample per step [-], within 0..1. Empty: no time passes.
    dt_s : float
        Step between samples [s], > 0.
    temp_c : float, optional
        Cell temperature, held for the whole history [°C], within -40..80. Default 25.
    start_fade : float or Fade, optional
        The state at the start: a :class:`Fade` from the previous call (exact), or a share of
        capacity already lost [-] in 0..1, taken as reached by repeating this same history
        (equivalent time). Default 0, a new battery.
    start_age_s : float, optional
        Age at the start [s], >= 0 (matters only to the NMC model's early, saturating loss).
        Default: the Fade's ``age_s``, or the equivalent time of a share.

    Returns
    -------
    Fade
        ``calendar``, ``cycle``, ``total`` lost and ``remaining`` by the end, as shares of the
        original capacity [-]; ``age_s`` at the end [s]; ``efc`` of this history [-].

    Raises
    ------
    ValueError
        For a chemistry other than ``"lfp"``/``"nmc"``, a SoC outside 0..1, ``dt_s <= 0``, a
        temperature outside -40..80 °C, a starting fade outside 0..1 or of another chemistry.
    """
    chemistry = _chemistry(chemistry)
    soc = _soc(soc)
    dt_s = _positive(dt_s, "dt_s", "s")
    temp_c = _finite(temp_c, "temp_c", "°C", -40.0, 80.0)
    inc = _increments(chemistry, soc, dt_s, temp_c)
    if isinstance(start_fade, Fade):
        if start_fade.chemistry != chemistry:
            raise ValueError(f"start_fade is a {start_fade.chemistry!r} Fade, chemistry is {chemistry!r}")
        state, age = start_fade.state, start_fade.age_s
    else:
        share = _finite(start_fade, "start_fade", "share of capacity", 0.0, 1.0)
        if share == 0.0:
            state, age = _empty_state(chemistry), 0.0
        elif inc.duration_s == 0.0:  # nothing tells how the share splits
            return Fade(chemistry, share, 0.0, 0.0 if start_age_s is None else float(start_age_s), 0.0,
                        state=())
        else:
            times = _equivalent_repeats(chemistry, inc, share)
            state, age = _repeated(chemistry, inc, times), times * inc.duration_s
    if start_age_s is not None:
        age = _finite(start_age_s, "start_age_s", "s", 0.0, 1e10)
    if not state:
        raise ValueError("start_fade is a Fade without a model state (from an empty history); "
                         "give its share (Fade.total) instead")
    end = _advance(chemistry, state, age, inc)
    calendar, cycle = _split(chemistry, end)
    return Fade(chemistry, calendar, cycle, age + inc.duration_s, inc.efc, state=end)


def fade_over_years(chemistry: str, soc_year: ArrayLike, dt_s: float, years: int,
                    temp_c: float = 25.0) -> list[Fade]:
    """The fade at the end of each of ``years`` years that repeat the same SoC history.

    Parameters
    ----------
    chemistry : {"lfp", "nmc"}
        Cell chemistry.
    soc_year : array_like
        One year of SoC samples [-] (any length: one call per repeat).
    dt_s : float
        Step between samples [s].
    years : int
        Number of years, >= 1.
    temp_c : float, optional
        Cell temperature [°C]. Default 25.

    Returns
    -------
    list of Fade
        Element ``k`` is the state at the end of year ``k + 1``.
    """
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ValueError(f"years must be a whole number >= 1, got {years!r}")
    chemistry = _chemistry(chemistry)
    soc = _soc(soc_year)
    dt_s = _positive(dt_s, "dt_s", "s")
    temp_c = _finite(temp_c, "temp_c", "°C", -40.0, 80.0)
    inc = _increments(chemistry, soc, dt_s, temp_c)  # the same each year: computed once
    state, age, out = _empty_state(chemistry), 0.0, []
    for _ in range(years):
        state = _advance(chemistry, state, age, inc)
        age += inc.duration_s
        out.append(Fade(chemistry, *_split(chemistry, state), age, inc.efc, state=state))
    return out


def end_of_life_year(chemistry: str, soc_year: ArrayLike, dt_s: float, temp_c: float = 25.0,
                     eol_share: float = EOL_SHARE, max_years: int = 40) -> int | None:
    """The first year whose end leaves less than ``eol_share`` of the original capacity.

    The year's SoC history repeats; year 1 is the first year of use.

    Parameters
    ----------
    chemistry : {"lfp", "nmc"}
        Cell chemistry.
    soc_year : array_like
        One year of SoC samples [-].
    dt_s : float
        Step between samples [s].
    temp_c : float, optional
        Cell temperature [°C]. Default 25.
    eol_share : float, optional
        End-of-life share of the original capacity [-], in 0..1. Default :data:`EOL_SHARE`,
        0.7, the usual home-battery warranty figure (80 % is the datasheet/EV convention).
    max_years : int, optional
        How far to look [year]. Default 40.

    Returns
    -------
    int or None
        The year (1-based), or None if the battery still holds ``eol_share`` after ``max_years``.
    """
    eol_share = _finite(eol_share, "eol_share", "share of capacity", 0.0, 1.0)
    for year, fade in enumerate(fade_over_years(chemistry, soc_year, dt_s, max_years, temp_c), start=1):
        if fade.remaining < eol_share:
            return year
    return None


#: Median PV degradation rate [1/year]: Jordan & Kurtz 2013 (median 0.5 %/year, mean 0.8 %/year
#: over about 2000 reported rates).
PV_RATE_PER_YEAR = 0.005


def pv_degradation(year: int, rate_per_year: float = PV_RATE_PER_YEAR, first_year: float = 0.0) -> float:
    """Share of the PV's rated output left in year ``year``, linear degradation.

    ``1 - first_year - rate_per_year * (year - 1)``, not below 0. Source for the default rate:
    D. C. Jordan, S. R. Kurtz, "Photovoltaic Degradation Rates -- an Analytical Review",
    Prog. Photovolt. Res. Appl. 21 (2013) 12-29, doi:10.1002/pip.1182: median 0.5 %/year,
    mean 0.8 %/year.

    Parameters
    ----------
    year : int
        Year of operation, 1-based (year 1 is the first year).
    rate_per_year : float, optional
        Loss per year as a share of the rated output [1/year], within 0..1. Default 0.005.
    first_year : float, optional
        Extra loss already in year 1, e.g. light-induced degradation [-], within 0..1.
        Default 0.

    Returns
    -------
    float
        Remaining share of the rated output [-].

    Examples
    --------
    >>> round(pv_degradation(11), 6)
    0.95
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or year < 1:
        raise ValueError(f"year must be a whole number >= 1 (1 is the first year), got {year!r}")
    rate = _finite(rate_per_year, "rate_per_year", "1/year", 0.0, 1.0)
    first = _finite(first_year, "first_year", "share of rated output", 0.0, 1.0)
    return max(0.0, 1.0 - first - rate * (int(year) - 1))
