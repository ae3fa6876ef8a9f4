"""Money: what a PV + battery + inverter purchase costs and what it pays back.

Pure functions over yearly cash flows; ``homesim plan`` (:mod:`homesim.planning.plan`) feeds them
the yearly simulations. Over 500 lines: a dozen short money functions (capital, loans, flows, NPV,
IRR, paybacks, LCOE) that a reader checks against each other; split, they would send the reader
between files for the conventions below.

Conventions (the docs' "Money and ageing" page says the same):

* Year 0 is the purchase: its flow is minus the capital, or minus the deposit with a loan.
  Years 1..N are end-of-year flows: savings, minus maintenance, replacements and loan
  payments. A flow in year ``t`` is discounted by ``(1 + rate) ** t``.
* Every amount is nominal (in the currency of the year it is paid), and so are the discount
  rate and the escalations: year ``k`` savings are ``year_one * (1 + escalation) ** (k - 1)``.
* A replacement costs what its field says in the year it happens (not escalated).

Scenario: 5000 of capital saving a flat 1000 a year pays back in 5.0 years; at 8 % its
discounted payback is 6.65 years.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from homesim.home.finance import Finance

#: Where :func:`irr` looks for a rate [1/year]: from -99 % to +1000 % a year.
IRR_BRACKET = (-0.99, 10.0)
#: Rates :func:`irr` tests NPV's sign at, evenly spaced in ``log(1 + r)`` over the bracket.
IRR_GRID_POINTS = 2000
#: Width of the interval :func:`irr`'s bisection stops at [1/year].
IRR_TOLERANCE = 1e-12

class Capital(NamedTuple):
    """Capital cost by part [currency]."""

    pv: float
    battery: float
    inverter: float
    installation: float

    @property
    def total(self) -> float:
        """All of it [currency]."""
        return self.pv + self.battery + self.inverter + self.installation


#: The parts a purchase may buy, as :class:`Capital` and :func:`flows`' ``bought`` name them.
PARTS = ("pv", "battery", "inverter")


def parts_bought(pv_kwp: float, battery_kwh: float, inverter_kw: float) -> frozenset[str]:
    """The parts of :data:`PARTS` a purchase of these sizes buys: those above 0."""
    return frozenset(name for name, size in zip(PARTS, (pv_kwp, battery_kwh, inverter_kw)) if size > 0)


def capital_breakdown(finance: Finance, pv_kwp: float, battery_kwh: float, inverter_kw: float) -> Capital:
    """Capital cost of each part [currency].

    Parameters
    ----------
    finance : Finance
        Prices.
    pv_kwp : float
        PV array peak power [kWp].
    battery_kwh : float
        Battery nominal capacity [kWh].
    inverter_kw : float
        Inverter rated AC power [kW].

    Returns
    -------
    Capital
        ``pv = pv_per_kwp * pv_kwp``, ``battery = battery_per_kwh * battery_kwh``,
        ``inverter = inverter_per_kw * inverter_kw``, ``installation`` [currency]
        (linear prices: no source beyond the definition). The installation is the work of a
        purchase: paid once, in full, when anything is bought (a size above 0), and 0 when
        nothing is.
    """
    for name, value in (("pv_kwp", pv_kwp), ("battery_kwh", battery_kwh), ("inverter_kw", inverter_kw)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    installation = finance.installation if parts_bought(pv_kwp, battery_kwh, inverter_kw) else 0.0
    return Capital(pv=finance.pv_per_kwp * pv_kwp, battery=finance.battery_per_kwh * battery_kwh,
                   inverter=finance.inverter_per_kw * inverter_kw, installation=installation)


def capital_cost(finance: Finance, pv_kwp: float, battery_kwh: float, inverter_kw: float) -> float:
    """Total capital cost [currency]: the sum of :func:`capital_breakdown`'s parts.

    ``pv_per_kwp * pv_kwp + battery_per_kwh * battery_kwh + inverter_per_kw * inverter_kw
    + installation`` (the installation only when something is bought), with ``pv_kwp`` [kWp], ``battery_kwh`` [kWh], ``inverter_kw`` [kW].
    """
    return capital_breakdown(finance, pv_kwp, battery_kwh, inverter_kw).total


def annuity_payment(principal: float, rate: float, years: int) -> float:
    """Equal end-of-year payment that repays a loan in ``years`` [currency/year].

    ``P r / (1 - (1 + r) ** -n)`` (``P / n`` at ``r = 0``): the present value of ``n``
    payments at rate ``r`` equals the principal ``P`` (standard annuity formula, e.g.
    Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2).

    Parameters
    ----------
    principal : float
        Amount borrowed [currency].
    rate : float
        Interest rate [1/year].
    years : int
        Number of payments [year].
    """
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    if rate == 0:
        return principal / years
    return principal * rate / (1.0 - (1.0 + rate) ** -years)


def _per_year(name: str, value: float | ArrayLike, years: int, escalation: float) -> np.ndarray:
    """Years 1..N of an amount: a year-one scalar escalated, or N values used as given."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        out = float(array) * (1.0 + escalation) ** np.arange(years)
    elif array.shape == (years,):
        out = array.copy()
    else:
        raise ValueError(f"{name} must be a number (year one) or {years} yearly values "
                         f"(analysis_years), got shape {array.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must be finite")
    return out


