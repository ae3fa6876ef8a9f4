"""The file layouts a history is read from, each to raw series (issue 26).

``ha_history``
    Home Assistant's history download (the History panel's "Download data"): a CSV with
    ``entity_id,state,last_changed``, one row per state change, ``last_changed`` in ISO 8601
    UTC. Its shape: https://www.home-assistant.io/integrations/history/ (the states it lists are
    the recorder's ``states`` rows). ``unavailable`` / ``unknown`` states are gaps.
``ha_statistics``
    Home Assistant long-term statistics as the ``import_statistics`` integration documents and
    writes them (https://github.com/klausj1/homeassistant-statistics, README "File Format
    Requirements"): ``statistic_id``, ``unit``, ``start`` (hourly, ``%d.%m.%Y %H:%M`` local by
    default) and ``min,max,mean`` (measurements) or ``state,sum`` / ``delta`` (counters).
    Home Assistant itself has no documented statistics CSV; this is the documented shape there is.
``wide_csv``
    A time column and one column per quantity; units from the mapping or the header.
``vrm_stats``
    Victron VRM API v2's installation statistics response, as its documentation describes
    (https://vrm-api-docs.victronenergy.com/#/operations/installations/idSite/stats):
    ``{"success": true, "records": {code: [[ms since 1970, mean, min, max], ...]}}``, one list per
    attribute code (``Pdc`` PV DC-coupled [W], ``a1``..``a3`` AC consumption [W], ``g1``..``g3``
    grid [W] positive importing, ``bp`` battery power [W] positive charging, ``bs`` battery SoC
    [%]; the codes as Victron's attribute list names them, the record's meaning confirmed by
    Victron's maintainer in https://github.com/dirkjanfaber/victron-vrm-api/issues/39).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from homesim.echo import shown
from homesim.history.mapping import (ALIASES, TARGET, Mapping, Source, did_you_mean, guess_quantity,
                                     unit_of_header)
from homesim.history.series import HistoryError
from homesim.history.timeparse import Parsed, parse_times

KNOWN = ("ha_history (header entity_id,state,last_changed), ha_statistics (header statistic_id,unit,start and "
         "mean or sum/state or delta), wide_csv (a time column and one column per quantity), vrm_stats (JSON "
         "with 'records')")
GAP_STATES = ("unavailable", "unknown", "none", "nan", "")
TIME_WORDS = ("time", "date", "timestamp", "datetime", "when", "last_changed", "start", "updated")
#: The default mapping of a VRM stats file: quantity -> (attribute codes summed, unit, sign).
VRM_CODES = {"pv": (("Pdc",), "W", 1), "load": (("a1", "a2", "a3"), "W", 1), "grid": (("g1", "g2", "g3"), "W", 1),
             "battery": (("bp",), "W", -1), "soc": (("bs",), "%", 1)}


@dataclass
class Raw:
    """One quantity's samples as read: times [s since 1970 UTC], values in the file's unit."""

    source: Source
    file: str
    layout: str
    times: np.ndarray          # float64 [s]
    values: np.ndarray         # float64, NaN where the file has no number
    rows: np.ndarray           # int64, the file's row of each sample (1: the header)
    hold: str = "sample"       # "state": holds until the next row; "sample": over its interval
    unit_from: str = "mapping"  # mapping | header | guess
    unavailable: int = 0
    unavailable_examples: list[str] = field(default_factory=list)
    text: int = 0
    text_examples: list[str] = field(default_factory=list)
    parsed: Parsed | None = None


@dataclass
class FileRead:
    """What one file gave: its raw series and its row count and time span."""

    path: str
    layout: str
    rows: int
    series: list[Raw]
    columns: list[str]


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(65536)
    except OSError as error:
        raise HistoryError(f"{path}: can't read the file: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start > 60000:
            return raw[:error.start].decode("utf-8-sig")
        raise HistoryError(f"{path}: not a text file (byte {error.start} is not UTF-8): known layouts are "
                           f"{KNOWN}") from None


def _delimiter(head: str, path: Path) -> str:
    first = head.splitlines()[0] if head.splitlines() else ""
    if path.suffix.lower() == ".tsv" or first.count("\t") > max(first.count(","), first.count(";")):
        return "\t"
    return ";" if first.count(";") > first.count(",") else ","


def detect_layout(path: Path | str) -> str:
    """The layout of a history file, from its first bytes. Raises :class:`HistoryError` for an
    empty file or an unknown layout (naming the known ones and the header seen)."""
    path = Path(path)
    head = _head(path)
    if not head.strip():
        raise HistoryError(f"{path}: the file is empty: no header and no rows")
    if head.lstrip().startswith(("{", "[")):
        if '"records"' in head:
            return "vrm_stats"
        raise HistoryError(f"{path}: unknown layout: a JSON file without 'records'; known layouts: {KNOWN}")
    header = _header(head, path)
    lower = [h.strip().lower() for h in header]
    if {"entity_id", "state", "last_changed"} <= set(lower):
        return "ha_history"
    if {"statistic_id", "start"} <= set(lower) and {"mean", "sum", "state", "delta"} & set(lower):
        return "ha_statistics"
    if time_column(header, head, path) is not None:
        return "wide_csv"
    raise HistoryError(f"{path} row 1: unknown layout: header {shown(','.join(header), 200)} has no time column; "
                       f"known layouts: {KNOWN}")


def _header(head: str, path: Path) -> list[str]:
    reader = csv.reader(io.StringIO(head), delimiter=_delimiter(head, path))
    return next(reader, [])


def time_column(header: list[str], head: str, path: Path) -> str | None:
    """The column of times: by its name, else the first whose first rows read as times."""
    for name in header:
        if name.strip().lower() in TIME_WORDS or any(w in name.strip().lower() for w in ("time", "date")):
            return name
    rows = list(csv.reader(io.StringIO(head), delimiter=_delimiter(head, path)))[1:6]
    for j, name in enumerate(header):
        cells = [r[j] for r in rows if len(r) > j and r[j].strip()]
        if cells and pd.to_datetime(pd.Series(cells), format="mixed", errors="coerce").notna().all() \
                and not pd.to_numeric(pd.Series(cells), errors="coerce").notna().all():
            return name
    return None


#: A number as a CSV cell writes it (RE2, matched by pyarrow: a year of rows in a fraction of a second).
NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def to_float(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column's numbers (NaN elsewhere) and where a non-empty cell isn't a number."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float), np.zeros(len(raw), bool)
    strings = pa.array(raw.astype(object).to_numpy(), type=pa.string(), from_pandas=True)
    number = pc.fill_null(pc.match_substring_regex(strings, NUMBER), False)
    if not pc.all(number).as_py():   # a decimal comma ("12,5", with ";" between cells)
        comma = pc.fill_null(pc.match_substring_regex(strings, r"^\s*[-+]?\d+,\d+\s*$"), False)
        if pc.sum(comma).as_py() or 0:
            strings = pc.if_else(comma, pc.replace_substring(strings, ",", "."), strings)
            number = pc.or_(number, comma)
    values = pc.cast(pc.if_else(number, pc.utf8_trim_whitespace(strings), None), pa.float64())
    empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(strings), ""), True)
    bad = ~(number.to_numpy(zero_copy_only=False) | empty.to_numpy(zero_copy_only=False))
    return values.to_numpy(zero_copy_only=False).astype(float), bad


def _numbers(raw: pd.Series, file: str, label: str, first_row: int, item: Raw) -> np.ndarray:
    """A column's numbers; text is NaN, counted with examples (HA's unavailable/unknown apart)."""
    values, bad = to_float(raw)
    if not bad.any():
        return values
    text = raw.astype("string").str.strip()
    lowered = text.str.lower()
    gap = bad & lowered.isin(GAP_STATES).to_numpy()
    other = bad & ~gap
    filled = int((text.notna() & (text != "")).sum())
    if filled and other.sum() > 0.5 * filled:
        first = int(np.flatnonzero(other)[0])
        raise HistoryError(f"{file} row {item.rows[first] if len(item.rows) else first + first_row} column "
                           f"{label!r}: a column of text ({int(other.sum()):,} of {filled:,} values are not "
                           f"numbers, e.g. {shown(str(text.iloc[first]))}): a power, energy or SoC column holds "
                           f"numbers")
    for mask, attr in ((gap, "unavailable"), (other, "text")):
        idx = np.flatnonzero(mask)
        setattr(item, attr, int(len(idx)))
        getattr(item, f"{attr}_examples").extend(
            f"{file} row {int(item.rows[i])} column {label!r}: {shown(str(text.iloc[i]))}" for i in idx[:3])
    return values


def _check_names(mapping: Mapping, names: list[str], path: Path, what: str) -> None:
    for source in mapping.sources:
        if source.name not in names:
            raise HistoryError(f"{mapping.where}: quantities.{source.quantity}: {what} {source.name!r} is not in "
                               f"{path}{did_you_mean(source.name, names)}; it has {shown(', '.join(names), 300)}")


def read_ha_history(path: Path, mapping: Mapping, timezone: str) -> FileRead:
    frame = _read_csv(path)
    frame.columns = [c.strip().lower() for c in frame.columns]
    if frame.empty:
        raise HistoryError(f"{path}: the file has a header but no rows")
    entities = pd.Categorical(frame["entity_id"].astype("string").str.strip())
    names = [str(c) for c in entities.categories]
    _check_names(mapping, names, path, "entity")
    codes = entities.codes
    parsed = parse_times(frame["last_changed"], timezone, where=str(path), column="last_changed", groups=codes)
    out = []
    for source in mapping.sources:
        idx = np.flatnonzero(codes == names.index(source.name))
        item = Raw(source, str(path), "ha_history", parsed.unix_s[idx], np.empty(0), idx.astype(np.int64) + 2,
                   hold="state", parsed=parsed)
        item.values = _numbers(frame["state"].iloc[idx], str(path), source.name, 2, item)
        _default_unit(item, source.name)
        out.append(item)
    return FileRead(str(path), "ha_history", len(frame), out, names)


def _read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV by pyarrow's engine (threaded, numbers and ISO times typed as it reads), or by
    pandas' own where pyarrow can't (ragged rows, odd quoting): every cell text then."""
    try:
        return pd.read_csv(path, engine="pyarrow", **options)
    except Exception as error:  # noqa: BLE001 - pyarrow raises its own kinds for what the C engine reads
        text = str(error)
        if "Expected" in text and "columns, got" in text:   # a row with more or fewer cells than the header
            row = text.rsplit(": ", 1)[-1]
            raise HistoryError(f"{path} row {_line_of(path, row)}: a row has {text.split('got ')[1].split(':')[0]} cells where the header has "
                               f"{text.split('Expected ')[1].split(' ')[0]}: {shown(row)}; every row has one cell "
                               f"per column") from None
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, **options)


