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
import dataclasses
import json
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from homesim.devices.base import BLOCK_TICKS, J_PER_KWH
from homesim.engine.compiled import CompiledHome, keep_unseeded
from homesim.engine.fastforward import step
from homesim.errors import BadInput
from homesim.home import Home, HomeFileError, describe_errors, home_from_dict, read_home_file, with_changes
from homesim.jit import njit
from homesim.planning import ageing, finance as money

#: The built-in baseline: the home on the grid alone.
GRID_ONLY = "grid_only"
#: Length of each simulated year [day].
YEAR_DAYS = 365
#: Version of plan.json's layout.
PLAN_VERSION = 1
#: Chemistries with an ageing model (the battery kind's names -> homesim.planning.ageing's).
CHEMISTRIES = {"LFP": "lfp", "NMC": "nmc"}
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


# --- one year, then a chain of years ---------------------------------------------------------

@dataclass
class Year:
    """What one simulated year gives, at that year's (first-year) prices."""

    year: int
    battery_share: float  # capacity at the start of the year over the original [-]
    battery_kwh: float  # capacity at the start of the year [kWh]
    pv_share: float  # PV output left over the rated [-]
    pv_kwh: float
    load_kwh: float
    import_kwh: float
    export_kwh: float
    import_cost: float  # [currency], first-year prices
    export_revenue: float  # [currency], first-year prices
    outage_hours: float
    unmet_hours_in_outages: float
    efc: float = 0.0  # equivalent full cycles of the battery this year [-]
    #: share left at the end of the year by each ageing model of its chemistry, driving one first [-]
    battery_share_by_model: dict[str, float] = field(default_factory=dict)


def _derated(loss: float, share: float) -> float:
    """The DC loss fraction that leaves ``share`` of what ``loss`` leaves: ``1 - (1 - loss) share``."""
    return 1.0 - (1.0 - loss) * share


def year_home(home: Home, battery_share: float, pv_share: float, home_dir: Path | None = None) -> Home:
    """The home as it is in a year: battery capacity times ``battery_share``, PV output times
    ``pv_share`` (through its DC losses)."""
    changes: dict[str, Any] = {}
    if home.battery is not None and battery_share != 1.0:
        changes[f"{home.battery.id}.capacity_kwh"] = home.battery.capacity_kwh * battery_share
    if pv_share != 1.0:
        for array in home.pv_arrays:
            changes[f"{array.id}.dc_loss_fraction"] = _derated(array.dc_loss_fraction, pv_share)
    return with_changes(home, changes, home_dir) if changes else home


def essential_load_ids(home: Home) -> list[str]:
    """The loads on the home's essential circuit (served by the inverter in outages)."""
    if home.inverter is None:
        return []
    return [load.id for load in home.loads if load.circuit == "essential"]


@njit(cache=True, nogil=True)
def _year_sums(grid_import, grid_export, pv_used, served, demand, grid_on, wanted, has_grid):
    """A year's energy sums in one pass over its ticks (integers [J], counts [ticks]): grid
    import and export of the net grid flow, PV used, load served, ticks in outages, and outage
    ticks with a ``wanted`` load (column indices) served less than it asked for."""
    import_j = 0
    export_j = 0
    pv_j = 0
    load_j = 0
    outage = 0
    unmet = 0
    for t in range(grid_import.shape[0]):
        net = grid_import[t] - grid_export[t]
        if net > 0:
            import_j += net
        else:
            export_j -= net
        for j in range(pv_used.shape[1]):
            pv_j += pv_used[t, j]
        for j in range(served.shape[1]):
            load_j += served[t, j]
        if has_grid and not grid_on[t]:
            outage += 1
            for k in range(wanted.shape[0]):
                if demand[t, wanted[k]] > served[t, wanted[k]]:
                    unmet += 1
                    break
    return import_j, export_j, pv_j, load_j, outage, unmet


