"""Write a :class:`~homesim.history.series.History` back out as each layout the readers know,
with chosen corruptions, each seeded and recorded: so tests can round-trip a known truth
through the files people have (issue 26).

Every writer returns a :class:`Rendered`: the file, its mapping (a dict, also written as YAML
when ``mapping_path`` is given) and ``record``, what each corruption did (which rows, how many).
A truth with NaN is written as missing (an empty cell, an ``unavailable`` state, a skipped row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import yaml

from homesim.history.series import History


@dataclass
class Corruptions:
    """What to do to the data on its way out (all off by default)."""

    noise_w: float = 0.0             # Gaussian noise on every power [W] (sd)
    gaps: int = 0                    # this many gaps ...
    gap_s: int = 3 * 3600            # ... of this length [s] (rows left out / unavailable)
    duplicates: int = 0              # rows written twice
    out_of_order: int = 0            # pairs of neighbouring rows swapped
    naive_local: bool = False        # times as naive local wall-clock (DST hours repeated / skipped)
    resets: bool = False             # energy counters reset at each local midnight ...
    wrap_kwh: float | None = None    # ... or wrap at this value [kWh]
    spikes: int = 0                  # powers replaced by 40x the series' 99th percentile
    unit_mistake: str | None = None  # a quantity (pv, load...) written in kW under a W header
    unit_switch: bool = False        # ... from the middle of the file on (else the whole column)
    text: int = 0                    # cells replaced by text ("#ERR")
    seed: int = 0


@dataclass
class Rendered:
    path: Path
    mapping: dict
    mapping_path: Path | None = None
    record: dict[str, Any] = field(default_factory=dict)


#: Quantity (mapping) -> History key, the wide CSV's header, the HA entity.
NAMES = {"pv": ("pv_w", "PV power (W)", "sensor.pv_power"),
         "load": ("load_w", "Load (W)", "sensor.load_power"),
         "grid_import": ("grid_import_w", "Grid import (W)", "sensor.grid_import_power"),
         "grid_export": ("grid_export_w", "Grid export (W)", "sensor.grid_export_power"),
         "battery": ("battery_w", "Battery power (W)", "sensor.battery_power"),
         "soc": ("soc", "Battery SOC (%)", "sensor.battery_soc")}


def toy_history(days: float = 3.0, *, start: str = "2026-03-01", timezone: str = "Africa/Johannesburg",
                step_s: int = 60, seed: int = 0, kwp: float = 4.0, capacity_kwh: float = 10.0) -> History:
    """A small made-up home's history (no engine): PV a half-sine by day times a daily cloud
    factor [W], a load with a base, morning and evening peaks and noise [W], a battery of
    ``capacity_kwh`` charged from surplus and discharged to the load down to 20 % (2.5 kW, 95 %
    each way), the grid the balance. For the readers' tests and the example files."""
    rng = np.random.default_rng(seed)
    t0 = int(pd.Timestamp(start, tz=timezone).timestamp())
    n = int(days * 86400 // step_s)
    unix = t0 + step_s * np.arange(n)
    local_h = ((unix + pd.Timestamp(start, tz=timezone).utcoffset().total_seconds()) % 86400) / 3600.0
    day = (np.arange(n) * step_s) // 86400
    cloud = rng.uniform(0.5, 1.0, int(day[-1]) + 1)[day] if n else np.empty(0)
    pv = np.clip(np.sin((local_h - 6.0) / 12.0 * np.pi), 0.0, None) ** 1.3 * kwp * 1000.0 * 0.8 * cloud
    pv = np.round(pv * rng.uniform(0.97, 1.03, n), 1)
    load = (250.0 + 600.0 * np.exp(-0.5 * ((local_h - 7.0) / 1.0) ** 2)
            + 1200.0 * np.exp(-0.5 * ((local_h - 19.0) / 1.5) ** 2) + rng.gamma(2.0, 60.0, n))
    load = np.round(load, 1)
    battery, soc = np.zeros(n), np.zeros(n)
    level, cap_j, dt = 0.5, capacity_kwh * 3.6e6, float(step_s)
    for i in range(n):
        want = load[i] - pv[i]   # > 0: the battery may discharge
        if want > 0:
            p = min(want, 2500.0, max(0.0, (level - 0.2) * cap_j * 0.95 / dt))
            level -= p * dt / 0.95 / cap_j
        else:
            p = -min(-want, 2500.0, max(0.0, (1.0 - level) * cap_j / 0.95 / dt))
            level -= p * dt * 0.95 / cap_j
        battery[i], soc[i] = p, level
    net = load - pv - battery
    values = {"pv_w": pv, "load_w": load, "grid_import_w": np.maximum(net, 0.0),
              "grid_export_w": np.maximum(-net, 0.0), "battery_w": np.round(battery, 3), "soc": soc}
    return History(t0, step_s, timezone, values)


def _present(history: History) -> list[str]:
    return [q for q, (key, _, _) in NAMES.items() if key in history.values and np.isfinite(history.values[key]).any()]


def _counter_kwh(power_w: np.ndarray, step_s: int) -> np.ndarray:
    """Energy up to each interval's end [kWh] (NaN power: no energy)."""
    return np.cumsum(np.nan_to_num(power_w) * step_s) / 3.6e6


def _powers(history: History, c: Corruptions, rng: np.random.Generator, record: dict,
            energy: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    out = {}
    for q in _present(history):
        x = history.values[NAMES[q][0]].astype(float).copy()
        if c.noise_w and q != "soc":
            x = x + rng.normal(0.0, c.noise_w, len(x))
            if q != "battery":
                x = np.maximum(x, 0.0)
        out[q] = x
    if c.noise_w:
        record["noise_w"] = c.noise_w
    if c.spikes:
        picks = [q for q in out if q != "soc" and q not in energy]   # a counter is written from the truth
        spikes = []
        for _ in range(c.spikes):
            q = picks[int(rng.integers(len(picks)))]
            i = int(rng.integers(1, len(out[q]) - 1))
            typical = float(np.nanpercentile(np.abs(out[q]), 99)) or 1000.0
            out[q][i] = 40.0 * typical
            spikes.append((q, i))
        record["spikes"] = spikes
    return out


def _stamps(unix_s: np.ndarray, timezone: str, style: str) -> np.ndarray:
    """Times as text, vectorised: ``local`` ISO with its offset, ``naive`` local wall clock,
    ``utc`` ISO with ``Z`` (milliseconds, as Home Assistant writes them)."""
    utc = pd.DatetimeIndex(pd.to_datetime(np.asarray(unix_s, dtype=float), unit="s", utc=True))
    if style == "utc":
        return np.char.add(np.datetime_as_string(utc.tz_localize(None).to_numpy("datetime64[ms]"), unit="ms"), "Z")
    wall = utc.tz_convert(timezone).tz_localize(None)
    text = np.datetime_as_string(wall.to_numpy("datetime64[s]"), unit="s")
    if style == "naive":
        return np.char.replace(text, "T", " ")
    seconds = wall.to_numpy("datetime64[s]").astype(np.int64) - utc.tz_localize(None).to_numpy("datetime64[s]").astype(
        np.int64)
    offset = seconds // 60
    sign = np.where(offset < 0, "-", "+")
    hours, minutes = np.abs(offset) // 60, np.abs(offset) % 60
    tail = np.char.add(np.char.add(sign, np.char.zfill(hours.astype(str), 2)),
                       np.char.add(":", np.char.zfill(minutes.astype(str), 2)))
    return np.char.add(text, tail)


def _times(history: History, c: Corruptions, offset_s: float = 0.0, fmt: str = "iso") -> pd.Series:
    style = "naive" if c.naive_local else ("utc" if fmt == "utc" else "local")
    return pd.Series(_stamps(history.unix_s + offset_s, history.timezone, style))


def _rows_corrupted(frame: pd.DataFrame, c: Corruptions, rng: np.random.Generator, record: dict,
                    keep: np.ndarray | None = None) -> pd.DataFrame:
    """Gaps (rows left out), duplicates, swapped neighbours."""
    n = len(frame)
    mask = np.ones(n, bool) if keep is None else keep
    if c.gaps:
        length = max(1, int(c.gap_s // max(1, int(record.get("step_s", 60)))))
        starts = sorted(int(s) for s in rng.choice(np.arange(60, max(61, n - length - 60)), c.gaps, replace=False))
        for s in starts:
            mask[s:s + length] = False
        record["gaps"] = [(s, length) for s in starts]
    frame = frame[mask]
    if c.duplicates:
        picks = np.sort(rng.choice(len(frame), c.duplicates, replace=False))
        frame = pd.concat([frame, frame.iloc[picks]]).sort_index(kind="stable")
        record["duplicates"] = int(c.duplicates)
    frame = frame.reset_index(drop=True)
    if c.out_of_order:
        order = np.arange(len(frame))
        picks = rng.choice(np.arange(1, len(frame) - 2, 3), c.out_of_order, replace=False)
        for i in picks:
            order[i], order[i + 1] = order[i + 1], order[i]
        frame = frame.iloc[order].reset_index(drop=True)
        record["out_of_order"] = int(c.out_of_order)
    return frame


def _text_cells(frame: pd.DataFrame, columns: list[str], c: Corruptions, rng: np.random.Generator,
                record: dict) -> None:
    if not c.text:
        return
    cells = []
    for _ in range(c.text):
        col = columns[int(rng.integers(len(columns)))]
        i = int(rng.integers(len(frame)))
        frame[col] = frame[col].astype(object)
        frame.loc[i, col] = "#ERR"
        cells.append((col, i + 2))
    record["text"] = cells


def _unit(values: dict[str, np.ndarray], c: Corruptions, record: dict) -> None:
    if c.unit_mistake:
        x = values[c.unit_mistake]
        start = len(x) // 2 if c.unit_switch else 0
        x[start:] = x[start:] / 1000.0
        record["unit"] = {"quantity": c.unit_mistake, "from_row": start + 2, "written": "kW", "declared": "W"}


def _to_csv(frame: pd.DataFrame, path: Path, *, na_rep: str = "", sep: str = ",") -> None:
    """A frame as CSV by pyarrow (a year of minutes in a second): numbers in their shortest
    exact form, missing ones ``na_rep``; pandas' writer where a cell needs quoting."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
            text = pc.cast(pa.array(values.to_numpy(), from_pandas=True), pa.string())
        else:
            text = pa.array(values.map(lambda v: None if isinstance(v, float) and np.isnan(v) else
                                       (f"{v:.10g}" if isinstance(v, float) else str(v))).to_numpy(dtype=object),
                            type=pa.string(), from_pandas=True)
        columns[str(name)] = pc.fill_null(text, na_rep)
    table = pa.table(columns)
    special = any(pc.any(pc.match_substring_regex(col, r'[",\n\t;]')).as_py() for col in table.columns) or any(
        c in name for name in table.column_names for c in ',"\n')
    if special:
        frame.to_csv(path, index=False, sep=sep, na_rep=na_rep, float_format="%.10g")
        return
    with open(path, "wb") as handle:
        handle.write((sep.join(table.column_names) + "\n").encode())
        pcsv.write_csv(table, handle, pcsv.WriteOptions(delimiter=sep, quoting_style="none", include_header=False))


def _write_mapping(mapping: dict, mapping_path: Path | None) -> None:
    if mapping_path is not None:
        Path(mapping_path).write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")


def write_wide(history: History, path: Path, *, mapping_path: Path | None = None,
               corruptions: Corruptions | None = None, energy: tuple[str, ...] = ()) -> Rendered:
    """A wide CSV: ``Time`` (interval start, ISO with offset) and one column per quantity, powers
    in W (mean over the interval), SoC in % (at the interval's end); the quantities in ``energy``
    as cumulative kWh counters (at the interval's end) named ``... [kWh]``."""
    c = corruptions or Corruptions()
    rng = np.random.default_rng(c.seed)
    record: dict[str, Any] = {"step_s": history.step_s}
    values = _powers(history, c, rng, record, energy)
    _unit(values, c, record)
    frame = pd.DataFrame({"Time": _times(history, c)})
    quantities: dict[str, Any] = {}
    for q, x in values.items():
        if q in energy:
            kwh = _counter_kwh(history.values[NAMES[q][0]], history.step_s)
            kwh = _reset(kwh, history, c, record)
            name = NAMES[q][1].replace("(W)", "[kWh]")
            frame[name] = np.round(kwh, 6)
            quantities[q] = {"column": name, "unit": "kWh", "kind": "energy"}
        elif q == "soc":
            frame[NAMES[q][1]] = np.round(x * 100.0, 4)
            quantities[q] = {"column": NAMES[q][1], "unit": "%"}
        else:
            frame[NAMES[q][1]] = np.round(x, 3)
            quantities[q] = {"column": NAMES[q][1], "unit": "W"}
            if q == "battery":
                quantities[q]["sign"] = "discharge_positive"
    _text_cells(frame, [v["column"] for v in quantities.values()], c, rng, record)
    frame = _rows_corrupted(frame, c, rng, record)
    _to_csv(frame, path)
    mapping = {"layout": "wide_csv", "time_column": "Time", "timestamps": "start", "quantities": quantities}
    record["naive_local"] = c.naive_local
    _write_mapping(mapping, mapping_path)
    return Rendered(Path(path), mapping, mapping_path, record)


def _reset(kwh: np.ndarray, history: History, c: Corruptions, record: dict) -> np.ndarray:
    if c.resets:
        ends = pd.to_datetime(history.unix_s + history.step_s, unit="s", utc=True).tz_convert(history.timezone)
        day = (ends - pd.Timedelta(seconds=1)).normalize().asi8   # a reading at midnight is the old day's
        start = np.concatenate(([True], day[1:] != day[:-1]))
        base = np.maximum.accumulate(np.where(start, np.concatenate(([0.0], kwh[:-1])), 0.0))
        record["resets"] = record.get("resets", 0) + int(start[1:].sum())
        return kwh - base
    if c.wrap_kwh:
        record["wraps"] = record.get("wraps", 0) + int(kwh[-1] // c.wrap_kwh)
        return np.mod(kwh, c.wrap_kwh)
    return kwh


def write_ha_history(history: History, path: Path, *, mapping_path: Path | None = None,
                     corruptions: Corruptions | None = None, energy: tuple[str, ...] = (),
                     signed_grid: bool = False, battery_charge_positive: bool = False,
                     kw: tuple[str, ...] = ()) -> Rendered:
    """Home Assistant's history CSV (``entity_id,state,last_changed``, UTC ``Z``), one row per
    state change, grouped by entity: powers at each interval's start (in kW for those in
    ``kw``), SoC (%) and energy counters (kWh, for those in ``energy``) at each interval's end.
    Gaps are ``unavailable`` states; ``signed_grid`` writes one grid power (import positive)."""
    c = corruptions or Corruptions()
    rng = np.random.default_rng(c.seed)
    record: dict[str, Any] = {"step_s": history.step_s}
    values = _powers(history, c, rng, record, energy)
    _unit(values, c, record)
    step, n = history.step_s, history.size
    if signed_grid and "grid_import" in values:
        values["grid"] = values.pop("grid_import") - values.pop("grid_export", 0.0)
    keep = np.ones(n, bool)
    if c.gaps:
        length = max(1, c.gap_s // step)
        starts = sorted(int(s) for s in rng.choice(np.arange(60, max(61, n - length - 60)), c.gaps, replace=False))
        for s in starts:
            keep[s:s + length] = False
        record["gaps"] = [(s, length) for s in starts]
    frames, quantities = [], {}
    for q, x in values.items():
        entity = "sensor.grid_power" if q == "grid" else NAMES[q][2]
        at_end = q == "soc" or q in energy
        if q in energy:
            y = _reset(_counter_kwh(history.values[NAMES[q][0]], step), history, c, record)
            entity = entity.replace("_power", "_energy")
            unit, state = "kWh", np.round(y, 6)
        elif q == "soc":
            unit, state = "%", np.round(x * 100.0, 3)
        else:
            unit = "kW" if q in kw else "W"
            y = (-x if (q == "battery" and battery_charge_positive) else x) / (1000.0 if q in kw else 1.0)
            state = np.round(y, 6 if q in kw else 3)
        times = history.unix_s + (step if at_end else 0)
        state = np.where(keep, state, np.nan)   # NaN: written "unavailable"
        same = (state[1:] == state[:-1]) | (np.isnan(state[1:]) & np.isnan(state[:-1]))
        changed = np.concatenate(([True], ~same))
        rows = pd.DataFrame({"entity_id": entity, "state": state[changed], "t": times[changed]})
        if q == "soc":   # the state at the start, before the first interval's end
            rows = pd.concat([pd.DataFrame({"entity_id": [entity], "state": [state[0]],
                                            "t": [history.unix_s[0]]}), rows])
        elif at_end:     # the counter at the start
            rows = pd.concat([pd.DataFrame({"entity_id": [entity], "state": [0.0], "t": [history.unix_s[0]]}), rows])
        else:            # the last state's end
            rows = pd.concat([rows, pd.DataFrame({"entity_id": [entity], "state": [state[-1]],
                                                  "t": [history.unix_s[-1] + step]})])
        frames.append(rows)
        spec: dict[str, Any] = {"entity": entity, "unit": unit}
        if q in energy:
            spec["kind"] = "energy"
        if q == "battery":
            spec["sign"] = "charge_positive" if battery_charge_positive else "discharge_positive"
        if q == "grid":
            spec["sign"] = "import_positive"
        quantities[q] = spec
    frame = pd.concat(frames, ignore_index=True)
    frame["last_changed"] = _stamps(frame["t"].to_numpy(), history.timezone, "naive" if c.naive_local else "utc")
    frame = frame.drop(columns="t")
    c2 = Corruptions(duplicates=c.duplicates, out_of_order=c.out_of_order, seed=c.seed + 1)
    frame = _rows_corrupted(frame, c2, rng, record)
    _text_cells(frame, ["state"], c, rng, record)
    _to_csv(frame, path, na_rep="unavailable")
    mapping = {"layout": "ha_history", "quantities": quantities}
    record["naive_local"] = c.naive_local
    _write_mapping(mapping, mapping_path)
    return Rendered(Path(path), mapping, mapping_path, record)


def write_ha_statistics(history: History, path: Path, *, mapping_path: Path | None = None,
                        counters: bool = False) -> Rendered:
    """Home Assistant long-term statistics as the ``import_statistics`` integration writes them
    (tab-separated, ``start`` as ``%d.%m.%Y %H:%M`` local): hourly ``min,max,mean`` of each power
    and SoC, or with ``counters`` hourly ``state,sum`` energy counters [kWh] of the powers."""
    per_hour = 3600 // history.step_s
    hours = history.size // per_hour
    start = history.unix_s[: hours * per_hour: per_hour]
    stamps = _stamps(start, history.timezone, "naive")
    text = pd.to_datetime(pd.Series(stamps)).dt.strftime("%d.%m.%Y %H:%M")
    frames, quantities = [], {}
    for q in _present(history):
        x = history.values[NAMES[q][0]][: hours * per_hour].reshape(hours, per_hour)
        sid = NAMES[q][2]
        if counters and q not in ("soc", "battery"):
            kwh = np.cumsum(x.mean(axis=1)) / 1000.0
            frames.append(pd.DataFrame({"statistic_id": sid.replace("_power", "_energy"), "unit": "kWh",
                                        "start": text, "state": np.round(kwh, 6), "sum": np.round(kwh, 6)}))
            quantities[q] = {"entity": sid.replace("_power", "_energy"), "kind": "energy"}
        else:
            scale = 100.0 if q == "soc" else 1.0
            frames.append(pd.DataFrame({"statistic_id": sid, "unit": "%" if q == "soc" else "W", "start": text,
                                        "min": np.round(x.min(axis=1) * scale, 4),
                                        "max": np.round(x.max(axis=1) * scale, 4),
                                        "mean": np.round(x.mean(axis=1) * scale, 4)}))
            quantities[q] = {"entity": sid}
    _to_csv(pd.concat(frames, ignore_index=True), path, sep="\t")
    mapping = {"layout": "ha_statistics", "quantities": quantities}
    _write_mapping(mapping, mapping_path)
    return Rendered(Path(path), mapping, mapping_path, {"step_s": 3600})


def write_examples(directory: Path) -> list[Rendered]:
    """``examples/history/``: four days of a made-up Cape Town home (:func:`toy_history`, seed
    26) in each layout, with its mapping; the Home Assistant file as people's are (PV in kW,
    daily-reset import/export counters, a battery counted charge-positive, an hour unavailable)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    five = toy_history(4, start="2026-01-05", step_s=300, seed=26, kwp=5.0)
    minute = toy_history(4, start="2026-01-05", step_s=60, seed=26, kwp=5.0)
    return [
        write_wide(five, directory / "wide.csv", mapping_path=directory / "wide.yaml", energy=("grid_import",)),
        write_ha_history(five, directory / "home_assistant.csv", mapping_path=directory / "home_assistant.yaml",
                         kw=("pv",), energy=("grid_import", "grid_export"), battery_charge_positive=True,
                         corruptions=Corruptions(resets=True, gaps=1, gap_s=3600, seed=26)),
        write_ha_statistics(minute, directory / "ha_statistics.tsv", mapping_path=directory / "ha_statistics.yaml"),
        write_vrm(toy_history(4, start="2026-01-05", step_s=900, seed=26, kwp=5.0), directory / "vrm_stats.json"),
    ]


def write_vrm(history: History, path: Path, *, corruptions: Corruptions | None = None) -> Rendered:
    """Victron VRM API stats JSON: ``records`` of ``[ms, mean, min, max]`` per attribute code
    (``Pdc`` PV, ``a1`` consumption, ``g1`` grid import positive, ``bp`` battery charge
    positive, ``bs`` SoC %), each at its interval's start; gaps are records left out."""
    c = corruptions or Corruptions()
    rng = np.random.default_rng(c.seed)
    record: dict[str, Any] = {"step_s": history.step_s}
    values = _powers(history, c, rng, record)
    _unit(values, c, record)
    n = history.size
    keep = np.ones(n, bool)
    if c.gaps:
        length = max(1, c.gap_s // history.step_s)
        starts = sorted(int(s) for s in rng.choice(np.arange(4, max(5, n - length - 4)), c.gaps, replace=False))
        for s in starts:
            keep[s:s + length] = False
        record["gaps"] = [(s, length) for s in starts]
    codes: dict[str, np.ndarray] = {}
    if "pv" in values:
        codes["Pdc"] = values["pv"]
    if "load" in values:
        codes["a1"] = values["load"]
    if "grid_import" in values:
        codes["g1"] = values["grid_import"] - values.get("grid_export", 0.0)
    if "battery" in values:
        codes["bp"] = -values["battery"]
    if "soc" in values:
        codes["bs"] = values["soc"] * 100.0
    ms = (history.unix_s * 1000).astype(np.int64)
    records = {}
    for code, x in codes.items():
        ok = keep & np.isfinite(x)
        records[code] = [[int(a), round(float(b), 4), round(float(b), 4), round(float(b), 4)]
                         for a, b in zip(ms[ok], x[ok])]
    Path(path).write_text(json.dumps({"success": True, "records": records, "totals": {}}), encoding="utf-8")
    mapping = {"layout": "vrm_stats"}
    return Rendered(Path(path), mapping, None, record)
