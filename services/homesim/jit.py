"""One source of truth for the physics kernels, compiled where it pays and plain where a process
must stay light.

Every kernel is written once, as plain Python over numpy arrays, and decorated with
:func:`njit` from here. In the fast-forward engine (a year in a second) it is numba's ``njit``.
A device process on the bus steps one tick at a time and computes a block of ticks (a week at
60 s) once a week of simulated time: plain Python does that in milliseconds, and the process
saves numba, LLVM and SciPy (about 110 MB a process). Both run the same function on the same
float64 values, so they give the same integers (``tests/engine/test_jit.py`` checks it bit for
bit on random inputs, the same-ledger test on whole homes).

``HOMESIM_JIT=0`` in the environment, before the first kernel module is imported, leaves the
kernels plain (the device process sets it). :func:`enable` then compiles them all, for a kind
that needs compiled kernels in its process (the sun, the weather and the PV arrays: SPA and the
PV chain over every tick of a block).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

#: ``False``: kernels stay plain Python until :func:`enable`.
COMPILED = os.environ.get("HOMESIM_JIT", "1") != "0"

#: Kernels left plain, to be compiled by :func:`enable`: (module name, function name, options).
_PLAIN: list[tuple[str, str, dict[str, Any]]] = []


def njit(*args: Any, **options: Any) -> Any:
    """numba's ``njit`` (``@njit`` or ``@njit(cache=True, ...)``), or the function itself while
    kernels stay plain."""
    if COMPILED:
        from numba import njit as numba_njit

        return numba_njit(*args, **options)

    def keep(function: Callable) -> Callable:
        _PLAIN.append((function.__module__, function.__name__, options))
        return function

    if len(args) == 1 and callable(args[0]) and not options:
        return keep(args[0])
    return keep


def enable() -> None:
    """Compile every kernel left plain so far, and those defined from now on.

    Call it before any kernel runs: each module's kernel is replaced by its compiled version in
    the module, where callers (and other kernels, when numba compiles them) look it up."""
    global COMPILED
    if COMPILED:
        return
    from numba import njit as numba_njit

    COMPILED = True
    for module_name, name, options in _PLAIN:
        module = sys.modules[module_name]
        setattr(module, name, numba_njit(**options)(getattr(module, name)))
    _PLAIN.clear()
