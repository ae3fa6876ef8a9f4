"""Raw series cleaned and put on the regular grid, every change reported (issue 26).

Per series, in order: rows without a readable time dropped; out-of-order rows sorted;
duplicate times kept once (the last); SoC in % or as a fraction checked against its values;
powers: a kW/W mistake found and fixed (the whole column, or days of it that are a thousand
times off the rest), spikes (above a physical bound, or an order of magnitude above both
neighbours and five times the series' 99th percentile) dropped; energy counters: a negative
step is a reset (or a wrap) and counts from zero again. Then each series is integrated onto the
grid: a power's mean over each interval (a sample holds until the next one, up to the gap
limit), a counter's difference across each interval, SoC at each interval's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from homesim.history.layouts import Raw
from homesim.history.mapping import UNITS
from homesim.history.series import Problem, Quality

#: Default physical bound of a home's power [W] (a mapping's max_w overrides it).
MAX_W = 100_000.0
#: A state (HA history) holds at most this long before it counts as a gap [s]: HA writes a row
#: only when a value changes (an export that stays 0 for days), and its gaps are unavailable rows.
STATE_HOLD_S = 7 * 86400.0
EXAMPLES = 5


def report(quality: Quality, kind: str, quantity: str | None, count: int, detail: str,
           examples: list[str] | None = None) -> None:
    """Add to the problem of this kind and quantity (or start it)."""
    if count <= 0:
        return
    for problem in quality.problems:
        if problem.kind == kind and problem.quantity == quantity and problem.detail == detail:
            problem.count += count
            problem.examples.extend((examples or [])[:EXAMPLES - len(problem.examples)])
            return
    quality.problems.append(Problem(kind, quantity, count, detail, list((examples or [])[:EXAMPLES])))


@dataclass
class Clean:
    """A series ready for the grid: SI values (W, J cumulative, or 0..1) at sorted times."""

    target: str         # pv_w, load_w, grid_import_w, grid_export_w, grid, battery_w, soc
    kind: str           # power, energy, soc
    times: np.ndarray   # [s]
    values: np.ndarray
    hold: str
    span_s: float       # a sample's own interval [s]
    limit_s: float      # the longest hold before it is a gap [s]


def _where(raw: Raw, positions: np.ndarray, values: np.ndarray | None = None) -> list[str]:
    vals = raw.values if values is None else values
    return [f"{raw.file} row {int(raw.rows[i])} column {raw.source.name!r}: {vals[i]:g}" for i in positions[:EXAMPLES]]


def clean(raw: Raw, quality: Quality, gap_s: float | None, max_w: float | None) -> Clean:
    """Clean one raw series (see the module docstring), reporting each change in ``quality``."""
    source, q = raw.source, raw.source.target
    times, values, rows = raw.times, raw.values, raw.rows
    report(quality, "unavailable", q, raw.unavailable, "state unavailable/unknown: a gap", raw.unavailable_examples)
    report(quality, "text", q, raw.text, "text in a numeric column: read as missing", raw.text_examples)
    bad_time = ~np.isfinite(times)
    if bad_time.any():
        report(quality, "bad_time", q, int(bad_time.sum()), "a row whose time can't be read: dropped",
               [f"{raw.file} row {r}: {v}" for r, v in zip(raw.parsed.bad_rows, raw.parsed.bad_values)]
               if raw.parsed else [])
        keep = ~bad_time
        times, values, rows = times[keep], values[keep], rows[keep]
    back = np.flatnonzero(np.diff(times) < 0)
    if len(back):
        report(quality, "out_of_order", q, len(back), "rows earlier than the row before: sorted",
               [f"{raw.file} row {int(rows[i + 1])}" for i in back[:EXAMPLES]])
        order = np.argsort(times, kind="stable")
        times, values, rows = times[order], values[order], rows[order]
    dup = np.flatnonzero(np.diff(times) == 0)
    if len(dup):
        report(quality, "duplicate", q, len(dup), "rows with the same time: the last kept",
               [f"{raw.file} row {int(rows[i + 1])}" for i in dup[:EXAMPLES]])
        keep = np.ones(len(times), bool)
        keep[dup] = False
        times, values, rows = times[keep], values[keep], rows[keep]
    raw = Raw(source, raw.file, raw.layout, times, values, rows, raw.hold, raw.unit_from)
    spacing = np.diff(times)
    span = float(np.median(spacing)) if len(spacing) else 60.0
    if raw.hold == "state":
        limit = gap_s or STATE_HOLD_S
    else:
        limit = gap_s or max(5.0 * span, 900.0)
    if raw.unit_from == "guess" and source.kind != "soc":
        quality.notes.append(f"{raw.file}: {source.name!r}: no unit stated: read as {source.unit} "
                             f"({source.kind}), checked against the values")
    if source.kind == "soc":
        values = _soc(raw, quality)
    elif source.kind == "energy":
        values = _counter(raw, quality)
    else:
        values = _power(raw, quality, max_w if source.max_w is None else source.max_w)
    return Clean(q, source.kind, times, values, raw.hold, span, limit)


def _soc(raw: Raw, quality: Quality) -> np.ndarray:
    v = raw.values
    finite = v[np.isfinite(v)]
    top = float(np.max(finite)) if len(finite) else 0.0
    stated = raw.source.unit
    if stated is None:
        stated = "%" if top > 1.5 else "fraction"
        quality.notes.append(f"{raw.file}: {raw.source.name!r}: no SoC unit stated: read as "
                             f"{'%' if stated == '%' else 'a fraction'} (values up to {top:g})")
    elif stated == "fraction" and top > 1.5:
        report(quality, "unit", "soc", len(finite), f"SoC stated as a fraction but up to {top:g}: read as %")
        stated = "%"
    elif stated == "%" and 0 < top <= 1.0:
        report(quality, "unit", "soc", len(finite), f"SoC stated in % but never above {top:g}: read as a fraction")
        stated = "fraction"
    out = v * (0.01 if stated == "%" else 1.0)
    bad = np.flatnonzero(np.isfinite(out) & ((out < -0.005) | (out > 1.005)))
    if len(bad):
        report(quality, "range", "soc", len(bad), "SoC outside 0..100 %: dropped", _where(raw, bad))
        out[bad] = np.nan
    return np.clip(out, 0.0, 1.0)


def _scale(unit: str | None) -> float:
    return UNITS.get((unit or "W").lower(), ("power", 1.0))[1]


def _power(raw: Raw, quality: Quality, max_w: float | None) -> np.ndarray:
    q = raw.source.target
    v = raw.values.copy()
    factor = _scale(raw.source.unit)
    _unit_blocks(raw, v, quality)
    w = v * factor
    w = _unit_whole(raw, w, quality)
    w = w * raw.source.sign
    if raw.source.sign < 0:
        report(quality, "sign", q, int(np.isfinite(w).sum()), f"{raw.source.name!r} counts the other way: negated")
    bound = max_w or MAX_W
    mag = np.abs(w)
    over = mag > bound
    typical = float(np.nanpercentile(mag, 99)) if np.isfinite(mag).any() else 0.0
    left = np.concatenate(([0.0], mag[:-1]))
    right = np.concatenate((mag[1:], [0.0]))
    near = np.fmax(np.nan_to_num(left, nan=0.0), np.nan_to_num(right, nan=0.0))
    jump = (mag > 5.0 * typical) & (mag > 10.0 * np.maximum(near, 50.0)) & (typical > 0)
    over_idx = np.flatnonzero(over)
    jump_idx = np.flatnonzero(jump & ~over)
    report(quality, "spike", q, len(over_idx), f"power above the physical bound {bound:,.0f} W: dropped",
           _where(raw, over_idx, w))
    report(quality, "spike", q, len(jump_idx), f"power over 10x both neighbours and over 5x the 99th percentile "
           f"({5 * typical:,.0f} W): dropped", _where(raw, jump_idx, w))
    w[over | jump] = np.nan
    return w


def _unit_whole(raw: Raw, w: np.ndarray, quality: Quality) -> np.ndarray:
    """A whole column whose size says kW where W was stated, or W where kW was."""
    q, name = raw.source.target, raw.source.name
    finite = np.abs(w[np.isfinite(w)])
    if not len(finite) or (finite > 1e-3).mean() < 0.2:   # mostly zero (no export, an idle battery)
        return w
    high = float(np.percentile(finite, 99))
    if high < 30.0 and float(finite.max()) < 60.0:
        report(quality, "unit", q, len(finite), f"{name!r} stated in {raw.source.unit} but its 99th percentile is "
               f"{high:.3g} W, a home's kW: multiplied by 1000")
        return w * 1000.0
    if high > 300_000.0:
        report(quality, "unit", q, len(finite), f"{name!r} stated in {raw.source.unit} but its 99th percentile is "
               f"{high:,.0f} W, a home's W read as kW: divided by 1000")
        return w / 1000.0
    return w


def _unit_blocks(raw: Raw, v: np.ndarray, quality: Quality) -> None:
    """Days of a column a thousand times off the rest (its unit switched mid-file): fixed in place."""
    if len(v) < 3 * 24 or raw.source.target not in ("pv_w", "load_w"):
        return
    day = np.floor(raw.times / 86400.0).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
    if len(starts) < 3:
        return
    ends = np.append(starts[1:], len(v))
    highs = np.array([np.nanpercentile(np.abs(v[a:b]), 95) if np.isfinite(v[a:b]).any() else np.nan
                      for a, b in zip(starts, ends)])
    counts = ends - starts
    # a day with data in part only (the file's first and last) is no measure of the others
    usable = np.isfinite(highs) & (highs > 0) & (counts >= 0.5 * np.median(counts))
    if usable.sum() < 3:
        return
    middle = float(np.median(highs[usable]))
    low = usable & (highs < middle / 50.0)
    high = usable & (highs > middle * 50.0)
    for mask, factor, words in ((low, 1000.0, "a thousandth"), (high, 0.001, "a thousand times")):
        if mask.any():
            count = 0
            for a, b in zip(starts[mask], ends[mask]):
                v[a:b] *= factor
                count += b - a
            count += _switch_edges(v, starts, ends, mask, factor)
            first = int(starts[mask][0])
            report(quality, "unit", raw.source.target, count,
                   f"{int(mask.sum())} day(s) of {raw.source.name!r} {words} the other days (a unit switched "
                   f"mid-file): scaled by {factor:g}", [f"{raw.file} row {int(raw.rows[first])} onwards"])


def _switch_edges(v: np.ndarray, starts: np.ndarray, ends: np.ndarray, mask: np.ndarray, factor: float) -> int:
    """Scale the part of the day before (after) a run of scaled days that is on the scaled side
    of a switch: the step of about ``factor`` between two non-zero neighbours. Returns how many
    samples were scaled."""
    count = 0
    edge = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    for first, last in zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1) - 1):
        for day, into in ((first - 1, True), (last + 1, False)):
            if day < 0 or day >= len(starts) or mask[day]:
                continue
            a, b = int(starts[day]), int(ends[day])
            idx = a + np.flatnonzero(np.abs(v[a:b]) > 1e-6)
            if len(idx) < 2:
                continue
            ratio = np.log10(np.abs(v[idx[1:]]) / np.abs(v[idx[:-1]]))
            # into the scaled run: the values drop by the factor; out of it, they rise by it
            want = -np.log10(factor) if into else np.log10(factor)
            hits = np.flatnonzero(np.abs(ratio - want) < 0.7)
            if not len(hits):
                continue
            if into:
                j = int(idx[hits[-1] + 1])
                v[j:b] *= factor
                count += b - j
            else:
                j = int(idx[hits[0] + 1])
                v[a:j] *= factor
                count += j - a
    return count


def _counter(raw: Raw, quality: Quality) -> np.ndarray:
    """A cumulative counter [J] with resets and wraps taken out, NaN readings dropped later."""
    v = raw.values * _scale(raw.source.unit) * raw.source.sign
    finite = np.flatnonzero(np.isfinite(v))
    out = np.full(len(v), np.nan)
    if len(finite) == 0:
        return out
    x = v[finite]
    if len(x) >= 3:
        # a single reading off the counter's path and back (a 0 at a restart, a spike): dropped,
        # else a dip would count as a reset and its way back as energy
        prev, cur, nxt = x[:-2], x[1:-1], x[2:]
        rises = np.diff(x)[np.diff(x) > 0]
        typical = float(np.percentile(rises, 99)) if len(rises) else 0.0
        dip = (cur < prev) & (nxt >= prev)
        peak = (cur > prev) & (nxt < cur) & (nxt >= prev) & (cur - prev > 10.0 * typical)
        bad = np.flatnonzero(dip | peak) + 1
        if len(bad):
            report(quality, "spike", raw.source.target, len(bad), "an energy counter reading off its path and "
                   "back at the next: dropped", [f"{raw.file} row {int(raw.rows[finite[i]])} column "
                                                 f"{raw.source.name!r}: {raw.values[finite[i]]:g}" for i in bad])
            keep = np.ones(len(x), bool)
            keep[bad] = False
            finite, x = finite[keep], x[keep]
    steps = np.diff(x)
    reset = np.flatnonzero(steps < 0)
    if len(reset):
        steps[reset] = np.maximum(x[reset + 1], 0.0)   # counting again from zero
        report(quality, "reset", raw.source.target, len(reset), "energy counter went down (a reset or wrap): "
               "counted from zero again", [f"{raw.file} row {int(raw.rows[finite[i + 1]])}: "
                                           f"{raw.values[finite[i]]:g} -> {raw.values[finite[i + 1]]:g}"
                                           for i in reset[:EXAMPLES]])
    out[finite] = np.concatenate(([0.0], np.cumsum(steps)))
    return out


def to_grid(c: Clean, start_s: int, step_s: int, n: int, end_s: float) -> np.ndarray:
    """A cleaned series on the grid ``start_s + step_s*i``, ``i < n`` (NaN where uncovered)."""
    edges = start_s + step_s * np.arange(n + 1, dtype=float)
    if c.kind == "energy" and c.hold == "state" and len(c.times):
        # a state counter holds its value until it changes (an unavailable row: unknown)
        k = np.searchsorted(c.times, edges, side="right") - 1
        kc = np.maximum(k, 0)
        at = np.where((k >= 0) & (edges - c.times[kc] <= c.limit_s), c.values[kc], np.nan)
        return np.diff(_state_counter_ramps(c.times, c.values, edges, k, at)) / step_s
    keep = np.isfinite(c.values)
    t, v = c.times[keep], c.values[keep]
    if len(t) == 0:
        return np.full(n, np.nan)
    if c.kind == "energy":   # a sample's reading is the counter at its interval's end
        return _counter_grid(t + (c.span_s if c.hold == "sample" else 0.0), v, edges, c.limit_s, step_s)
    if c.kind == "soc":
        if c.hold == "state":   # a state holds until the next row (an unavailable one: unknown)
            t, v = c.times, c.values
        shift = c.span_s if c.hold == "sample" else 0.0
        k = np.searchsorted(t + shift, edges[1:], side="right") - 1
        ok = (k >= 0) & (edges[1:] - (t[np.maximum(k, 0)] + shift) <= c.limit_s)
        return np.where(ok, v[np.maximum(k, 0)], np.nan)
    # a power: each value holds from its time to the next (a state), or over its span (a sample),
    # and never beyond the gap limit or the last sample's span
    nxt = np.minimum(_next_time(c.times, keep), end_s) if c.hold == "state" else np.append(t[1:], np.inf)
    hold = nxt - t
    hold = np.where(hold > c.limit_s, c.span_s if c.hold == "sample" else 0.0, hold)
    hold = np.minimum(hold, end_s - t)
    hold = np.maximum(hold, 0.0)
    covered_cum = np.concatenate(([0.0], np.cumsum(hold)))
    value_cum = np.concatenate(([0.0], np.cumsum(v * hold)))
    k = np.searchsorted(t, edges, side="right") - 1
    kc = np.maximum(k, 0)
    into = np.where(k >= 0, np.clip(edges - t[kc], 0.0, hold[kc]), 0.0)
    cov = np.where(k >= 0, covered_cum[kc] + into, 0.0)
    val = np.where(k >= 0, value_cum[kc] + v[kc] * into, 0.0)
    dcov = np.diff(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.diff(val) / dcov
    return np.where(dcov >= 0.5 * step_s, mean, np.nan)


def _state_counter_ramps(times: np.ndarray, values: np.ndarray, edges: np.ndarray, k: np.ndarray,
                         held: np.ndarray) -> np.ndarray:
    """A state counter's reading at each edge, its rises spread out: a counter recorded only
    when it changes (Home Assistant) shows at ``t[k+1]`` the energy of the time since its reading
    before, so the rise is spread evenly over the ``d`` seconds before ``t[k+1]``, ``d`` the
    bracket or the counter's typical time between readings (the median), whichever is shorter.
    Read as steps instead, a counter recorded every 5 minutes gave 1-minute spikes of 5x the
    power; a counter still for hours (nothing flowing) then rising puts its rise in the minutes
    before the reading, not over the hours [J]."""
    n = len(times)
    if n < 2:
        return held
    finite = np.isfinite(values)
    both = finite[1:] & finite[:-1]
    spacing = np.diff(times)[both]
    typical = float(np.median(spacing)) if len(spacing) else 0.0
    if typical <= 0.0:
        return held
    kc = np.clip(k, 0, n - 2)
    nxt = kc + 1
    d = np.minimum(times[nxt] - times[kc], typical)
    into = d - (times[nxt] - edges)
    ramp = ((k >= 0) & (k < n - 1) & finite[kc] & finite[nxt] & (into > 0.0) & (d > 0.0)
            & (values[nxt] >= values[kc]) & np.isfinite(held))
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = values[kc] + (values[nxt] - values[kc]) * into / d
    return np.where(ramp, spread, held)


def _next_time(times: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """For each kept row, the time of the next row of the series (kept or not: an unavailable
    state ends the one before it)."""
    nxt = np.append(times[1:], np.inf)
    return nxt[keep]


def _counter_grid(t: np.ndarray, e: np.ndarray, edges: np.ndarray, limit_s: float, step_s: int) -> np.ndarray:
    at = np.interp(edges, t, e, left=np.nan, right=np.nan)
    k = np.searchsorted(t, edges, side="right") - 1
    bracket = np.where((k >= 0) & (k < len(t) - 1), t[np.minimum(k + 1, len(t) - 1)] - t[np.maximum(k, 0)], 0.0)
    exact = (k >= 0) & (t[np.maximum(k, 0)] == edges)
    at = np.where(exact | (bracket <= limit_s), at, np.nan)
    return np.diff(at) / step_s


def gaps(values: dict[str, np.ndarray], step_s: int, limit_s: float, quality: Quality) -> None:
    """Report each quantity's runs of NaN: how many, and the longest."""
    for q, x in values.items():
        missing = ~np.isfinite(x)
        if not missing.any():
            continue
        edge = np.diff(np.concatenate(([0], missing.view(np.int8), [0])))
        starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        lengths = (ends - starts) * step_s
        long = lengths > limit_s
        if long.any():
            longest = int(np.argmax(lengths))
            report(quality, "gap", q, int(long.sum()),
                   f"no data for longer than {limit_s / 60:g} min: left as NaN; the longest "
                   f"{lengths[longest] / 3600:.1f} h from interval {int(starts[longest])}")
        if (~long).any():
            report(quality, "short_gap", q, int((~long).sum()),
                   f"no data for up to {limit_s / 60:g} min: left as NaN ({int(lengths[~long].sum() // step_s)} "
                   f"intervals)")
