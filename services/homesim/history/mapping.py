"""The mapping file of a history import: which column or entity is which quantity, in which
unit, of which kind, with which sign (issue 26; reference: ``docs/reference/history-formats.md``).

A mapping is YAML or JSON (or a dict)::

    layout: ha_history            # optional: ha_history | ha_statistics | wide_csv | vrm_stats
    time_column: timestamp        # wide CSV: the time column (guessed when absent)
    timestamps: start             # wide CSV: a row's time is its interval's start (or end)
    quantities:
      pv: sensor.pv_power                                  # short form: the column / entity
      load: {entity: sensor.load_power, unit: kW}
      grid: {entity: sensor.grid_power, sign: import_positive}
      battery: {entity: sensor.battery_power, sign: discharge_positive}
      soc: {entity: sensor.battery_soc, unit: "%"}
      grid_import: {column: "Grid import [kWh]", kind: energy}

Quantities: ``pv``, ``load``, ``grid_import``, ``grid_export``, ``grid`` (one signed grid power),
``battery`` (battery power), ``soc``; :data:`ALIASES` names the spellings also accepted.
Units: ``W``, ``kW``, ``Wh``, ``kWh``, ``MWh``, ``%``, ``fraction``. Kinds: ``power`` (mean or
instantaneous), ``energy`` (a cumulative counter that may reset or wrap), ``soc``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homesim.echo import shown
from homesim.history.series import HistoryError

#: What a mapping's quantity may be called -> the quantity it is.
ALIASES: dict[str, str] = {
    "pv": "pv", "pv_w": "pv", "solar": "pv",
    "load": "load", "load_w": "load", "consumption": "load",
    "grid_import": "grid_import", "grid_import_w": "grid_import", "import": "grid_import",
    "grid_export": "grid_export", "grid_export_w": "grid_export", "export": "grid_export",
    "grid": "grid", "grid_w": "grid",
    "battery": "battery", "battery_w": "battery",
    "soc": "soc", "battery_soc": "soc",
}
#: The mapping's quantity -> the History quantity it fills (``grid`` fills import and export).
TARGET: dict[str, str] = {"pv": "pv_w", "load": "load_w", "grid_import": "grid_import_w",
                          "grid_export": "grid_export_w", "grid": "grid", "battery": "battery_w", "soc": "soc"}
#: Unit -> (kind it implies, factor to SI: W, J, or 0..1).
UNITS: dict[str, tuple[str, float]] = {
    "w": ("power", 1.0), "kw": ("power", 1e3), "mw": ("power", 1e6),
    "wh": ("energy", 3600.0), "kwh": ("energy", 3.6e6), "mwh": ("energy", 3.6e9),
    "%": ("soc", 0.01), "percent": ("soc", 0.01), "fraction": ("soc", 1.0),
}
UNIT_NAMES = {"w": "W", "kw": "kW", "mw": "MW", "wh": "Wh", "kwh": "kWh", "mwh": "MWh", "%": "%",
              "percent": "%", "fraction": "fraction"}
SIGNS = {"grid": ("import_positive", "export_positive"), "battery": ("discharge_positive", "charge_positive")}
LAYOUTS = ("ha_history", "ha_statistics", "wide_csv", "vrm_stats")
KEYS = {"layout", "time_column", "time_format", "timestamps", "quantities", "max_w", "gap_s",
        "available"}  # available: what guess_mapping saw in the file (ignored when read back)
QUANTITY_KEYS = {"column", "entity", "unit", "kind", "sign", "max_w"}


@dataclass
class Source:
    """One quantity's source in a file: its column or entity, unit, kind and sign."""

    quantity: str              # pv, load, grid_import, grid_export, grid, battery, soc
    name: str                  # column or entity id
    unit: str | None = None    # canonical: W, kW, Wh, kWh, MWh, %, fraction (None: guessed)
    kind: str | None = None    # power, energy, soc (None: from the unit)
    sign: int = 1              # +1: as History counts it (import positive, discharge positive)
    max_w: float | None = None  # a physical bound on the power [W]

    @property
    def target(self) -> str:
        return TARGET[self.quantity]


