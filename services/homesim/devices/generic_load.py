"""Generic load: a constant power, 24 hourly values, or a measured profile from a CSV file.

The CSV has a header ``time,power_w``. ``time`` is either a local time of day ``HH:MM`` (a
daily profile: each value holds until the next time, wrapping at midnight) or an ISO 8601
timestamp (a series: each value holds until the next timestamp, the last one on; 0 W before the
first).
"""

from __future__ import annotations

import csv
import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import Field, PrivateAttr, model_validator

from homesim.devices import schedule
from homesim.devices.behaviour import ProfileLoad
from homesim.devices.base import FileCheck, seconds_of_day, _check_time_of_day
from homesim.devices.schedule import LocalDays, Steps
from homesim.echo import shown
from homesim.units import quantity

Power = Annotated[float, Field(ge=0.0, le=1e6)]


class ProfileError(ValueError):
    """A profile CSV that can't be read; the message names file, line and column."""


@functools.lru_cache(maxsize=32)
def read_profile(path: Path) -> tuple[str, list, np.ndarray]:
    """Read a profile CSV: ``("daily" | "series", sorted keys, power_w [W])``."""
    if not path.exists():
        raise ProfileError(f"{path}: no such profile file")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"time", "power_w"} - set(reader.fieldnames or [])
        if missing:
            raise ProfileError(f"{path}: missing column(s) {sorted(missing)}; the header must be time,power_w")
        times, powers = [], []
        for line, row in enumerate(reader, start=2):
            try:
                power = float(row["power_w"])
            except (TypeError, ValueError):
                raise ProfileError(f"{path} line {line}, column 'power_w': {shown(row['power_w'])} is not a number") from None
            if not 0.0 <= power <= 1e6:
                raise ProfileError(f"{path} line {line}, column 'power_w': {power} is not allowed: must be 0..1e6 W")
            times.append((line, row["time"]))
            powers.append(power)
    if not times:
        raise ProfileError(f"{path}: no rows")
    daily = ":" in times[0][1] and "T" not in times[0][1] and "-" not in times[0][1]
    keys = []
    for line, text in times:
        try:
            if daily:
                keys.append(seconds_of_day(_check_time_of_day(text)))
            else:
                keys.append(datetime.fromisoformat(text))
        except ValueError:
            kind = "a time of day HH:MM" if daily else "an ISO 8601 timestamp"
            raise ProfileError(f"{path} line {line}, column 'time': {shown(text)} is not {kind}") from None
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return ("daily" if daily else "series", [keys[i] for i in order], np.array([powers[i] for i in order]))


class Config(ProfileLoad):
    """Any load given by its power over time."""

    LABEL: ClassVar[str] = "Other load"
    ICON: ClassVar[str] = "\N{ELECTRIC PLUG}"
    PALETTE_ORDER: ClassVar[int | None] = 110
    USUAL_CIRCUIT: ClassVar[Literal["essential", "non_essential"]] = "essential"
    USUAL_CIRCUIT_WHY: ClassVar[str] = "base loads (router, alarm, chargers) stay on in outages (the reference home's base_load)"

    kind: Literal["generic_load"] = "generic_load"
    power_w: Power | None = quantity("W", default=None, title="Constant power", description="all day")
    hourly_w: Annotated[list[Power], Field(min_length=24, max_length=24)] | None = quantity("W",
        default=None, title="Power by hour", description="one value for each hour, 00:00 to 23:00")
    profile_csv: str | None = quantity("W",
        default=None, title="Profile file",
        description="a CSV file of time,power_w rows (HH:MM daily or ISO timestamps)")

    _home_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _one_source(self) -> "Config":
        given = [self.power_w is not None, self.hourly_w is not None, self.profile_csv is not None]
        if sum(given) != 1:
            raise ValueError("give the load one way: power_w, or hourly_w (24 values), or profile_csv")
        return self

    def bind_home_dir(self, home_dir: Path) -> None:
        self._home_dir = home_dir

    def files(self, timezone: str) -> list[FileCheck]:
        if self.profile_csv is None:
            return []
        path = Path(self.profile_csv)
        path = path if path.is_absolute() else self._home_dir / path
        return [FileCheck("profile_csv", path, lambda: read_profile(path))]

    def power(self, days: LocalDays) -> Steps:
        if self.power_w is not None:
            return schedule.constant(days, self.power_w)
        if self.hourly_w is not None:
            return schedule.daily(days, [3600 * h for h in range(24)], list(self.hourly_w))
        path = Path(self.profile_csv)
        kind, keys, power = read_profile(path if path.is_absolute() else self._home_dir / path)
        if kind == "daily":
            return schedule.daily(days, list(keys), list(power))
        zone = ZoneInfo(days.timezone)
        stamps = np.array([int((k if k.tzinfo else k.replace(tzinfo=zone)).timestamp()) for k in keys])
        return schedule.series(days, stamps, power)
