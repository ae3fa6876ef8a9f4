"""Units as data: every quantity a home file, a device kind or a bus message carries says its unit
here, once, as typed metadata (OpenEMS keeps a unit on each channel the same way).

A field gets its unit with :func:`quantity` (a pydantic ``Field`` with the unit)::

    max_charge_w: Annotated[float, quantity("W", gt=0.0, title="Maximum charging power",
                                            description="at its terminals")] = 5000.0

The unit lands in the field's JSON schema as ``x-unit`` (the AsyncAPI document, the UI's kinds
file, the chart's values schema) and is read back by :func:`unit_of` (the docs' reference
pages, the home file's error messages). Descriptions stay prose, without the unit: the readers
(``docs/generate.py``, the UI's property forms, the CRD's descriptions) add it from ``x-unit``.

The symbols allowed are :data:`UNITS`; a symbol not there is refused when the model is defined,
so a typo (``"kwh"``) fails at import rather than in a reader. Dimensionless quantities say so
too: ``"0..1"`` (a fraction, shown as %), ``"ratio"`` (a multiplier or a COP), ``"count"``,
``"weight"`` (relative weights), ``"1"`` (an identifier, a version, a seed). Times of day, enumerations, text and booleans carry none.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import Field
from pydantic.fields import FieldInfo

#: The JSON schema key holding a field's unit.
KEY: Final = "x-unit"

#: Every unit symbol a field may carry, with what it means (SI in code; kWh, °C, hours and the
#: home's currency where people set or read them).
UNITS: Final[dict[str, str]] = {
    # energy, power
    "J": "joule",
    "kWh": "kilowatt-hour",
    "kWh/day": "kilowatt-hours per day",
    "W": "watt",
    "kW": "kilowatt",
    "kWp": "kilowatt peak (PV rating at standard test conditions)",
    "W/m2": "watt per square metre (irradiance)",
    "V": "volt",
    "A": "ampere",
    # heat
    "°C": "degree Celsius",
    "K": "kelvin (a temperature difference)",
    "J/K": "joule per kelvin (heat capacity)",
    "W/K": "watt per kelvin (heat loss)",
    "1/K": "per kelvin (a temperature coefficient)",
    # water
    "L": "litre",
    "L/day": "litres per day",
    "L/min": "litres per minute",
    # time
    "s": "second",
    "h": "hour",
    "days": "day",
    "year": "year",
    "1/year": "per year (a yearly rate)",
    "tick": "tick number",
    "tick/s": "ticks per wall-clock second",
    # space
    "m": "metre",
    "m/s": "metre per second",
    "degrees": "degree of angle",
    # money (the home's currency, its ISO 4217 code)
    "currency": "the home's currency",
    "currency/kWh": "the home's currency per kilowatt-hour",
    "currency/kWp": "the home's currency per kilowatt peak",
    "currency/kW": "the home's currency per kilowatt",
    "currency/year": "the home's currency per year",
    "currency/month": "the home's currency per billing month",
    "currency/day": "the home's currency per day",
    "currency/h": "the home's currency per hour",
    # dimensionless, said so
    "0..1": "a fraction from 0 to 1 (dimensionless; people see it as %)",
    "ratio": "a dimensionless multiplier or ratio",
    "count": "a number of things (dimensionless)",
    "weight": "a relative weight (dimensionless)",
    "stage": "a load-shedding stage (dimensionless)",
    "by key": "a map of named quantities, each in the unit of what its key names (temp_c: °C)",
    "1": "a plain number without dimension: an identifier, a version, a seed",
}


def check(symbol: str) -> str:
    """``symbol`` if it is one of :data:`UNITS`; else a ``ValueError`` naming the allowed ones."""
    if symbol not in UNITS:
        raise ValueError(f"unit {symbol!r} is not one of {', '.join(UNITS)} (homesim.units.UNITS)")
    return symbol


def quantity(unit: str, **kwargs: Any) -> Any:
    """A pydantic ``Field`` (same keyword arguments) whose value is in ``unit``: ``x-unit`` in
    its JSON schema, read back by :func:`unit_of`."""
    extra = kwargs.pop("json_schema_extra", None) or {}
    return Field(json_schema_extra={**extra, KEY: check(unit)}, **kwargs)


def unit_of(info: FieldInfo | None) -> str:
    """The unit of a model's field (``""``: it has none)."""
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, dict):
        return str(extra.get(KEY, ""))
    return ""


#: Units that name no dimension: a number in them is written bare (``must be <= 1``).
DIMENSIONLESS: Final = frozenset({"0..1", "ratio", "count", "weight", "stage", "1", "by key", "tick"})


def after_number(unit: str) -> str:
    """What follows a number in a message: `` kWh`` (with its space), `` per year`` for
    ``1/year``, nothing for a dimensionless unit or none."""
    if not unit or unit in DIMENSIONLESS:
        return ""
    return f" per {unit[2:]}" if unit.startswith("1/") else f" {unit}"


def with_unit(text: str, unit: str) -> str:
    """``text`` followed by its unit in brackets, as the docs and the CRD show it (``at its
    terminals [W]``); ``text`` alone without a unit."""
    return f"{text} [{unit}]".strip() if unit else text
