"""Battery ageing against independent implementations of the published models, on recorded
battery histories of simulated homes (issue 24, item 3).

tests/data/ageing/histories.npz holds a year of battery SoC (5 min) of the reference home and of
five variants (make_histories.py); anchors.json what NREL's BLAST-Lite 1.1.1 and PySAM 7.1's
battery lifetime model give on them, each year repeated for 40 years (make_anchors.py, run in a
venv of its own). Each homesim model must end life (80 %) within 15 % of the years its named
anchor gives, on every history; each chemistry's default model too (main's did not: the
reference home's LFP at 9.6 years where BLAST-Lite says 18.7, NMC at 5.9 where BLAST-Lite says
19.9 and PySAM 26.9).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from homesim.planning.ageing import (
    CHEMISTRIES,
    DEFAULT_MODELS,
    MODELS,
    end_of_life_by_model,
    fade_over_years,
    years_range,
    years_to_share,
)

DATA = Path(__file__).parent / "data" / "ageing"
ANCHORS = json.loads((DATA / "anchors.json").read_text())
HISTORIES = np.load(DATA / "histories.npz")
DT_S = float(HISTORIES["dt_s"])
YEARS = ANCHORS["years"]
#: Allowed difference in years to 80 % from the anchor's, relative [-].
TOLERANCE = 0.15
PAIRS = [(history, model) for history, entry in ANCHORS["histories"].items() for model in entry["models"]]


def soc_of(history: str) -> np.ndarray:
    return HISTORIES[history].astype(float) / 10_000


def ours(model: str, history: str) -> list[float]:
    """Share left at the end of each year, for twice the anchors' years (an anchor just inside
    its run may be matched by a figure just beyond it)."""
    return [fade.remaining for fade in fade_over_years(model, soc_of(history), DT_S, 2 * YEARS)]


def test_the_anchors_cover_every_history_and_every_model() -> None:
    histories = [name for name in HISTORIES.files if name != "dt_s"]
    assert sorted(ANCHORS["histories"]) == sorted(histories) and len(histories) >= 6
    for entry in ANCHORS["histories"].values():
        assert sorted(entry["models"]) == sorted(m for m in MODELS if m != "naumann_lfp")  # no independent code
    assert ANCHORS["eol_share"] == 0.8 and YEARS >= 20


def assert_close_to_anchor(years: float | None, anchor: float | None) -> None:
    """Years to 80 % within TOLERANCE of the anchor's; an anchor beyond its run (None) must not
    be met by a figure well inside it."""
    if anchor is None:
        assert years is None or years > YEARS / (1 + TOLERANCE)
    else:
        assert years is not None and years == pytest.approx(anchor, rel=TOLERANCE)


@pytest.mark.parametrize("history, model", PAIRS)
def test_each_model_ends_life_within_15_percent_of_its_published_implementation(history: str, model: str) -> None:
    anchor = ANCHORS["histories"][history]["models"][model]
    remaining = ours(model, history)
    years = years_to_share(remaining, 0.8)
    print(f"{history} {model}: years to 80 % {years} (anchor {anchor['years_to_80']}), "
          f"year-1 fade {1 - remaining[0]:.4f} (anchor {anchor['year1_fade']:.4f})")
    assert_close_to_anchor(years, anchor["years_to_80"])
    assert 1 - remaining[0] == pytest.approx(anchor["year1_fade"], rel=TOLERANCE, abs=0.002)
    # and along the way: every fifth year's capacity within 3 points while above 60 %
    for year in range(5, YEARS + 1, 5):
        if anchor["capacity"][year] > 0.6:
            assert remaining[year - 1] == pytest.approx(anchor["capacity"][year], abs=0.03), year


@pytest.mark.parametrize("chemistry", CHEMISTRIES)
@pytest.mark.parametrize("history", sorted(ANCHORS["histories"]))
def test_each_chemistry_s_default_ends_life_within_15_percent_of_its_anchor(chemistry: str, history: str) -> None:
    # main's 'lfp' and 'nmc' (what a battery of that chemistry aged by) failed this: on the
    # reference home 9.6 and 5.9 years where BLAST-Lite says 18.7 and 19.9
    anchor = ANCHORS["histories"][history]["models"][DEFAULT_MODELS[chemistry]]["years_to_80"]
    assert_close_to_anchor(years_to_share(ours(chemistry, history), 0.8), anchor)


def test_published_models_of_the_same_cells_disagree_and_the_range_shows_it() -> None:
    # Naumann's own square-root laws and BLAST-Lite's refit of the same cell's data part by
    # about two to one on the reference home: the plan shows the spread, not one number.
    soc = soc_of("reference")
    by_model = {m: [f.remaining for f in fade_over_years(m, soc, DT_S, 20)] for m in MODELS if MODELS[m].chemistry == "lfp"}
    naumann = years_to_share(by_model["naumann_lfp"], 0.8)
    blast = years_to_share(by_model["nrel_blast_lfp_sony_murata"], 0.8)
    assert naumann is not None and blast is not None and blast > 1.8 * naumann
    eol = end_of_life_by_model([{m: r[k] for m, r in by_model.items()} for k in range(20)], 0.8)
    assert eol["naumann_lfp"] == int(naumann) + 2 and eol["nrel_blast_lfp_sony_murata"] == int(blast) + 2
    assert eol["nrel_blast_lfp_250ah_prismatic"] is None  # not within 20 years
    assert years_range(eol, 20) == f"{eol['naumann_lfp']} to beyond 20"
    assert years_range({"a": 12, "b": 17}, 20) == "12-17" and years_range({"a": None}, 20) == "beyond 20"


def test_sam_nmc_follows_pysam_live_on_the_reference_home_s_year() -> None:
    """PySAM 7.1 driven through the recorded reference year now (one year: the 40 of the anchor
    file take minutes): each loss term within 5 %."""
    from test_ageing import drive_pysam  # tests/ is on the path (pytest prepend import mode)

    soc = soc_of("reference")
    sam_loss, cell = drive_pysam(soc, DT_S, years=1)
    fade = fade_over_years("sam_nmc", soc, DT_S, 1)[0]
    dq1, dq2, dq3, dq_neg, _stack = fade.state
    assert dq1 == pytest.approx(cell["dq_relative_li1"], rel=0.05)
    assert dq2 == pytest.approx(cell["dq_relative_li2"], rel=0.05)
    assert dq3 == pytest.approx(cell["dq_relative_li3"], rel=0.05)
    assert dq_neg == pytest.approx(cell["dq_relative_neg"], rel=0.05)
    assert fade.total == pytest.approx(sam_loss, abs=0.001)
