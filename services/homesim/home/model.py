"""The home definition file: pydantic models, loading, and clear errors.

A home is a location, a start date, a currency, a seed and a list of devices, each with a
unique ``id`` and its kind's properties (see ``homesim.devices``). The inverter's settings,
the grid's tariffs and load-shedding schedule and each load's timers live on those devices.

Sane defaults: a home with PV arrays gets a ``sun`` and a ``weather`` device if it lists none,
and a home with PV or a battery gets a default ``inverter``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from homesim.devices import KINDS
from homesim.echo import SHOWN, shown
from homesim.errors import NoBooleansForNumbers
from homesim.home import consistency
from homesim.home.files import (
    MAX_PROBLEMS,
    HomeFileError,
    more_problems,
    read_home_file,
)
from homesim.home.finance import Finance
from homesim.devices.base import DeviceConfig
from homesim import units
from homesim.units import quantity

Device = Annotated[Union[tuple(module.Config for module in KINDS.values())], Field(discriminator="kind")]

#: The range of first days a home (and ``--start``) may have.
FIRST_START, LAST_START = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


class Location(BaseModel):
    """Where the home is."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    latitude: Annotated[float, quantity("degrees", ge=-90.0, le=90.0, description=", south negative")]
    longitude: Annotated[float, quantity("degrees", ge=-180.0, le=180.0, description=", west negative")]
    altitude_m: Annotated[float, quantity("m", ge=-500.0, le=9000.0, description="height above sea level")] = 0.0
    timezone: str = Field(default="UTC", description="IANA time zone name, e.g. Africa/Johannesburg: schedules "
                          "are local wall-clock time")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a name too long for a file
            raise ValueError("must be an IANA time zone name such as Africa/Johannesburg") from None
        return value


