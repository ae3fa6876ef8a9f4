"""Findings: a problem or warning about a setting, at its field path, raised as one pydantic
``ValidationError`` with one error per finding (so a home file's errors name each field).

Used by the home's cross-device checks (:mod:`homesim.home.consistency`) and by kinds that check
their own settings together (the inverter's program slots).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import InitErrorDetails


class Finding(NamedTuple):
    """One problem or warning: where (a location as pydantic writes it), the value, why."""

    loc: tuple[Any, ...]
    value: Any
    reason: str

    @property
    def path(self) -> str:
        return path(self.loc)

    def problem(self) -> str:
        return f"{self.path}: {show(self.value)} is not allowed: {self.reason}"

    def warning(self) -> str:
        return f"{self.path}: {show(self.value)}: {self.reason}"


def path(loc: tuple[Any, ...]) -> str:
    """``("devices", 5, "programs", 0, "soc")`` as ``devices[5].programs[0].soc``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def show(value: Any) -> str:
    """A value as the home file writes it: ``true``, ``2000`` (not ``2000.0``), ``0.95``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def raise_findings(title: str, findings: list[Finding]) -> None:
    """Raise ``findings`` (if any) as one ``ValidationError``, one error per finding at its own
    location; raised inside a validator, pydantic nests them under the validated object's path."""
    if findings:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type="value_error", loc=f.loc, input=_plain(f.value), ctx={"error": ValueError(f.reason)})
            for f in findings
        ])


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value
