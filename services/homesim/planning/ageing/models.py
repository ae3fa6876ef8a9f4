"""The published ageing models' parameters, each with its source (see :mod:`homesim.planning.ageing`),
and :class:`Fade`, what a history cost."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


CHEMISTRIES = ("lfp", "nmc")

#: Universal gas constant [J/(mol K)].
R_GAS = 8.314
#: Faraday constant as used by Smith et al. / SAM [C/mol].
FARADAY = 96485.0
#: Reference temperature of the models, 25 °C [K].
T_REF_K = 298.15
#: Kelvin offset [K].
ZERO_C_K = 273.15
SECONDS_PER_DAY = 86_400.0
#: A year of samples: 365 days [s].
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY

#: End-of-life share of the original capacity used by :func:`end_of_life_year` [-]. 70 % is
#: what home-battery warranties guarantee at 10 years (e.g. Tesla Powerwall 2, LG RESU, BYD);
#: 80 % is the cell-datasheet / EV convention (pass ``eol_share=0.8`` for it). The models are
#: fitted to data that stop near 80 %, so anything below is an extrapolation.
EOL_SHARE = 0.7


@dataclass(frozen=True)
class Model:
    """A published battery ageing model: its name (a battery's ``ageing_model``), chemistry,
    cell and source."""

    name: str
    chemistry: str
    cell: str
    source: str


#: The models homesim implements, by name.
MODELS: dict[str, Model] = {m.name: m for m in (
    Model("nrel_blast_lfp_sony_murata", "lfp", "Sony/Murata US26650FTC1 LFP/graphite 3 Ah",
          "NREL BLAST-Lite 1.1.1 Lfp_Gr_SonyMurata3Ah_Battery (Gasper et al., J. Electrochem. Soc. 169 (2022) "
          "080518; data Naumann et al. 2018, 2020)"),
    Model("nrel_blast_lfp_250ah_prismatic", "lfp", "LFP/graphite prismatic 250 Ah",
          "NREL BLAST-Lite 1.1.1 Lfp_Gr_250AhPrismatic (data Gasper et al., J. Energy Storage 73 (2023) 109042)"),
    Model("naumann_lfp", "lfp", "Sony/Murata US26650FTC1 LFP/graphite 3 Ah",
          "Naumann et al., J. Energy Storage 17 (2018) 153-169; J. Power Sources 451 (2020) 227666"),
    Model("nrel_blast_nmc_kokam", "nmc", "Kokam 75 Ah NMC111/graphite",
          "NREL BLAST-Lite 1.1.1 Nmc111_Gr_Kokam75Ah_Battery (data Smith et al., ACC 2017)"),
    Model("sam_nmc", "nmc", "Kokam 75 Ah NMC/graphite",
          "NREL SAM, ssc lifetime_nmc_t as in PySAM 7.1 (Smith et al., ACC 2017, SAM's parameters)"),
)}
#: The model a battery of each chemistry ages by unless it names another (the one anchored
#: best: tests/test_ageing_anchors.py).
DEFAULT_MODELS = {"lfp": "nrel_blast_lfp_sony_murata", "nmc": "nrel_blast_nmc_kokam"}

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

# --- NREL BLAST-Lite 1.1.1 (github.com/NREL/BLAST-Lite, blast/models/*.py) -----------------
# Every BLAST-Lite model takes the anode-to-lithium potential Ua [V] of graphite from the SoC
# by M. Safari, C. Delacourt, J. Electrochem. Soc. 158 (2011) A562, doi:10.1149/1.3567007, with
# the lithiation x = 0.0085 + 0.7715 SoC (Schimpe et al. 2018); rates are time-averaged over
# each day (BLAST-Lite: over each stretch between its breakpoints, a day or 1 EFC).
#: Sony/Murata LFP (Lfp_Gr_SonyMurata3Ah_Battery): calendar sigmoid
#: q = 2 q1 (1/2 - 1/(1 + exp((q2 t)^q3))), t in days; q1(T, Ua), q3(T, Ua) [-], q2 [1/day].
BLAST_LFP_Q2 = 0.000130510034211874
BLAST_LFP_Q1 = (0.989687151293590, -2881067.56019324, 8742.06309157261)  # b0 [-], b1 [K^2 V^-0.5], b2 [K V^-0.5]
BLAST_LFP_Q3 = (0.000332850281062177, 734553185711.369, -2.82161575620780e-06, -3284991315.45121,
                0.00127227593657290)  # b0..b4 of q3(T, Ua)
#: Cycle: q = (q5 EFC)^q6, q5 = |b0 + b1 DOD + b2 exp(DOD^2 C^3)| [1/EFC], C in 1/h.
BLAST_LFP_Q5 = (-6.81260579372875e-06, 2.59615973160844e-05, 2.11559710307295e-06)
BLAST_LFP_Q6 = 1.12847759334355
#: 250 Ah prismatic LFP (Lfp_Gr_250AhPrismatic): calendar k_cal t^p_cal (t in days),
#: k_cal = p1 exp(p2/T) exp(p3 Ua/T); cycle k_cyc EFC^p_cyc,
#: k_cyc = (p4 + p5 DOD + p6 C) (exp(p7/T) + exp(-p8/T)).
BLAST_LFP250 = {"p1": 8.37e4, "p2": -5.21e3, "p3": -3.56e3, "pcal": 0.526, "p4": 4.38e-8, "p5": 1.55e-8,
                "p6": 1.68e-7, "p7": 2.19e3, "p8": 1.55e5, "pcyc": 0.828}
#: Kokam NMC (Nmc111_Gr_Kokam75Ah_Battery): lithium loss q1 t^q2 + q3 EFC^q4 (t in days),
#: q1 = q1_0 exp(q1_1/Tn) exp(q1_2 (Ua/0.123)/Tn), q3 = q3_0 exp(q3_1/Tn) exp(q3_2 exp(DOD^2)),
#: Tn = T / 308.15 K; active material loss 2 (1/2 - 1/(1 + exp((EFC/q5)^p_LAM))),
#: q5 = q5_0 + q5_1 (T [°C] - 55) DOD (mean SoC / 0.6); capacity min(1 - Li loss, 1.01 - LAM).
BLAST_NMC = {"q1_0": 2.66e7, "q1_1": -17.8, "q1_2": -5.21, "q2": 0.357, "q3_0": 3.80e3, "q3_1": -18.4,
             "q3_2": 1.04, "q4": 0.778, "q5_0": 1e4, "q5_1": 153.0, "p_lam": 10.0}

# --- NMC: Smith et al. 2017 as in NREL's SAM ----------------------------------------------
# K. Smith, A. Saxon, M. Keyser, B. Lundstrom, Z. Cao, A. Roc, "Life prediction model for
# grid-connected Li-ion battery energy storage system", American Control Conference 2017,
# pp. 4062-4068, doi:10.23919/ACC.2017.7963578. Parameters and update rules as implemented in
# NREL's SAM (ssc shared/lib_battery_lifetime_nmc.h/.cpp, as in PySAM 7.1).
#: Reference (nameplate) capacity of the Kokam cell [Ah].
NMC_AH_REF = 75.0
#: Positive-electrode-site capacity at 25 °C [Ah].
NMC_D0_REF = 75.075
#: Initial lithium inventory, relative to d0 [-].
NMC_B0 = 1.07
#: SEI growth (sqrt of time) rate at 25 °C [day^-0.5].
NMC_B1_REF = 3.5e-3
NMC_B1_EA = 35392.0  # [J/mol]
NMC_B1_ALPHA = -1.0  # Tafel transfer coefficient on the anode potential [-]
NMC_B1_GAMMA = 2.472  # depth-of-discharge factor exp(gamma DOD^beta) [-]
NMC_B1_BETA = 2.157  # [-]
#: Cycling lithium loss per cycle at 25 °C [1/cycle].
NMC_B2_REF = 1.541e-5
NMC_B2_EA = -42800.0  # [J/mol] (negative: faster when colder)
#: Early (break-in) lithium loss, relaxing with time constant tau [-].
NMC_B3_REF = 2.805e-2
NMC_B3_EA = 42800.0  # [J/mol]
NMC_B3_ALPHA = 0.0066  # [-]
NMC_B3_TAU_DAYS = 5.0  # [day]
NMC_B3_THETA = 0.135  # depth factor (1 + theta DOD) [-]
#: Negative-electrode-site capacity at 25 °C [Ah].
NMC_C0_REF = 75.675
#: Negative-electrode site loss rate at 25 °C [1/day per sqrt(sum of DOD^beta)].
NMC_C2_REF = 5.226e-5
NMC_C2_EA = -48260.0  # [J/mol]
NMC_C2_BETA = 4.54  # depth exponent [-]
#: Reference anode potential [V] and open-circuit voltage [V].
NMC_UA_REF = 0.08
NMC_V_REF = 3.7
#: SoC grid [-] of SAM's open-circuit voltage [V] and anode potential [V] tables (from
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
    model : str
        The ageing model (a key of :data:`MODELS`).
    calendar : float
        Share lost to calendar ageing (time, SoC, temperature) [-].
    cycle : float
        Share lost to cycling (throughput and its depths) [-].
    age_s : float
        Age of the battery at the end of the history [s].
    efc : float
        Equivalent full cycles in this history alone (half the SoC swing summed) [-].
    """

    model: str
    calendar: float
    cycle: float
    age_s: float
    efc: float
    state: tuple = field(default=(), repr=False)  # the model's own quantities, to continue
    #: The other models of the chemistry over the same histories (``capacity_fade(others=True)``).
    others: dict[str, Fade] = field(default_factory=dict, repr=False, compare=False)

    @property
    def remaining_by_model(self) -> dict[str, float]:
        """Share left by this model and each of ``others`` [-], this one first."""
        return {self.model: self.remaining, **{name: fade.remaining for name, fade in self.others.items()}}

    @property
    def chemistry(self) -> str:
        """``"lfp"`` or ``"nmc"``."""
        return MODELS[self.model].chemistry

    @property
    def total(self) -> float:
        """Share of the original capacity lost, calendar plus cycle [-]."""
        return min(1.0, self.calendar + self.cycle)

    @property
    def remaining(self) -> float:
        """Share of the original capacity left, ``1 - total`` [-]."""
        return 1.0 - self.total
