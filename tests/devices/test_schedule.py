"""Step functions of real time (``homesim.devices.schedule.Steps``) built from intervals."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from homesim.devices.schedule import Steps

intervals = st.lists(st.tuples(st.integers(-50, 400), st.integers(-3, 60), st.sampled_from([0.0, 1.0, 2.5, -1.0])),
                     max_size=12)


def _check(steps: Steps, expected) -> None:  # noqa: ANN001
    assert steps.start.dtype == steps.end.dtype == steps.value.dtype == np.float64
    assert (steps.end > steps.start).all() and (steps.start[1:] >= steps.end[:-1]).all()  # sorted, disjoint
    assert (steps.value != 0.0).all()
    x = np.arange(-60.0, 480.0, 0.5)
    np.testing.assert_array_equal(steps.at(x), [expected(t) for t in x])


@settings(max_examples=300, deadline=None)
@given(intervals, st.booleans())
def test_intervals_give_their_sum_or_union_at_every_instant(spans, shuffled) -> None:  # noqa: ANN001
    """Whether the intervals are disjoint (the daily windows of a timer: kept as given) or
    overlap (summed, or joined), the steps are sorted and disjoint and take, at every instant,
    the sum of the values of the intervals covering it, or 1 where any covers it."""
    start = np.array([s for s, _, _ in spans], dtype=np.float64) * 10
    end = start + np.array([length for _, length, _ in spans], dtype=np.float64) * (5 if shuffled else 10)
    value = np.array([v for _, _, v in spans], dtype=np.float64)

    def covering(t: float) -> np.ndarray:
        return (start <= t) & (t < end)

    _check(Steps.from_intervals(start, end, value), lambda t: float(value[covering(t)].sum()))
    _check(Steps.from_intervals(start, end, union=True), lambda t: 1.0 if covering(t).any() else 0.0)


def test_touching_windows_stay_apart_and_each_is_one() -> None:
    steps = Steps.from_intervals(np.array([20.0, 0.0, 10.0]), np.array([30.0, 10.0, 20.0]), union=True)
    np.testing.assert_array_equal(steps.start, [0.0, 10.0, 20.0])
    np.testing.assert_array_equal(steps.end, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(steps.value, [1.0, 1.0, 1.0])
