"""The models over one SoC history: per-sample rates from lookup tables, day-by-day stresses,
SAM's cycle pushes, and each model's state advanced by the equivalent-time method."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from homesim.planning.ageing.models import (
    BLAST_LFP250,
    BLAST_LFP_Q1,
    BLAST_LFP_Q2,
    BLAST_LFP_Q3,
    BLAST_LFP_Q5,
    BLAST_LFP_Q6,
    BLAST_NMC,
    FARADAY,
    LFP_CAL_EA,
    LFP_CAL_K_REF,
    LFP_CAL_SOC_C,
    LFP_CAL_SOC_D,
    LFP_CYC_CRATE_A,
    LFP_CYC_CRATE_B,
    LFP_CYC_DOD_C,
    LFP_CYC_DOD_D,
    NMC_AH_REF,
    NMC_B0,
    NMC_B1_ALPHA,
    NMC_B1_BETA,
    NMC_B1_EA,
    NMC_B1_GAMMA,
    NMC_B1_REF,
    NMC_B2_EA,
    NMC_B2_REF,
    NMC_B3_ALPHA,
    NMC_B3_EA,
    NMC_B3_REF,
    NMC_B3_TAU_DAYS,
    NMC_B3_THETA,
    NMC_C0_REF,
    NMC_C2_BETA,
    NMC_C2_EA,
    NMC_C2_REF,
    NMC_D0_REF,
    NMC_OCV,
    NMC_SOC_GRID,
    NMC_UA_REF,
    NMC_UNEG,
    NMC_V_REF,
    R_GAS,
    SECONDS_PER_DAY,
    T_REF_K,
    ZERO_C_K,
)
from homesim.planning.ageing.rainflow import rainflow_cycles


# --- the models over one history -----------------------------------------------------------

#: Resolution of the SoC lookup tables of per-sample rates [-].
_GRID_N = 10_000


def _arrhenius(ea: float, t_k: float) -> float:
    return math.exp(-ea / R_GAS * (1.0 / t_k - 1.0 / T_REF_K))


def safari_ua(soc: np.ndarray) -> np.ndarray:
    """Graphite anode-to-lithium potential [V] at a SoC [-], as BLAST-Lite computes it.

    M. Safari, C. Delacourt, J. Electrochem. Soc. 158 (2011) A562, doi:10.1149/1.3567007, with
    the anode lithiation ``x = 0.0085 + SoC (0.78 - 0.0085)``.
    """
    x = 8.5e-3 + np.asarray(soc, dtype=float) * (0.78 - 8.5e-3)
    return (0.6379 + 0.5416 * np.exp(-305.5309 * x) + 0.044 * np.tanh(-(x - 0.1958) / 0.1088)
            - 0.1978 * np.tanh((x - 1.0571) / 0.0854) - 0.6875 * np.tanh((x + 0.0117) / 0.0529)
            - 0.0175 * np.tanh((x - 0.5692) / 0.0875))


@functools.lru_cache(maxsize=32)
def _tables(model: str, t_k: float) -> tuple[np.ndarray, ...]:
    """The model's per-sample rates on a SoC grid of step 1/_GRID_N, at temperature ``t_k`` [K]."""
    soc = np.linspace(0.0, 1.0, _GRID_N + 1)
    if model == "naumann_lfp":  # k_cal^2 [1/s]
        k = LFP_CAL_K_REF * _arrhenius(LFP_CAL_EA, t_k) * (LFP_CAL_SOC_C * (soc - 0.5) ** 3 + LFP_CAL_SOC_D)
        return (k * k,)
    ua = safari_ua(soc)
    if model == "nrel_blast_lfp_sony_murata":
        b0, b1, b2 = BLAST_LFP_Q1
        q1 = np.abs(b0 * np.exp(b1 / t_k ** 2 * np.sqrt(ua)) * np.exp(b2 / t_k * np.sqrt(ua)))
        c0, c1, c2, c3, c4 = BLAST_LFP_Q3
        q3 = np.abs(c0 * np.exp(c1 / t_k ** 4 * ua ** (1 / 3)) * np.exp(c2 * t_k ** 3 * ua ** 0.25)
                    * np.exp(c3 / t_k ** 3 * ua ** (1 / 3)) * np.exp(c4 * t_k ** 2 * ua ** 0.25))
        return (q1, q3)
    if model == "nrel_blast_lfp_250ah_prismatic":
        p = BLAST_LFP250
        return (abs(p["p1"]) * np.exp(p["p2"] / t_k) * np.exp(p["p3"] * ua / t_k),)
    if model == "nrel_blast_nmc_kokam":
        p, tn = BLAST_NMC, t_k / (ZERO_C_K + 35.0)
        return (p["q1_0"] * np.exp(p["q1_1"] / tn) * np.exp(p["q1_2"] * (ua / 0.123) / tn),)
    return ()


