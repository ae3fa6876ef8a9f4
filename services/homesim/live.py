"""The home file of a live run: where its relative paths resolve, a device's own properties laid
over it in a cluster, and the run's step, start and seed from the environment. Used by every
live process (devices and services); no bus I/O.

``HOMESIM_HOME_DIR``: where relative paths resolve (default: the home file's folder);
``HOMESIM_DEVICE_CONFIG``: a YAML file with one device's entry, replacing the home file's (how a
device in a cluster gets the properties of its Device object); ``HOMESIM_STEP``,
``HOMESIM_START`` and ``HOMESIM_SEED``: the run's step [s], first day and seed (defaults: 60 s,
the home's start, the home's seed).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from homesim.engine.compiled import CompiledHome
from homesim.home import Home, HomeFileError, home_from_dict, read_home_file


def home_dir(home_path: Path) -> Path:
    """Where relative paths of the home file resolve."""
    configured = os.environ.get("HOMESIM_HOME_DIR")
    return Path(configured) if configured else home_path.resolve().parent


def load_live_home(home_path: Path, base: Path | None = None) -> Home:
    """The home file, its relative paths resolved against ``base`` (default :func:`home_dir`)."""
    data = read_home_file(home_path)
    overlay = os.environ.get("HOMESIM_DEVICE_CONFIG")
    if overlay and isinstance(data, dict):
        # In a cluster, a device's own properties come from its ConfigMap (edited through its Device)
        try:  # read as a home file is: bounded in size, aliases and nesting
            device = read_home_file(overlay)
        except HomeFileError as error:
            raise HomeFileError([f"cannot read the device config {overlay}: {p}" for p in error.problems]) from None
        if not isinstance(device, dict):
            raise HomeFileError([f"the device config {overlay} must be a mapping of a device's fields"])
        devices = [d for d in data.get("devices", []) if not (isinstance(d, dict) and d.get("id") == device.get("id"))]
        data = {**data, "devices": devices + [device]}
    return home_from_dict(data, source=str(home_path), home_dir=base or home_dir(home_path))


def compile_home(home: Home) -> CompiledHome:
    """``home`` compiled with this run's step, start and seed (from the environment)."""
    start = os.environ.get("HOMESIM_START")
    seed = os.environ.get("HOMESIM_SEED")
    return CompiledHome(home, int(os.environ.get("HOMESIM_STEP", "60")),
                        dt.date.fromisoformat(start) if start else None, int(seed) if seed else None)
