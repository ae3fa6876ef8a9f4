"""Adopting a calibrated home in the live home (``history.adopt``): what to remove, add and set
(:func:`adoption`, no bus I/O), then done through the controller and the devices' ``set`` with
the revision read (:func:`adopt`).

The calibrated home replaces the live home's devices: a live device the calibrated home lacks is
removed (but the sun and the weather, if the calibrated home has none of that kind: they are the
home's place, not its equipment), one of another kind under the same id is removed and added
again, a new one is added, and one of the same kind gets the calibrated properties that differ
(``set`` with the revision it just read: a change made meanwhile refuses it with
``homesim.error.conflict``). The whole adoption is refused with ``homesim.error.conflict`` if the
desired home is no longer at the version the caller read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autobahn.wamp.exception import ApplicationError

from homesim.bus.uris import CONFLICT, Uris

#: Kinds kept when the calibrated home has none of them (the place, not the equipment).
PLACE_KINDS = ("sun", "weather")
#: Keys of a device entry that are not properties.
NOT_PROPERTIES = ("id", "kind", "enabled")


@dataclass
class Adoption:
    remove: list[str] = field(default_factory=list)
    add: list[dict[str, Any]] = field(default_factory=list)
    change: dict[str, dict[str, Any]] = field(default_factory=dict)


def adoption(live: list[dict[str, Any]], calibrated: list[dict[str, Any]]) -> Adoption:
    """What replacing ``live``'s devices by ``calibrated``'s does (each a home file's device entries)."""
    result = Adoption()
    kinds = {d.get("kind") for d in calibrated}
    by_id = {d["id"]: d for d in live}
    wanted = {d.get("id") for d in calibrated}
    for device in live:
        if device["id"] not in wanted and not (device.get("kind") in PLACE_KINDS and device.get("kind") not in kinds):
            result.remove.append(device["id"])
    for device in calibrated:
        old = by_id.get(device.get("id"))
        if old is None:
            result.add.append(device)
        elif old.get("kind") != device.get("kind"):
            result.remove.append(old["id"])
            result.add.append(device)
        else:
            changes = {k: v for k, v in device.items() if k not in NOT_PROPERTIES and old.get(k) != v}
            if changes:
                result.change[device["id"]] = changes
    return result


async def adopt(session: Any, uris: Uris, desired: dict[str, Any], version: int,
                calibrated: dict[str, Any]) -> dict[str, list[str]]:
    """Replace the live home's devices by ``calibrated``'s through the controller (``desired``:
    the controller's last DesiredHome message; ``version``: the one the caller read)."""
    now = desired.get("version")
    if now != version:
        raise ApplicationError(CONFLICT, f"version: the home changed since version {version} (now {now}): reload it "
                                         f"and adopt again")
    plan = adoption(list(desired["home"].get("devices", [])), list(calibrated.get("devices", [])))
    for device_id in plan.remove:
        await session.call(uris.controller("remove"), device_id)
    added = []
    for device in plan.add:
        result = await session.call(uris.controller("add"), device)
        added.append(result["id"] if isinstance(result, dict) else device.get("id"))
    for device_id, changes in plan.change.items():
        view = await session.call(uris.get(device_id))
        await session.call(uris.set(device_id), changes, revision=view["revision"])
    return {"added": added, "removed": [d for d in plan.remove if d not in added], "changed": list(plan.change)}
