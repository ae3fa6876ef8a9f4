"""Read a home's measured history from the files people have (issue 26).

:func:`read_history` reads one or more files of one of the layouts in
:mod:`homesim.history.layouts` (Home Assistant's history CSV and long-term statistics, a
generic wide CSV, Victron VRM's stats JSON), with a mapping (:mod:`homesim.history.mapping`)
or one guessed from names and units, cleans every series (:mod:`homesim.history.clean`) and
puts it on a regular grid: a :class:`~homesim.history.series.History` whose
:class:`~homesim.history.series.Quality` says what was read and everything done to it.

Sources of the layouts (also in ``docs/reference/history-formats.md``):
Home Assistant history: https://www.home-assistant.io/integrations/history/ ;
HA statistics CSV: https://github.com/klausj1/homeassistant-statistics (README, "File Format
Requirements"); Victron VRM API stats:
https://vrm-api-docs.victronenergy.com/#/operations/installations/idSite/stats .
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from homesim.history import layouts
from homesim.history.clean import Clean, clean, gaps, report, to_grid
from homesim.history.mapping import LAYOUTS, Mapping, load_mapping, parse_mapping
from homesim.history.series import QUANTITIES, History, HistoryError, Quality

READERS = {"ha_history": layouts.read_ha_history, "ha_statistics": layouts.read_ha_statistics,
           "wide_csv": layouts.read_wide, "vrm_stats": layouts.read_vrm}
POWERS = ("pv_w", "load_w", "grid_import_w", "grid_export_w", "battery_w")


def detect_layout(path: Path | str) -> str:
    """The layout of a history file (see :func:`homesim.history.layouts.detect_layout`)."""
    return layouts.detect_layout(path)


def guess_mapping(path: Path | str) -> dict:
    """A first draft of a file's mapping, from its layout, names and units: ``layout``,
    ``time_column`` (wide CSV), ``quantities`` (quantity -> {column or entity, unit, kind}) and
    ``available`` (every column or entity the file has). Feed it back to :func:`read_history`
    as it is, or after changing it."""
    path = Path(path)
    layout = layouts.detect_layout(path)
    out: dict = {"layout": layout}
    if layout == "vrm_stats":
        read = layouts.read_vrm(path, None, "UTC")
        out["quantities"] = {r.source.quantity: {"column": r.source.name, "unit": r.source.unit,
                                                  **({"sign": "charge_positive"} if r.source.sign < 0 else {})}
                             for r in read.series}
        out["available"] = read.columns
        return out
    head = layouts._head(path)
    frame = None
    if layout == "ha_history":
        frame = layouts._read_csv(path)
        frame.columns = [c.strip().lower() for c in frame.columns]
        names = sorted(frame["entity_id"].astype("string").str.strip().unique())
        key = "entity"
    elif layout == "ha_statistics":
        frame = pd.read_csv(path, sep=layouts._delimiter(head, path), dtype=str)
        frame.columns = [c.strip().lower() for c in frame.columns]
        names = sorted(frame["statistic_id"].str.strip().unique())
        key = "entity"
    else:
        header = layouts._header(head, path)
        tcol = layouts.time_column(header, head, path)
        out["time_column"] = tcol
        names = [h for h in header if h != tcol]
        key = "column"
    guessed = layouts.guess_sources(names)
    if frame is not None:
        _units_from_values(frame, guessed)
    out["quantities"] = {q: {key: e.pop("column"), **e} for q, e in guessed.items()}
    out["available"] = names
    return out


def _units_from_values(frame: pd.DataFrame, guessed: dict[str, dict]) -> None:
    """Home Assistant's export has no units: guess them from each entity's values (a power whose
    99th percentile is under 30 is in kW; SoC up to 1 a fraction), where the name gave none."""
    entity = frame["entity_id"].astype("string").str.strip()
    for spec in guessed.values():
        if "unit" in spec:
            continue
        values, _ = layouts.to_float(frame.loc[(entity == spec["column"]).to_numpy(), "state"])
        values = np.abs(values[np.isfinite(values)])
        if not len(values):
            continue
        if spec["kind"] == "soc":
            spec["unit"] = "fraction" if values.max() <= 1.0 else "%"
        elif spec["kind"] == "power":
            spec["unit"] = "kW" if np.percentile(values, 99) < 30.0 and (values > 1e-3).mean() > 0.2 else "W"
        else:
            spec["unit"] = "kWh"


def read_history(paths: list[Path], *, timezone: str, mapping: Path | dict | None = None, step_s: int = 60,
                 layout: str | None = None) -> History:
    """Read, clean and grid a home's history. Raises :class:`HistoryError` (naming file, row,
    column, value and what is allowed) for input it can't use; nothing is written."""
    paths = [Path(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    if not paths:
        raise HistoryError("no history file given")
    if isinstance(step_s, bool) or not isinstance(step_s, int) or not 1 <= step_s <= 86400 or 86400 % step_s:
        raise HistoryError(f"step_s {step_s!r} is not a whole number of seconds that divides a day (60, 300, 3600...)")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise HistoryError(f"timezone {timezone!r} is not an IANA time zone name (e.g. Africa/Johannesburg)") from None
    if layout is not None and layout not in LAYOUTS:
        raise HistoryError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    base = load_mapping(mapping)
    quality = Quality()
    cleaned: list[Clean] = []
    end_s = -np.inf
    for path in paths:
        found = layouts.detect_layout(path)
        lay = layout or (base.layout if base and base.layout else found)
        this = _mapping_for(path, lay, base, quality)
        try:
            read = READERS[lay](path, this, timezone)
        except HistoryError:
            raise
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, KeyError) as error:
            raise HistoryError(f"{path}: can't be read as {lay}: {str(error).strip() or type(error).__name__}; "
                               f"a {lay} file is described in docs/reference/history-formats.md") from None
        times = np.concatenate([r.times for r in read.series]) if read.series else np.empty(0)
        finite = times[np.isfinite(times)]
        if not len(finite):
            raise HistoryError(f"{path}: no row has both a readable time and a mapped quantity")
        quality.files.append({"path": str(path), "layout": lay, "rows": int(read.rows),
                              "first": _iso(finite.min()), "last": _iso(finite.max())})
        _report_times(read, timezone, quality)
        for raw in read.series:
            c = clean(raw, quality, this.gap_s, this.max_w)
            cleaned.append(c)
            ok = np.isfinite(c.values)
            if ok.any():
                last = c.times[ok][-1] + (c.span_s if c.hold == "sample" else 0.0)
                end_s = max(end_s, last if c.hold == "sample" else c.times[-1])
    return _grid(cleaned, end_s, step_s, timezone, quality)


def _mapping_for(path: Path, layout: str, base: Mapping | None, quality: Quality) -> Mapping:
    if base is not None and base.sources:
        return copy.deepcopy(base)
    if layout == "vrm_stats":
        quality.notes.append(f"{path}: VRM attribute codes mapped by default (Pdc pv, a1-a3 load, g1-g3 grid "
                             f"import positive, bp battery charge positive, bs SoC %)")
        return Mapping(layout=layout, where=str(path))
    guessed = guess_mapping(path)
    if not guessed["quantities"]:
        raise HistoryError(f"{path}: no column or entity looks like pv, load, grid, battery or soc "
                           f"({', '.join(guessed['available'][:12])}): give a mapping file")
    quality.notes.append(f"{path}: no mapping given; guessed from names and units: " + ", ".join(
        f"{q} = {next(iter(v.values()))!r}" for q, v in guessed["quantities"].items()))
    parsed = parse_mapping(guessed, f"{path} (guessed mapping)")
    if base is not None:
        parsed.time_format, parsed.timestamps, parsed.gap_s, parsed.max_w = (
            base.time_format, base.timestamps, base.gap_s, base.max_w)
    return parsed


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(float(seconds), dt_timezone.utc).isoformat().replace("+00:00", "Z")


def _report_times(read: layouts.FileRead, timezone: str, quality: Quality) -> None:
    seen: set[int] = set()
    for raw in read.series:
        p = raw.parsed
        if p is None or id(p) in seen:
            continue
        seen.add(id(p))
        if not p.naive:
            continue
        quality.notes.append(f"{read.path}: times without an offset, read as local time in {timezone}")
        report(quality, "dst", None, p.ambiguous, f"local times in the repeated autumn hour ({timezone}): the first "
               f"pass read as daylight time, the second as standard time (by file order)", [read.path])
        report(quality, "dst", None, p.nonexistent, f"local times in the skipped spring hour ({timezone}), which "
               f"no clock shows: moved forward by the gap", [read.path])


def _merge(parts: list[Clean]) -> Clean:
    """One quantity's series from several files, in time order (counters continued)."""
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=lambda c: c.times[0] if len(c.times) else np.inf)
    values, offset = [], 0.0
    for c in parts:
        v = c.values
        if c.kind == "energy":
            v = v + offset
            finite = v[np.isfinite(v)]
            offset = finite[-1] if len(finite) else offset
        values.append(v)
    t = np.concatenate([c.times for c in parts])
    v = np.concatenate(values)
    order = np.argsort(t, kind="stable")
    first = parts[0]
    return Clean(first.target, first.kind, t[order], v[order], first.hold, first.span_s,
                 max(c.limit_s for c in parts))


