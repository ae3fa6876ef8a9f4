"""Rainflow cycle counting of a SoC history (ASTM E1049-85, the three-point method): the depths,
mean SoCs and counts of its cycles, which the cycle-ageing laws take."""

from __future__ import annotations


import numpy as np
from numpy.typing import ArrayLike


# --- rainflow ------------------------------------------------------------------------------

def _series(values: ArrayLike, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must hold finite numbers; got NaN or infinity at index "
                         f"{int(np.flatnonzero(~np.isfinite(x))[0])}")
    return x


def _turning_points(x: np.ndarray) -> np.ndarray:
    """The peaks and valleys of ``x``, first and last point included, repeats dropped."""
    if x.size < 2:
        return x
    x = np.concatenate([x[:1], x[1:][np.diff(x) != 0.0]])
    if x.size < 3:
        return x
    slope = np.sign(np.diff(x))
    turns = np.flatnonzero(slope[1:] != slope[:-1]) + 1
    return np.concatenate([x[:1], x[turns], x[-1:]])


def rainflow_cycles(soc: ArrayLike) -> list[tuple[float, float, float]]:
    """Count the cycles of a history by rainflow, ASTM E1049-85 (reapproved 2017), §5.4.4.

    The history is first reduced to its peaks and valleys. Then, point by point (the
    standard's steps): with ``X`` the range of the two most recent points and ``Y`` the range
    before it, while ``X >= Y``: if ``Y`` holds the starting point, ``Y`` counts as half a
    cycle and the starting point is discarded; otherwise ``Y`` counts as one cycle and its two
    points are discarded. At the end each range left counts as half a cycle.

    Parameters
    ----------
    soc : array_like
        The history, e.g. state of charge [-] (any finite numbers: the standard's own example
        is a load history).

    Returns
    -------
    list of (float, float, float)
        ``(depth, mean, count)`` per counted range: its depth (peak to valley) and mean in the
        history's unit, and ``count`` 1.0 for a full cycle or 0.5 for a half, in the order the
        standard counts them.

    Examples
    --------
    >>> rainflow_cycles([0.2, 0.9, 0.2, 0.9, 0.2])  # two swings of 0.7: four halves
    [(0.7, 0.55, 0.5), (0.7, 0.55, 0.5), (0.7, 0.55, 0.5), (0.7, 0.55, 0.5)]
    """
    points = _turning_points(_series(soc, "soc")).tolist()
    counted: list[tuple[float, float, float]] = []
    stack: list[float] = []
    for point in points:
        stack.append(point)
        while len(stack) >= 3:
            x = abs(stack[-1] - stack[-2])
            y = abs(stack[-2] - stack[-3])
            if x < y:
                break
            if len(stack) == 3:  # Y holds the starting point: half a cycle, drop the start
                counted.append((y, (stack[0] + stack[1]) / 2, 0.5))
                del stack[0]
            else:
                counted.append((y, (stack[-2] + stack[-3]) / 2, 1.0))
                del stack[-3:-1]
    counted += [(abs(b - a), (a + b) / 2, 0.5) for a, b in zip(stack, stack[1:])]
    return [(round(d, 12), round(m, 12), c) for d, m, c in counted]  # 0.9 - 0.2 reads 0.7