class Home(NoBooleansForNumbers):
    """A home: the single source of truth for what runs, in both runtimes."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    name: str = Field(default="home", max_length=80, description="a name for people")
    location: Location = Field(description="where the home is: latitude, longitude, altitude and time zone")
    start: dt.date = Field(ge=FIRST_START, le=LAST_START, description="first simulated day, local midnight")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the prices, e.g. ZAR")] = "ZAR"
    seed: Annotated[int, quantity("1", ge=0, le=2**32 - 1, description="the weather model's seed: runs are deterministic")] = 1
    devices: list[Device] = Field(min_length=1, description="every device, each with a unique id and a kind")
    finance: Finance | None = Field(default=None, description="prices and money for `homesim plan` "
                                    "(docs: guide, Planning a purchase); or finance.yaml beside the home file")

    @model_validator(mode="after")
    def _consistent(self) -> "Home":
        ids = [d.id for d in self.devices]
        counts = Counter(ids)  # linear: a home of many devices is checked in its own time
        duplicates = sorted(i for i, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError(f"device ids must be unique; repeated: {', '.join(duplicates)}")
        for kind in sorted({d.kind for d in self.devices if d.ONE_PER_HOME}):
            count = sum(d.kind == kind for d in self.devices)
            if count > 1:
                raise ValueError(f"a home has at most one {kind} device, this one has {count}")
        # What a device needs beside it (PV: a sun, the weather and an inverter), added with its
        # defaults where the home lists none: the environment first, as the engine runs it.
        kinds = {d.kind for d in self.devices}
        wanted = [kind for d in self.devices for kind in d.requires() if kind not in kinds]
        defaults: list[DeviceConfig] = []
        for kind in sorted(dict.fromkeys(wanted), key=lambda k: (KINDS[k].Config.ROLE != "environment",
                                                                  getattr(KINDS[k].Config, "ORDER", 0))):
            defaults.append(KINDS[kind].Config(id=free_id(kind, ids)))
        if defaults:
            # Bypass assignment validation: this runs inside validation already.
            object.__setattr__(self, "devices", list(self.devices) + defaults)
        if self.battery is None:
            for load in self.loads:
                if load.switch.min_battery_soc is not None:
                    raise ValueError(f"load {load.id!r} has switch.min_battery_soc but the home has no battery")
        consistency.check(self)  # settings that can't work together, one error per field
        return self

    def of_role(self, role: str) -> list[DeviceConfig]:
        """Devices with a role: environment, source, grid, storage, inverter, load."""
        return [d for d in self.devices if d.ROLE == role]

    def _one(self, role: str) -> Any:
        found = self.of_role(role)
        return found[0] if found else None

    @property
    def grid(self) -> Any:
        """The grid connection (role ``grid``), or None."""
        return self._one("grid")

    @property
    def battery(self) -> Any:
        """The battery (role ``storage``), or None."""
        return self._one("storage")

    @property
    def inverter(self) -> Any:
        """The hybrid inverter (role ``inverter``), or None."""
        return self._one("inverter")

    @property
    def pv_arrays(self) -> list[Any]:
        return self.of_role("source")

    @property
    def loads(self) -> list[Any]:
        return self.of_role("load")

    def device(self, device_id: str) -> DeviceConfig:
        for device in self.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)


def free_id(kind: str, taken: list[str]) -> str:
    candidate, n = kind, 2
    while candidate in taken:
        candidate, n = f"{kind}_{n}", n + 1
    return candidate


def load_home(path: str | Path) -> Home:
    """Read and validate a home file (YAML). Raises :class:`HomeFileError`."""
    path = Path(path)
    return home_from_dict(read_home_file(path), source=str(path), home_dir=path.parent)


def home_from_dict(data: Any, source: str = "", home_dir: Path | None = None) -> Home:
    """Validate a home given as plain data. Raises :class:`HomeFileError`."""
    if not isinstance(data, dict):
        raise HomeFileError([f"the file must be a mapping of fields (name, location, start, devices...), got {type(data).__name__}"], source)
    devices = data.get("devices")
    if isinstance(devices, list):
        # pydantic writes a discriminator it can't use into its error whole: a list or mapping
        # as a kind (made huge by aliases or shared parts) is refused here, cut
        kinds = [f"devices[{index}].kind: {_show(device['kind'])} is not a device kind: must be one of {', '.join(KINDS)}"
                 for index, device in enumerate(devices)
                 if isinstance(device, dict) and isinstance(device.get("kind"), (list, dict))]
        if kinds:
            raise HomeFileError(kinds, source)
    try:
        home = Home.model_validate(data)
    except ValidationError as error:
        raise HomeFileError(describe_errors(error, data), source) from None
    except RecursionError:
        raise HomeFileError(["nested too deeply to be a home"], source) from None
    base = home_dir if home_dir is not None else Path(".")
    for device in home.devices:
        bind = getattr(device, "bind_home_dir", None)
        if bind is not None:
            bind(base)
    return home


def with_changes(home: Home, changes: dict[str, Any], home_dir: Path | None = None) -> Home:
    """A copy of ``home`` with ``"<device_id>.<field>": value`` changes, validated."""
    data = home.model_dump(mode="json")
    for key, value in changes.items():
        device_id, _, field = key.partition(".")
        if not field:
            raise HomeFileError([f"{key}: must be <device_id>.<property>, e.g. battery.capacity_kwh"])
        matches = [d for d in data["devices"] if d["id"] == device_id]
        if not matches:
            known = ", ".join(d["id"] for d in data["devices"])
            raise HomeFileError([f"{key}: no device {device_id!r}; devices: {known}"])
        target = matches[0]
        parts = field.split(".")
        for depth, part in enumerate(parts[:-1]):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                inner = ".".join(parts[: depth + 1])
                raise HomeFileError([f"{key}: {device_id}.{inner} is not a group of properties; "
                                     f"give {device_id}.{inner}=<value>"])
        target[parts[-1]] = value
    return home_from_dict(data, home_dir=home_dir)


# --- error messages --------------------------------------------------------------------------

_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    skip_tag = False
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            skip_tag = i > 0 and loc[i - 1] == "devices"
            continue
        if skip_tag and part in KINDS:
            skip_tag = False
            continue
        skip_tag = False
        if _is_branch_label(str(part)):
            continue
        text += f".{part}" if text else str(part)
    return text or "(top level)"


def _is_branch_label(part: str) -> bool:
    """Whether a location segment names a union branch (``float``, ``PvwattsEfficiency``,
    ``function-after[...]``) rather than a field."""
    return part in ("float", "int", "str", "bool", "none") or part[:1].isupper() or "[" in part


def _bound(value: Any) -> str:
    """A limit as people write it: ``0`` rather than ``0.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: A bad value is echoed in an error up to this many characters (a huge one is cut).
SHOWN_CHARS = SHOWN


def _show(value: Any) -> str:
    return shown(value, SHOWN_CHARS)


def _allowed_fields(loc: tuple[Any, ...], data: Any, root: Any = None) -> list[str]:
    """Field names allowed where an unknown field was found (best effort); ``root``: the model
    validated (default :class:`Home`)."""
    model = _model_holding(loc, data, root)
    return sorted(model.model_fields) if model is not None else []


