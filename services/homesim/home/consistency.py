"""Settings that make sense one device at a time but not together (issue 13, "Hardening").

The inverter's dispatch (``homesim.devices.inverter.settle``) reads the battery's SoC against
the inverter's thresholds, and the battery model (``homesim.devices.battery``) never charges
above ``soc_max`` nor discharges below ``soc_min``. Some combinations can therefore never
work, e.g. a ``battery_restart_soc`` at or above the battery's ``soc_max``: charging stops at
``soc_max`` (up to a Joule short of it), so after its first shutdown the battery would never
discharge again. Those are :func:`problems` (the home is refused); combinations that are legal
but probably not what was meant are :func:`warnings` (``homesim validate`` prints them).

Every line names the field path as the home file writes it (``devices[5].battery_restart_soc``)
and says why. :func:`check` raises the problems as a pydantic ``ValidationError`` carrying one
error per problem at its field path, so ``Home`` validation (``Home._consistent``) reports them
like any other field error (``homesim: FILE: invalid home definition`` and one line each).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, Sequence

from homesim.devices.base import DeviceConfig
from homesim.findings import Finding, raise_findings, show


class Home(Protocol):
    """What the checks read of a home (:class:`homesim.home.Home`), so that this module needs
    nothing of the model that calls it."""

    devices: Sequence[DeviceConfig]

    @property
    def pv_arrays(self) -> Sequence[Any]: ...


def problems(home: "Home") -> list[str]:
    """Impossible combinations of settings across devices: one line each, path first."""
    return [f.problem() for f in find_problems(home)]


def warnings(home: "Home") -> list[str]:
    """Legal but odd combinations: one line each, path first."""
    return [f.warning() for f in find_warnings(home)]


def check(home: "Home") -> None:
    """Raise :func:`problems` as a ``ValidationError`` (called from ``Home`` validation)."""
    raise_findings("Home", find_problems(home))


# --- the rules -------------------------------------------------------------------------------


class _Parts(NamedTuple):
    battery: Any
    ib: int
    inverter: Any
    ii: int
    grid: Any
    ig: int


def _parts(home: "Home") -> _Parts:
    found: dict[str, tuple[Any, int]] = {}
    for index, device in enumerate(home.devices):
        found.setdefault(device.ROLE, (device, index))
    battery, ib = found.get("storage", (None, -1))
    inverter, ii = found.get("inverter", (None, -1))
    grid, ig = found.get("grid", (None, -1))
    return _Parts(battery, ib, inverter, ii, grid, ig)


def _set(device: Any, field: str) -> bool:
    """Whether ``field`` was written for ``device`` (not a default)."""
    return field in device.model_fields_set


def _grid_charge_slots(inverter: Any) -> list[tuple[int, Any]]:
    return [(j, slot) for j, slot in enumerate(inverter.programs) if slot.grid_charge]


def find_problems(home: "Home") -> list[Finding]:
    found: list[Finding] = []
    p = _parts(home)
    bat, inv = p.battery, p.inverter
    if bat is None:
        return found
    soc_max = bat.soc_max
    if inv is not None:
        restart = inv.battery_restart_soc
        if restart >= soc_max:
            # Charging stops at soc_max, sometimes a Joule short of it: a restart SoC at or above
            # it is never reached, and the battery never discharges again after a shutdown.
            if _set(inv, "battery_restart_soc") or not _set(bat, "soc_max"):
                found.append(Finding(("devices", p.ii, "battery_restart_soc"), restart,
                                     f"must be below the battery's soc_max {show(soc_max)} (devices[{p.ib}].soc_max): "
                                     "charging stops at soc_max, so the battery would never restart after a shutdown"))
            else:  # the inverter's default restart SoC against a soc_max the file sets
                found.append(Finding(("devices", p.ib, "soc_max"), soc_max,
                                     f"must be above the inverter's battery_restart_soc {show(restart)} "
                                     f"(devices[{p.ii}].battery_restart_soc, its default): charging stops at "
                                     "soc_max, so the battery would never restart after a shutdown"))
        elif not home.pv_arrays and p.grid is not None:
            # Without PV only a grid-charge program recharges the battery, up to its soc.
            targets = [(min(slot.soc, soc_max), j) for j, slot in _grid_charge_slots(inv) if slot.power_w > 0]
            if targets:
                best, j = max(targets)
                if restart >= best:
                    found.append(Finding(
                        ("devices", p.ii, "battery_restart_soc"), restart,
                        f"must be below the highest grid-charge target {show(best)} (devices[{p.ii}].programs[{j}].soc): "
                        "the home has no PV, so the battery would never restart after a shutdown"))
    for index, device in enumerate(home.devices):
        switch = getattr(device, "switch", None)
        level = getattr(switch, "min_battery_soc", None)
        if level is not None and level >= soc_max:
            found.append(Finding(("devices", index, "switch", "min_battery_soc"), level,
                                 f"must be below the battery's soc_max {show(soc_max)} (devices[{p.ib}].soc_max): "
                                 "charging stops at soc_max, so the load would never switch on"))
    return found


def find_warnings(home: "Home") -> list[Finding]:
    found: list[Finding] = []
    p = _parts(home)
    bat, inv, grid = p.battery, p.inverter, p.grid
    ii, ib, ig = p.ii, p.ib, p.ig
    if inv is not None:
        if grid is not None and grid.export_limit_w is not None:
            if inv.work_mode != "selling_first":
                found.append(Finding(("devices", ig, "export_limit_w"), grid.export_limit_w,
                                     f"has no effect: the inverter's work_mode {inv.work_mode} "
                                     f"(devices[{ii}].work_mode) never exports"))
            elif grid.export_limit_w == 0:
                found.append(Finding(("devices", ig, "export_limit_w"), grid.export_limit_w,
                                     f"the inverter is selling_first (devices[{ii}].work_mode) but may export "
                                     "nothing: the same as limited_to_home"))
            elif grid.export_limit_w >= inv.rated_power_w:
                found.append(Finding(("devices", ig, "export_limit_w"), grid.export_limit_w,
                                     f"never limits anything: the inverter's rated_power_w {show(inv.rated_power_w)} "
                                     f"(devices[{ii}].rated_power_w) is lower"))
        for j, slot in _grid_charge_slots(inv) if bat is not None else []:
            where = ("devices", ii, "programs", j)
            if grid is None:
                found.append(Finding(where + ("grid_charge",), True,
                                     "the home has no grid, so this program never charges the battery"))
            elif slot.power_w == 0:
                found.append(Finding(where + ("power_w",), slot.power_w,
                                     "with grid_charge: this program never charges the battery (and holds it "
                                     "while the grid is on)"))
            elif slot.soc <= bat.soc_min:
                found.append(Finding(where + ("soc",), slot.soc,
                                     f"with grid_charge: at or below the battery's soc_min {show(bat.soc_min)} "
                                     f"(devices[{ib}].soc_min), so this program never charges the battery"))
    if bat is None:
        return found
    if inv is not None:
        shutdown, low, restart = inv.battery_shutdown_soc, inv.battery_low_soc, inv.battery_restart_soc
        reserve = inv.backup_reserve_soc
        if restart == shutdown:
            found.append(Finding(("devices", ii, "battery_restart_soc"), restart,
                                 f"equals battery_shutdown_soc (devices[{ii}].battery_shutdown_soc): no hysteresis, "
                                 "after a shutdown the battery restarts as soon as it gets back to the shutdown SoC"))
        if shutdown < bat.soc_min:
            found.append(Finding(("devices", ii, "battery_shutdown_soc"), shutdown,
                                 f"is below the battery's soc_min {show(bat.soc_min)} (devices[{ib}].soc_min): in outages "
                                 "the battery stops at soc_min and never shuts down, so battery_restart_soc has no effect"))
        if low < bat.soc_min:
            found.append(Finding(("devices", ii, "battery_low_soc"), low,
                                 f"is below the battery's soc_min {show(bat.soc_min)} (devices[{ib}].soc_min): "
                                 "with the grid on the battery stops at soc_min anyway"))
        if reserve >= bat.soc_max:
            found.append(Finding(("devices", ii, "backup_reserve_soc"), reserve,
                                 f"is at or above the battery's soc_max {show(bat.soc_max)} (devices[{ib}].soc_max): "
                                 "with the grid on the battery never discharges (it is a backup only)"))
        elif reserve < bat.soc_min:
            found.append(Finding(("devices", ii, "backup_reserve_soc"), reserve,
                                 f"is below the battery's soc_min {show(bat.soc_min)} (devices[{ib}].soc_min): "
                                 "the battery stops at soc_min anyway"))
        for j, slot in enumerate(inv.programs):
            if slot.soc > bat.soc_max:
                found.append(Finding(("devices", ii, "programs", j, "soc"), slot.soc,
                                     f"is above the battery's soc_max {show(bat.soc_max)} (devices[{ib}].soc_max): "
                                     "in this slot the battery never discharges while the grid is on"
                                     + (" and is charged only to soc_max" if slot.grid_charge else "")))
        charged = bool(home.pv_arrays) or (grid is not None and any(
            slot.power_w > 0 and slot.soc > bat.soc_min for _, slot in _grid_charge_slots(inv)))
        if not charged:
            found.append(Finding(("devices", ib), bat.id,
                                 "the battery is never charged: the home has no pv_array and no program that "
                                 "charges it from the grid (grid_charge), so it only gives its initial charge"))
    for index, device in enumerate(home.devices):
        switch = getattr(device, "switch", None)
        level = getattr(switch, "min_battery_soc", None)
        if level is not None and level <= bat.soc_min:
            found.append(Finding(("devices", index, "switch", "min_battery_soc"), level,
                                 f"has no effect: at or below the battery's soc_min {show(bat.soc_min)} "
                                 f"(devices[{ib}].soc_min), which the SoC never goes under"))
    return found
