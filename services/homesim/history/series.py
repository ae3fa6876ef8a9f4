"""The measured history of a home on a regular time grid, and the report of its data quality.

Every reader (``homesim.history.readers``) ends in a :class:`History`; calibration
(``homesim.history.calibrate``) and the calibration report start from one.

Quantities (the keys of :attr:`History.values`), each a float64 array, NaN where unknown:

``pv_w``           PV power produced, AC or DC as the source measures it [W], >= 0
``load_w``         the household's consumption [W], >= 0
``grid_import_w``  power drawn from the grid [W], >= 0
``grid_export_w``  power sent to the grid [W], >= 0
``battery_w``      battery power, positive discharging (battery to home), negative charging [W]
``soc``            battery state of charge [0..1]

A power sample ``values[q][i]`` is the mean power over ``[start_s + i*step_s, start_s +
(i+1)*step_s)``; ``soc[i]`` is the state of charge at the end of that interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

QUANTITIES: tuple[str, ...] = ("pv_w", "load_w", "grid_import_w", "grid_export_w", "battery_w", "soc")
UNITS: dict[str, str] = {"pv_w": "W", "load_w": "W", "grid_import_w": "W", "grid_export_w": "W",
                         "battery_w": "W", "soc": "0..1"}


class HistoryError(ValueError):
    """A history file (or mapping) that can't be used; the message names file, row and column."""


@dataclass
class Problem:
    """One kind of problem found in the data, counted, with the first places it was seen."""

    kind: str          # e.g. "gap", "duplicate", "out_of_order", "reset", "spike", "unit", "text", "dst"
    quantity: str | None
    count: int
    detail: str        # what was done about it, in words
    examples: list[str] = field(default_factory=list)  # "file.csv row 12 column 'x': value"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "quantity": self.quantity, "count": self.count, "detail": self.detail,
                "examples": list(self.examples)}


@dataclass
class Quality:
    """What was read and what was done to it: rows read per file, gaps, resets, values dropped
    and why. Never silent: every change to the data is a :class:`Problem` here."""

    files: list[dict[str, Any]] = field(default_factory=list)  # {"path", "layout", "rows", "first", "last"}
    problems: list[Problem] = field(default_factory=list)
    coverage: dict[str, float] = field(default_factory=dict)  # quantity -> share of the grid with data [0..1]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": list(self.files), "problems": [p.to_dict() for p in self.problems],
                "coverage": dict(self.coverage), "notes": list(self.notes)}


@dataclass
class History:
    """Mean powers and SoC of a home on a regular grid (see the module docstring)."""

    start_s: int                     # first interval's start, seconds since 1970 UTC [s]
    step_s: int                      # grid step [s]
    timezone: str                    # IANA name of the home's local time
    values: dict[str, np.ndarray]    # quantity -> samples (NaN: unknown)
    quality: Quality = field(default_factory=Quality)

    @property
    def size(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    @property
    def unix_s(self) -> np.ndarray:
        """Start of each interval [s since 1970 UTC]."""
        return self.start_s + self.step_s * np.arange(self.size, dtype=np.int64)