def _line_of(path: Path, row: str) -> str:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.rstrip("\r\n") == row:
                return str(number)
    return "?"


def read_ha_statistics(path: Path, mapping: Mapping, timezone: str) -> FileRead:
    head = _head(path)
    frame = pd.read_csv(path, sep=_delimiter(head, path), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    if frame.empty:
        raise HistoryError(f"{path}: the file has a header but no rows")
    ids = frame["statistic_id"].str.strip()
    names = sorted(ids.unique())
    _check_names(mapping, names, path, "statistic_id")
    parsed = parse_times(frame["start"], timezone, where=str(path), column="start",
                         time_format=mapping.time_format or _stat_format(frame["start"]))
    out = []
    for source in mapping.sources:
        idx = np.flatnonzero((ids == source.name).to_numpy())
        sub = frame.iloc[idx]
        unit = sub["unit"].iloc[0].strip() if "unit" in sub and len(sub) else ""
        counter = "sum" in sub and sub["sum"].str.strip().ne("").any()
        delta = not counter and "delta" in sub and sub["delta"].str.strip().ne("").any()
        column = "sum" if counter else "delta" if delta else "mean"
        times = parsed.unix_s[idx]   # a sum is the counter at its hour's end: placed there by clean.to_grid
        item = Raw(source, str(path), "ha_statistics", times, np.empty(0), idx.astype(np.int64) + 2,
                   hold="sample", parsed=parsed)
        item.values = _numbers(sub[column], str(path), f"{source.name}.{column}", 2, item)
        if source.unit is None and unit:
            stated = unit_of_header(f"x ({unit})")
            if stated:
                source.unit, item.unit_from = stated, "header"
        if delta:   # an hour's energy -> its mean power
            factor = {"kWh": 1e3, "Wh": 1.0, "MWh": 1e6}.get(source.unit or "kWh", 1e3)
            item.values = item.values * factor
            source.unit, source.kind = "W", "power"
        if counter and source.kind is None:
            source.kind = "energy"
        _default_unit(item, source.name)
        out.append(item)
    return FileRead(str(path), "ha_statistics", len(frame), out, names)


def _stat_format(values: pd.Series) -> str | None:
    sample = values.iloc[0].strip() if len(values) else ""
    if len(sample) == 16 and sample[2] == "." and sample[5] == ".":
        return "%d.%m.%Y %H:%M"
    return None


def read_wide(path: Path, mapping: Mapping, timezone: str) -> FileRead:
    head = _head(path)
    header = _header(head, path)
    tcol = mapping.time_column or time_column(header, head, path)
    if tcol is None or tcol not in header:
        raise HistoryError(f"{path} row 1: no time column {tcol or ''!r}{did_you_mean(tcol or '', header)}; "
                           f"header: {shown(','.join(header), 200)}")
    data_columns = [h for h in header if h != tcol]
    _check_names(mapping, data_columns, path, "column")
    wanted = [tcol] + [s.name for s in mapping.sources]
    frame = _read_csv(path, sep=_delimiter(head, path), usecols=list(dict.fromkeys(wanted)))
    if frame.empty:
        raise HistoryError(f"{path}: the file has a header but no rows")
    parsed = parse_times(frame[tcol], timezone, where=str(path), column=tcol, time_format=mapping.time_format)
    if mapping.timestamps == "end":   # a row's values are for the interval that ends at its time
        steps = np.diff(np.sort(parsed.unix_s[np.isfinite(parsed.unix_s)]))
        parsed.unix_s = parsed.unix_s - (float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0)
    rows = np.arange(len(frame), dtype=np.int64) + 2
    out = []
    for source in mapping.sources:
        item = Raw(source, str(path), "wide_csv", parsed.unix_s, np.empty(0), rows, parsed=parsed)
        if source.unit is None:
            stated = unit_of_header(source.name)
            if stated:
                source.unit, item.unit_from = stated, "header"
        item.values = _numbers(frame[source.name], str(path), source.name, 2, item)
        _default_unit(item, source.name)
        out.append(item)
    return FileRead(str(path), "wide_csv", len(frame), out, data_columns)


def read_vrm(path: Path, mapping: Mapping | None, timezone: str) -> FileRead:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HistoryError(f"{path}: not valid JSON: {error}") from None
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, dict):
        raise HistoryError(f"{path}: a VRM stats file has 'records', a mapping of attribute code -> "
                           f"[[ms, mean, min, max], ...]")
    codes = sorted(records)
    sources = mapping.sources if mapping and mapping.sources else [
        Source(q, "+".join(c for c in cs if c in records), unit, None, sign)
        for q, (cs, unit, sign) in VRM_CODES.items() if any(c in records for c in cs)]
    if mapping and mapping.sources:
        for s in sources:
            for code in s.name.split("+"):
                if code not in records:
                    raise HistoryError(f"{mapping.where}: quantities.{s.quantity}: attribute {code!r} is not in "
                                       f"{path}{did_you_mean(code, codes)}; it has {', '.join(codes)}")
    out, rows = [], 0
    for source in sources:
        total_t: np.ndarray | None = None
        total_v: np.ndarray | None = None
        for code in source.name.split("+"):
            array = _vrm_array(records[code], path, code)
            rows += len(array)
            if total_t is None:
                total_t, total_v = array[:, 0] / 1e3, array[:, 1].copy()
            elif len(array) == len(total_t) and np.array_equal(array[:, 0] / 1e3, total_t):
                total_v = total_v + array[:, 1]
        item = Raw(source, str(path), "vrm_stats", total_t, total_v, np.arange(len(total_t), dtype=np.int64) + 1)
        _default_unit(item, source.name)
        out.append(item)
    return FileRead(str(path), "vrm_stats", rows, out, codes)


