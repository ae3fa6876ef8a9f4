"""Tariffs in the OpenEI Utility Rate Database's JSON layout, written in homesim's native form.

The layout is URDB's API record (https://openei.org/services/doc/rest/util_rates/?version=7,
version 8 the same for these fields), the one NREL's SAM reads through PySAM's
``UtilityRateTools.URDBv8_to_ElectricityRates``:

* ``energyratestructure``: a list of periods, each a list of tiers ``{max, rate, adj, sell,
  unit}``: ``rate + adj`` [$/kWh] up to ``max`` kWh of the month (the last tier unlimited),
  ``sell`` the export credit [$/kWh]; ``unit`` ``kWh`` (``kWh/kW`` and daily tiers: refused);
* ``energyweekdayschedule`` / ``energyweekendschedule``: 12 x 24 period numbers (0-based) by
  month and hour of the day;
* ``fixedchargefirstmeter`` with ``fixedchargeunits`` ``$/month``, ``$/day`` or ``$/year``;
* ``mincharge`` with ``minchargeunits`` ``$/month`` or ``$/day`` (``$/year``: refused);
* ``dgrules``: ``Net Metering`` (the default, as PySAM's), ``Buy All Sell All``, ``Net Billing
  Instantaneous`` (billed gross: homesim's ticks are instants), ``Net Billing Hourly`` (refused);
* demand charges (``demandratestructure``, ``flatdemandstructure``, ``coincidentratestructure``
  ...) are refused: homesim bills energy, not peak power.

A record may be given bare or as the API's answer ``{"items": [record]}`` (the first one).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from homesim.tariffs.model import DAYS, MONTH_NAMES, FixedCharges, TariffBlock, TariffRate, UtilityTariff

WEEKDAY_NAMES, WEEKEND_NAMES = list(DAYS[:5]), list(DAYS[5:])
DEMAND_FIELDS = ("demandratestructure", "demandweekdayschedule", "demandweekendschedule", "flatdemandstructure",
                 "flatdemandmonths", "coincidentratestructure", "coincidentrateschedule", "demandattrs")


class UrdbError(ValueError):
    """A URDB record homesim can't read or can't bill as it is: says the field, the value and why."""


def read_urdb(path: str | Path) -> tuple[UtilityTariff, list[str]]:
    """The tariff of a URDB JSON file and notes on what was read differently from the record."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UrdbError(f"{path}: can't read it: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UrdbError(f"{path}: not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    try:
        return from_urdb(data)
    except UrdbError as exc:
        raise UrdbError(f"{path}: {exc}") from None


def _record(data: Any) -> dict:
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        if not data["items"]:
            raise UrdbError("'items' is empty: no rate in this answer")
        data = data["items"][0]
    if not isinstance(data, dict):
        raise UrdbError(f"a URDB rate is a JSON object; this is {type(data).__name__}")
    if "energyratestructure" not in data:
        raise UrdbError("no 'energyratestructure': this is not a URDB rate with energy charges "
                        "(keys: " + ", ".join(sorted(data)[:12]) + ")")
    return data


