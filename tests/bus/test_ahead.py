"""What a device running ahead sends of the inverter's window (``homesim.bus.ahead.Ahead``),
without a router: on generated sequences of progresses (the window moving, ticks settling, a new
inverter session, the same progress twice) and property changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from homesim.bus.ahead import Ahead

WINDOW = 8

STEPS = st.lists(st.one_of(
    st.tuples(st.just("settle"), st.integers(1, WINDOW)),  # ticks settled, the progress after them
    st.tuples(st.just("same")),  # the same progress again (the retained one, a repeat)
    st.tuples(st.just("session")),  # a new inverter session: it holds nothing
    st.tuples(st.just("changed")),  # the device's properties changed
), max_size=40)


def progress(holder: int, tick: int, window: tuple[int, int]) -> dict:
    return {"holder": holder, "tick": tick, "window_start": window[0], "window_end": window[1]}


@settings(max_examples=100, deadline=None)
@given(steps=STEPS)
def test_every_tick_of_the_window_reaches_each_session_once_and_a_change_only_ticks_not_settled(steps):
    """After each progress the inverter's session holds the device's events of every tick of
    the window (sent once to that session, but after a property change); a property change
    sends the window again from the next tick to settle, never a settled one; nothing outside
    the window is sent."""
    ahead = Ahead()
    holder, tick, window = 1, -1, (0, WINDOW)
    held: dict[int, int] = {}  # what the inverter's session holds: tick -> times sent
    for step in [("same",), *steps]:
        if step[0] == "settle":
            tick += step[1]
            if tick + WINDOW // 2 >= window[1]:
                window = (tick + 1, tick + 1 + WINDOW)
        elif step[0] == "session":  # (its first progress: the window from the next tick on)
            holder, held, window = holder + 1, {}, (tick + 1, tick + 1 + WINDOW)
        if step[0] == "changed":
            span = ahead.changed()
            assert span is not None and span == (max(window[0], tick + 1), window[1])
        else:
            ahead.progress(progress(holder, tick, window))
            span = ahead.due()
            if span is not None:
                assert not any(held.get(t) for t in range(*span))  # once, but after a change
        if span is not None:
            assert window[0] <= span[0] < span[1] <= window[1] and span[0] > tick
            for t in range(*span):
                held[t] = 1
        assert all(held.get(t) for t in range(window[0], window[1]))


def test_a_device_that_has_seen_no_progress_sends_nothing():
    assert Ahead().due() is None and Ahead().changed() is None