def _days(n: int, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Start index and sample count of each day of ``n`` samples (days from the history's start)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    days = int(math.floor((n - 1) * dt_s / SECONDS_PER_DAY)) + 1
    starts = np.ceil(np.arange(days) * (SECONDS_PER_DAY / dt_s) - 1e-9).astype(np.int64)
    return starts, np.diff(np.concatenate([starts, [n]]))


@dataclass(frozen=True)
class _History:
    """What one SoC history gives a model, whatever state the battery starts in."""

    model: str
    t_k: float  # cell temperature [K]
    duration_s: float
    efc: float  # equivalent full cycles of the whole history [-]
    day_s: np.ndarray  # length of each day [s] (the last may be partial)
    defc: np.ndarray  # equivalent full cycles each day [-]
    dod: np.ndarray  # SoC range (max - min) each day [-]
    mean_soc: np.ndarray  # time-mean SoC each day [-]
    crate: np.ndarray  # time-mean |C-rate| each day, rates below 0.01/h as rest (BLAST-Lite) [1/h]
    means: tuple[np.ndarray, ...] = ()  # time-means each day of the model's per-sample rates
    squares: tuple[float, ...] = ()  # naumann_lfp: sum k^2 dt of its square-root laws
    soc: np.ndarray | None = None  # sam_nmc: the history itself (its rainflow depends on the start)
    starts: np.ndarray | None = None  # sam_nmc: first sample of each day


def _history(model: str, soc: np.ndarray, dt_s: float, temp_c: float, shared: dict | None = None) -> _History:
    """What the history gives ``model``; ``shared`` (a dict) keeps what every model takes of the
    same history (days, throughput, the SoC grid index) for the next model asking."""
    shared = {} if shared is None else shared
    if "days" not in shared:
        shared["days"] = _day_stresses(soc, dt_s)
    starts, counts, day_s, defc, dod, mean_soc, crate, efc = shared["days"]
    t_k = temp_c + ZERO_C_K
    n = soc.size
    tables = _tables(model, t_k)
    means: tuple[np.ndarray, ...] = ()
    if tables and n:
        if "index" not in shared:
            shared["index"] = np.rint(soc * _GRID_N).astype(np.intp)
        index = shared["index"]
        means = tuple(np.add.reduceat(np.take(table, index), starts) / counts for table in tables)
    squares: tuple[float, ...] = ()
    keep = None
    if model == "naumann_lfp":
        cycles = np.array(rainflow_cycles(soc), dtype=float).reshape(-1, 3)
        depth, count = cycles[:, 0], cycles[:, 2]
        k_crate = LFP_CYC_CRATE_A * _c_rate(soc, dt_s) + LFP_CYC_CRATE_B
        k_cyc = k_crate * (LFP_CYC_DOD_C * (depth - 0.6) ** 3 + LFP_CYC_DOD_D) / 100.0  # [1/sqrt(FEC)]
        cal = float((means[0] * day_s).sum()) if means else 0.0
        squares = (cal, float((k_cyc ** 2 * depth * count).sum()))
    elif model == "sam_nmc":
        keep = soc
    return _History(model, t_k, n * dt_s, efc, day_s, defc, dod, mean_soc, crate, means, squares, keep,
                    starts if keep is not None else None)


def _day_stresses(soc: np.ndarray, dt_s: float) -> tuple:
    """Per day: start index, samples, length [s], EFC, SoC range, mean SoC, mean |C-rate| [1/h];
    and the whole history's EFC."""
    n = soc.size
    starts, counts = _days(n, dt_s)
    day_s = counts * dt_s
    if n:
        step = np.abs(np.diff(soc))
        ends = np.concatenate([starts[1:], [n]]) - 1  # each move counted on the day it ends
        moved = np.concatenate([[0.0], np.cumsum(step)])
        defc = (moved[ends] - moved[np.maximum(starts - 1, 0)]) / 2
        active = np.concatenate([[0.0], np.cumsum(step * (step >= 1e-2 * dt_s / 3600.0))])
        crate = (active[ends] - active[np.maximum(starts - 1, 0)]) / (day_s / 3600.0)
        dod = np.maximum.reduceat(soc, starts) - np.minimum.reduceat(soc, starts)
        mean_soc = np.add.reduceat(soc, starts) / counts
        efc = float(moved[-1] / 2)
    else:
        defc = dod = mean_soc = crate = np.zeros(0)
        efc = 0.0
    return starts, counts, day_s, defc, dod, mean_soc, crate, efc


def _c_rate(soc: np.ndarray, dt_s: float) -> float:
    """Throughput-weighted mean C-rate of the history [1/h] (0 with no movement)."""
    step = np.abs(np.diff(soc))
    moved = step.sum()
    return float((step * step).sum() / moved / dt_s * 3600.0) if moved > 0 else 0.0


#: SAM's rainflow state of a new battery: (stack, direction of the last move, last SoC): SAM
#: starts as if discharging, with no sample before the first.
_SAM_NEW = ((), -1.0, None)


def _sam_pushes(h: _History, rain: tuple) -> tuple[np.ndarray, np.ndarray, float, float | None]:
    """The points SAM's rainflow is given over this history, after the state ``rain``: the SoC
    where the battery turns between charging and discharging (idle between is no turn), with
    the day each is counted on; and the direction and SoC it ends with."""
    _stack, last_dir, last_soc = rain
    soc = h.soc if h.soc is not None else np.zeros(0)
    if soc.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), last_dir, last_soc
    x = soc if last_soc is None else np.concatenate([[last_soc], soc])
    offset = 0 if last_soc is None else 1
    moves = np.sign(np.diff(x))
    at = np.flatnonzero(moves)  # each move from x[at] to x[at + 1]
    if at.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), last_dir, float(soc[-1])
    dirs = moves[at]
    turn = np.concatenate([[dirs[0] != last_dir], dirs[1:] != dirs[:-1]])
    where = at[turn]
    day_of = np.searchsorted(h.starts, np.minimum(where + 1 - offset, soc.size - 1), side="right") - 1
    return x[where], day_of, float(dirs[-1]), float(soc[-1])