def _replacements(years: int, every: int | None, cost: float) -> np.ndarray:
    """Years 1..N of a part replaced every ``every`` years at ``cost`` [currency]."""
    out = np.zeros(years)
    if every is not None and cost:
        out[every - 1::every] = cost
    return out


@dataclass(frozen=True)
class Flows:
    """The yearly parts of a plan's cash flow, years 0..N [currency]; costs are positive."""

    savings: np.ndarray  # import bill avoided
    export_revenue: np.ndarray  # paid for energy exported
    capital: np.ndarray  # capital or deposit, year 0 only
    maintenance: np.ndarray
    replacements: np.ndarray
    loan_payment: np.ndarray

    @property
    def net(self) -> np.ndarray:
        """Net cash flow [currency]: income minus costs."""
        return self.savings + self.export_revenue - self.capital - self.maintenance - self.replacements \
            - self.loan_payment

    @property
    def costs(self) -> np.ndarray:
        """What the owner pays each year [currency]."""
        return self.capital + self.maintenance + self.replacements + self.loan_payment


def flows(finance: Finance, savings: float | ArrayLike, capital: Capital | float,
          export_revenue: float | ArrayLike = 0.0, bought: Iterable[str] | None = None) -> Flows:
    """The parts of the cash flow, years 0..N (N = ``analysis_years``) [currency].

    Parameters
    ----------
    finance : Finance
        Costs, escalations, replacements, loan.
    savings : float or array_like
        Import bill avoided: a number is year one's, escalated by ``import_escalation``
        (``s_k = s_1 (1 + e) ** (k - 1)``); N numbers are years 1..N as given (nominal: from
        the yearly simulations, with ageing) [currency/year].
    capital : Capital or float
        What the purchase costs [currency]. A plain total cannot price replacements whose
        cost defaults to a part's capital cost: give a :class:`Capital` then, or the cost.
    export_revenue : float or array_like
        Paid for exported energy, like ``savings`` but escalated by ``export_escalation``
        [currency/year].
    bought : iterable of str, optional
        The parts the purchase buys (of :data:`PARTS`; :func:`parts_bought`). Maintenance is
        paid only when something is bought, and a part is replaced only when it is bought (a
        part already there is the baseline's, replaced whether or not this purchase is made).
        None: every part (a purchase of unknown sizes).

    Returns
    -------
    Flows
        Year 0: the capital, or the loan's deposit. Years 1..N: savings, export revenue,
        maintenance (``m_k = m_1 (1 + e_m) ** (k - 1)``), replacements in their years, and
        the loan's annuity payments (:func:`annuity_payment`) in years 1..term.
    """
    n = finance.analysis_years
    parts = capital if isinstance(capital, Capital) else None
    total = parts.total if parts is not None else float(capital)
    if not (math.isfinite(total) and total >= 0):
        raise ValueError(f"capital must be a finite number >= 0, got {total}")

    def replacement_cost(part: str, year: int | None, cost: float | None) -> float:
        if year is None or year > n or cost is not None:
            return cost or 0.0
        if parts is None:
            raise ValueError(f"{part}_replacement_cost is empty (= the {part}'s capital cost) but capital "
                             f"was given as a total: give a Capital (capital_breakdown) or the cost")
        return getattr(parts, part)

    bought = frozenset(PARTS if bought is None else bought)
    unknown = bought - set(PARTS)
    if unknown:
        raise ValueError(f"bought: {', '.join(sorted(unknown))} is not a part; parts: {', '.join(PARTS)}")
    zero = np.zeros(n + 1)
    paid_now = total
    loan_payment = zero.copy()
    if finance.loan is not None:
        paid_now = finance.loan.deposit_for(total)
        loan_payment[1:finance.loan.term_years + 1] = annuity_payment(
            total - paid_now, finance.loan.rate, finance.loan.term_years)
    year0 = zero.copy()
    year0[0] = paid_now
    inverter = replacement_cost("inverter", finance.inverter_replacement_year, finance.inverter_replacement_cost) \
        if "inverter" in bought else 0.0
    battery = replacement_cost("battery", finance.battery_replacement_year, finance.battery_replacement_cost) \
        if "battery" in bought else 0.0
    maintenance = finance.maintenance_per_year if bought else 0.0
    return Flows(
        savings=np.concatenate(([0.0], _per_year("savings", savings, n, finance.import_escalation))),
        export_revenue=np.concatenate(
            ([0.0], _per_year("export_revenue", export_revenue, n, finance.export_escalation))),
        capital=year0,
        maintenance=np.concatenate(([0.0], maintenance * (1.0 + finance.maintenance_escalation) ** np.arange(n))),
        replacements=np.concatenate(([0.0], _replacements(n, finance.inverter_replacement_year, inverter)
                                     + _replacements(n, finance.battery_replacement_year, battery))),
        loan_payment=loan_payment,
    )


