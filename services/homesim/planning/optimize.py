"""Which size and settings serve an objective best over a plan's years (``homesim optimize``).

Every candidate is a variant of the home (``--vary battery.capacity_kwh=0:20:2.5``: values
from 0 to 20 in steps of 2.5) planned over the finance section's years by :mod:`homesim.planning.plan`
against one baseline, simulated once for all candidates. Objectives: ``npv`` (highest),
``payback`` (shortest simple payback; never paying back ranks last, by NPV), ``outage_coverage``
(the largest share of outage hours with the essential loads powered; ties by NPV). Constraints:
``budget`` (capital at most) and ``min_outage_coverage``; a candidate breaking one ranks after
every one that keeps them.

Search: a space of at most ``max_evaluations`` candidates is evaluated whole (the exact answer).
A larger one is searched by SciPy's differential evolution over the value indexes
(``scipy.optimize.differential_evolution`` with ``integrality``: Storn & Price, J. Global Optim.
11 (1997) 341-359) for three quarters of ``max_evaluations``, then polished on the value grid
(the best candidate's neighbours, one step along each property, until none is better or the
budget is spent); each candidate is simulated at most once.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from homesim.engine.compare import parse_vary
from homesim.errors import BadInput
from homesim.home import Home, HomeFileError, describe_errors, with_changes
from homesim.planning import finance as money, plan, sweep
from homesim.planning import yearly

OBJECTIVES = ("npv", "payback", "outage_coverage")
#: Candidates evaluated whole when the space is this small; the search's budget otherwise.
MAX_EVALUATIONS = 60
#: Most candidates planned together (their years share sun, weather, PV and loads; a year's
#: blocks are held while they settle).
CHUNK = 200
#: Most values one --vary may give.
MAX_VALUES = 1000
#: Ranked after every feasible candidate [-]: a constraint broken.
_INFEASIBLE = 1e30


def parse_range(spec: str) -> tuple[str, list[Any]]:
    """``"battery.capacity_kwh=0:20:2.5"`` -> 0, 2.5, ..., 20; ``"pv.modules=4:12"`` -> 4..12;
    ``"key=a,b,c"`` -> the values listed (as ``homesim compare --vary``)."""
    key, sep, text = spec.partition("=")
    if ":" not in text or "," in text:
        return parse_vary(spec)
    parts = text.split(":")
    if len(parts) not in (2, 3) or not key.strip():
        raise BadInput(f"--vary {spec!r}: must be <device_id>.<property>=<start>:<end>[:<step>] or =<v1>,<v2>,...")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise BadInput(f"--vary {spec!r}: start, end and step must be numbers") from None
    if not all(math.isfinite(n) for n in numbers):
        raise BadInput(f"--vary {spec!r}: start, end and step must be finite numbers")
    start, end = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1.0
    if step <= 0:
        raise BadInput(f"--vary {spec!r}: step {parts[2]} is not allowed: must be > 0")
    if end < start:
        raise BadInput(f"--vary {spec!r}: end {parts[1]} is not allowed: must be >= the start {parts[0]}")
    count = int(math.floor((end - start) / step + 1e-9)) + 1
    if count > MAX_VALUES:
        raise BadInput(f"--vary {spec!r}: {count} values is not allowed: must be <= {MAX_VALUES}")
    integers = all(float(n).is_integer() for n in numbers)
    values = [start + k * step for k in range(count)]
    values = [int(round(v)) if integers else round(v, 10) for v in values]
    return key.strip(), values


def rank(row: dict[str, Any], objective: str, budget: float | None = None,
         min_outage_coverage: float | None = None) -> tuple[bool, float, float]:
    """A candidate's place: lower is better. Candidates breaking a constraint come after every
    one keeping them; then the objective; ties by the higher NPV."""
    npv = row["npv"]
    if objective == "npv":
        value = -npv
    elif objective == "payback":
        payback = row["simple_payback_years"]
        value = payback if payback is not None else math.inf
    elif objective == "outage_coverage":
        value = -row["outage_coverage"]
    else:
        raise BadInput(f"--objective {objective!r} is not allowed: must be one of {', '.join(OBJECTIVES)}")
    return (not feasible(row, budget, min_outage_coverage), value, -npv)


def score(row: dict[str, Any], objective: str, budget: float | None = None,
          min_outage_coverage: float | None = None) -> float:
    """:func:`rank` as one number, for the search (lower is better)."""
    broken, value, tie = rank(row, objective, budget, min_outage_coverage)
    if math.isinf(value):  # never pays back: after any payback, by NPV
        value = 1e9 + tie / 1e3
    elif objective == "outage_coverage":
        value = value + tie / 1e12
    return value + (_INFEASIBLE if broken else 0.0)


def feasible(row: dict[str, Any], budget: float | None, min_outage_coverage: float | None) -> bool:
    """The candidate keeps the budget and the outage coverage asked for."""
    if budget is not None and row["capital"] > budget + 1e-9:
        return False
    if min_outage_coverage is not None and row["outage_coverage"] < min_outage_coverage - 1e-12:
        return False
    return True


def _row(changes: dict[str, Any], result: plan.PlanResult) -> dict[str, Any]:
    t = result.totals
    return {**changes, "capital": t["capital"], "npv": t["npv"], "irr": t["irr"],
            "simple_payback_years": t["simple_payback_years"],
            "discounted_payback_years": t["discounted_payback_years"], "outage_coverage": t["outage_coverage"],
            "bill_with": t["bill_with"], "bill_without": t["bill_without"],
            "battery_share_last_year": t["battery_share_last_year"]}


def evaluate(home: Home, finance: money.Finance, candidates: list[dict[str, Any]], reference: list[yearly.Year],
             baseline: Home, baseline_name: str, home_dir: Path | None, days: float, threads: int = 2,
             on_year: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Plan candidates (each a dict of changes) against the baseline's simulated years; their rows.

    The candidates' years run together (:func:`homesim.planning.yearly.run_years`, settling on ``threads``
    threads): what they share of sun, weather, PV and loads is computed once a year.
    """
    variants = [with_changes(home, changes, home_dir) if changes else home for changes in candidates]
    for variant in variants:
        plan.check_loan(variant, baseline, finance)
    years = yearly.run_years(variants, finance.analysis_years, finance.battery_replacement_year, days=days,
                           home_dirs=[home_dir] * len(variants), essential_ids=yearly.essential_load_ids(home),
                           threads=threads, on_year=on_year, model_range=False,
                           replace=["battery" in plan.bought(variant, baseline) for variant in variants])
    return [_row(changes, plan.price(variant, finance, chain, reference, baseline, baseline_name))
            for changes, variant, chain in zip(candidates, variants, years)]