def _sam_cycles(h: _History, rain: tuple) -> tuple[tuple[np.ndarray, ...], tuple]:
    """SAM's rainflow (ssc ``lifetime_cycle_t::rainflow``): every closed range counts as one
    cycle on the day it closes, with SAM's cycle SoC ``min(stack) + range / 2`` (the cycle set
    on the deepest point still in the rainflow stack). Per day: cycles, sum of range^2, sum of
    range^beta_c2, sum of cycle SoCs, largest range; and the rainflow state left."""
    days = h.day_s.size
    count, sq, pw, soc_sum, top = (np.zeros(days) for _ in range(5))
    peaks = list(rain[0])
    values, day_of, last_dir, last_soc = _sam_pushes(h, rain)
    for value, day in zip(values.tolist(), day_of.tolist()):
        peaks.append(value)
        while len(peaks) >= 3:
            x = abs(peaks[-1] - peaks[-2])
            y = abs(peaks[-2] - peaks[-3])
            if x < y:
                break
            count[day] += 1.0
            sq[day] += y * y
            pw[day] += y ** NMC_C2_BETA
            soc_sum[day] += min(peaks) + y / 2
            top[day] = max(top[day], y)
            del peaks[-3:-1]
    return (count, sq, pw, soc_sum, top), (tuple(peaks), last_dir, last_soc)


def _sigmoid_step(y: float, dx: float, y_inf: float, k: float, p: float) -> float:
    """BLAST-Lite's sigmoid state ``y = 2 y_inf (1/2 - 1/(1 + exp((k x)^p)))`` moved on by ``dx``
    from the equivalent ``x`` of ``y`` under this step's ``y_inf``, ``p`` (unchanged if ``y``
    is already at or above this step's ``y_inf``)."""
    if dx <= 0.0:
        return y
    if y <= 0.0:
        x = 0.0
    elif y >= y_inf:
        return y
    else:
        x = math.log((y_inf + y) / (y_inf - y)) ** (1.0 / p) / k
    u = min((k * (x + dx)) ** p, 700.0)
    return 2.0 * y_inf * (0.5 - 1.0 / (1.0 + math.exp(u)))


