"""A tariff as the UI's tariff picker shows it (``tariff.preview``; no bus I/O): from a URDB rate
(the JSON text of an OpenEI Utility Rate Database export, read by :mod:`homesim.tariffs.urdb`) or
the native form (:class:`homesim.tariffs.model.UtilityTariff`), checked, with what it charges
(and the grid's properties that set it: ``tariff`` and the simple form at its defaults):
for each season its months and the price of each hour on a weekday (Monday), a Saturday and a
Sunday [currency/kWh] with the rate's name, each rate's blocks, the fixed charges and the
export credit. A bad tariff raises :class:`ValueError` naming the file and field.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from pydantic import ValidationError

from homesim.devices import grid
from homesim.messages import TariffPreview
from homesim.tariffs import urdb as urdb_reader
from homesim.tariffs.model import MONTH_NAMES, UtilityTariff

#: The days shown, by name -> Python weekday (0 = Monday).
DAY_TYPES = {"weekday": 0, "saturday": 5, "sunday": 6}


def _problems(error: ValidationError, where: str) -> str:
    def place(loc: tuple) -> str:
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")

    return "; ".join(f"{where}{place(e['loc'])}: {e['msg']}".replace("Value error, ", "") for e in error.errors()[:5])


def native(request: TariffPreview) -> tuple[UtilityTariff, list[str]]:
    """The request's tariff, native (from the URDB text, or the form), and notes on what a URDB
    record had that was read differently."""
    if (request.urdb is None) == (request.tariff is None):
        raise ValueError("tariff: give a URDB file (urdb) or the native form (tariff), one of them")
    if request.urdb is not None:
        name = request.name or "the URDB file"
        try:
            data = json.loads(request.urdb)
        except json.JSONDecodeError as error:
            raise ValueError(f"{name}: line {error.lineno} column {error.colno}: not valid JSON: {error.msg}") from None
        try:
            return urdb_reader.from_urdb(data)
        except urdb_reader.UrdbError as error:
            raise ValueError(f"{name}: {error}") from None
    try:
        return UtilityTariff.model_validate(request.tariff), []
    except ValidationError as error:
        raise ValueError(_problems(error, "tariff.")) from None


def summary(tariff: UtilityTariff, currency: str) -> dict[str, Any]:
    """What ``tariff`` charges, for the picker's tables and charts (module docstring)."""
    names = tariff.rate_names()
    seasons = tariff.seasons or {"All year": list(range(1, 13))}
    hours = np.arange(24)
    shown = []
    for season, months in seasons.items():
        days = {}
        for day, weekday in DAY_TYPES.items():
            index = tariff.rate_index(np.full(24, months[0]), np.full(24, weekday), hours * 3600)
            days[day] = [{"hour": int(h), "rate": names[i], "price": tariff.rates[i].tick_price(),
                          "blocks": bool(tariff.rates[i].blocks)} for h, i in zip(hours, index)]
        shown.append({"name": season, "months": [MONTH_NAMES[m - 1].capitalize() for m in sorted(months)],
                      "days": days})
    rates = [{"name": names[i], "price": rate.price_per_kwh, "export": rate.export_per_kwh,
              "blocks": [{"up_to_kwh": b.up_to_kwh, "price": b.price_per_kwh} for b in rate.blocks]}
             for i, rate in enumerate(tariff.rates)]
    return {"name": tariff.name, "source": tariff.source, "currency": currency, "metering": tariff.metering,
            "fixed": {"per_day": tariff.fixed.per_day, "per_month": tariff.fixed.per_month},
            "minimum_per_month": tariff.minimum_per_month, "export_per_kwh": tariff.export_per_kwh,
            "seasons": shown, "rates": rates}


def preview(request: TariffPreview, currency: str) -> dict[str, Any]:
    """``tariff.preview``'s reply: the native tariff (as the grid's ``tariff`` takes it) and its summary."""
    tariff, notes = native(request)
    data = urdb_reader.native_data(tariff)
    return {"tariff": data, "properties": {"tariff": data, **simple_defaults()},
            "summary": {**summary(tariff, currency), "notes": notes}}


def simple_defaults() -> dict[str, Any]:
    """The grid's simple tariff properties at their defaults: set beside ``tariff`` (a grid
    takes one form or the other)."""
    fields = grid.Config.model_fields
    return {"import_tariff": fields["import_tariff"].get_default(call_default_factory=True).model_dump(mode="json"),
            "export_per_kwh": fields["export_per_kwh"].get_default()}