def _grid(cleaned: list[Clean], end_s: float, step_s: int, timezone: str, quality: Quality) -> History:
    by_target: dict[str, list[Clean]] = {}
    for c in cleaned:
        by_target.setdefault(c.target, []).append(c)
    merged = {q: _merge(parts) for q, parts in by_target.items()}
    firsts = [c.times[np.isfinite(c.values)][0] for c in merged.values() if np.isfinite(c.values).any()]
    if not firsts:
        raise HistoryError("no mapped column holds a number")
    t0 = min(firsts)
    offset = int(pd.Timestamp(t0, unit="s", tz="UTC").tz_convert(timezone).utcoffset().total_seconds())
    start_s = int(np.floor((t0 + offset) / step_s) * step_s - offset)
    n = int(np.ceil((end_s - start_s) / step_s - 1e-9))
    if n * step_s < 86400:
        raise HistoryError(f"the history covers {n * step_s / 3600:.1f} h ({_iso(start_s)} to "
                           f"{_iso(start_s + n * step_s)}): shorter than a day, too short to calibrate a home")
    values: dict[str, np.ndarray] = {}
    for q, c in merged.items():
        values[q] = to_grid(c, start_s, step_s, n, end_s)
    if "grid" in values:
        g = values.pop("grid")
        values["grid_import_w"] = np.where(np.isnan(g), np.nan, np.maximum(g, 0.0))
        values["grid_export_w"] = np.where(np.isnan(g), np.nan, np.maximum(-g, 0.0))
        quality.notes.append("grid_import_w and grid_export_w split from one signed grid power")
    _derive(values, quality)
    for q in QUANTITIES:
        values.setdefault(q, np.full(n, np.nan))
    _zeros(values, quality, start_s, n, step_s)
    limit = max((c.limit_s for c in merged.values() if c.hold == "sample"), default=900.0)
    gaps({q: values[q] for q in QUANTITIES if np.isfinite(values[q]).any()}, step_s, limit, quality)
    quality.coverage = {q: float(np.isfinite(values[q]).mean()) for q in QUANTITIES}
    return History(start_s, step_s, timezone, {q: values[q] for q in QUANTITIES}, quality)