def _vrm_array(record: object, path: Path, code: str) -> np.ndarray:
    try:
        array = np.array([[float("nan") if x is None else float(x) for x in row[:2]] for row in record], dtype=float)
    except (TypeError, ValueError, IndexError):
        raise HistoryError(f"{path}: records.{code}: a list of [ms since 1970, mean, min, max], not "
                           f"{shown(record)}") from None
    return array.reshape(-1, 2)


def _default_unit(item: Raw, name: str) -> None:
    """A unit and kind where neither mapping nor header stated them: from the name."""
    source = item.source
    if source.quantity == "soc":
        source.kind = "soc"
        return
    lower = name.lower()
    energy_words = ("energy", "kwh", "_total", "today", "yield", "meter")
    if source.kind is None:
        source.kind = "energy" if source.unit in ("Wh", "kWh", "MWh") or any(w in lower for w in energy_words) \
            else "power"
    if source.unit is None:
        source.unit = "kWh" if source.kind == "energy" else "W"
        item.unit_from = "guess"


def guess_sources(columns: list[str]) -> dict[str, dict]:
    """Quantity -> {column, unit, kind} guessed from the names (for a mapping's first draft)."""
    out: dict[str, dict] = {}
    for name in columns:
        quantity = guess_quantity(name)
        if quantity is None or quantity in out:
            continue
        if quantity == "grid" and ("grid_import" in out or "grid_export" in out):
            continue
        unit = unit_of_header(name)
        lower = name.lower()
        kind = "soc" if quantity == "soc" else (
            "energy" if unit in ("Wh", "kWh", "MWh") or any(w in lower for w in ("energy", "kwh", "today", "total"))
            else "power")
        entry = {"column": name, "kind": kind}
        if unit:
            entry["unit"] = unit
        out[quantity] = entry
    return out


__all__ = ["ALIASES", "TARGET", "detect_layout", "read_ha_history", "read_ha_statistics", "read_wide", "read_vrm",
           "guess_sources", "Raw", "FileRead", "KNOWN"]
