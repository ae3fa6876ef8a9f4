"""An RPC's arguments, checked: by position or by name as the bus reference lists them, and
refused with the WAMP error ``homesim.error.invalid_property`` naming the field (the live
runtime's half of :mod:`homesim.messages`, which itself needs no WAMP library)."""

from __future__ import annotations

from typing import Any

from autobahn.wamp.exception import ApplicationError
from pydantic import ValidationError

from homesim.bus.uris import INVALID_PROPERTY
from homesim.messages import M, Message


def rpc_arguments(model: type[M], **arguments: Any) -> M:
    """An RPC's arguments as ``model``, or the WAMP error ``homesim.error.invalid_property``
    naming the field and what is allowed."""
    try:
        return model.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['input']!r} is not allowed: {e['msg']}"
                             for e in error.errors()[:5])
        raise ApplicationError(INVALID_PROPERTY, problems) from None


def call_arguments(model: type[Message], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """An RPC's positional and keyword arguments by ``model``'s field names (positional ones in
    the fields' order, as the bus reference lists them: ``switch("tv", False)`` is
    ``switch(id="tv", on=False)``), values unchecked; or the WAMP error
    ``homesim.error.invalid_property`` saying what is wrong (too many, given twice, unknown,
    missing)."""
    fields = list(model.model_fields)
    names = ", ".join(fields) or "none"
    if len(args) > len(fields):
        raise ApplicationError(INVALID_PROPERTY,
                               f"{len(args)} positional arguments given: it takes at most {len(fields)} ({names})")
    given = dict(zip(fields, args))
    for name, value in kwargs.items():
        if name not in model.model_fields:
            raise ApplicationError(INVALID_PROPERTY, f"{name}: unknown argument; the arguments: {names}")
        if name in given:
            raise ApplicationError(INVALID_PROPERTY, f"{name}: given twice (by position and by name)")
        given[name] = value
    missing = [name for name, field in model.model_fields.items() if field.is_required() and name not in given]
    if missing:
        raise ApplicationError(INVALID_PROPERTY, f"{missing[0]}: missing; the arguments: {names}")
    return {name: given[name] for name in fields if name in given}  # in the fields' order