def optimize(home: Home, finance: money.Finance, varies: list[tuple[str, list[Any]]], objective: str = "npv",
             budget: float | None = None, min_outage_coverage: float | None = None, baseline: Home | None = None,
             baseline_name: str = plan.GRID_ONLY, home_dir: Path | None = None, workers: int | None = None,
             max_evaluations: int = MAX_EVALUATIONS, seed: int = 1, days: float = yearly.YEAR_DAYS,
             on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Search the varied values for the best plan; every candidate simulated, ranked best first.

    Parameters
    ----------
    home : Home
        The home whose properties are varied.
    finance : Finance
        Prices and years (``analysis_years``).
    varies : list of (key, values)
        ``"<device>.<property>"`` and the values it may take.
    objective : {"npv", "payback", "outage_coverage"}
        What "best" means (module doc).
    budget : float, optional
        Most capital allowed [currency].
    min_outage_coverage : float, optional
        Least share of outage hours with the essential loads powered, over all years [-].
    baseline, baseline_name, home_dir, days
        As for :func:`homesim.planning.plan.plan`.
    workers : int, optional
        Threads settling candidates (default: all cores; the compiled loop releases the GIL,
        and threads share the year's sun, weather, PV and loads where processes could not).
    max_evaluations : int
        Candidates simulated at most; a space this small is evaluated whole.
    seed : int
        Seed of the search (the same seed, the same candidates).
    on_progress : callable, optional
        ``(candidates_done, candidates_planned)``.

    Returns
    -------
    dict
        ``objective``, ``method`` ("grid" or "differential_evolution"), ``space`` (candidates in
        the space), ``evaluated``, ``rows`` (every candidate simulated, best first, each with
        ``feasible``), ``best`` (the best feasible row, or None), ``currency``, ``baseline``.
    """
    if objective not in OBJECTIVES:
        raise BadInput(f"--objective {objective!r} is not allowed: must be one of {', '.join(OBJECTIVES)}")
    if not varies:
        raise BadInput("--vary: give at least one <device_id>.<property>=<start>:<end>[:<step>]")
    keys = [k for k, _ in varies]
    values = [list(v) for _, v in varies]
    check_candidates(home, keys, values, home_dir)
    space = math.prod(len(v) for v in values)
    reference_home = baseline if baseline is not None else plan.grid_only(home, home_dir)
    check_loan(home, finance, keys, values, reference_home, home_dir)
    base_dir = home_dir
    workers = max(1, workers or os.cpu_count() or 1)
    essential = yearly.essential_load_ids(home)
    reference = yearly.simulate_years(reference_home, finance.analysis_years, None, home_dir=base_dir,
                                    essential_ids=essential, days=days)
    done: dict[tuple[int, ...], dict[str, Any]] = {}
    planned = min(space, max_evaluations)

    def run(indexes: list[tuple[int, ...]]) -> None:
        fresh = [i for i in dict.fromkeys(indexes) if i not in done]
        for k in range(0, len(fresh), CHUNK):  # each chunk's years run together
            chunk = fresh[k:k + CHUNK]
            before = len(done)

            def on_year(year: int, before: int = before, size: int = len(chunk)) -> None:
                if on_progress is not None:
                    on_progress(min(before + (size * year) // finance.analysis_years, planned), planned)

            rows = evaluate(home, finance, [dict(zip(keys, (values[d][j] for d, j in enumerate(i)))) for i in chunk],
                            reference, reference_home, baseline_name, home_dir, days, workers, on_year)
            for i, row in zip(chunk, rows):
                row["feasible"] = feasible(row, budget, min_outage_coverage)
                done[i] = row
            if on_progress is not None:
                on_progress(min(len(done), planned), planned)

    if space <= max_evaluations:
        method = "grid"
        run(list(itertools.product(*[range(len(v)) for v in values])))
    else:
        method = "differential_evolution"
        _evolve(values, run, objective, budget, min_outage_coverage, max_evaluations, seed, done)
    rows = sorted(done.values(), key=lambda r: rank(r, objective, budget, min_outage_coverage))
    best = next((r for r in rows if r["feasible"]), None)
    return {"objective": objective, "method": method, "space": space, "evaluated": len(done), "rows": rows,
            "best": best, "currency": home.currency, "baseline": baseline_name, "years": finance.analysis_years,
            "varied": keys, "budget": budget, "min_outage_coverage": min_outage_coverage}


def check_candidates(home: Home, keys: list[str], values: list[list[Any]], home_dir: Path | None) -> None:
    """Every value of every key on its own must make a valid home: the errors name each bad one."""
    problems = []
    for key, options in zip(keys, values):
        for value in options:
            try:
                with_changes(home, {key: value}, home_dir)
            except HomeFileError as error:
                problems += [f"--vary {key}={value}: {p}" for p in error.problems]
    if problems:
        raise HomeFileError(problems)


#: Most varied properties whose every corner :func:`check_loan` tries (2 ** this homes).
LOAN_CORNERS = 6


def check_loan(home: Home, finance: money.Finance, keys: list[str], values: list[list[Any]], baseline: Home,
               home_dir: Path | None) -> None:
    """Refuse a loan deposit above the capital of a candidate before any year runs.

    The capital grows with each size, so the smallest is at a corner of the varied values: every
    combination of each property's first and last value is checked (with more than
    :data:`LOAN_CORNERS` properties, each property's ends with the others as in the home); a
    candidate missed here is refused when it is priced, naming the field all the same."""
    if finance.loan is None or finance.loan.deposit is None:
        return
    ends = [sorted({options[0], options[-1]}, key=str) for options in values]
    if len(keys) <= LOAN_CORNERS:
        corners = [dict(zip(keys, combo)) for combo in itertools.product(*ends)]
    else:
        corners = [{key: value} for key, options in zip(keys, ends) for value in options]
    for changes in corners:
        try:
            candidate = with_changes(home, changes, home_dir)
        except HomeFileError:
            continue  # a combination the home refuses is not a candidate (check_candidates names single values)
        try:
            plan.check_loan(candidate, baseline, finance)
        except HomeFileError as error:
            shown = ", ".join(f"{k}={v}" for k, v in changes.items())
            raise HomeFileError([f"{p} (candidate {shown})" for p in error.problems], error.source,
                                "finance section") from None


def _evolve(values: list[list[Any]], run: Callable, objective: str,
            budget: float | None, min_cov: float | None, max_evaluations: int, seed: int,
            done: dict[tuple[int, ...], dict[str, Any]]) -> None:
    """Differential evolution over the value indexes, a generation evaluated at once."""
    from scipy.optimize import differential_evolution

    dims = len(values)
    bounds = [(0, len(v) - 1) for v in values]
    evolution_budget = max(1, (3 * max_evaluations) // 4)  # the rest for the polish

    def key(x: np.ndarray) -> tuple[int, ...]:
        return tuple(int(min(max(round(float(c)), lo), hi)) for c, (lo, hi) in zip(x, bounds))

    class Generation:
        """A map for SciPy's ``workers``: one generation's candidates simulated together."""

        def __call__(self, func: Callable, xs: Any) -> list[float]:
            points = [key(np.asarray(x)) for x in xs]
            budget_left = evolution_budget - len(done)
            fresh = [p for p in dict.fromkeys(points) if p not in done][:max(0, budget_left)]
            if fresh:
                run(fresh)
            return [score(done[p], objective, budget, min_cov) if p in done else _INFEASIBLE * 10 for p in points]

    def stop(*_: Any, **__: Any) -> bool:
        return len(done) >= evolution_budget

    popsize = max(2, math.ceil(min(15 * dims, max_evaluations / 4) / dims))
    differential_evolution(lambda x: 0.0, bounds, integrality=[True] * dims, popsize=popsize, maxiter=1000,
                           init="sobol" if dims > 1 else "latinhypercube", seed=seed, polish=False, tol=0.0,
                           updating="deferred", workers=Generation(), callback=stop)
    # Polish on the value grid: the best point's neighbours (one step along each property) until
    # none is better. Evolution alone rarely lands on an optimum in a corner of the space.
    best = min(done, key=lambda p: score(done[p], objective, budget, min_cov))
    while len(done) < max_evaluations:
        near = []
        for d, (lo, hi) in enumerate(bounds):
            for step in (-1, 1):
                if lo <= best[d] + step <= hi:
                    point = best[:d] + (best[d] + step,) + best[d + 1:]
                    if point not in done:
                        near.append(point)
        if not near:
            break
        run(near[:max_evaluations - len(done)])
        moved = min(done, key=lambda p: score(done[p], objective, budget, min_cov))
        if moved == best:
            break
        best = moved


def format_rows(result: dict[str, Any], top: int = 5) -> str:
    """The best ``top`` candidates as a table."""
    cur = result["currency"]
    keys = result["varied"]
    head = keys + ["capital", "NPV", "payback", "outage coverage", "feasible"]
    lines = []
    for row in result["rows"][:top]:
        payback = row["simple_payback_years"]
        lines.append([str(row[k]) for k in keys] + [
            f"{cur} {row['capital']:,.0f}", f"{cur} {row['npv']:,.0f}",
            "never" if payback is None else f"{payback:.1f} y", f"{row['outage_coverage']:.1%}",
            "yes" if row["feasible"] else "no"])
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(out)


def plot(result: dict[str, Any], path: Path) -> Path:
    """NPV of every candidate against its capital, the best marked; PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    cur = result["currency"]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ok = [r for r in rows if r["feasible"]]
    bad = [r for r in rows if not r["feasible"]]
    ax.scatter([r["capital"] for r in ok], [r["npv"] for r in ok], s=18, color="#2a9d8f", label="candidates")
    if bad:
        ax.scatter([r["capital"] for r in bad], [r["npv"] for r in bad], s=18, color="#bbbbbb",
                   label="breaks budget or outage coverage")
    if len(result["varied"]) == 1 and len(rows) <= 40:  # one property: each point says its value
        key = result["varied"][0]
        for r in rows:
            ax.annotate(f"{r[key]}", (r["capital"], r["npv"]), xytext=(4, 4), textcoords="offset points", fontsize=7)
        ax.set_xlabel(f"capital [{cur}] (points labelled {key})")
    best = result["best"]
    if best is not None:
        label = ", ".join(f"{k}={best[k]}" for k in result["varied"])
        ax.scatter([best["capital"]], [best["npv"]], s=120, facecolors="none", edgecolors="#b71c1c", linewidths=2,
                   label=f"best by {result['objective']}: {label}")
    if result.get("budget") is not None:
        ax.axvline(result["budget"], color="#b71c1c", linestyle=":", linewidth=1, label="budget")
    ax.axhline(0, color="black", linewidth=0.8)
    if len(result["varied"]) != 1 or len(rows) > 40:
        ax.set_xlabel(f"capital [{cur}]")
    ax.set_ylabel(f"NPV over {result['years']} years [{cur}]")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(f"{result['evaluated']} of {result['space']} candidates ({result['method'].replace('_', ' ')})")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# --- on Kubernetes: the candidates as a sweep of kind "plan" (homesim.planning.sweep) ------------------------

#: A sweep's options of kind "plan" and what each must be.
PLAN_OPTIONS = ("finance", "baseline", "days", "objective", "budget", "min_outage_coverage")
_BASELINES: dict[str, list[yearly.Year]] = {}


def plan_options(finance: money.Finance, objective: str, budget: float | None, min_outage_coverage: float | None,
                 days: float = yearly.YEAR_DAYS) -> dict[str, Any]:
    """The options of a ``plan`` sweep, as stored (the baseline is the grid alone)."""
    return {"finance": finance.model_dump(mode="json"), "baseline": plan.GRID_ONLY, "days": days,
            "objective": objective, "budget": budget, "min_outage_coverage": min_outage_coverage}


def _check_plan_options(options: dict[str, Any]) -> list[str]:

    problems = [f"options.{k}: unknown option; allowed: {', '.join(PLAN_OPTIONS)}" for k in options
                if k not in PLAN_OPTIONS]
    try:
        money.Finance.model_validate(options.get("finance"))
    except ValidationError as error:
        problems += [f"options.finance.{p}" for p in describe_errors(error, options.get("finance"), money.Finance)]
    if options.get("baseline") != plan.GRID_ONLY:
        problems.append(f"options.baseline: {options.get('baseline')!r} is not allowed: must be {plan.GRID_ONLY!r}")
    days = options.get("days")
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not (math.isfinite(days) and 0 < days <= 366):
        problems.append(f"options.days: {days!r} is not allowed: must be a number of days in 0 < days <= 366")
    if options.get("objective") not in OBJECTIVES:
        problems.append(f"options.objective: {options.get('objective')!r} is not allowed: must be one of "
                        f"{', '.join(OBJECTIVES)}")
    for key, high in (("budget", 1e12), ("min_outage_coverage", 1.0)):
        value = options.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= high):
            problems.append(f"options.{key}: {value!r} is not allowed: must be a number 0..{high:g} or null")
    return problems


def evaluate_plan(home: Home, changes: dict[str, Any], options: dict[str, Any], home_dir: Path) -> dict[str, Any]:
    """One candidate's row, as :func:`optimize` makes it, against the grid-only baseline (its
    years simulated once per process)."""
    finance = money.Finance.model_validate(options["finance"])
    key = f"{home.model_dump_json()}|{finance.analysis_years}|{options['days']}"
    baseline = plan.grid_only(home, home_dir)
    if key not in _BASELINES:
        _BASELINES.clear()
        _BASELINES[key] = yearly.simulate_years(baseline, finance.analysis_years, None, home_dir=home_dir,
                                              essential_ids=yearly.essential_load_ids(home), days=options["days"])
    row = evaluate(home, finance, [changes], _BASELINES[key], baseline, plan.GRID_ONLY, home_dir, options["days"])[0]
    row["feasible"] = feasible(row, options.get("budget"), options.get("min_outage_coverage"))
    return row


def ranked(rows: list[dict[str, Any]], options: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan sweep's rows, best first by its objective and constraints."""
    return sorted(rows, key=lambda r: rank(r, options["objective"], options.get("budget"),
                                            options.get("min_outage_coverage")))


def _register() -> None:
    sweep.register("plan", evaluate_plan, _check_plan_options,
                   ("capital", "npv", "irr", "simple_payback_years", "discounted_payback_years", "outage_coverage",
                    "bill_with", "bill_without", "battery_share_last_year", "feasible"))


_register()
