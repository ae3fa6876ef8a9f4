"""Errors shared by the command line and the modules it drives."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_core import InitErrorDetails


class BadInput(Exception):
    """A problem with what the user gave; printed as is, exit status 2."""


def booleans_taken_as_numbers(value: Any, raw: Any, loc: tuple[Any, ...] = ()) -> list[InitErrorDetails]:
    """Where a validated model holds a number that was given as a boolean (``raw`` is the data
    it was validated from): one error per such field, for any nesting of models, lists, dicts."""
    if isinstance(raw, bool):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            kind = "int_type" if isinstance(value, int) else "float_type"
            return [InitErrorDetails(type=kind, loc=loc, input=raw)]
        return []
    errors: list[InitErrorDetails] = []
    if isinstance(value, BaseModel) and isinstance(raw, dict):
        for name in type(value).model_fields:
            if name in raw:
                errors += booleans_taken_as_numbers(getattr(value, name), raw[name], loc + (name,))
    elif isinstance(value, (list, tuple)) and isinstance(raw, (list, tuple)):
        for index, (item, raw_item) in enumerate(zip(value, raw)):  # defaults may follow (devices)
            errors += booleans_taken_as_numbers(item, raw_item, loc + (index,))
    elif isinstance(value, dict) and isinstance(raw, dict):
        for key, raw_item in raw.items():
            if key in value:
                errors += booleans_taken_as_numbers(value[key], raw_item, loc + (key,))
    return errors


class NoBooleansForNumbers(BaseModel):
    """A model that refuses ``true``/``false`` where a number goes, in every field of every
    nested model (pydantic would take them as 1 and 0: ``power_w: true`` would be 1 W)."""

    @model_validator(mode="wrap")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            errors = booleans_taken_as_numbers(model, data)
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return model
