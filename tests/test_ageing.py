"""Ageing over the years (homesim.ageing): rainflow, battery capacity fade, PV degradation.

Each test is named after the physical fact it checks.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from homesim.ageing import (
    CHEMISTRIES,
    LFP_CAL_K_REF,
    LFP_CAL_SOC_D,
    LFP_CYC_CRATE_A,
    LFP_CYC_CRATE_B,
    LFP_CYC_DOD_C,
    LFP_CYC_DOD_D,
    SECONDS_PER_YEAR,
    Fade,
    capacity_fade,
    end_of_life_year,
    fade_over_years,
    pv_degradation,
    rainflow_cycles,
)

HOUR = 3600.0
HOURS = np.arange(365 * 24)


def daily_cycle(low: float = 0.1, high: float = 0.9, per_day: int = 1) -> np.ndarray:
    """A year of hourly SoC, a cosine between ``low`` and ``high``, ``per_day`` cycles a day."""
    mid, amp = (low + high) / 2, (high - low) / 2
    return mid - amp * np.cos(2 * np.pi * HOURS * per_day / 24)


def seasonal_cycle() -> np.ndarray:
    """A year of hourly SoC whose daily swing grows from winter (0.2) to summer (0.8) and back."""
    swing = 0.5 - 0.3 * np.cos(2 * np.pi * HOURS / len(HOURS))
    return 0.5 - swing / 2 * np.cos(2 * np.pi * HOURS / 24)


def triangle(depth: float, cycles: int, step: float = 0.05) -> np.ndarray:
    """SoC moving by ``step`` a sample between 0.5 -/+ depth/2: the same C-rate at any depth."""
    n = round(depth / step)
    down = 0.5 + depth / 2 - step * np.arange(n)
    up = 0.5 - depth / 2 + step * np.arange(n)
    return np.concatenate([np.tile(np.concatenate([down, up]), cycles), [0.5 + depth / 2]])


def by_depth(cycles: list[tuple[float, float, float]]) -> dict[float, float]:
    counts: dict[float, float] = defaultdict(float)
    for depth, _mean, count in cycles:
        counts[round(depth, 9)] += count
    return dict(counts)


# --- rainflow ------------------------------------------------------------------------------

def test_rainflow_reproduces_the_astm_e1049_example_table() -> None:
    # ASTM E1049-85 (2017), Fig. 6 / §5.4.4: the series -2 1 -3 5 -1 3 -4 4 -2 counts
    # range 3: 0.5, range 4: 1.5, range 6: 0.5, range 8: 1.0, range 9: 0.5.
    cycles = rainflow_cycles([-2, 1, -3, 5, -1, 3, -4, 4, -2])
    assert by_depth(cycles) == {3.0: 0.5, 4.0: 1.5, 6.0: 0.5, 8.0: 1.0, 9.0: 0.5}
    assert {c for _, _, c in cycles} <= {0.5, 1.0}
    assert (4.0, 1.0, 1.0) in cycles  # the full cycle -1 .. 3, mean 1


def test_a_sawtooth_counts_one_cycle_of_its_depth_per_tooth() -> None:
    n = 25
    cycles = rainflow_cycles([0.2, 0.9] * n + [0.2])
    assert by_depth(cycles) == {0.7: pytest.approx(n)}
    assert all(mean == pytest.approx(0.55) for _, mean, _ in cycles)


def test_a_small_cycle_inside_a_big_swing_is_a_full_cycle_and_plateaus_do_not_count() -> None:
    cycles = rainflow_cycles([0.0, 0.0, 1.0, 0.6, 0.6, 0.8, 0.3, 0.5, 0.0])
    assert by_depth(cycles) == {0.2: 2.0, 1.0: 1.0}  # 0.6-0.8 and 0.3-0.5 closed; 0-1-0 two halves
    assert rainflow_cycles([]) == [] and rainflow_cycles([0.4, 0.4]) == []


# --- battery capacity fade: what ages a cell ------------------------------------------------

@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_deeper_cycles_age_more_than_shallow_ones_for_the_same_throughput(chemistry: str) -> None:
    deep = triangle(0.8, 100)
    shallow = triangle(0.2, 400)
    assert len(deep) == len(shallow)  # same time, same C-rate, same equivalent full cycles
    a, b = capacity_fade(chemistry, deep, 900.0), capacity_fade(chemistry, shallow, 900.0)
    assert a.efc == pytest.approx(b.efc, rel=1e-9) and a.efc == pytest.approx(80.0, rel=1e-9)
    assert a.cycle > b.cycle
    assert a.total > b.total


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_more_cycles_age_more(chemistry: str) -> None:
    one, two = capacity_fade(chemistry, daily_cycle(per_day=1), HOUR), capacity_fade(chemistry, daily_cycle(per_day=2), HOUR)
    assert two.efc == pytest.approx(2 * one.efc, rel=1e-3)
    assert two.cycle > one.cycle
    assert two.total > one.total


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_a_warmer_cell_ages_faster(chemistry: str) -> None:
    soc = daily_cycle()
    cool, warm = capacity_fade(chemistry, soc, HOUR, temp_c=25.0), capacity_fade(chemistry, soc, HOUR, temp_c=35.0)
    assert warm.calendar > cool.calendar
    assert warm.total > cool.total


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_calendar_fade_is_larger_stored_full_than_stored_empty(chemistry: str) -> None:
    full = capacity_fade(chemistry, np.full(len(HOURS), 0.95), HOUR)
    empty = capacity_fade(chemistry, np.full(len(HOURS), 0.10), HOUR)
    assert full.calendar > empty.calendar
    assert full.cycle == 0.0 and empty.cycle == 0.0 and full.efc == 0.0


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_an_empty_history_loses_nothing(chemistry: str) -> None:
    fade = capacity_fade(chemistry, np.array([]), HOUR)
    assert (fade.calendar, fade.cycle, fade.total, fade.remaining, fade.age_s) == (0.0, 0.0, 0.0, 1.0, 0.0)


# --- composition over years ----------------------------------------------------------------

@pytest.mark.parametrize("chemistry", CHEMISTRIES)
@pytest.mark.parametrize("cut", [182 * 24, len(HOURS) // 2, 1000])  # a day boundary, mid-day, anywhere
def test_two_parts_of_a_year_chained_equal_the_whole_year(chemistry: str, cut: int) -> None:
    soc = seasonal_cycle()
    whole = capacity_fade(chemistry, soc, HOUR)
    first = capacity_fade(chemistry, soc[:cut], HOUR)
    chained = capacity_fade(chemistry, soc[cut:], HOUR, start_fade=first)
    assert chained.total == pytest.approx(whole.total, abs=1e-3)
    assert chained.calendar == pytest.approx(whole.calendar, abs=1e-3)
    assert chained.cycle == pytest.approx(whole.cycle, abs=1e-3)
    assert chained.age_s == whole.age_s == SECONDS_PER_YEAR
    # a bare share as the start (equivalent time under the second part's stress) lands close too
    from_share = capacity_fade(chemistry, soc[cut:], HOUR, start_fade=first.total)
    assert from_share.total == pytest.approx(whole.total, abs=5e-3)


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
def test_years_of_the_same_use_lose_less_each_year_and_the_loss_accumulates(chemistry: str) -> None:
    soc = daily_cycle()
    years = fade_over_years(chemistry, soc, HOUR, 12)
    losses = np.diff([0.0] + [y.total for y in years])
    assert np.all(losses > 0)
    assert np.all(np.diff(losses[1:]) < 0)  # square-root laws: each year loses less than the last
    year2 = capacity_fade(chemistry, soc, HOUR, start_fade=capacity_fade(chemistry, soc, HOUR))
    assert year2.total == pytest.approx(years[1].total, abs=1e-12)
    eol = end_of_life_year(chemistry, soc, HOUR, eol_share=years[-1].remaining + 1e-9, max_years=12)
    assert eol == 12 and end_of_life_year(chemistry, soc, HOUR, eol_share=0.01, max_years=12) is None


# --- magnitudes against the sources ---------------------------------------------------------

def test_lfp_daily_full_cycle_year_loses_a_few_percent_as_naumann_s_equations_give() -> None:
    # Naumann 2018: Q_cal = k_ref k_SoC sqrt(t); the day's mean SoC is 0.5, so k_SoC = d.
    # Naumann 2020: Q_cyc[%] = (a C + b)(c (DOD - 0.6)^3 + d) sqrt(FEC), DOD 0.8, 292 FEC a year.
    fade = capacity_fade("lfp", daily_cycle(0.1, 0.9), HOUR)
    calendar = LFP_CAL_K_REF * LFP_CAL_SOC_D * math.sqrt(SECONDS_PER_YEAR)
    assert fade.calendar == pytest.approx(calendar, rel=1e-6)
    assert 0.04 < calendar < 0.045  # 4.25 % a year stored at 50 % SoC, 25 °C
    # the cosine's throughput-weighted C-rate is 0.8 pi / 24 / ... ~ 0.1 /h: bracket it by 0.05..0.15
    low = (LFP_CYC_CRATE_A * 0.05 + LFP_CYC_CRATE_B) * (LFP_CYC_DOD_C * 0.2 ** 3 + LFP_CYC_DOD_D) * math.sqrt(292) / 100
    high = (LFP_CYC_CRATE_A * 0.15 + LFP_CYC_CRATE_B) * (LFP_CYC_DOD_C * 0.2 ** 3 + LFP_CYC_DOD_D) * math.sqrt(292) / 100
    assert low < fade.cycle < high  # about 2 %
    assert 0.04 < fade.total < 0.08  # "a few percent" in the first year
    # both laws are square roots under a steady stress: ten such years lose sqrt(10) times one
    assert fade_over_years("lfp", daily_cycle(0.1, 0.9), HOUR, 10)[-1].total == pytest.approx(
        math.sqrt(10) * fade.total, rel=1e-9)


def test_nmc_daily_cycle_year_loses_about_three_percent_and_ten_years_leave_about_80() -> None:
    # Smith et al. 2017 with SAM's parameters: the Li inventory (b0 = 1.07) hides the first
    # 6 % of lithium loss; a daily 80 % cycle then shows ~3 % in year 1 and ~80 % left at 10.
    years = fade_over_years("nmc", daily_cycle(0.1, 0.9), HOUR, 10)
    assert 0.02 < years[0].total < 0.045
    assert 0.75 < years[-1].remaining < 0.85


def test_nmc_agrees_with_nrel_sam_battery_lifetime_to_a_point() -> None:
    """PySAM's BatteryStateful (NMC life model 1), driven to follow the same SoC history.

    What differs: SAM 7.1's NMC parameters are a refit (b1_ref 0.0035, d0 75.075 Ah, c0 75.675 Ah,
    c2 in relative units) of the paper's, it counts N in b2 per rainflow cycle, and it updates
    once a day; both take Ua, Voc at the day's mean SoC and DOD as the day's range.
    """
    import PySAM.BatteryStateful as bs  # nrel-pysam, in the project's test extra

    soc = np.concatenate([daily_cycle(0.1, 0.9), [0.1]])
    model = bs.default("NMCGraphite")
    model.ParamsCell.initial_SOC = soc[0] * 100
    model.ParamsCell.minimum_SOC, model.ParamsCell.maximum_SOC = 0.0, 100.0
    model.Controls.control_mode, model.Controls.dt_hr, model.Controls.input_current = 0, 1.0, 0.0
    model.ParamsPack.T_room_init = 25.0
    model.ParamsPack.h = 1e4  # the cell stays at room temperature
    model.ParamsPack.cap_vs_temp = ((0.0, 100.0), (25.0, 100.0), (50.0, 100.0))
    model.ParamsPack.replacement_option = 0
    model.setup()
    for target in soc[1:]:
        model.Controls.input_current = -(target - model.StatePack.SOC / 100) * model.StatePack.Q_max
        model.execute(0)
    cell = model.StateCell
    sam_fresh = 100 * 75.675 / 75  # SAM's new cell: min(Q_Li, Q_neg) = c0 / Ah_ref [%]
    sam_loss = 1 - cell.q_relative / sam_fresh
    ours = capacity_fade("nmc", soc[:-1], HOUR).total
    print(f"one year, daily 10-90 % cycle, 25 °C: SAM loses {sam_loss:.4f}, homesim {ours:.4f}")
    assert cell.day_age_of_battery == pytest.approx(365.0, abs=1e-6)
    assert abs(sam_loss - ours) < 0.01


# --- PV -------------------------------------------------------------------------------------

def test_pv_loses_half_a_percent_of_its_rating_a_year_by_default() -> None:
    assert pv_degradation(1) == 1.0
    assert pv_degradation(11) == pytest.approx(0.95)
    assert pv_degradation(25) == pytest.approx(0.88)
    assert pv_degradation(2, rate_per_year=0.008, first_year=0.02) == pytest.approx(0.972)
    assert pv_degradation(500) == 0.0


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"chemistry": "lto"}, "chemistry must be 'lfp' or 'nmc', got 'lto'"),
    ({"chemistry": "LFP"}, "chemistry must be 'lfp' or 'nmc'"),
    ({"soc": [0.5, 1.2]}, r"soc must be within 0..1 .*soc\[1\] = 1.2"),
    ({"soc": [-0.1, 0.5]}, r"soc must be within 0..1 .*soc\[0\] = -0.1"),
    ({"soc": [0.5, float("nan")]}, "soc must hold finite numbers"),
    ({"soc": [[0.5]]}, "soc must be a 1-D sequence"),
    ({"dt_s": 0.0}, r"dt_s must be a finite number > 0 \[s\], got 0.0"),
    ({"dt_s": -60.0}, r"dt_s must be a finite number > 0 \[s\]"),
    ({"dt_s": True}, r"dt_s must be a finite number > 0 \[s\]"),
    ({"temp_c": 120.0}, r"temp_c must be a number within -40..80 \[°C\]"),
    ({"start_fade": 1.5}, r"start_fade must be a number within 0..1"),
    ({"start_fade": Fade("nmc", 0.01, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0, 0.0))}, "start_fade is a 'nmc' Fade"),
])
def test_bad_input_is_refused_naming_the_argument_and_what_is_allowed(kwargs: dict, message: str) -> None:
    args = {"chemistry": "lfp", "soc": [0.2, 0.8, 0.2], "dt_s": HOUR} | kwargs
    with pytest.raises(ValueError, match=message):
        capacity_fade(**args)


@pytest.mark.parametrize("call, message", [
    (lambda: pv_degradation(0), "year must be a whole number >= 1"),
    (lambda: pv_degradation(2.5), "year must be a whole number >= 1"),
    (lambda: pv_degradation(3, rate_per_year=-0.01), r"rate_per_year must be a number within 0..1"),
    (lambda: fade_over_years("lfp", [0.5], HOUR, 0), "years must be a whole number >= 1"),
    (lambda: end_of_life_year("nmc", [0.5], HOUR, eol_share=80), "eol_share must be a number within 0..1"),
])
def test_bad_input_to_the_helpers_is_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