def _derive(values: dict[str, np.ndarray], quality: Quality) -> None:
    """A quantity the balance gives when the others are there: pv + import - export + battery = load."""
    have = {q for q in POWERS if q in values and np.isfinite(values[q]).any()}
    battery = values.get("battery_w") if "battery_w" in have else None
    b = np.zeros_like(next(iter(values.values()))) if battery is None else battery
    rules = (
        ("load_w", {"pv_w", "grid_import_w", "grid_export_w"},
         lambda v: v["pv_w"] + v["grid_import_w"] - v["grid_export_w"] + b, "load = pv + import - export + battery"),
        ("pv_w", {"load_w", "grid_import_w", "grid_export_w"},
         lambda v: v["load_w"] - v["grid_import_w"] + v["grid_export_w"] - b, "pv = load - import + export - battery"),
    )
    for target, needs, rule, words in rules:
        if target not in have and needs <= have:
            x = rule(values)
            negative = np.isfinite(x) & (x < 0)
            values[target] = np.where(negative, 0.0, x)
            have.add(target)
            report(quality, "derived", target, int(np.isfinite(x).sum()),
                   f"{target} absent from the files: derived as {words}" + (" (no battery column: 0)" if battery is
                                                                             None else "")
                   + (f"; {int(negative.sum())} negative values set to 0" if negative.any() else ""))
    if {"grid_import_w", "grid_export_w"} - have and {"pv_w", "load_w"} <= have and \
            not ({"grid_import_w", "grid_export_w"} & have):
        net = values["load_w"] - values["pv_w"] - b
        values["grid_import_w"] = np.where(np.isnan(net), np.nan, np.maximum(net, 0.0))
        values["grid_export_w"] = np.where(np.isnan(net), np.nan, np.maximum(-net, 0.0))
        report(quality, "derived", "grid_import_w", int(np.isfinite(net).sum()),
               "grid absent from the files: derived as import - export = load - pv - battery")
    if have >= set(POWERS):
        residual = (values["pv_w"] + values["grid_import_w"] - values["grid_export_w"] + values["battery_w"]
                    - values["load_w"])
        if np.isfinite(residual).any():
            quality.notes.append(f"energy balance pv + import - export + battery - load: median |residual| "
                                 f"{float(np.nanmedian(np.abs(residual))):.0f} W (losses and meters that disagree)")


def _zeros(values: dict[str, np.ndarray], quality: Quality, start_s: int, n: int, step_s: int) -> None:
    present = {q: values[q][np.isfinite(values[q])] for q in POWERS if np.isfinite(values[q]).any()}
    if present and all(not x.any() for x in present.values()):
        raise HistoryError(f"every value of {', '.join(present)} is zero from {_iso(start_s)} to "
                           f"{_iso(start_s + n * step_s)} ({n * step_s / 86400:.0f} days of zeros): a logger that "
                           f"recorded nothing; nothing to calibrate")
    for q, x in present.items():
        if not x.any():
            report(quality, "zero", q, len(x), f"{q} is zero throughout (no such device, or a sensor that never "
                   f"worked)")