def _lam(w: float) -> float:
    """BLAST-Lite Kokam loss of active material at the scaled throughput ``w = sum EFC/q5`` [-]."""
    u = min(w ** BLAST_NMC["p_lam"], 700.0)
    return 2.0 * (0.5 - 1.0 / (1.0 + math.exp(u)))


def _empty_state(model: str) -> tuple:
    if model == "nrel_blast_nmc_kokam":  # BLAST-Lite starts its active-material loss at 1e-8: under
        # the sigmoid's exponent 10 that is an equivalent throughput of 17 % of q5 (years)
        return (0.0, 0.0, math.log((1.0 + 1e-8) / (1.0 - 1e-8)) ** (1.0 / BLAST_NMC["p_lam"]))
    if model == "sam_nmc":
        return (0.0, 0.0, 0.0, 0.0, _SAM_NEW)
    return (0.0, 0.0)


def _advance(model: str, state: tuple, h: _History, cycles: tuple[np.ndarray, ...] | None,
             scale: float = 1.0) -> tuple:
    """The state after the history ``h`` (its days' durations and throughputs times ``scale``)."""
    if h.day_s.size == 0:
        return state
    dt_d = h.day_s / SECONDS_PER_DAY * scale  # [day]
    defc = h.defc * scale
    if model == "naumann_lfp":
        cal, cyc = state
        return (math.sqrt(cal ** 2 + scale * h.squares[0]), math.sqrt(cyc ** 2 + scale * h.squares[1]))
    if model == "nrel_blast_lfp_sony_murata":
        cal, cyc = state
        b0, b1, b2 = BLAST_LFP_Q5
        q5 = np.abs(b0 + b1 * h.dod + b2 * np.exp(h.dod ** 2 * h.crate ** 3))
        q6, k, log, exp = BLAST_LFP_Q6, BLAST_LFP_Q2, math.log, math.exp
        z = cyc ** (1.0 / q6)
        for dt, q1, q3, k5, n in zip(dt_d.tolist(), h.means[0].tolist(), h.means[1].tolist(), q5.tolist(),
                                     defc.tolist()):
            z += k5 * n * (1.0 - cal - z ** q6)  # BLAST-Lite counts EFC in the new cell's Ah: times the health
            # the calendar sigmoid, inline (:func:`_sigmoid_step`): from the equivalent time of cal
            if dt > 0.0 and cal < q1:
                x = log((q1 + cal) / (q1 - cal)) ** (1.0 / q3) / k if cal > 0.0 else 0.0
                cal = 2.0 * q1 * (0.5 - 1.0 / (1.0 + exp(min((k * (x + dt)) ** q3, 700.0))))
        return (cal, z ** q6)
    if model == "nrel_blast_lfp_250ah_prismatic":
        cal, cyc = state
        p = BLAST_LFP250
        health = 1.0 - cal - cyc
        cal = (cal ** (1 / p["pcal"]) + float((h.means[0] ** (1 / p["pcal"]) * dt_d).sum())) ** p["pcal"]
        kcyc = (p["p4"] + p["p5"] * h.dod + p["p6"] * h.crate) * (math.exp(p["p7"] / h.t_k) + math.exp(-p["p8"] / h.t_k))
        cyc = (cyc ** (1 / p["pcyc"]) + float((kcyc ** (1 / p["pcyc"]) * defc).sum()) * health) ** p["pcyc"]
        return (cal, cyc)
    if model == "nrel_blast_nmc_kokam":
        cal, cyc, w = state
        p, tn = BLAST_NMC, h.t_k / (ZERO_C_K + 35.0)
        health = min(1.0 - cal - cyc, 1.01 - _lam(w))
        cal = (cal ** (1 / p["q2"]) + float((h.means[0] ** (1 / p["q2"]) * dt_d).sum())) ** p["q2"]
        q3 = p["q3_0"] * math.exp(p["q3_1"] / tn) * np.exp(p["q3_2"] * np.exp(h.dod ** 2))
        cyc = (cyc ** (1 / p["q4"]) + float((q3 ** (1 / p["q4"]) * defc).sum()) * health) ** p["q4"]
        q5 = np.maximum(p["q5_0"] + p["q5_1"] * (h.t_k - ZERO_C_K - 55.0) * h.dod * (h.mean_soc / 0.6), 1.0)
        w += float((defc / q5).sum()) * health
        return (cal, cyc, w)
    # sam_nmc
    dq1, dq2, dq3, dq_neg, rain = state
    assert cycles is not None
    count, sq, pw, soc_sum, top = cycles
    t_k = h.t_k
    rng = np.maximum(h.dod, top)
    soc_avg = np.where(count > 0, soc_sum / np.maximum(count, 1.0), 1.0 - 0.01 * rng)  # SAM's predictAvgSOC
    ua = np.interp(soc_avg, NMC_SOC_GRID, NMC_UNEG)
    f_rt = FARADAY / R_GAS
    b1 = (NMC_B1_REF * _arrhenius(NMC_B1_EA, t_k) * np.exp(NMC_B1_ALPHA * f_rt * (ua / t_k - NMC_UA_REF / T_REF_K))
          * np.exp(NMC_B1_GAMMA * rng ** NMC_B1_BETA))  # [day^-0.5]
    dq1 = math.sqrt(dq1 ** 2 + float((b1 ** 2 * dt_d).sum()))
    arr_b2 = _arrhenius(NMC_B2_EA, t_k)
    dq2 += NMC_B2_REF * arr_b2 * arr_b2 * float(np.sqrt(sq).sum()) * scale  # per day: sqrt(sum range^2)
    ocv = np.interp(np.where(count > 0, soc_avg, h.mean_soc), NMC_SOC_GRID, NMC_OCV)
    b3 = (NMC_B3_REF * _arrhenius(NMC_B3_EA, t_k) * np.exp(NMC_B3_ALPHA * f_rt * (ocv / t_k - NMC_V_REF / T_REF_K))
          * (1.0 + NMC_B3_THETA * rng))
    c2 = NMC_C2_REF * _arrhenius(NMC_C2_EA, t_k) * np.sqrt(pw) * scale  # per day: sqrt(sum range^beta)
    for level, dt, c in zip(b3.tolist(), dt_d.tolist(), c2.tolist()):
        dq3 += max(0.0, level - dq3) * min(1.0, dt / NMC_B3_TAU_DAYS)
        if dq_neg < NMC_C0_REF:
            dq_neg += c * NMC_C0_REF / (NMC_C0_REF - dq_neg)
    return (dq1, dq2, dq3, dq_neg, rain)


