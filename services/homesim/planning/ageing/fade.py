"""What a battery loses over one history, or over years of the same one: the public functions of
:mod:`homesim.planning.ageing`, with the checks of their inputs; and PV degradation."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from homesim.planning.ageing.history import (
    _SAM_NEW,
    _advance,
    _empty_state,
    _equivalent_scale,
    _history,
    _sam_cycles,
    _split,
)
from homesim.planning.ageing.models import (
    CHEMISTRIES,
    DEFAULT_MODELS,
    EOL_SHARE,
    Fade,
    MODELS,
)
from homesim.planning.ageing.rainflow import _series


# --- input checks --------------------------------------------------------------------------

def model_name(model: object) -> str:
    """The model a name stands for: a key of :data:`MODELS`, or a chemistry (``"lfp"``,
    ``"nmc"``) for its default. Raises ValueError listing what is allowed."""
    if isinstance(model, str) and model in MODELS:
        return model
    if isinstance(model, str) and model in DEFAULT_MODELS:
        return DEFAULT_MODELS[model]
    allowed = ", ".join(repr(m) for m in (*CHEMISTRIES, *MODELS))
    raise ValueError(f"model must be one of {allowed} (a chemistry takes its default model), got {model!r}")


def models_of(chemistry: str) -> list[str]:
    """The models of a chemistry (``"lfp"`` or ``"nmc"``), its default first."""
    default = DEFAULT_MODELS[chemistry]
    return [default] + [m.name for m in MODELS.values() if m.chemistry == chemistry and m.name != default]


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


def _check(model: object, soc: ArrayLike, dt_s: object, temp_c: object) -> tuple[str, np.ndarray, float, float]:
    return (model_name(model), _soc(soc), _positive(dt_s, "dt_s", "s"),
            _finite(temp_c, "temp_c", "°C", -40.0, 80.0))


def capacity_fade(model: str, soc: ArrayLike, dt_s: float, temp_c: float = 25.0,
                  start_fade: float | Fade = 0.0, start_age_s: float | None = None, others: bool = False) -> Fade:
    """Capacity a battery loses over one SoC history, from a given starting state.

    The model's laws (module constants; ``t`` time, ``EFC`` equivalent full cycles counted
    in the new cell's capacity, ``DOD`` a day's SoC range, ``C`` a day's mean C-rate, ``Ua`` the
    anode potential of :func:`safari_ua`, rates time-averaged over each day's samples):

    ``nrel_blast_lfp_sony_murata`` (BLAST-Lite ``Lfp_Gr_SonyMurata3Ah_Battery``; Gasper et al.
    2022 on Naumann et al.'s data)::

        Q_cal = 2 q1 (1/2 - 1/(1 + exp((q2 t)^q3)))      q1, q3 of (T, Ua); t in days
        Q_cyc = (q5 EFC)^q6                              q5 = |b0 + b1 DOD + b2 exp(DOD^2 C^3)|
        Q = Q_cal + Q_cyc

    (its break-in term, counted only above 3 EFC a day, never applies to a home).

    ``nrel_blast_lfp_250ah_prismatic`` (BLAST-Lite ``Lfp_Gr_250AhPrismatic``)::

        Q = k_cal(T, Ua) t^0.526 + k_cyc(T, DOD, C) EFC^0.828

    ``naumann_lfp`` (Naumann et al. 2018, 2020, the papers' own laws)::

        Q_cal = k_ref exp(-Ea/R (1/T - 1/T_ref)) (c (SoC - 0.5)^3 + d) sqrt(t)       t in s
        Q_cyc = (a_C C + b_C) (c_D (DOD - 0.6)^3 + d_D) sqrt(FEC) / 100

    with the calendar rate at each sample's SoC (``Q^2 = sum k^2 dt``), the depth factor per
    rainflow cycle and C the history's throughput-weighted C-rate.

    ``nrel_blast_nmc_kokam`` (BLAST-Lite ``Nmc111_Gr_Kokam75Ah_Battery``, Smith et al. 2017's
    cell)::

        Q_Li  = q1(T, Ua) t^0.357 + q3(T, DOD) EFC^0.778
        Q_LAM = 2 (1/2 - 1/(1 + exp((EFC/q5)^10)))       q5 = q5_0 + q5_1 (T - 55 °C) DOD SoC/0.6
        Q = 1 - min(1 - Q_Li, 1.01 - Q_LAM)

    ``sam_nmc`` (Smith et al. 2017 as SAM's ssc ``lifetime_nmc_t`` computes it, day by day)::

        Q_Li  = d0 (b0 - b1 sqrt(t) - b2 - b3)           Q_neg = c0 (1 - dq_neg)
        b1 = b1_ref A(Ea_b1) exp(alpha F/R (Ua(SoC_avg)/T - Ua_ref/T_ref)) exp(gamma DOD^beta)
        b2 += b2_ref A(Ea_b2)^2 sqrt(sum_cycles range^2)                       each day
        b3 += (b3_ref A(Ea_b3) exp(...Voc...) (1 + theta DOD) - b3) / tau_b3    each day
        dq_neg += c2_ref A(Ea_c2) sqrt(sum_cycles range^4.54) c0/(c0 - dq_neg)  each day

    where, as in SAM, ``Ua`` and ``Voc`` are its 11-point tables and ``SoC_avg`` the mean over
    the day's rainflow cycles of ``min(rainflow stack) + range/2`` (``1 - DOD/100`` on a day
    without one): the SoC of a cycle is set by the deepest point still in the rainflow stack,
    not by where the battery spends its time. That, not the anode table, is why SAM's
    calendar loss is small for a home that empties its battery once in a while.
    Capacity is ``min(Q_Li, Q_neg)`` over the new cell's ``min(d0 b0, c0)``, at 25 °C
    capacities (the reversible temperature effect is no fade).

    Calendar fade is the time-driven part of a lithium-limited loss; a loss limited by active
    material (Kokam's knee, SAM's negative sites) is all cycling.

    Parameters
    ----------
    model : str
        A key of :data:`MODELS`, or ``"lfp"`` / ``"nmc"`` for the chemistry's default.
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
        Age at the start [s], >= 0. Default: the Fade's ``age_s``, or the equivalent time of a
        share.
    others : bool, optional
        Also age the chemistry's other models over the same history, each from its state in
        ``start_fade.others`` (new if absent), into the result's ``others``: ``homesim plan``
        drives its battery by one model and shows the range the published models give.

    Returns
    -------
    Fade
        ``calendar``, ``cycle``, ``total`` lost and ``remaining`` by the end, as shares of the
        original capacity [-]; ``age_s`` at the end [s]; ``efc`` of this history [-].

    Raises
    ------
    ValueError
        For an unknown model (the message lists the allowed ones), a SoC outside 0..1,
        ``dt_s <= 0``, a temperature outside -40..80 °C, a starting fade outside 0..1 or of
        another model.
    """
    model, soc, dt_s, temp_c = _check(model, soc, dt_s, temp_c)
    return _fade(model, soc, dt_s, temp_c, start_fade, start_age_s, others, {})


def _fade(model: str, soc: np.ndarray, dt_s: float, temp_c: float, start_fade: float | Fade,
          start_age_s: float | None, others: bool, shared: dict) -> Fade:
    """:func:`capacity_fade` of checked arguments; ``shared`` as :func:`_history`'s."""
    h = _history(model, soc, dt_s, temp_c, shared)
    if isinstance(start_fade, Fade):
        if start_fade.model != model:
            raise ValueError(f"start_fade is a {start_fade.model!r} Fade, the model is {model!r}")
        state, age = start_fade.state, start_fade.age_s
    else:
        share = _finite(start_fade, "start_fade", "share of capacity", 0.0, 1.0)
        if share == 0.0:
            state, age = _empty_state(model), 0.0
        elif h.duration_s == 0.0:  # nothing tells how the share splits
            return Fade(model, share, 0.0, 0.0 if start_age_s is None else float(start_age_s), 0.0, state=())
        else:
            empty = _empty_state(model)
            cycles = _sam_cycles(h, _SAM_NEW)[0] if model == "sam_nmc" else None
            times = _equivalent_scale(model, h, cycles, share)
            state, age = _advance(model, empty, h, cycles, times), times * h.duration_s
    if start_age_s is not None:
        age = _finite(start_age_s, "start_age_s", "s", 0.0, 1e10)
    if not state:
        raise ValueError("start_fade is a Fade without a model state (from an empty history); "
                         "give its share (Fade.total) instead")
    cycles = None
    if model == "sam_nmc":
        cycles, stack = _sam_cycles(h, state[4])
        state = (*state[:4], stack)
    end = _advance(model, state, h, cycles)
    calendar, cycle = _split(model, end)
    alongside: dict[str, Fade] = {}
    if others:
        before = start_fade.others if isinstance(start_fade, Fade) else {}
        for name in models_of(MODELS[model].chemistry):
            if name != model:
                start = before.get(name)
                alongside[name] = _fade(name, soc, dt_s, temp_c, start if start is not None else 0.0, None, False,
                                        shared)
    return Fade(model, calendar, cycle, age + h.duration_s, h.efc, state=end, others=alongside)


def fade_over_years(model: str, soc_year: ArrayLike, dt_s: float, years: int,
                    temp_c: float = 25.0) -> list[Fade]:
    """The fade at the end of each of ``years`` years that repeat the same SoC history.

    Parameters
    ----------
    model : str
        A key of :data:`MODELS`, or ``"lfp"`` / ``"nmc"`` for the chemistry's default.
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
    model, soc, dt_s, temp_c = _check(model, soc_year, dt_s, temp_c)
    h = _history(model, soc, dt_s, temp_c)  # the same each year: computed once
    seen: dict[tuple, tuple] = {}  # sam_nmc: the year's cycles by the rainflow stack it starts with
    state, age, out = _empty_state(model), 0.0, []
    for _ in range(years):
        cycles = None
        if model == "sam_nmc":
            if state[4] not in seen:
                seen[state[4]] = _sam_cycles(h, state[4])
            cycles, stack = seen[state[4]]
            state = (*state[:4], stack)
        state = _advance(model, state, h, cycles)
        age += h.duration_s
        out.append(Fade(model, *_split(model, state), age, h.efc, state=state))
    return out


def end_of_life_year(model: str, soc_year: ArrayLike, dt_s: float, temp_c: float = 25.0,
                     eol_share: float = EOL_SHARE, max_years: int = 40) -> int | None:
    """The first year whose end leaves less than ``eol_share`` of the original capacity.

    The year's SoC history repeats; year 1 is the first year of use.

    Parameters
    ----------
    model : str
        A key of :data:`MODELS`, or ``"lfp"`` / ``"nmc"`` for the chemistry's default.
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
    for year, fade in enumerate(fade_over_years(model, soc_year, dt_s, max_years, temp_c), start=1):
        if fade.remaining < eol_share:
            return year
    return None


def years_to_share(remaining: list[float], share: float) -> float | None:
    """Years until a capacity falls below ``share`` [year], linear within the year that crosses.

    ``remaining[k]`` is the share left at the end of year ``k + 1`` [-] (a new battery holds 1);
    None if it never falls below ``share``.
    """
    before = 1.0
    for year, left in enumerate(remaining):
        if left < share:
            return year + (before - share) / (before - left)
        before = left
    return None


def battery_model(battery: object) -> str | None:
    """The ageing model of a battery device config: its ``ageing_model``, else its chemistry's
    default; None for a chemistry without one (lead-acid)."""
    chosen = getattr(battery, "ageing_model", None)
    if chosen:
        return model_name(chosen)
    chemistry = str(getattr(battery, "chemistry", "")).lower()
    return DEFAULT_MODELS.get(chemistry)


def end_of_life_by_model(shares_by_year: list[dict[str, float]], eol_share: float = EOL_SHARE) -> dict[str, int | None]:
    """Per model, the first year that starts below ``eol_share`` [year] (as ``homesim plan``
    counts its battery's), from each year's end-of-year shares by model (``shares_by_year[k]``:
    the end of year ``k + 1``, from :attr:`Fade.remaining_by_model`); None if none does."""
    names = list(dict.fromkeys(name for year in shares_by_year for name in year))
    return {name: next((k + 2 for k, year in enumerate(shares_by_year) if year.get(name, 1.0) < eol_share), None)
            for name in names}


def years_range(by_model: dict[str, int | None], horizon: int) -> str:
    """The spread of end-of-life years across models, as a person reads it: ``"12-17"``,
    ``"12 to beyond 20"`` (some not within ``horizon`` years), ``"beyond 20"``."""
    years = [y for y in by_model.values() if y is not None]
    if not years:
        return f"beyond {horizon}"
    low, high = min(years), max(years)
    if len(years) < len(by_model):
        return f"{low} to beyond {horizon}"
    return f"{low}" if low == high else f"{low}-{high}"


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