def _number(record: dict, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise UrdbError(f"{field}: {value!r} is not a number")
    return float(value)


def _periods(record: dict) -> list[tuple[list[TariffBlock], float, list[str]]]:
    """Each period's blocks, its export credit and notes."""
    structure = record["energyratestructure"]
    if not isinstance(structure, list) or not structure:
        raise UrdbError(f"energyratestructure: {str(structure)[:80]!r} must be a non-empty list of periods")
    periods = []
    for p, tiers in enumerate(structure):
        where = f"energyratestructure[{p}]"
        if not isinstance(tiers, list) or not tiers:
            raise UrdbError(f"{where}: {str(tiers)[:80]!r} must be a non-empty list of tiers")
        blocks, sells, notes = [], [], []
        for t, tier in enumerate(tiers):
            at = f"{where}[{t}]"
            if not isinstance(tier, dict) or "rate" not in tier:
                raise UrdbError(f"{at}: {str(tier)[:80]!r} must be an object with a 'rate'")
            unit = str(tier.get("unit", "kWh"))
            if unit.lower() != "kwh":
                raise UrdbError(f"{at}.unit: {unit!r} is not supported: homesim reads tiers of kWh a month only "
                                "(not kWh/kW or daily tiers)")
            price = _number(record, f"{at}.rate", tier["rate"]) + _number(record, f"{at}.adj", tier.get("adj", 0.0))
            if price < 0:
                raise UrdbError(f"{at}: rate + adj is {price}: homesim takes no negative prices")
            limit = tier.get("max")
            last = t == len(tiers) - 1
            if limit is not None and last:
                notes.append(f"{at}.max {limit}: the last tier is unlimited (as SAM bills kWh above it)")
                limit = None
            elif limit is None and not last:
                raise UrdbError(f"{at}: a tier before the last needs 'max' [kWh]")
            blocks.append(TariffBlock(up_to_kwh=None if limit is None else _number(record, f"{at}.max", limit),
                                price_per_kwh=price))
            sells.append(_number(record, f"{at}.sell", tier.get("sell", 0.0)))
        if len(set(sells)) > 1:
            notes.append(f"{where}: tiers sell at {sells}: homesim credits a period's export at one price, the "
                         f"first tier's ({sells[0]})")
        periods.append((blocks, sells[0], notes))
    return periods


def _schedule(record: dict, field: str, n_periods: int) -> list[list[int]]:
    rows = record.get(field)
    if not (isinstance(rows, list) and len(rows) == 12 and all(isinstance(r, list) and len(r) == 24 for r in rows)):
        raise UrdbError(f"{field}: must be 12 rows (months) of 24 period numbers (hours); got {str(rows)[:80]!r}")
    for m, row in enumerate(rows):
        for h, period in enumerate(row):
            if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period < n_periods:
                raise UrdbError(f"{field}[{m}][{h}]: {period!r} is not a period of energyratestructure "
                                f"(0 to {n_periods - 1})")
    return rows


def _windows(hours: list[int]) -> list[str]:
    """Whole-hour windows ``HH:00-HH:00`` of sorted hours (empty: all day)."""
    if len(hours) == 24:
        return []
    runs: list[list[int]] = []
    for h in hours:
        if runs and runs[-1][1] == h:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1])
    # (not one window past midnight: a URDB day type's hours are its own day's, and a window past
    # midnight would belong to the day it starts on)
    return [f"{a:02d}:00-{b:02d}:00" for a, b in runs]


