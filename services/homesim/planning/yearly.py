"""The home's years, one after the other: each a full year of the fast-forward engine with the
battery faded by the years before it and the PV degraded (:func:`simulate_years`), or many homes'
years settled together (:func:`run_years`, for ``homesim optimize``). What a year yields is a
:class:`Year`: its energy, bill inputs, outage coverage and battery state; pricing them is
:mod:`homesim.planning.plan`'s.
"""

from __future__ import annotations

import dataclasses
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from homesim.devices.base import BLOCK_TICKS, J_PER_KWH
from homesim.engine.compiled import CompiledHome, keep_unseeded
from homesim.engine.fastforward import step
from homesim.home import Home, with_changes
from homesim.jit import njit
from homesim.planning import ageing
from homesim.tariffs.bill import bill, fixed_charges

#: Length of each simulated year [day].
YEAR_DAYS = 365
#: Chemistries with an ageing model (the battery kind's names -> homesim.planning.ageing's).
CHEMISTRIES = {"LFP": "lfp", "NMC": "nmc"}



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
    import_cost: float  # energy charges [currency], first-year prices (blocks applied: homesim.tariffs.bill)
    export_revenue: float  # export credit [currency], first-year prices
    outage_hours: float
    unmet_hours_in_outages: float
    efc: float = 0.0  # equivalent full cycles of the battery this year [-]
    #: the tariff's fixed charges and minimum-charge top-ups [currency], first-year prices
    fixed_charges: float = 0.0
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


def _bill(aged: Home, arrays: Any, exogenous: list[Any]) -> tuple[float, float, float]:
    """A year's energy charges, export credit and fixed charges (with minimum top-ups) [currency].

    A tariff without blocks or a minimum, metered gross, bills each tick at its prices: the
    exogenous blocks' price arrays give the energy charges (as the ledger's cost); any other is
    billed by month (:func:`homesim.tariffs.bill.bill`)."""
    if aged.grid is None:
        return 0.0, 0.0, 0.0
    tariff = aged.grid.utility_tariff()
    ticks = [exo.block.unix_s[: exo.grid_on.size] for exo in exogenous]
    unix_s = np.concatenate(ticks) if ticks else np.zeros(0, dtype=np.int64)
    timezone = aged.location.timezone
    if not tariff.priced_per_tick():
        got = bill(tariff, unix_s, arrays.grid_import, arrays.grid_export, timezone)
        return got.energy, got.export_credit, got.fixed + got.minimum_topup
    import_cost = export_revenue = 0.0
    first = 0
    for exo in exogenous:
        part = slice(first, first + exo.grid_on.size)
        import_cost += float(arrays.grid_import[part] @ exo.import_price) / J_PER_KWH
        export_revenue += float(arrays.grid_export[part] @ exo.export_price) / J_PER_KWH
        first = part.stop
    return import_cost, export_revenue, fixed_charges(tariff, unix_s, timezone)


def _figures(aged: Home, arrays: Any, exogenous: list[Any], dt_s: int, year: int, battery_share: float,
             pv_share: float, essential_ids: list[str] | None) -> Year:
    """A simulated year's figures from the ledger's arrays and the prices of its blocks."""
    import_cost, export_revenue, fixed = _bill(aged, arrays, exogenous)
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
        import_cost=import_cost, export_revenue=export_revenue, fixed_charges=fixed,
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
