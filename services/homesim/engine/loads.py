"""Every load of a home as tables for its behaviour kernels, stepped by the generated loops of
:mod:`homesim.engine.dispatch` (each load's kernels behind its smart switch).

Both runtimes step loads with these: the fast-forward engine all of a home's loads in its
compiled loop, a live load process its own (tables of one row) in plain Python.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
from homesim.devices.base import LoadConfig
from homesim.devices.kernel import SWITCH
from homesim.engine import dispatch


class LoadTables(NamedTuple):
    """A home's loads compiled: a row each, as wide as the widest behaviour's parameters."""

    code: np.ndarray  # [n] int64 behaviour code (``dispatch.CODES``)
    counts: np.ndarray  # [codes] int64 loads of each behaviour code
    switch: np.ndarray  # [n, len(SWITCH)] float64 smart switch conditions
    params: np.ndarray  # [n, width] float64 behaviour parameters
    essential: np.ndarray  # [n] bool on the inverter's backup output


def behaviour_code(load: LoadConfig) -> int:
    """The dispatcher's code of a load's behaviour."""
    name = load.BEHAVIOUR.name
    if name not in dispatch.CODES:
        raise RuntimeError(f"the behaviour {name!r} of kind {load.kind!r} is not in homesim/engine/dispatch.py: "
                           "regenerate it (make specs, or python -m homesim.engine.gen_dispatch)")
    return dispatch.CODES[name]


def _rows(vectors: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Vectors of different lengths as the rows of one zero-padded table (at least 1 wide)."""
    width = max([1] + [v.shape[0] for v in vectors])
    table = np.zeros((n, width), dtype=np.float64)
    for i, vector in enumerate(vectors):
        table[i, : vector.shape[0]] = vector
    return table


def load_tables(loads: Sequence[LoadConfig], essential: np.ndarray, dt_s: int) -> LoadTables:
    """The tables of a home's loads (in the home's order) for a run of ``dt_s`` [s] steps."""
    n = len(loads)
    code = np.array([behaviour_code(load) for load in loads], dtype=np.int64)
    counts = np.zeros(len(dispatch.CODES), dtype=np.int64)
    for c in code:
        counts[c] += 1
    return LoadTables(
        code=code,
        counts=counts,
        switch=np.array([load.switch_params() for load in loads], dtype=np.float64).reshape(n, len(SWITCH)),
        params=_rows([load.params(dt_s) for load in loads], n),
        essential=np.asarray(essential, dtype=np.bool_),
    )


def initial_state(loads: Sequence[LoadConfig]) -> np.ndarray:
    """``[n, width]`` state of every load at the start."""
    return _rows([load.initial_state() for load in loads], len(loads))


def input_width(loads: Sequence[LoadConfig]) -> int:
    """Rows of the widest load's inputs (at least 1: ``allowed``)."""
    return max([1] + [len(load.BEHAVIOUR.inputs) for load in loads])


#: Every load's demand and its state's advance in a tick (generated: ``homesim.engine.dispatch``).
loads_demand = dispatch.loads_demand
loads_advance = dispatch.loads_advance