def _season_name(months: list[int]) -> str:
    """``jun-aug``, ``sep-may``, ``jan``, or runs joined by ``+`` (months 1..12)."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and runs[-1][1] == m - 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][1] == 12:
        runs[0][0] = runs.pop()[0]
    name = lambda a, b: MONTH_NAMES[a - 1] if a == b else f"{MONTH_NAMES[a - 1]}-{MONTH_NAMES[b - 1]}"  # noqa: E731
    return "+".join(name(a, b) for a, b in runs)


def _fixed(record: dict, notes: list[str]) -> tuple[FixedCharges, float]:
    fixed, minimum = FixedCharges(), 0.0
    if "fixedchargefirstmeter" in record:
        amount = _number(record, "fixedchargefirstmeter", record["fixedchargefirstmeter"])
        units = record.get("fixedchargeunits", "$/month")
        if units == "$/month":
            fixed = FixedCharges(per_month=amount)
        elif units == "$/day":
            fixed = FixedCharges(per_day=amount)
        elif units == "$/year":
            fixed = FixedCharges(per_month=amount / 12)
        else:
            raise UrdbError(f"fixedchargeunits: {units!r} is not one of $/month, $/day, $/year")
    if record.get("fixedchargeeaaddl"):
        notes.append(f"fixedchargeeaaddl {record['fixedchargeeaaddl']}: a charge for additional meters, not billed "
                     "(a home has one)")
    if "mincharge" in record and record["mincharge"]:
        amount = _number(record, "mincharge", record["mincharge"])
        units = record.get("minchargeunits", "$/month")
        if units == "$/month":
            minimum = amount
        elif units == "$/day":
            minimum = amount * 365 / 12
            notes.append(f"mincharge {amount} $/day: billed as {minimum:.4f} a month (x 365/12, as PySAM reads it)")
        else:
            raise UrdbError(f"minchargeunits: {units!r} is not supported (only $/month and $/day): homesim bills "
                            "a minimum by month")
    return fixed, minimum


def _metering(record: dict, notes: list[str]) -> str:
    rules = record.get("dgrules")
    if rules is None or rules == "Net Metering":
        if rules is None:
            notes.append("no dgrules: net metering, as PySAM assumes")
        return "net"
    if rules == "Buy All Sell All":
        return "gross"
    if rules == "Net Billing Instantaneous":
        notes.append("dgrules Net Billing Instantaneous: billed gross, each tick's import and export (a tick is "
                     "homesim's instant)")
        return "gross"
    raise UrdbError(f"dgrules: {rules!r} is not supported: use Net Metering, Buy All Sell All or Net Billing "
                    "Instantaneous")


def from_urdb(data: Any) -> tuple[UtilityTariff, list[str]]:
    """The native tariff of a URDB record (a dict), and notes on what was read differently."""
    record = _record(data)
    demand = [f for f in DEMAND_FIELDS if record.get(f)]
    if demand:
        raise UrdbError(f"demand charges ({', '.join(demand)}) are not supported: homesim bills energy, fixed and "
                        "minimum charges; remove those fields to bill the rest (the bill will lack them)")
    periods = _periods(record)
    notes = [note for _, _, period_notes in periods for note in period_notes]
    weekday = _schedule(record, "energyweekdayschedule", len(periods))
    weekend = _schedule(record, "energyweekendschedule", len(periods))
    fixed, minimum = _fixed(record, notes)
    metering = _metering(record, notes)
    # seasons: months with the same weekday and weekend rows
    by_pattern: dict[tuple, list[int]] = {}
    for m in range(12):
        by_pattern.setdefault((tuple(weekday[m]), tuple(weekend[m])), []).append(m + 1)
    seasons = {_season_name(months): months for months in by_pattern.values()} if len(by_pattern) > 1 else {}
    # one rate per (period, days, times), over the seasons that have it
    found: dict[tuple, list[str]] = {}
    for (wd, we), months in by_pattern.items():
        season = _season_name(months)
        for p in range(len(periods)):
            hours_wd = [h for h in range(24) if wd[h] == p]
            hours_we = [h for h in range(24) if we[h] == p]
            shapes = ([(tuple(DAYS), tuple(hours_wd))] if hours_wd == hours_we else
                      [(tuple(WEEKDAY_NAMES), tuple(hours_wd)), (tuple(WEEKEND_NAMES), tuple(hours_we))])
            for days, hours in shapes:
                if hours:
                    found.setdefault((p, days, hours), []).append(season)
    sells = {sell for _, sell, _ in periods}
    uniform = len(sells) == 1
    export = sells.pop() if uniform else 0.0
    rates = []
    for (p, days, hours), in_seasons in sorted(found.items(), key=lambda item: item[0][0]):
        blocks, sell, _ = periods[p]
        rates.append(TariffRate(
            name=f"period {p + 1}", seasons=[] if len(in_seasons) == len(by_pattern) else in_seasons,
            days=list(days), times=_windows(list(hours)),
            price_per_kwh=blocks[0].price_per_kwh if len(blocks) == 1 else None,
            blocks=blocks if len(blocks) > 1 else [],
            export_per_kwh=None if uniform else sell))
    name = " - ".join(str(record[k]) for k in ("utility", "name") if record.get(k))
    source = "OpenEI Utility Rate Database" + (f" {record['label']}" if record.get("label") else "")
    if isinstance(record.get("startdate"), (int, float)) and not isinstance(record["startdate"], bool):
        effective = dt.datetime.fromtimestamp(record["startdate"], dt.timezone.utc).date()
        source += f", effective {effective.isoformat()}"
    if record.get("source"):
        source += f"; {record['source']}"
    try:
        tariff = UtilityTariff(name=name[:200], source=source[:2000], metering=metering, fixed=fixed,
                               minimum_per_month=minimum, seasons=seasons, rates=rates, export_per_kwh=export)
    except ValidationError as exc:
        raise UrdbError(f"the tariff it gives is not valid: {exc.errors()[0]['msg']}") from None
    return tariff, notes


def native_data(tariff: UtilityTariff) -> dict[str, Any]:
    """The tariff as the home file's ``tariff:`` holds it: defaults left out."""
    data = tariff.model_dump(mode="json", exclude_defaults=True)
    head = {key: data.pop(key) for key in ("name", "source") if key in data}
    return {**head, "metering": tariff.metering, **data}