def _figures(aged: Home, arrays: Any, exogenous: list[Any], dt_s: int, year: int, battery_share: float,
             pv_share: float, essential_ids: list[str] | None) -> Year:
    """A simulated year's figures from the ledger's arrays and the prices of its blocks."""
    import_cost = export_revenue = 0.0
    first = 0
    for exo in exogenous:
        part = slice(first, first + exo.grid_on.size)
        import_cost += float(arrays.grid_import[part] @ exo.import_price) / J_PER_KWH
        export_revenue += float(arrays.grid_export[part] @ exo.export_price) / J_PER_KWH
        first = part.stop
    ids = [load.id for load in aged.loads]
    wanted = essential_load_ids(aged) if essential_ids is None else essential_ids
    columns = np.array([ids.index(load_id) for load_id in wanted if load_id in ids], dtype=np.int64)
    import_j, export_j, pv_j, load_j, outage, unmet = _year_sums(
        arrays.grid_import, arrays.grid_export, arrays.pv_used, arrays.served, arrays.demand, arrays.grid_on,
        columns, aged.grid is not None)
    hours = dt_s / 3600.0
    return Year(
        year=year, battery_share=battery_share,
        battery_kwh=aged.battery.capacity_kwh if aged.battery is not None else 0.0,
        pv_share=pv_share, pv_kwh=float(pv_j) / J_PER_KWH,
        load_kwh=float(load_j) / J_PER_KWH,
        import_kwh=float(import_j) / J_PER_KWH, export_kwh=float(export_j) / J_PER_KWH,
        import_cost=import_cost, export_revenue=export_revenue,
        outage_hours=int(outage) * hours,
        unmet_hours_in_outages=int(unmet) * hours,
    )


def _exogenous(compiled: Any, total: int, cache: dict, pool: ThreadPoolExecutor | None) -> list[Any]:
    """Every exogenous block of a run, parts shared through ``cache`` (computed on the pool's threads)."""
    count = (total + BLOCK_TICKS - 1) // BLOCK_TICKS
    ticks = [min(BLOCK_TICKS, total - i * BLOCK_TICKS) for i in range(count)]
    if pool is None:
        return [compiled.exogenous(i, ticks[i], cache) for i in range(count)]
    return list(pool.map(lambda i: compiled.exogenous(i, ticks[i], cache), range(count)))


def same_every_year(home: Home) -> bool:
    """Every year of the home settles the same: nothing in it reads the weather or draws random
    numbers, and nothing ages (no PV, no battery with an ageing model): a grid-only baseline.
    One simulated year then stands for all (the calendar repeats)."""
    if home.pv_arrays or (home.battery is not None and CHEMISTRIES.get(home.battery.chemistry)):
        return False
    return not any(d.seeded() for d in home.devices if d.ROLE != "environment")


def _beside_storage_and_inverter(home: Home) -> Any:
    """A home as data without its battery and inverter: equal for two homes whose exogenous
    blocks are the same but for the inverter's program slots."""
    data = home.model_dump(mode="json")
    data["devices"] = [d for d, device in zip(data["devices"], home.devices) if device.ROLE not in ("storage", "inverter")]
    return data


def _with_own_slots(blocks: list[Any], compiled: Any) -> list[Any]:
    """Another home's exogenous blocks with this home's inverter program slot per tick."""
    return [dataclasses.replace(exo, slot_index=compiled.slot_index(exo.block)[: exo.grid_on.size]) for exo in blocks]