def cash_flows(finance: Finance, savings: float | ArrayLike, capital: Capital | float,
               export_revenue: float | ArrayLike = 0.0) -> np.ndarray:
    """Net cash flow, years 0..N, length ``analysis_years + 1`` [currency].

    ``f_0 = -(capital or deposit)``; ``f_k = s_k + x_k - m_k - r_k - l_k`` for k = 1..N:
    savings, export revenue, maintenance, replacements, loan payment. See :func:`flows`
    for the parameters and each part.
    """
    return flows(finance, savings, capital, export_revenue).net


def _as_flows(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"flows must be a non-empty 1-D sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("flows must be finite")
    return array


def _discount_factors(rate: float, count: int) -> np.ndarray:
    if not rate > -1.0:
        raise ValueError(f"rate must be > -1, got {rate}")
    return (1.0 + rate) ** -np.arange(count, dtype=float)


def npv(rate: float, flows: ArrayLike) -> float:
    """Net present value [currency].

    ``NPV = sum_t f_t / (1 + r) ** t`` for t = 0..N: the first flow is at t = 0 and is not
    discounted (numpy-financial's ``npv`` and SAM's convention alike).

    Parameters
    ----------
    rate : float
        Discount rate [1/year].
    flows : array_like
        Cash flows, years 0..N [currency].
    """
    values = _as_flows(flows)
    return float(values @ _discount_factors(rate, values.size))


def irr(flows: ArrayLike) -> float | None:
    """Internal rate of return [1/year]: the rate at which :func:`npv` is zero, None if there is none.

    A bracketing root finder: NPV's sign on a grid of :data:`IRR_GRID_POINTS` rates spaced
    evenly in ``log(1 + r)`` over :data:`IRR_BRACKET` (-99 % .. 1000 %, 0 % one of them);
    every interval where the sign changes (or a grid rate where NPV is exactly 0) holds a root,
    found by bisection to :data:`IRR_TOLERANCE`. Bisection keeps a sign change inside its
    interval at every step, so it converges to a root whichever way the grid runs. Of several
    roots (flows with more than one sign change), the one nearest 0 % is returned, as
    numpy-financial's ``irr`` does (tests/test_finance.py compares them). None when NPV has the
    same sign at every grid rate, or is 0 at every rate (all flows 0): no IRR; two
    roots closer than a grid step, or a root where NPV touches 0 without changing sign, are
    not seen. Definition: e.g. Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 5.

    Parameters
    ----------
    flows : array_like
        Cash flows, years 0..N [currency].
    """
    values = _as_flows(flows)
    if not np.any(values):
        return None  # NPV is 0 at every rate: no rate is the return of nothing
    t = np.arange(values.size, dtype=float)
    last = float(values.size - 1)

    def sign_of_npv(rates: np.ndarray) -> np.ndarray:
        # NPV(r) times the positive (1 + r) ** N where r < 0: the same sign, and no power
        # above 1, so nothing overflows whatever N is.
        rates = np.asarray(rates, dtype=float)[:, None]
        exponent = np.where(rates < 0, last - t, -t)
        return np.sign((1.0 + rates) ** exponent @ values)

    low, high = IRR_BRACKET
    grid = np.expm1(np.concatenate((np.linspace(math.log1p(low), 0.0, IRR_GRID_POINTS // 4, endpoint=False),
                                    np.linspace(0.0, math.log1p(high), IRR_GRID_POINTS - IRR_GRID_POINTS // 4))))
    signs = sign_of_npv(grid)
    roots = [float(r) for r in grid[signs == 0]]
    for i in np.flatnonzero(signs[:-1] * signs[1:] < 0):
        a, b, sign_a = float(grid[i]), float(grid[i + 1]), signs[i]
        while b - a > IRR_TOLERANCE:
            mid = 0.5 * (a + b)
            sign_mid = sign_of_npv(np.array([mid]))[0]
            if sign_mid == 0:
                a = b = mid
            elif sign_mid == sign_a:
                a = mid
            else:
                b = mid
        roots.append(0.5 * (a + b))
    if not roots:
        return None
    return min(roots, key=abs)


def _payback(cumulative: np.ndarray, yearly: np.ndarray) -> float | None:
    negative = np.flatnonzero(cumulative < 0)
    if negative.size == 0:
        return 0.0
    last = int(negative[-1])
    if last == cumulative.size - 1:
        return None
    return last + float(-cumulative[last] / yearly[last + 1])


def simple_payback(flows: ArrayLike) -> float | None:
    """Years until the cumulative cash flow is >= 0 for good [year], None if never.

    With ``C_t`` the cumulative flow and ``t`` the last year it is negative, the payback is
    ``t + (-C_t) / f_(t+1)``: linear inside the year it crosses 0, as NREL SAM's Cashloan
    ``payback`` output (tests/test_finance.py compares them). 0.0 when it is never negative.

    Parameters
    ----------
    flows : array_like
        Cash flows, years 0..N [currency].
    """
    values = _as_flows(flows)
    return _payback(np.cumsum(values), values)


def discounted_payback(rate: float, flows: ArrayLike) -> float | None:
    """:func:`simple_payback` of the discounted flows ``f_t / (1 + r) ** t`` [year], None if never.

    Parameters
    ----------
    rate : float
        Discount rate [1/year].
    flows : array_like
        Cash flows, years 0..N [currency].
    """
    values = _as_flows(flows)
    discounted = values * _discount_factors(rate, values.size)
    return _payback(np.cumsum(discounted), discounted)


def lcoe(rate: float, costs_per_year: ArrayLike, energy_kwh_per_year: ArrayLike) -> float:
    """Levelized cost of energy [currency/kWh].

    ``LCOE = sum_t c_t / (1 + r) ** t  /  sum_t E_t / (1 + r) ** t`` over years t = 0..N:
    the discounted costs over the discounted energy (NREL, "Simple Levelized Cost of Energy
    (LCOE) Calculator Documentation",
    https://www.nrel.gov/analysis/tech-lcoe-documentation.html, whose capital recovery
    factor form is this sum with constant yearly energy and costs).

    Parameters
    ----------
    rate : float
        Discount rate [1/year].
    costs_per_year : array_like
        Costs paid, years 0..N (capital in year 0) [currency].
    energy_kwh_per_year : array_like
        Energy delivered, years 0..N (usually 0 in year 0), same length [kWh].
    """
    costs = _as_flows(costs_per_year)
    energy = _as_flows(energy_kwh_per_year)
    if costs.shape != energy.shape:
        raise ValueError(f"costs ({costs.size} years) and energy ({energy.size} years) differ in length")
    factors = _discount_factors(rate, costs.size)
    discounted_energy = float(energy @ factors)
    if discounted_energy <= 0:
        raise ValueError("energy_kwh_per_year must add up to more than 0 kWh")
    return float(costs @ factors) / discounted_energy


def cost_per_outage_hour_avoided(extra_cost: float, hours_avoided: float) -> float | None:
    """What each hour without power avoided costs [currency/h], None when none is avoided.

    ``extra_cost / hours_avoided``: e.g. the battery's share of the capital (or the
    difference of two plans' NPVs) over the outage hours it bridged. A negative cost means
    the extra equipment pays for itself besides.

    Parameters
    ----------
    extra_cost : float
        What bridging the outages costs [currency].
    hours_avoided : float
        Hours of outage the household no longer sits through [h].
    """
    if not (math.isfinite(extra_cost) and math.isfinite(hours_avoided)):
        raise ValueError("extra_cost and hours_avoided must be finite")
    if hours_avoided <= 0:
        return None
    return extra_cost / hours_avoided


@dataclass(frozen=True)
class PlanYear:
    """One row of a plan's table [currency], costs positive."""

    year: int
    savings: float
    export_revenue: float
    capital: float
    maintenance: float
    replacements: float
    loan_payment: float
    net: float
    cumulative: float
    discounted_cumulative: float


@dataclass(frozen=True)
class Plan:
    """A purchase's yearly table and its totals."""

    capital: float  # [currency]
    discount_rate: float  # [1/year]
    years: tuple[PlanYear, ...]
    npv: float  # [currency]
    irr: float | None  # [1/year]
    simple_payback: float | None  # [year]
    discounted_payback: float | None  # [year]
    lcoe: float | None  # [currency/kWh], None without the energy

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: numbers, None, lists and dicts."""
        out = asdict(self)
        out["years"] = [asdict(row) for row in self.years]
        return out


def plan(finance: Finance, savings: float | ArrayLike, capital: Capital | float,
         export_revenue: float | ArrayLike = 0.0, energy_kwh_per_year: float | ArrayLike | None = None,
         bought: Iterable[str] | None = None) -> Plan:
    """A purchase's yearly table and totals.

    Parameters
    ----------
    finance, savings, capital, export_revenue, bought
        As for :func:`flows`.
    energy_kwh_per_year : float or array_like, optional
        Energy the system delivers, years 1..N (a number: the same every year) [kWh/year];
        gives the plan's LCOE over what the owner pays (capital or deposit, loan payments,
        maintenance, replacements). None: no LCOE.
    """
    parts = flows(finance, savings, capital, export_revenue, bought)
    net = parts.net
    rate = finance.discount_rate
    discounted = net * _discount_factors(rate, net.size)
    cumulative, discounted_cumulative = np.cumsum(net), np.cumsum(discounted)
    rows = tuple(
        PlanYear(year=t, savings=float(parts.savings[t]), export_revenue=float(parts.export_revenue[t]),
                 capital=float(parts.capital[t]), maintenance=float(parts.maintenance[t]),
                 replacements=float(parts.replacements[t]), loan_payment=float(parts.loan_payment[t]),
                 net=float(net[t]), cumulative=float(cumulative[t]),
                 discounted_cumulative=float(discounted_cumulative[t]))
        for t in range(net.size))
    levelized = None
    if energy_kwh_per_year is not None:
        energy = np.concatenate(([0.0], _per_year("energy_kwh_per_year", energy_kwh_per_year,
                                                  finance.analysis_years, 0.0)))
        levelized = lcoe(rate, parts.costs, energy)
    total = float(capital.total if isinstance(capital, Capital) else capital)
    return Plan(capital=total, discount_rate=rate, years=rows, npv=npv(rate, net), irr=irr(net),
                simple_payback=simple_payback(net), discounted_payback=discounted_payback(rate, net),
                lcoe=levelized)
