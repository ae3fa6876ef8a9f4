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

import os
from typing import Any

#: ``False``: the kernels are plain Python.
COMPILED = os.environ.get("HOMESIM_JIT", "1") != "0"


def njit(*args: Any, **options: Any) -> Any:
    """numba's ``njit`` (``@njit`` or ``@njit(cache=True, ...)``), or the function itself while
    the kernels are plain."""
    if COMPILED:
        from numba import njit as numba_njit

        return numba_njit(*args, **options)

    if len(args) == 1 and callable(args[0]) and not options:
        return args[0]  # @njit
    return lambda function: function  # @njit(cache=True, ...)