def run_years(homes: list[Home], years: int, battery_replacement_year: int | None = None,
              pv_rate: float = ageing.PV_RATE_PER_YEAR, dt_s: int = 60, days: float = YEAR_DAYS,
              on_year: Callable[[int], None] | None = None, home_dirs: list[Path | None] | None = None,
              essential_ids: list[str] | None = None, replace: list[bool] | None = None,
              threads: int = 2, model_range: bool = True) -> list[list[Year]]:
    """Years ``1..years`` of several homes, each year with the battery its years before left.

    The homes of a year share their exogenous work (sun, weather, each PV array, each load, the
    grid: :meth:`CompiledHome.exogenous` with one cache per year): variants that differ in
    battery or inverter settings compute it once. A battery whose chemistry has no ageing model
    (lead-acid) keeps its capacity. ``replace[i]``: home ``i``'s battery is replaced every
    ``battery_replacement_year`` years (default: every home's). ``threads``: homes settling at
    once (the compiled loop releases the GIL: one a core). ``model_range``: age each battery by
    its chemistry's other published models alongside (their spread, for a plan; the optimizer's
    ranking needs only the battery's own model).
    """
    total = int(days * 86_400 // dt_s)
    dirs = home_dirs or [None] * len(homes)
    replace = replace or [True] * len(homes)
    chemistry = [ageing.battery_model(h.battery) if h.battery is not None else None for h in homes]
    fades: list[ageing.Fade | None] = [None] * len(homes)
    repeats = [same_every_year(h) for h in homes]
    out: list[list[Year]] = [[] for _ in homes]
    def prepare(year: int, cache: dict) -> list[Any]:
        """The first home's blocks of a year (its battery plays no part in them), filling ``cache``."""
        home = homes[0]
        pv_share = ageing.pv_degradation(year, pv_rate) if home.pv_arrays else 1.0
        compiled = CompiledHome(year_home(home, 1.0, pv_share, dirs[0]), dt_s, seed=home.seed + year - 1)
        return _exogenous(compiled, total, cache, None)

    cache: dict = {}
    # Homes that differ from the first only in battery and inverter settle on its blocks (with
    # their own program slots), and the years' ledger arrays are filled again, not reallocated.
    first_data = _beside_storage_and_inverter(homes[0])
    shares = [i == 0 or _beside_storage_and_inverter(h) == first_data for i, h in enumerate(homes)]
    spare: queue.SimpleQueue = queue.SimpleQueue()
    # Next year's sun, weather, PV and loads do not wait for this year's ageing: a thread
    # computes them while this year's homes settle (the compiled loop releases the GIL).
    threads = max(1, threads)
    with ThreadPoolExecutor(max_workers=threads) as pool, ThreadPoolExecutor(max_workers=1) as ahead:
        coming = ahead.submit(prepare, 1, cache)
        for year in range(1, years + 1):
            first_blocks = coming.result()
            year_cache = cache
            if year < years:
                cache = dict(year_cache)
                keep_unseeded(cache)  # the sun's path repeats; next year's seed is another
                coming = ahead.submit(prepare, year + 1, cache)
            pending: list[Any] = []
            for i, home in enumerate(homes):
                if year > 1 and repeats[i]:
                    out[i].append(dataclasses.replace(out[i][0], year=year))
                    continue
                share = fades[i].remaining if fades[i] is not None else 1.0
                pv_share = ageing.pv_degradation(year, pv_rate) if home.pv_arrays else 1.0
                aged = year_home(home, share, pv_share, dirs[i])
                compiled = CompiledHome(aged, dt_s, seed=home.seed + year - 1)
                if i == 0:
                    blocks = first_blocks
                elif shares[i]:
                    blocks = _with_own_slots(first_blocks, compiled)
                else:
                    blocks = _exogenous(compiled, total, year_cache, pool)
                if len(pending) >= threads:  # at most a home's blocks a thread held while they settle
                    pending.pop(0).result()
                # settle this home on a thread while the next one's blocks are assembled
                pending.append(pool.submit(_settle, compiled, blocks, total, aged, dt_s, year, share, pv_share,
                                           essential_ids, chemistry[i], fades, out, i, spare, model_range))
            first_blocks = None
            for job in pending:
                job.result()
            for i in range(len(homes)):
                if battery_replacement_year and replace[i] and year % battery_replacement_year == 0:
                    fades[i] = None  # a new battery from next year
            if on_year is not None:
                on_year(year)
    return out


def _settle(compiled: Any, blocks: list[Any], total: int, aged: Home, dt_s: int, year: int, share: float,
            pv_share: float, essential_ids: list[str] | None, chemistry: str | None,
            fades: list[ageing.Fade | None], out: list[list[Year]], i: int,
            spare: queue.SimpleQueue | None = None, model_range: bool = True) -> None:
    reuse = None
    if spare is not None:
        try:
            reuse = spare.get_nowait()
        except queue.Empty:
            pass
    if reuse is not None and not reuse.fits(compiled, total):
        reuse = None
    arrays = step(compiled, blocks, total, into=reuse)
    figures = _figures(aged, arrays, blocks, dt_s, year, share, pv_share, essential_ids)
    if chemistry is not None:
        previous = fades[i]
        fades[i] = ageing.capacity_fade(chemistry, arrays.soc, dt_s, start_fade=previous if previous is not None else 0.0,
                                        others=model_range)  # the chemistry's other models alongside, for their range
        figures.efc = fades[i].efc
        figures.battery_share_by_model = fades[i].remaining_by_model
    out[i].append(figures)  # each home's list is appended by one thread a year, years in order
    if spare is not None:
        spare.put(arrays)  # read no more: the next home's settlement fills them again


def simulate_year(home: Home, year: int, battery_share: float, pv_share: float, dt_s: int = 60,
                  days: float = YEAR_DAYS, home_dir: Path | None = None,
                  essential_ids: list[str] | None = None) -> tuple[Year, np.ndarray | None]:
    """Simulate year ``year`` (1-based) of a home with its battery at ``battery_share`` of its
    capacity and its PV at ``pv_share`` of its output; its figures and the battery's SoC per tick.

    ``essential_ids``: the loads whose hours without power in outages are counted (default:
    the home's essential circuit). A plan counts the same loads in the home and its baseline:
    on the grid alone they are unpowered in every outage.
    """
    aged = year_home(home, battery_share, pv_share, home_dir)
    compiled = CompiledHome(aged, dt_s, seed=home.seed + year - 1)
    total = int(days * 86_400 // dt_s)
    with ThreadPoolExecutor(max_workers=2) as pool:
        blocks = _exogenous(compiled, total, {}, pool)
    arrays = step(compiled, blocks, total)
    figures = _figures(aged, arrays, blocks, dt_s, year, battery_share, pv_share, essential_ids)
    return figures, (arrays.soc.copy() if aged.battery is not None else None)


def simulate_years(home: Home, years: int, battery_replacement_year: int | None = None,
                   pv_rate: float = ageing.PV_RATE_PER_YEAR, dt_s: int = 60, days: float = YEAR_DAYS,
                   on_year: Callable[[int], None] | None = None, home_dir: Path | None = None,
                   essential_ids: list[str] | None = None) -> list[Year]:
    """Years ``1..years`` of one home (:func:`run_years`)."""
    return run_years([home], years, battery_replacement_year, pv_rate, dt_s, days, on_year, [home_dir],
                     essential_ids)[0]


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
                    "bill": s.import_cost * imp - s.export_revenue * exp_,
                    "baseline_bill": b.import_cost * imp - b.export_revenue * exp_,
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
    savings = np.array([b.import_cost - s.import_cost for s, b in zip(system, reference)]) * growth_import
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
        out.append({"bill": s.import_cost * imp - s.export_revenue * exp_,
                    "baseline_bill": b.import_cost * imp - b.export_revenue * exp_})
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


def format_plan(result: PlanResult) -> str:
    """The plan as a person reads it."""
    t, c, cur = result.totals, result.capital, result.currency
    n = result.finance.analysis_years
    baseline = "the grid alone" if result.baseline == GRID_ONLY else result.baseline
    size = result.size
    lines = [
        f"{result.home}: {size.pv_kwp:.2f} kWp PV, {size.battery_kwh:.2f} kWh battery, {size.inverter_kw:.1f} kW "
        f"inverter, over {n} years against {baseline}",
        f"  capital            {_money(c.total, cur)}  (PV {c.pv:,.0f}, battery {c.battery:,.0f}, "
        f"inverter {c.inverter:,.0f}, installation {c.installation:,.0f})",
        f"  bills              {_money(t['bill_without'], cur)} without, {_money(t['bill_with'], cur)} with "
        f"(saved {_money(t['bill_without'] - t['bill_with'], cur)})",
        f"  payback            {_years(t['simple_payback_years'])} (discounted: {_years(t['discounted_payback_years'])})",
        f"  {'NPV at ' + format(result.finance.discount_rate, '.1%'):<19}{_money(t['npv'], cur)}",
        "  IRR                " + ("none" if t["irr"] is None else f"{t['irr']:.1%}"),
    ]
    added = [a - b for a, b in zip(asdict(result.size).values(), asdict(result.baseline_size).values())]
    if not any(a > 0 for a in added):
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
