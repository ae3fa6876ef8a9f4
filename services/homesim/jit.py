"""One source of truth for the physics kernels, compiled where it pays and plain where a process
must stay light.

Every kernel is written once, as plain Python over numpy arrays, and decorated with
:func:`njit` from here. In the fast-forward engine (a year in a second) it is numba's ``njit``.
A device process on the bus steps one tick at a time and computes a block of ticks (a week at
60 s) once a week of simulated time: plain Python does that in a fraction of a second (the sun,
weather and PV chain of a block: about 0.3 s), and the process saves numba, LLVM and SciPy.
Both run the same function on the same float64 values: the loads', battery's and inverter's kernels give the same numbers bit for bit
(``tests/engine/test_jit.py``, random inputs); the sun's angles, through transcendental
functions numba and numpy round differently, agree to a few units in the last place (8 ulps,
2.8e-14 degrees, measured), far below a Joule: whole-home ledgers are equal to the Joule
(``tests/engine/test_jit.py``, and the live same-ledger test).

``HOMESIM_JIT=0`` in the environment, before the first kernel module is imported, leaves the
kernels plain (device processes and the bus services but the planner set it by default).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

#: ``False``: the kernels are plain Python.
COMPILED = os.environ.get("HOMESIM_JIT", "1") != "0"

#: The packages whose modules hold kernels: their sources key the compiled cache.
KERNEL_PACKAGES = ("devices", "engine")
#: Caches of other sources kept beside the current one (older ones are removed).
KEEP_CACHES = 3

_cache_ready = False


def kernels_digest() -> str:
    """A digest of every kernel module's source (and this one's)."""
    here = Path(__file__).parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for package in KERNEL_PACKAGES:
        for path in sorted((here / package).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _use_keyed_cache() -> None:
    """Point numba's on-disk cache at a folder named by :func:`kernels_digest`.

    numba checks a cached function against its own file only: a kernel it calls that has
    changed (a load kind's, or the generated dispatcher after a kind was added) would still
    run in its old compiled form. Keyed by every kernel's source, any change compiles afresh.
    The folder is under ``NUMBA_CACHE_DIR`` when that is set (containers: ``/tmp/numba``),
    else beside this module in ``__pycache__/numba``."""
    global _cache_ready
    if _cache_ready:
        return
    base = Path(os.environ.get("HOMESIM_NUMBA_CACHE_BASE") or os.environ.get("NUMBA_CACHE_DIR")
                or Path(__file__).parent / "__pycache__" / "numba")
    os.environ["HOMESIM_NUMBA_CACHE_BASE"] = str(base)  # child processes key from the same base
    folder = base / kernels_digest()
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    from numba.core import config

    config.CACHE_DIR = str(folder)  # numba may have read the environment already
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)
        others = sorted((p for p in base.iterdir() if p.is_dir() and p != folder), key=lambda p: p.stat().st_mtime)
        for stale in others[:-KEEP_CACHES] if len(others) > KEEP_CACHES else []:
            shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass  # a read-only place: numba then compiles without caching, as it would anyway
    _cache_ready = True


def njit(*args: Any, **options: Any) -> Any:
    """numba's ``njit`` (``@njit`` or ``@njit(cache=True, ...)``), or the function itself while
    the kernels are plain. Compiled kernels cache in a folder keyed by every kernel's source
    (:func:`_use_keyed_cache`)."""
    if COMPILED:
        _use_keyed_cache()
        from numba import njit as numba_njit

        return numba_njit(*args, **options)

    if len(args) == 1 and callable(args[0]) and not options:
        return args[0]  # @njit
    return lambda function: function  # @njit(cache=True, ...)


def inlined(kernel: Any) -> Any:
    """``kernel`` (a function decorated with :func:`njit`) compiled to be inlined where it is
    called (numba's ``inline="always"``), or itself while the kernels are plain.

    The engine's per-tick loop calls each load behaviour's kernels: a compiled call that takes
    arrays costs more than a thermostat's arithmetic (the call and the arrays' reference counts;
    measured: the reference home's year 0.163 s with calls, 0.13 s inlined). A kind's author
    writes ``@njit(cache=True)``; the generated dispatcher inlines through this."""
    if not COMPILED:
        return kernel
    return njit(cache=True, inline="always")(getattr(kernel, "py_func", kernel))