@dataclass
class Mapping:
    """A parsed mapping file; ``where`` names it in errors."""

    sources: list[Source] = field(default_factory=list)
    layout: str | None = None
    time_column: str | None = None
    time_format: str | None = None
    timestamps: str = "start"
    max_w: float | None = None
    gap_s: float | None = None
    where: str = "mapping"


def load_mapping(mapping: Path | str | dict | None) -> Mapping | None:
    """A :class:`Mapping` from a YAML/JSON file, a dict, or None. Raises :class:`HistoryError`."""
    if mapping is None:
        return None
    if isinstance(mapping, dict):
        return parse_mapping(mapping, "mapping")
    path = Path(mapping)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise HistoryError(f"{path}: can't read the mapping file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise HistoryError(f"{path}: not a text file: byte {error.start} is not UTF-8") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else parse_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError, RecursionError) as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else (f"line {error.lineno}: " if hasattr(error, "lineno") else "")
        raise HistoryError(f"{path}: {line}not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                           f"{getattr(error, 'problem', None) or getattr(error, 'msg', None) or error}") from None
    return parse_mapping(data, str(path))


#: A mapping file is small: this is plenty [bytes].
MAX_MAPPING_BYTES = 1 << 20
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Plain data of a mapping's YAML: safe, small, without aliases (so no "billion laughs")."""
    if len(text) > MAX_MAPPING_BYTES:
        raise yaml.YAMLError(f"over {MAX_MAPPING_BYTES // 1024} kB: too big for a mapping file")
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in a mapping file")
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader


def parse_mapping(data: Any, where: str) -> Mapping:
    """Check and normalise a mapping's plain data (see the module docstring)."""
    if not isinstance(data, dict):
        raise HistoryError(f"{where}: a mapping is a mapping of keys (layout, quantities, ...), not {shown(data)}")
    unknown = sorted(set(map(str, data)) - KEYS)
    if unknown:
        raise HistoryError(f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], KEYS)}; "
                           f"allowed: {', '.join(sorted(KEYS))}")
    out = Mapping(where=where)
    layout = data.get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise HistoryError(f"{where}: layout {shown(layout)} is not one of {', '.join(LAYOUTS)}")
    out.layout = layout
    out.time_column = _text(data, "time_column", where)
    out.time_format = _text(data, "time_format", where)
    out.timestamps = _text(data, "timestamps", where) or "start"
    if out.timestamps not in ("start", "end"):
        raise HistoryError(f"{where}: timestamps {shown(out.timestamps)} is not 'start' or 'end' (the time a "
                           f"row's values are for: their interval's start or end)")
    out.max_w = _number(data, "max_w", where)
    out.gap_s = _number(data, "gap_s", where)
    quantities = data.get("quantities")
    if quantities is None:
        raise HistoryError(f"{where}: no 'quantities': say which column or entity is pv, load, grid_import, "
                           f"grid_export (or grid), battery and soc")
    if not isinstance(quantities, dict):
        raise HistoryError(f"{where}: 'quantities' is a mapping of quantity -> column or entity, not "
                           f"{shown(quantities)}")
    for key, spec in quantities.items():
        out.sources.append(_source(str(key), spec, where))
    names = [s.quantity for s in out.sources]
    if "grid" in names and ("grid_import" in names or "grid_export" in names):
        raise HistoryError(f"{where}: 'grid' (one signed power) and 'grid_import'/'grid_export' both given: "
                           f"give one or the other")
    return out


