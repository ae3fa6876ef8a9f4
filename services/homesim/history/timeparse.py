"""Timestamps of a history file to seconds since 1970 UTC, vectorised, with what was guessed said.

Accepted: ISO 8601 with an offset or ``Z`` (each row its own offset), naive local times in the
home's IANA zone (the repeated autumn hour resolved by file order: the first pass is daylight
time, the second standard; a time in the skipped spring hour, which a DST-aware clock never
shows, moved forward by the gap), and numbers (seconds or milliseconds since 1970, by size).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from homesim.echo import shown
from homesim.history.series import HistoryError


@dataclass
class Parsed:
    """Seconds since 1970 UTC [s] (float64, NaN where a row's time could not be read) and what
    the parse had to decide."""

    unix_s: np.ndarray
    naive: bool = False
    ambiguous: int = 0        # rows in a repeated autumn hour (resolved by file order)
    nonexistent: int = 0      # rows in a skipped spring hour (moved forward)
    bad_rows: list[int] = field(default_factory=list)   # positions of unreadable times
    bad_values: list[str] = field(default_factory=list)


def parse_times(values: pd.Series, timezone: str, *, where: str, column: str, time_format: str | None = None,
                first_row: int = 2, groups: np.ndarray | None = None) -> Parsed:
    """Parse a column of times. ``first_row`` is the file's row number of ``values.iloc[0]``
    (for errors); ``groups`` (an integer per row, e.g. the entity) keeps each group's repeated
    autumn hour apart. Raises :class:`HistoryError` when most of the column isn't a time."""
    if pd.api.types.is_numeric_dtype(values):
        return _numbers(values.to_numpy(dtype=float))
    if pd.api.types.is_datetime64_any_dtype(values):   # the CSV engine read them already
        return _datetimes(values, timezone, groups)
    text = values.astype("string")
    sample = text.dropna().head(200)
    if len(sample) and pd.to_numeric(sample, errors="coerce").notna().mean() > 0.9:
        return _numbers(pd.to_numeric(text, errors="coerce").to_numpy(dtype=float))
    text = text.str.strip()
    try:
        stamps = pd.to_datetime(text, format=time_format or "ISO8601", errors="coerce", utc=False)
    except (ValueError, TypeError):
        stamps = pd.to_datetime(text, format="mixed", errors="coerce", utc=False)
    if stamps.dtype == object:   # offsets that differ between rows (DST): parse each to UTC
        stamps = pd.to_datetime(text, format=time_format or "ISO8601", errors="coerce", utc=True)
    if stamps.isna().mean() > 0.5 and time_format is None:
        stamps = pd.to_datetime(text, format="mixed", errors="coerce", dayfirst=False, utc=True)
    bad = stamps.isna().to_numpy() & text.notna().to_numpy() & (text.fillna("") != "").to_numpy()
    if bad.mean() > 0.5:
        first = int(np.flatnonzero(bad)[0])
        raise HistoryError(f"{where} row {first + first_row} column {column!r}: {shown(str(text.iloc[first]))} is "
                           f"not a time; allowed: ISO 8601 ('2026-03-01T12:00:00+02:00', '...Z', or naive local "
                           f"'2026-03-01 12:00:00'), or seconds since 1970")
    parsed = Parsed(np.full(len(values), np.nan))
    bad_positions = np.flatnonzero(bad)
    parsed.bad_rows = [int(i) + first_row for i in bad_positions[:5]]
    parsed.bad_values = [str(text.iloc[i]) for i in bad_positions[:5]]
    return _seconds(stamps, timezone, parsed, groups)


def _datetimes(values: pd.Series, timezone: str, groups: np.ndarray | None) -> Parsed:
    return _seconds(values, timezone, Parsed(np.full(len(values), np.nan)), groups)


def _seconds(stamps: pd.Series, timezone: str, parsed: Parsed, groups: np.ndarray | None) -> Parsed:
    """``parsed.unix_s`` from date-times: those with an offset as they are, naive ones as local
    times in ``timezone`` (``parsed.naive`` set) [s since 1970 UTC]."""
    if getattr(stamps.dt, "tz", None) is not None:
        ns = stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]").astype("int64")
        ok = stamps.notna().to_numpy()
    else:
        parsed.naive = True
        ns, ok = _localize(stamps, timezone, parsed, groups)
    parsed.unix_s[ok] = ns[ok] / 1e9
    return parsed


def _numbers(x: np.ndarray) -> Parsed:
    finite = np.isfinite(x)
    scale = 1e-3 if finite.any() and np.nanmedian(np.abs(x[finite])) > 1e11 else 1.0
    return Parsed(np.where(finite, x * scale, np.nan))


def _localize(stamps: pd.Series, timezone: str, parsed: Parsed,
              groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Naive local times -> ns since 1970 UTC, the DST hours decided and counted."""
    ok = stamps.notna().to_numpy()
    local = stamps.to_numpy("datetime64[ns]")
    try:
        tz = pd.DatetimeIndex(local[:0]).tz_localize(timezone).tz
    except Exception:  # noqa: BLE001 - pandas raises several kinds for an unknown zone
        raise HistoryError(f"timezone {timezone!r} is not an IANA time zone name (e.g. Africa/Johannesburg)") from None
    index = pd.DatetimeIndex(local)
    std = index.tz_localize(tz, ambiguous=np.zeros(len(index), bool), nonexistent="NaT")
    dst = index.tz_localize(tz, ambiguous=np.ones(len(index), bool), nonexistent="NaT")
    std_ns = std.asi8.copy()
    dst_ns = dst.asi8
    nat = np.iinfo(np.int64).min
    nonexistent = ok & (std_ns == nat)
    ambiguous = ok & ~nonexistent & (std_ns != dst_ns)
    out = std_ns
    if ambiguous.any():
        idx = np.flatnonzero(ambiguous)
        lt = local[idx].astype("int64")
        # a run of the repeated hour per day; the second pass starts where the local time jumps back
        day = lt // (86_400 * 10**9) + (0 if groups is None else groups[idx].astype(np.int64) * 10**6)
        back = np.zeros(len(idx), bool)
        back[1:] = (lt[1:] < lt[:-1]) & (day[1:] == day[:-1])
        group_start = np.ones(len(idx), bool)
        group_start[1:] = day[1:] != day[:-1]
        count = np.cumsum(back)
        base = np.maximum.accumulate(np.where(group_start, count - back, 0))
        second = (count - base) > 0
        out[idx] = np.where(second, std_ns[idx], dst_ns[idx])
        parsed.ambiguous = int(len(idx))
    if nonexistent.any():
        shifted = index[nonexistent].tz_localize(tz, nonexistent="shift_forward")
        out[nonexistent] = shifted.asi8
        parsed.nonexistent = int(nonexistent.sum())
    return out, ok