def _split(model: str, state: tuple) -> tuple[float, float]:
    """(calendar, cycle) shares of the original capacity lost in ``state``."""
    if model in ("naumann_lfp", "nrel_blast_lfp_sony_murata", "nrel_blast_lfp_250ah_prismatic"):
        cal, cyc = state
        if cal + cyc > 1.0:
            return cal / (cal + cyc), cyc / (cal + cyc)
        return cal, cyc
    if model == "nrel_blast_nmc_kokam":
        cal, cyc, w = state
        li, lam = cal + cyc, _lam(w) - 0.01
        total = min(1.0, max(0.0, li, lam))
        if li >= lam and li > 0:  # lithium-limited: shared as the lithium losses are
            return total * cal / li, total * cyc / li
        return 0.0, total  # active-material-limited: cycling
    dq1, dq2, dq3, dq_neg, _rain = state
    q_li = NMC_D0_REF / NMC_AH_REF * (NMC_B0 - dq1 - dq2 - dq3)
    q_neg = NMC_C0_REF / NMC_AH_REF * (1.0 - dq_neg)
    fresh = min(NMC_D0_REF * NMC_B0, NMC_C0_REF) / NMC_AH_REF
    total = min(1.0, max(0.0, 1.0 - min(q_li, q_neg) / fresh))
    if q_li < q_neg:
        li = dq1 + dq2 + dq3
        return total * (dq1 + dq3) / li, total * dq2 / li
    return 0.0, total  # negative-site-limited: cycling


def _equivalent_scale(model: str, h: _History, cycles: tuple[np.ndarray, ...] | None, fade: float) -> float:
    """How many times this history (its durations and throughputs scaled) takes a new battery to
    ``fade`` (bisection)."""
    empty = _empty_state(model)

    def total(times: float) -> float:
        return sum(_split(model, _advance(model, empty, h, cycles, times)))

    high = 1.0
    while total(high) < fade:
        high *= 2.0
        if high > 1e6:
            raise ValueError(f"start_fade {fade!r} is more than this history can ever cause "
                             "(give a Fade from a previous call instead of a number)")
    low = 0.0
    for _ in range(48):
        mid = (low + high) / 2
        low, high = (mid, high) if total(mid) < fade else (low, mid)
    return high
