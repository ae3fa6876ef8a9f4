"""Device kinds: one module per kind, each with a pydantic ``Config`` whose ``kind`` literal
names it. The registry is built by discovering the modules, so adding a kind means adding
one module (plus its tests): the home file, the engine and the bus follow from it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from homesim.devices.base import DeviceConfig


def _discover() -> dict[str, ModuleType]:
    kinds: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        config = getattr(module, "Config", None)
        if isinstance(config, type) and issubclass(config, DeviceConfig):
            kind = config.model_fields["kind"].default
            kinds[kind] = module
    return dict(sorted(kinds.items()))


#: kind name -> module, e.g. ``KINDS["battery"].Config``.
KINDS: dict[str, ModuleType] = _discover()


def config_class(kind: str) -> type[DeviceConfig]:
    """The ``Config`` class of a device kind."""
    return KINDS[kind].Config