def _unit_at(loc: tuple[Any, ...], data: Any, root: Any = None) -> str:
    """The unit of the field a located error is about, from its metadata (``homesim.units``), as
    it follows a number in a message (`` kWh``); empty for a dimensionless one or when unknown."""
    parts = list(loc)
    while parts and (isinstance(parts[-1], int) or _is_branch_label(str(parts[-1]))):
        parts.pop()  # an item of a list of numbers, or a branch of a union (float | None)
    model = _model_holding(tuple(parts), data, root) if parts else None
    info = model.model_fields.get(str(parts[-1])) if model is not None else None
    return units.after_number(units.unit_of(info))


def _model_holding(loc: tuple[Any, ...], data: Any, root: Any = None) -> type[BaseModel] | None:
    """The model whose field ``loc`` ends at (best effort; None: not found); ``root``: the model
    validated (default :class:`Home`)."""
    model: Any = root or Home
    node = data
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if model is Home.model_fields["devices"] or model == "devices":
                kind = node.get("kind") if isinstance(node, dict) else None
                model = KINDS[kind].Config if kind in KINDS else None
            continue
        if part in KINDS:
            continue
        if model is Home and part == "devices":
            model = "devices"
            node = node.get(part) if isinstance(node, dict) else None
            continue
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            annotation = model.model_fields[part].annotation
            model = _model_in(annotation)
        else:
            model = None
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    return None


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def describe_errors(error: ValidationError, data: Any = None, root: Any = None,
                    limit: int = MAX_PROBLEMS) -> list[str]:
    """One clear line per problem: ``path: value is not allowed: reason``; ``root`` is the
    model validated (default :class:`Home`), to list the fields allowed. At most ``limit``
    lines, then one counting the problems left (:func:`more_problems`): only the lines shown
    are formatted, so the time is linear in the number of problems, however many."""
    lines: list[str] = []
    listed: set[str] = set()
    seen: set[tuple[Any, ...]] = set()
    more = 0
    for item in error.errors(include_url=False):
        loc, kind, ctx = tuple(item["loc"]), item["type"], item.get("ctx") or {}
        if (loc, kind) in seen:
            continue
        seen.add((loc, kind))
        if len(lines) >= limit:
            more += 1
            continue
        path = _path(loc)
        value = item.get("input")
        if kind in _BOUNDS and isinstance(value, bool):  # a number's bound failed on true/false
            line = f"{path}: {value} is not allowed: must be a number"
        elif kind in _BOUNDS:
            key, symbol = _BOUNDS[kind]
            line = f"{path}: {_show(value)} is not allowed: must be {symbol} {_bound(ctx[key])}{_unit_at(loc, data, root)}"
        elif kind == "missing":
            line = f"{path}: missing: this field is required"
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            allowed = _allowed_fields(loc, data, root)
            hint = difflib.get_close_matches(name, allowed, n=1)
            line = f"{path}: unknown field"
            if hint:
                line += f" (did you mean {hint[0]!r}?)"
            if allowed:
                line += f"; allowed: {', '.join(allowed)}"
        elif kind == "union_tag_invalid":
            line = f"{path}.kind: {_show(ctx.get('tag'))} is not a device kind: must be one of {', '.join(KINDS)}"
        elif kind == "union_tag_not_found":
            line = f"{path}.kind: missing: every device needs a kind, one of {', '.join(KINDS)}"
        elif kind == "literal_error":
            line = f"{path}: {_show(value)} is not allowed: must be one of {ctx.get('expected')}"
        elif kind == "string_pattern_mismatch":
            line = f"{path}: {_show(value)} is not allowed: must match {ctx.get('pattern')}"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
            what = "a whole number" if kind.startswith("int") else "a number"
            line = f"{path}: {_show(value)} is not allowed: must be {what}"
        elif kind == "invalid_key":
            where = _path(loc[:-1])
            text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            line = f"{where}: key {_show(text)[1:-1]} must be a name in quotes, e.g. \"{_show(text)[1:-1]}\": ...; field names are text"
        elif kind.startswith("date_") or kind.startswith("datetime_"):
            what = "a date YYYY-MM-DD" if kind.startswith("date_") else "a date and time YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
            reason = ctx.get("error")
            line = f"{path}: {_show(value)} is not allowed: must be {what}" + (f" ({reason})" if reason else "")
        elif kind in ("finite_number",):
            line = f"{path}: {_show(value)} is not allowed: must be a finite number"
        elif kind == "value_error":
            message = str(item["msg"]).removeprefix("Value error, ")
            shown = "" if isinstance(value, (dict, list)) else f"{_show(value)} is not allowed: "
            line = f"{path}: {shown}{message}"
        else:
            shown = "" if isinstance(value, (dict, list)) else f"{_show(value)} is not allowed: "
            line = f"{path}: {shown}{item['msg']}"
        if line not in listed:
            listed.add(line)
            lines.append(line)
    if more:
        lines.append(more_problems(more))
    return lines
