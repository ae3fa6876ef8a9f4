"""The device kinds the property tests draw, read from the kinds' registry
(:data:`homesim.devices.KINDS`) when they draw: a kind added under ``services/homesim/devices/``
is drawn by every fuzzer with no change to the tests. ``tests/test_kinds_drawn.py`` checks that
no test samples a hand-typed list of kinds.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from homesim import devices
from homesim.devices.base import LoadConfig
from homesim.devices.behaviour import PROFILE, THERMOSTAT
from homesim.home import HomeFileError, home_from_dict

from conftest import EXAMPLES


def all_kinds() -> list[str]:
    """Every kind in the registry."""
    return sorted(devices.KINDS)


def load_kinds() -> list[str]:
    """Every load kind in the registry."""
    return sorted(kind for kind, module in devices.KINDS.items() if issubclass(module.Config, LoadConfig))


def activity_kinds() -> list[str]:
    """The load kinds with a shared bounded-activity behaviour: a power profile of time alone
    (:class:`~homesim.devices.behaviour.ProfileLoad`) or a thermostat."""
    return [kind for kind in load_kinds() if devices.KINDS[kind].Config.BEHAVIOUR in (PROFILE, THERMOSTAT)]


def every_kind_example(kind: str) -> dict[str, Any]:
    """The kind's entry in ``examples/every_kind.yaml`` (which holds every kind; a test says so),
    without its id, circuit, switch and ``enabled``."""
    data = yaml.safe_load((EXAMPLES / "every_kind.yaml").read_text())
    found = [d for d in data["devices"] if d["kind"] == kind]
    assert found, f"examples/every_kind.yaml has no {kind!r}: add one"
    return {k: v for k, v in found[0].items() if k not in ("id", "circuit", "switch", "enabled")}


@functools.cache
def defaults_valid(kind: str) -> bool:
    """Whether a device of ``kind`` with no properties set is valid (else it needs some: its
    example's)."""
    try:
        home_from_dict({"location": {"latitude": 0.0, "longitude": 0.0}, "start": "2026-01-01",
                        "devices": [{"id": "grid", "kind": "grid"}, {"id": "x", "kind": kind}]})
    except HomeFileError:
        return False
    return True
