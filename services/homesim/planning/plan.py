"""A purchase over its life: yearly simulations with ageing, then the money (``homesim plan``).

Each year of the analysis is a full year of the fast-forward engine at 60 s steps. What changes
from year to year:

* the battery's capacity: year ``k`` runs with the capacity left after years ``1..k-1``, faded
  by the SoC history each of those years simulated (:func:`homesim.planning.ageing.capacity_fade`,
  continued from the previous year's state); a battery replaced by the finance section's
  ``battery_replacement_year`` starts again at its full capacity;
* the PV output: ``dc_loss_fraction`` grows so the array delivers
  :func:`homesim.planning.ageing.pv_degradation` of its rated output (0.5 %/year);
* the weather and random loads: year ``k`` runs with seed ``home.seed + k - 1`` (a weather
  file, a typical year, repeats).

What repeats: the first year's calendar (its outages, load-shedding stages and tariff periods).
Prices escalate by the finance section's ``import_escalation`` and ``export_escalation``; every
amount is nominal (see :mod:`homesim.planning.finance`).

The baseline is the same home on the grid alone (no PV, battery or inverter), or another home
file (today's system, to price an upgrade). The capital is what the plan adds: the home's PV,
battery and inverter size minus the baseline's (never below 0), priced by the finance section.

What is bought pays for itself and nothing else: the installation (once, in full) and the
maintenance (every year) are paid only when the plan adds something (any part above 0); a part
is replaced (and its replacement paid, and in the simulation a battery renewed) only when the
plan buys it. A plan of a home against itself buys nothing: capital, savings and NPV 0, no IRR.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from homesim.errors import BadInput
from homesim.home import Home, HomeFileError, describe_errors, home_from_dict, read_home_file
from homesim.planning import ageing, finance as money
from homesim.planning.yearly import YEAR_DAYS, Year, essential_load_ids, run_years  # noqa: F401 (YEAR_DAYS: plan's default, optimize's too)

#: The built-in baseline: the home on the grid alone.
GRID_ONLY = "grid_only"
#: Version of plan.json's layout.
PLAN_VERSION = 1
#: Share of the original capacity that ends a battery's life [-] (warranty figure).
EOL_SHARE = ageing.EOL_SHARE


# --- inputs -----------------------------------------------------------------------------------

def load_finance(home_path: Path, finance_path: Path | None = None) -> tuple[money.Finance, str]:
    """The finance section of a plan and where it came from.

    Looked up in this order: ``finance_path`` (``--finance FILE``), the home file's
    ``finance:`` section, ``finance.yaml`` beside the home file. Raises :class:`HomeFileError`
    naming the field of every problem, or saying where a finance section can be given.
    """
    if finance_path is not None:
        return _finance_from(_read(finance_path), str(finance_path)), str(finance_path)
    data = read_home_file(home_path)
    if isinstance(data, dict) and data.get("finance") is not None:
        return _finance_from(data["finance"], f"{home_path}: finance"), f"{home_path} (finance:)"
    beside = Path(home_path).parent / "finance.yaml"
    if beside.exists():
        return _finance_from(_read(beside), str(beside)), str(beside)
    raise HomeFileError([
        "no finance section: give prices in the home file's 'finance:' section, in finance.yaml beside "
        "the home file, or with --finance FILE (fields: " + ", ".join(money.Finance.model_fields) + ")"],
        str(home_path))


def _read(path: Path) -> Any:
    try:
        return read_home_file(path)
    except HomeFileError as error:
        raise HomeFileError(error.problems, error.source, "finance section") from None


def _finance_from(data: Any, source: str) -> money.Finance:
    if not isinstance(data, dict):
        raise HomeFileError([f"the finance section must be a mapping of fields ({', '.join(money.Finance.model_fields)}), "
                             f"got {type(data).__name__}"], source, "finance section")
    try:
        return money.Finance.model_validate(data)
    except ValidationError as error:
        raise HomeFileError(describe_errors(error, data, money.Finance), source, "finance section") from None


def with_years(finance: money.Finance, years: int | None) -> money.Finance:
    """The finance section with ``analysis_years`` set to ``years`` (validated: the loan's term
    must fit, 1..40 years)."""
    if years is None:
        return finance

    data = finance.model_dump()
    data["analysis_years"] = years
    try:
        return money.Finance.model_validate(data)
    except ValidationError as error:
        raise BadInput("--years: " + "; ".join(describe_errors(error, data))) from None


def grid_only(home: Home, home_dir: Path | None = None) -> Home:
    """The home on the grid alone: no PV arrays, battery or inverter; loads as they are (a
    load's ``switch.min_battery_soc`` goes, there being no battery to read)."""
    data = home.model_dump(mode="json")
    drop = {"pv_array", "battery", "inverter"}
    devices = []
    for device in data["devices"]:
        if device["kind"] in drop:
            continue
        switch = device.get("switch")
        if isinstance(switch, dict) and switch.get("min_battery_soc") is not None:
            switch["min_battery_soc"] = None
        devices.append(device)
    data["devices"] = devices
    data["finance"] = None
    return home_from_dict(data, home_dir=home_dir)


@dataclass(frozen=True)
class Size:
    """What a home's system is: PV [kWp], battery [kWh], inverter [kW]."""

    pv_kwp: float
    battery_kwh: float
    inverter_kw: float


def added_size(home: Home, baseline: Home) -> Size:
    """What a plan buys: the home's size minus the baseline's, part by part, never below 0."""
    size, base = system_size(home), system_size(baseline)
    return Size(max(0.0, size.pv_kwp - base.pv_kwp), max(0.0, size.battery_kwh - base.battery_kwh),
                max(0.0, size.inverter_kw - base.inverter_kw))


def bought(home: Home, baseline: Home) -> frozenset[str]:
    """The parts a plan buys (:func:`homesim.planning.finance.parts_bought` of :func:`added_size`)."""
    added = added_size(home, baseline)
    return money.parts_bought(added.pv_kwp, added.battery_kwh, added.inverter_kw)


def check_loan(home: Home, baseline: Home, finance: money.Finance, source: str = "") -> None:
    """Refuse a loan whose deposit is more than the plan's capital, before any year runs
    (:class:`HomeFileError` naming ``loan.deposit``)."""
    if finance.loan is None or finance.loan.deposit is None:
        return
    added = added_size(home, baseline)
    capital = money.capital_cost(finance, added.pv_kwp, added.battery_kwh, added.inverter_kw)
    if finance.loan.deposit > capital:
        raise HomeFileError([f"loan.deposit: {finance.loan.deposit:g} is not allowed: must be at most the capital "
                             f"{capital:,.2f} of what {home.name!r} buys (or give loan.deposit_share)"],
                            source, "finance section")


def system_size(home: Home) -> Size:
    """The home's PV peak power, battery capacity and inverter rating (0 where absent)."""
    pv = sum(a.rated_w() for a in home.pv_arrays) / 1000.0
    battery = home.battery.capacity_kwh if home.battery is not None else 0.0
    # A PV or battery home without an inverter gets a default one; grid-only has none.
    inverter = home.inverter.rated_power_w / 1000.0 if home.inverter is not None and (pv or battery) else 0.0
    return Size(pv, battery, inverter)


# --- the plan ---------------------------------------------------------------------------------

@dataclass
class PlanResult:
    """A plan: the inputs it ran with, its per-year rows and totals (``to_dict`` is plan.json)."""

    home: str
    currency: str
    baseline: str
    finance: money.Finance
    size: Size
    baseline_size: Size
    capital: money.Capital
    system: list[Year]
    reference: list[Year]
    money: money.Plan
    totals: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per year 0..N: energy, bills with and without, the cash flow."""
        f = self.finance
        out = []
        for row in self.money.years:
            t = row.year
            line: dict[str, Any] = {"year": t}
            if t == 0:
                line.update({k: None for k in _YEAR_COLUMNS})
            else:
                s, b = self.system[t - 1], self.reference[t - 1]
                imp, exp_ = (1 + f.import_escalation) ** (t - 1), (1 + f.export_escalation) ** (t - 1)
                line.update({
                    "battery_kwh": s.battery_kwh, "battery_share": s.battery_share, "battery_cycles": s.efc,
                    "pv_share": s.pv_share, "pv_kwh": s.pv_kwh, "load_kwh": s.load_kwh,
                    "import_kwh": s.import_kwh, "export_kwh": s.export_kwh,
                    "baseline_import_kwh": b.import_kwh, "baseline_export_kwh": b.export_kwh,
                    "bill": (s.import_cost + s.fixed_charges) * imp - s.export_revenue * exp_,
                    "baseline_bill": (b.import_cost + b.fixed_charges) * imp - b.export_revenue * exp_,
                    "outage_hours": s.outage_hours,
                    "unmet_hours_in_outages": s.unmet_hours_in_outages,
                    "baseline_unmet_hours_in_outages": b.unmet_hours_in_outages,
                })
            line.update({k: v for k, v in asdict(row).items() if k != "year"})
            out.append(line)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_version": PLAN_VERSION,
            "home": self.home,
            "currency": self.currency,
            "years": self.finance.analysis_years,
            "baseline": self.baseline,
            "assumptions": ASSUMPTIONS,
            "finance": self.finance.model_dump(),
            "size": asdict(self.size),
            "baseline_size": asdict(self.baseline_size),
            "capital": {**self.capital._asdict(), "total": self.capital.total},
            "totals": self.totals,
            "rows": self.rows(),
        }


_YEAR_COLUMNS = ("battery_kwh", "battery_share", "battery_cycles", "pv_share", "pv_kwh", "load_kwh", "import_kwh",
                 "export_kwh", "baseline_import_kwh", "baseline_export_kwh", "bill", "baseline_bill",
                 "outage_hours", "unmet_hours_in_outages", "baseline_unmet_hours_in_outages")

#: What every plan assumes, written into plan.json (and the docs' guide "Planning a purchase").
ASSUMPTIONS = [
    "each year is simulated at 60 s steps; year k uses seed home.seed + k - 1 (weather, random loads)",
    "every year repeats the first year's calendar: outages, load-shedding, tariff periods",
    "battery capacity fades by its ageing model (the battery's ageing_model, else its chemistry's default; "
    "homesim.planning.ageing) from each year's simulated SoC at 25 C, the other published models of its cells alongside; "
    "the next year runs with what is left; a replaced battery starts again at full capacity",
    "PV output falls 0.5 % of its rating a year (Jordan & Kurtz 2013), through its DC losses",
    "prices escalate yearly by import_escalation and export_escalation; every amount is nominal",
    "capital prices what the plan adds over the baseline (PV kWp, battery kWh, inverter kW, never below 0) "
    "plus the installation; installation and maintenance are paid only when something is added, and a part is "
    "replaced (a battery renewed) only when the plan buys it",
]


def plan(home: Home, finance: money.Finance, baseline: Home | None = None, baseline_name: str = GRID_ONLY,
         on_progress: Callable[[int, int], None] | None = None,
         home_dir: Path | None = None, baseline_dir: Path | None = None, days: float = YEAR_DAYS) -> PlanResult:
    """Simulate the home and its baseline over ``finance.analysis_years`` and price the difference.

    Parameters
    ----------
    home : Home
        The home with the system to buy.
    finance : Finance
        Prices, escalations, replacements, loan, discount rate, years.
    baseline : Home, optional
        What the home would be without the purchase; default :func:`grid_only`.
    on_progress : callable, optional
        Called with ``(years_done, years_total)``.
    home_dir, baseline_dir : Path, optional
        Folders the home files' relative paths (schedules, profiles) are read from.
    days : float, optional
        Length of each simulated year [day] (default 365; shorter only for quick checks).
    """
    years = finance.analysis_years
    reference = baseline if baseline is not None else grid_only(home, home_dir)
    if baseline is None:
        baseline_dir = home_dir
    essential = essential_load_ids(home)  # counted in both: what the household keeps on in outages
    report = (lambda year: on_progress(year, years)) if on_progress is not None else None
    check_loan(home, reference, finance)
    # one run for both: a grid-only baseline shares the home's sun, weather, loads and grid; the
    # home's battery is renewed only if the plan buys it (else it is the baseline's, as it ages)
    system, base_years = run_years([home, reference], years, finance.battery_replacement_year, days=days,
                                   on_year=report, home_dirs=[home_dir, baseline_dir], essential_ids=essential,
                                   replace=["battery" in bought(home, reference), False])
    return price(home, finance, system, base_years, reference, baseline_name)


def price(home: Home, finance: money.Finance, system: list[Year], reference: list[Year], baseline: Home,
          baseline_name: str = GRID_ONLY) -> PlanResult:
    """The money of simulated years: savings against the baseline, capital, cash flows, totals."""
    n = finance.analysis_years
    size, base_size, added = system_size(home), system_size(baseline), added_size(home, baseline)
    capital = money.capital_breakdown(finance, added.pv_kwp, added.battery_kwh, added.inverter_kw)
    parts = money.parts_bought(added.pv_kwp, added.battery_kwh, added.inverter_kw)
    growth_import = (1 + finance.import_escalation) ** np.arange(n)
    growth_export = (1 + finance.export_escalation) ** np.arange(n)
    # the tariff's fixed charges count in the bills; with the baseline on the same grid they cancel
    savings = np.array([b.import_cost + b.fixed_charges - s.import_cost - s.fixed_charges
                        for s, b in zip(system, reference)]) * growth_import
    export = np.array([s.export_revenue - b.export_revenue for s, b in zip(system, reference)]) * growth_export
    pv_energy = np.array([s.pv_kwh for s in system])
    # the LCOE prices the PV's energy with what is bought: none when nothing is
    result = money.plan(finance, savings, capital, export, pv_energy if pv_energy.sum() > 0 and parts else None,
                        bought=parts)
    hours_without = sum(b.unmet_hours_in_outages for b in reference)
    hours_with = sum(s.unmet_hours_in_outages for s in system)
    avoided = hours_without - hours_with
    chemistry = ageing.battery_model(home.battery) if home.battery is not None else None
    end_of_life = next((s.year for s in system if s.battery_share < EOL_SHARE), None) if chemistry else None
    by_model = ageing.end_of_life_by_model([s.battery_share_by_model for s in system]) if chemistry else {}
    # each model's share at the start of each year (1 in year 1 and after a replacement)
    share_by_model: dict[str, list[float]] = {name: [] for name in (system[0].battery_share_by_model if system else {})}
    for k, year in enumerate(system):
        for name, shares in share_by_model.items():
            fresh = k == 0 or year.battery_share == 1.0
            shares.append(1.0 if fresh else float(system[k - 1].battery_share_by_model.get(name, float("nan"))))
    last_share = system[-1].battery_share if system else 1.0
    totals = {
        "capital": capital.total,
        "npv": result.npv,
        "irr": result.irr,
        "simple_payback_years": result.simple_payback,
        "discounted_payback_years": result.discounted_payback,
        "lcoe_per_kwh": result.lcoe,
        "savings": float(savings.sum() + export.sum()),
        "bill_without": float(sum(r["baseline_bill"] for r in _bills(finance, system, reference))),
        "bill_with": float(sum(r["bill"] for r in _bills(finance, system, reference))),
        "outage_hours": float(sum(s.outage_hours for s in system)),
        "unmet_hours_in_outages_without": hours_without,
        "unmet_hours_in_outages_with": hours_with,
        "outage_hours_avoided": avoided,
        "outage_coverage": _coverage(system),
        "cost_per_outage_hour_avoided": money.cost_per_outage_hour_avoided(-result.npv, avoided)
        if avoided > 0 else None,
        "battery_ageing_model": chemistry,
        "battery_share_last_year": last_share,
        "battery_end_of_life_year": end_of_life,
        "battery_end_of_life_year_by_model": by_model,
        "battery_share_by_model": share_by_model if chemistry else {},
    }
    return PlanResult(home=home.name, currency=home.currency, baseline=baseline_name, finance=finance, size=size,
                      baseline_size=base_size, capital=capital, system=system, reference=reference, money=result,
                      totals=totals)


def _coverage(years: list[Year]) -> float:
    """Share of outage hours over all years in which the essential loads were served [-]."""
    outage = sum(y.outage_hours for y in years)
    return 1.0 - sum(y.unmet_hours_in_outages for y in years) / outage if outage > 0 else 1.0


def _bills(finance: money.Finance, system: list[Year], reference: list[Year]) -> list[dict[str, float]]:
    out = []
    for t, (s, b) in enumerate(zip(system, reference)):
        imp, exp_ = (1 + finance.import_escalation) ** t, (1 + finance.export_escalation) ** t
        out.append({"bill": (s.import_cost + s.fixed_charges) * imp - s.export_revenue * exp_,
                    "baseline_bill": (b.import_cost + b.fixed_charges) * imp - b.export_revenue * exp_})
    return out


# --- output -----------------------------------------------------------------------------------

def write(result: PlanResult, out: Path) -> list[Path]:
    """plan.json, plan.csv and the plots into ``out``; the paths written."""
    from homesim import plots

    out.mkdir(parents=True, exist_ok=True)
    data = result.to_dict()
    paths = [out / "plan.json", out / "plan.csv"]
    paths[0].write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    rows = data["rows"]
    with paths[1].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    paths += plots.plan_plots(data, out)
    return paths


def _money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{currency} {value:,.0f}"


def _years(value: float | None) -> str:
    return "not within the plan" if value is None else f"{value:.1f} years"


def _fixed_line(result: PlanResult) -> list[str]:
    """A line on the tariff's fixed charges when the bills have them (none: no line)."""
    with_, without = sum(s.fixed_charges for s in result.system), sum(b.fixed_charges for b in result.reference)
    if with_ == 0 and without == 0:
        return []
    cur = result.currency
    same = abs(with_ - without) <= 1e-9 * max(abs(with_), 1.0)
    return [f"  fixed charges      {_money(without, cur)} without, {_money(with_, cur)} with at first-year prices"
            + (" (the same grid connection: they cancel in the savings)" if same else "")]


def format_plan(result: PlanResult) -> str:
    """The plan as a person reads it."""
    t, c, cur = result.totals, result.capital, result.currency
    n = result.finance.analysis_years
    baseline = "the grid alone" if result.baseline == GRID_ONLY else result.baseline
    size = result.size
    added = [a - b for a, b in zip(asdict(result.size).values(), asdict(result.baseline_size).values())]
    bought = any(a > 0 for a in added)
    payback = (f"{_years(t['simple_payback_years'])} (discounted: {_years(t['discounted_payback_years'])})"
               if bought or c.total > 0 else "none: nothing bought")
    lines = [
        f"{result.home}: {size.pv_kwp:.2f} kWp PV, {size.battery_kwh:.2f} kWh battery, {size.inverter_kw:.1f} kW "
        f"inverter, over {n} years against {baseline}",
        f"  capital            {_money(c.total, cur)}  (PV {c.pv:,.0f}, battery {c.battery:,.0f}, "
        f"inverter {c.inverter:,.0f}, installation {c.installation:,.0f})",
        f"  bills              {_money(t['bill_without'], cur)} without, {_money(t['bill_with'], cur)} with "
        f"(saved {_money(t['bill_without'] - t['bill_with'], cur)})",
        *_fixed_line(result),
        f"  payback            {payback}",
        f"  {'NPV at ' + format(result.finance.discount_rate, '.1%'):<19}{_money(t['npv'], cur)}",
        "  IRR                " + ("none" if t["irr"] is None else f"{t['irr']:.1%}"),
    ]
    if not bought:
        lines.insert(1, "  bought             nothing: no PV, battery or inverter beyond the baseline's")
    if t["lcoe_per_kwh"] is not None:
        lines.append(f"  LCOE of the PV     {cur} {t['lcoe_per_kwh']:.2f}/kWh")
    if result.size.battery_kwh > 0:
        if t["battery_ageing_model"] is None:
            lines.append("  battery            no ageing model for its chemistry: capacity held")
        else:
            eol = t["battery_end_of_life_year"]
            lines.append(f"  battery            {100 * t['battery_share_last_year']:.0f} % of its capacity in year {n}; "
                         + (f"below {EOL_SHARE:.0%} (end of life) in year {eol}" if eol
                            else f"end of life ({EOL_SHARE:.0%}) not reached"))
            lines.append(f"                     ageing model {t['battery_ageing_model']}; the published models of its "
                         f"cells: end of life in year {ageing.years_range(t['battery_end_of_life_year_by_model'], n)}")
    if t["outage_hours"] > 0:
        per_hour = t["cost_per_outage_hour_avoided"]
        lines.append(f"  outages            {t['outage_hours']:,.0f} h; essential loads unpowered "
                     f"{t['unmet_hours_in_outages_without']:,.0f} h without, {t['unmet_hours_in_outages_with']:,.0f} h with"
                     + ("" if per_hour is None else f" ({_money(per_hour, cur)} per hour avoided, net of savings)"))
    return "\n".join(lines)
