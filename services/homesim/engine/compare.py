"""What-if comparison: the same home with properties varied over values, every combination
simulated on all local cores, compared in a table, a CSV and a plot."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

import yaml

from homesim.engine.fastforward import simulate
from homesim.home import Home, HomeFileError, parse_yaml, with_changes

#: Summary figures shown for each variant: (column, summary key path, label).
METRICS = (
    ("cost", ("cost",), "cost"),
    ("self_sufficiency", ("self_sufficiency",), "self-sufficiency"),
    ("unmet_hours_in_outages", ("unmet_hours_in_outages",), "unmet hours in outages"),
    ("grid_import_kwh", ("energy_kwh", "grid_import"), "grid import [kWh]"),
    ("pv_kwh", ("energy_kwh", "pv"), "PV [kWh]"),
    ("outage_coverage", ("outage_coverage",), "outage coverage"),
)


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``"battery.capacity_kwh=5,10,15"`` -> ``("battery.capacity_kwh", [5, 10, 15])``."""
    key, sep, values = spec.partition("=")
    if not sep or not key or not values:
        raise HomeFileError([f"--vary {spec!r}: must be <device_id>.<property>=<value>,<value>..."])
    parsed = []
    for text in values.split(","):
        try:
            parsed.append(parse_yaml(text.strip()))  # read as a home file reads values
        except (yaml.YAMLError, RecursionError):
            raise HomeFileError([f"--vary {spec!r}: {text.strip()!r} is not a value (a number, a word, "
                                 "true/false, or a YAML list/mapping in quotes)"]) from None
    return key.strip(), parsed


def variants(home: Home, varies: list[tuple[str, list[Any]]], home_dir: Path | None = None) -> list[tuple[dict[str, Any], Home]]:
    """Every combination of the varied values, each validated: the errors name every bad
    variant, not only the first."""
    keys = [k for k, _ in varies]
    result, problems = [], []
    for combo in itertools.product(*[v for _, v in varies]):
        changes = dict(zip(keys, combo))
        try:
            result.append((changes, with_changes(home, changes, home_dir)))
        except HomeFileError as error:
            label = ", ".join(f"{k}={v}" for k, v in changes.items())
            problems += [f"variant {label}: {p}" for p in error.problems]
    if problems:
        raise HomeFileError(problems)
    return result


def _run_one(home: Home, days: float, dt_s: int, start: dt.date | None, seed: int | None) -> dict[str, Any]:
    return simulate(home, days, dt_s, start, seed).summary()


def row(changes: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """A variant's row: its varied values, then :data:`METRICS` from its run's summary."""
    out: dict[str, Any] = dict(changes)
    for column, path, _ in METRICS:
        value: Any = summary
        for part in path:
            value = value[part]
        out[column] = value
    return out


def compare(
    home: Home,
    varies: list[tuple[str, list[Any]]],
    days: float,
    dt_s: int = 60,
    start: dt.date | None = None,
    seed: int | None = None,
    workers: int | None = None,
    home_dir: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Simulate every variant; one row per variant: the varied values then :data:`METRICS`."""
    runs = variants(home, varies, home_dir)
    workers = workers or os.cpu_count() or 1
    rows: list[dict[str, Any] | None] = [None] * len(runs)
    with ProcessPoolExecutor(max_workers=min(workers, len(runs))) as pool:
        futures = {pool.submit(_run_one, variant, days, dt_s, start, seed): i for i, (_, variant) in enumerate(runs)}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            rows[i] = row(runs[i][0], future.result())
            if on_progress is not None:
                on_progress(done, len(runs))
    return [r for r in rows if r is not None]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Rows as an aligned text table."""
    if not rows:
        return ""
    columns = list(rows[0])
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.rjust(w) for v, w in zip(values, widths))  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def plot(rows: list[dict[str, Any]], varied: list[str], path: Path, currency: str) -> Path:
    """One bar chart per metric, a bar per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["\n".join(f"{k.split('.', 1)[1]}={row[k]}" for k in varied) for row in rows]
    shown = METRICS[:4]
    fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 4.5))
    for ax, (column, _, title) in zip(axes, shown):
        values = [row[column] for row in rows]
        ax.bar(range(len(rows)), values, color="tab:blue")
        ax.set_xticks(range(len(rows)), labels, fontsize=7)
        ax.set_title(f"{title} [{currency}]" if column == "cost" else title, fontsize=10)
    fig.suptitle("what-if: " + ", ".join(varied))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