def _source(key: str, spec: Any, where: str) -> Source:
    quantity = ALIASES.get(key.lower())
    if quantity is None:
        raise HistoryError(f"{where}: quantities.{key}: not a quantity{did_you_mean(key, ALIASES)}; "
                           f"allowed: pv, load, grid_import, grid_export, grid, battery, soc")
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        raise HistoryError(f"{where}: quantities.{key}: a column/entity name or a mapping with column "
                           f"(or entity), unit, kind, sign; not {shown(spec)}")
    unknown = sorted(set(map(str, spec)) - QUANTITY_KEYS)
    if unknown:
        raise HistoryError(f"{where}: quantities.{key}.{unknown[0]}: unknown key"
                           f"{did_you_mean(unknown[0], QUANTITY_KEYS)}; allowed: {', '.join(sorted(QUANTITY_KEYS))}")
    name = spec.get("column", spec.get("entity"))
    if not isinstance(name, str) or not name:
        raise HistoryError(f"{where}: quantities.{key}: no column or entity named")
    unit = spec.get("unit")
    if unit is not None:
        if not isinstance(unit, str) or unit.strip().lower() not in UNITS:
            raise HistoryError(f"{where}: quantities.{key}.unit: {shown(unit)} is not one of "
                               f"W, kW, Wh, kWh, MWh, %, fraction")
        unit = UNIT_NAMES[unit.strip().lower()]
    kind = spec.get("kind")
    if kind is not None and kind not in ("power", "energy", "soc"):
        raise HistoryError(f"{where}: quantities.{key}.kind: {shown(kind)} is not power, energy or soc")
    if quantity == "soc":
        kind = "soc"
    elif unit is not None:
        implied = UNITS[unit.lower()][0]
        if implied == "soc":
            raise HistoryError(f"{where}: quantities.{key}.unit: {unit} is a state of charge's unit, not a power's")
        if kind is not None and kind != implied:
            raise HistoryError(f"{where}: quantities.{key}: kind {kind} but unit {unit} is {implied}")
        kind = implied
    sign = 1
    if "sign" in spec:
        allowed = SIGNS.get(quantity)
        if allowed is None:
            raise HistoryError(f"{where}: quantities.{key}.sign: only grid and battery take a sign")
        if spec["sign"] not in allowed:
            raise HistoryError(f"{where}: quantities.{key}.sign: {shown(spec['sign'])} is not one of "
                               f"{', '.join(allowed)}")
        sign = 1 if spec["sign"] == allowed[0] else -1
    max_w = spec.get("max_w")
    if max_w is not None and (isinstance(max_w, bool) or not isinstance(max_w, (int, float)) or max_w <= 0):
        raise HistoryError(f"{where}: quantities.{key}.max_w: {shown(max_w)} is not a power > 0 [W]")
    return Source(quantity, name, unit, kind, sign, max_w)


def _text(data: dict, key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise HistoryError(f"{where}: {key}: {shown(value)} is not text")
    return value


def _number(data: dict, key: str, where: str) -> float | None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise HistoryError(f"{where}: {key}: {shown(value)} is not a number > 0")
    return None if value is None else float(value)


def did_you_mean(name: str, choices: Any) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.5)
    if not close:
        lowered = {str(c).lower(): str(c) for c in choices}
        close = [lowered[str(name).lower()]] if str(name).lower() in lowered else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def unit_of_header(header: str) -> str | None:
    """The unit a column's header states: ``pv_power_kw`` -> kW, ``Load (W)`` -> W,
    ``Grid import [kWh]`` -> kWh, ``Battery SOC(%)`` -> %; None when it states none."""
    text = header.strip().lower()
    for opener, closer in (("(", ")"), ("[", "]")):
        if text.endswith(closer) and opener in text:
            inner = text[text.rindex(opener) + 1:-1].strip()
            if inner in UNITS:
                return UNIT_NAMES[inner]
    for sep in ("_", " ", "-", "."):
        tail = text.rsplit(sep, 1)[-1] if sep in text else ""
        if tail in UNITS and tail != "percent":
            return UNIT_NAMES[tail]
    if text.endswith("%") or "percent" in text:
        return "%"
    return None


#: Words in a column or entity name -> the quantity it likely is (first match wins, in order).
GUESS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("soc", ("soc", "state_of_charge", "state of charge", "battery_level", "battery level", "battery %")),
    ("grid_import", ("import", "from_grid", "from grid", "grid_consumption", "bought", "purchase")),
    ("grid_export", ("export", "to_grid", "to grid", "feed_in", "feed-in", "feedin", "sold", "return")),
    ("battery", ("battery", "batt", "bat_")),
    ("pv", ("pv", "solar", "production", "generation", "yield", "panel", "array")),
    ("grid", ("grid", "meter", "mains", "utility")),
    ("load", ("load", "consumption", "house", "home", "usage", "demand")),
)


def guess_quantity(name: str) -> str | None:
    """The quantity a column or entity's name suggests, or None."""
    text = name.lower()
    for quantity, words in GUESS_WORDS:
        if any(word in text for word in words):
            return quantity
    return None
