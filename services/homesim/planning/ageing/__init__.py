"""Ageing over the years, for "Plan a purchase": battery capacity fade and PV degradation.

Pure functions; ``homesim plan`` feeds them each simulated year's battery state of charge
(SoC) and carries the result into the next year.

Battery: :func:`capacity_fade` turns one SoC history (samples at a fixed step ``dt_s``, a cell
temperature) into the capacity lost by its end, split into calendar fade (time, SoC,
temperature) and cycle fade (charge throughput and its depths), by one of several published
models (:data:`MODELS`; a battery's ``ageing_model``, default :data:`DEFAULT_MODELS` by
chemistry). Published models disagree, even fitted to the same cells: a plan shows the range
(:func:`end_of_life_by_model`). Each is checked against its own published implementation on
recorded home histories (tests/test_ageing_anchors.py, tests/data/ageing/anchors.json):

* ``nrel_blast_lfp_sony_murata`` (LFP default): NREL's BLAST-Lite 1.1.1 model of the
  Sony/Murata US26650FTC1 3 Ah LFP/graphite cell (``Lfp_Gr_SonyMurata3Ah_Battery``): data of
  Naumann et al. 2018 (calendar) and 2020 (cycle), model identified by P. Gasper, A. Saxon,
  Y. Shi, E. Endler, K. Smith, F. B. Spingler, "Machine-learning assisted identification of
  accurate battery lifetime models with uncertainty", J. Electrochem. Soc. 169 (2022) 080518,
  doi:10.1149/1945-7111/ac86a8. Calendar loss a sigmoid in time (it saturates), its rates
  functions of the anode potential; cycle loss a power 1.13 of throughput.
* ``nrel_blast_lfp_250ah_prismatic``: BLAST-Lite's ``Lfp_Gr_250AhPrismatic`` (a >250 Ah
  prismatic LFP/graphite cell; data: P. Gasper et al., J. Energy Storage 73 (2023) 109042,
  doi:10.1016/j.est.2023.109042): power laws in time (0.526) and throughput (0.828).
* ``naumann_lfp``: the papers' own square-root laws for the Sony/Murata cell: M. Naumann et
  al., J. Energy Storage 17 (2018) 153-169, doi:10.1016/j.est.2018.01.019 (calendar) and
  J. Power Sources 451 (2020) 227666, doi:10.1016/j.jpowsour.2019.227666 (cycle). It keeps
  losing as ``sqrt(t)`` where the BLAST-Lite fit of the same data saturates, and its cycle
  term is about ten times BLAST-Lite's: it ends life in about half the years.
* ``nrel_blast_nmc_kokam`` (NMC default): BLAST-Lite's ``Nmc111_Gr_Kokam75Ah_Battery``, the
  Kokam 75 Ah NMC/graphite cell of K. Smith, A. Saxon, M. Keyser, B. Lundstrom, Z. Cao,
  A. Roc, "Life prediction model for grid-connected Li-ion battery energy storage system",
  American Control Conference 2017, pp. 4062-4068, doi:10.23919/ACC.2017.7963578: lithium
  loss ``q1 t^0.357 + q3 EFC^0.778`` against a sigmoid loss of active material (a knee).
* ``sam_nmc``: the same cell and paper as NREL's SAM implements it (ssc ``lifetime_nmc_t``,
  PySAM 7.1): square-root SEI loss with the anode potential at SAM's cycle-averaged SoC, see
  :func:`capacity_fade`.

Ageing composes over years: a call can start from the state a previous call ended in
(``start_fade``), so that chaining two half years gives one whole year (to the cycles that
straddle the cut). Each model's laws continue by the *equivalent-time* method (BLAST-Lite's and
SAM's own): the time (or throughput) that would have produced the present loss under the new
stress, then onwards. For a power law ``q = (k x)^p`` (or ``k x^p``) that is
``q^(1/p) += k^(1/p) dx`` (order-free); sigmoids step day by day.

PV: :func:`pv_degradation`, linear, median 0.5 %/year (Jordan & Kurtz 2013).

Conventions: fades and shares are fractions of the original (new) capacity [-]; times in
seconds [s] (the models' own day units converted); temperatures in degrees Celsius [°C]; a SoC
sample holds for one step ``dt_s``, so ``n`` samples span ``n * dt_s``. Days are counted from a
history's start.

The parts: :mod:`.models` (the parameters, with sources), :mod:`.rainflow` (cycle counting),
:mod:`.history` (the models over one history), :mod:`.fade` (the functions below).
"""

from homesim.planning.ageing.models import (
    CHEMISTRIES,
    DEFAULT_MODELS,
    EOL_SHARE,
    Fade,
    MODELS,
    Model,
    SECONDS_PER_YEAR,
)
from homesim.planning.ageing.rainflow import (
    rainflow_cycles,
)
from homesim.planning.ageing.fade import (
    PV_RATE_PER_YEAR,
    battery_model,
    capacity_fade,
    end_of_life_by_model,
    end_of_life_year,
    fade_over_years,
    model_name,
    models_of,
    pv_degradation,
    years_range,
    years_to_share,
)

__all__ = [
    "CHEMISTRIES",
    "DEFAULT_MODELS",
    "EOL_SHARE",
    "Fade",
    "MODELS",
    "Model",
    "SECONDS_PER_YEAR",
    "rainflow_cycles",
    "PV_RATE_PER_YEAR",
    "battery_model",
    "capacity_fade",
    "end_of_life_by_model",
    "end_of_life_year",
    "fade_over_years",
    "model_name",
    "models_of",
    "pv_degradation",
    "years_range",
    "years_to_share",
]
