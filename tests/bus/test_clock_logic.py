"""The clock's logic (``homesim.bus.pacing.Clock``) without a router: a scripted home around it
on a clock of the test's own (no wall time, no process), on generated orderings: settlements late,
lost, doubled, stale or ahead; speed changes, refused speeds, pauses, steps, restarts."""

from __future__ import annotations

import heapq
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from autobahn.wamp.exception import ApplicationError
from hypothesis import given, settings
from hypothesis import strategies as st

from homesim.bus.pacing import REPUBLISH_TRIES, Clock
from homesim.messages import ClockState

INVALID = "homesim.error.invalid_property"
REPUBLISH_S = 5.0
SETTINGS = settings(max_examples=60, deadline=None)


class Now:
    """The test's clock [s]."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Fate:
    """What happens to a tick's publishes: the first ``lost`` get no settlement; the next one is
    settled ``delay`` [s] later (and again ``duplicate`` s after that, if given); if every try
    is lost, the inverter settles it ``rescue`` [s] after the first publish (it restarted)."""

    lost: int = 0
    delay: float = 0.0
    duplicate: float | None = None
    rescue: float = 60.0


@dataclass
class Trace:
    #: Every publish: (time [s], tick), and the session it was published in (0: the first).
    published: list[tuple[float, int]] = field(default_factory=list)
    session_of: list[int] = field(default_factory=list)
    sessions: int = 0
    #: (time, level, message)
    logs: list[tuple[float, int, str]] = field(default_factory=list)
    #: When the clock first heard each tick's settlement [s].
    settled_at: dict[int, float] = field(default_factory=dict)
    #: Ticks first published while the clock was paused; steps taken while paused (cumulative,
    #: at each such publish).
    paused_publishes: list[tuple[int, int]] = field(default_factory=list)
    refused: int = 0
    #: How many publishes there were when each request came (in the order they came).
    marks: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)
    done_at: float | None = None
    #: When the run ended [s] (the test's clock).
    end: float = 0.0
    views: list[dict[str, Any]] = field(default_factory=list)

    def first(self) -> list[tuple[float, int]]:
        """Each tick's first publish."""
        seen: set[int] = set()
        return [(t, k) for t, k in self.published if not (k in seen or seen.add(k))]


def simulate(clock: Clock, now: Now, fates: dict[int, Fate] | Callable[[int], Fate] | None = None, requests=(), polls=(),
             until: float = 200.0, restarts=(), ticks: int = 400, default: Fate = Fate()) -> Trace:
    """Run ``clock`` in a scripted home until ``until`` [s] after it starts: each publish of a
    tick settled as its :class:`Fate` says; ``requests``: (at [s], name, arguments) control
    requests; ``polls``: times [s] it is asked again for no reason; ``restarts``: times a new
    session starts it again; ``default``: the fate of a tick ``fates`` does not name; ``ticks``: at most that many publishes (as fast as it settles, a home
    settling at once would tick for ever in no time). Times are from the start."""
    fate_of = fates if callable(fates) else (lambda tick: (fates or {}).get(tick, default))
    trace = Trace()
    t0 = now.t
    queue: list[tuple[float, int, str, Any]] = []
    seq = iter(range(10**9))
    for at, name, args in requests:
        heapq.heappush(queue, (t0 + at, next(seq), "request", (name, args)))
    for at in polls:
        heapq.heappush(queue, (t0 + at, next(seq), "poll", None))
    for at in restarts:
        heapq.heappush(queue, (t0 + at, next(seq), "restart", None))
    tries: dict[int, int] = {}
    steps = {"while paused": 0}

    def handle(actions) -> None:
        trace.logs += [(now.t, level, message) for level, message in actions.log]
        trace.gave_up += [clock.next_tick] * actions.gave_up
        if actions.settled is not None:
            trace.settled.append(actions.settled)
        for tick in actions.publish:
            trace.published.append((now.t, tick))
            trace.session_of.append(trace.sessions)
            tries[tick] = tries.get(tick, 0) + 1
            if tries[tick] == 1 and clock.paused:
                trace.paused_publishes.append((tick, steps["while paused"]))
            fate = fate_of(tick)
            if tries[tick] == fate.lost + 1:
                heapq.heappush(queue, (now.t + fate.delay, next(seq), "settle", tick))
                if fate.duplicate is not None:
                    heapq.heappush(queue, (now.t + fate.delay + fate.duplicate, next(seq), "settle", tick))
            if tries[tick] == 1 and fate.lost >= clock.tries_max:
                heapq.heappush(queue, (now.t + fate.rescue, next(seq), "settle", tick))
        if actions.done and trace.done_at is None:
            trace.done_at = now.t

    def deliver(kind: str, payload: Any) -> None:
        if kind == "settle":
            trace.settled_at.setdefault(payload, now.t)
            clock.settled(payload, {"tick": payload})
        elif kind == "request":
            name, args = payload
            trace.marks.append(len(trace.published))
            if name == "step" and clock.paused:
                steps["while paused"] += 1
            try:
                trace.views.append(getattr(clock, name)(*args))
            except ApplicationError as error:
                assert error.error == INVALID and "speed" in error.args[0]
                trace.refused += 1
        elif kind == "restart":
            trace.sessions += 1
            handle(clock.start())

    actions = clock.start()
    handle(actions)
    for _ in range(100_000):
        deadline = math.inf if actions.delay is None else now.t + actions.delay
        at = min(deadline, queue[0][0] if queue else math.inf)
        if at > t0 + until or actions.done or len(trace.published) >= ticks:
            break
        now.t = max(now.t, at)
        while queue and queue[0][0] <= now.t:
            _, _, kind, payload = heapq.heappop(queue)
            deliver(kind, payload)
        actions = clock.poll()
        handle(actions)
    else:
        raise AssertionError("the clock kept asking to be polled at once")
    trace.end = now.t
    return trace


#: A tick settled half a second after it is published (unless its fate says otherwise).
SETTLING = Fate(delay=0.5)


# --- strategies ------------------------------------------------------------------------------------

speeds = st.one_of(st.none(), st.floats(0.2, 500.0))
fates = st.dictionaries(st.integers(0, 40), st.builds(
    Fate, lost=st.integers(0, REPUBLISH_TRIES + 1), delay=st.floats(0.0, 12.0),
    duplicate=st.one_of(st.none(), st.floats(0.0, 20.0)), rescue=st.floats(0.0, 80.0)), max_size=12)
refused_speeds = st.sampled_from([0, -1, 1e308, float("inf"), float("nan"), 2**64, True, "fast", None, [1]])
requests = st.lists(st.tuples(st.floats(0.0, 150.0), st.one_of(
    st.tuples(st.just("set_speed"), st.tuples(st.one_of(st.just("max"), st.floats(0.2, 500.0)))),
    st.tuples(st.just("set_speed"), st.tuples(refused_speeds)),
    st.tuples(st.sampled_from(["pause", "resume", "step", "view"]), st.just(())))).map(lambda r: (r[0], *r[1])),
    max_size=25)


def new_clock(speed, limit: int = 0, settled: int = -1) -> tuple[Clock, Now]:
    now = Now()
    clock = Clock(speed, 60, now=now, limit=limit, republish_s=REPUBLISH_S)
    if settled >= 0:
        clock.settled(settled, {"tick": settled})
    return clock, now


# --- facts on any ordering -------------------------------------------------------------------------

@SETTINGS
@given(speed=speeds, fates=fates, requests=requests, settled=st.integers(-1, 5), limit=st.integers(0, 60),
       restarts=st.lists(st.floats(0.0, 150.0), max_size=2))
def test_ticks_go_in_order_one_at_a_time_re_sent_a_bounded_number_of_times(speed, fates, requests, settled, limit,
                                                                           restarts):
    clock, now = new_clock(speed, limit, settled)
    trace = simulate(clock, now, fates, requests, restarts=restarts, default=SETTLING)
    first = trace.first()
    # in order, no gaps, from the tick after the newest settled one
    assert [k for _, k in first] == list(range(settled + 1, settled + 1 + len(first)))
    # one tick out at a time: a tick goes once the one before is settled
    for t, k in first:
        assert k == settled + 1 or trace.settled_at[k - 1] <= t
    # never at or past the limit, and done once there
    if limit:
        assert all(k < limit for _, k in trace.published)
        assert (trace.done_at is not None) == (limit <= settled + 1 or trace.settled_at.get(limit - 1) is not None)
    # a tick is published REPUBLISH_TRIES times at most per session, REPUBLISH_S apart or more
    # (a new session publishes the tick out again at once)
    tries: dict[tuple[int, int], list[float]] = {}
    for (t, tick), session in zip(trace.published, trace.session_of):
        tries.setdefault((tick, session), []).append(t)
    for times in tries.values():
        assert len(times) <= REPUBLISH_TRIES
        assert all(b - a >= REPUBLISH_S - 1e-9 for a, b in zip(times, times[1:]))
    # giving up is said once per try-out, only after all tries, and nothing goes after it
    for tick in trace.gave_up:
        said = [t for t, level, message in trace.logs
                if level == logging.ERROR and message.startswith(f"tick {tick} not settled after {REPUBLISH_TRIES} tries")]
        assert said and len(said) == trace.gave_up.count(tick)
        for when in said:  # after all its tries in a session, and none after it in that session
            session = max(s for (t, k), s in zip(trace.published, trace.session_of) if k == tick and t <= when)
            times = tries[tick, session]
            assert len(times) == REPUBLISH_TRIES and when - times[-1] >= REPUBLISH_S - 1e-9
    # paused, a tick goes only for a step asked for while paused
    for count, (_, steps) in enumerate(trace.paused_publishes, 1):
        assert count <= steps
    # every view answered is a valid clock state
    for view in trace.views:
        ClockState.model_validate(view)


@SETTINGS
@given(speed=speeds, fates=fates, requests=requests, refused=st.lists(st.tuples(st.floats(0.0, 150.0), refused_speeds),
                                                                       min_size=1, max_size=10),
       polls=st.lists(st.floats(0.0, 150.0), max_size=20))
def test_refused_speeds_and_needless_wake_ups_change_nothing(speed, fates, requests, refused, polls):
    """The same home with refused speed requests and wake-ups for nothing (a settlement of
    another tick, a request refused) sprinkled in: the same ticks at the same times."""
    plain = simulate(*new_clock(speed), fates, requests, default=SETTLING)
    clock, now = new_clock(speed)
    sprinkled = simulate(clock, now, fates, requests + [(at, "set_speed", (s,)) for at, s in refused], polls=polls,
                         default=SETTLING)
    assert sprinkled.refused == plain.refused + len([at for at, _ in refused if 1000.0 + at <= sprinkled.end])
    assert sprinkled.published == plain.published
    assert sprinkled.logs == plain.logs


@SETTINGS
@given(speed=st.floats(0.2, 50.0), latency=st.floats(0.0, 0.999), changes=st.lists(
    st.tuples(st.floats(0.0, 30.0), st.floats(0.2, 50.0)), max_size=4, unique_by=lambda c: c[0]))
def test_the_pace_is_the_speed_asked_for_while_settlements_keep_up(speed, latency, changes):
    """Settled within a tick's time, ticks go 1/speed apart from the start, exactly; after a
    speed change the tick due goes at once (when the tick out is settled), and from there the
    clock keeps the new pace within one tick: n ticks take (n +- 1)/speed."""
    delay = latency / max([speed] + [s for _, s in changes])  # shorter than a tick at any speed
    changes = sorted(changes)  # (in the order they come, also those at the same time)
    clock, now = new_clock(speed)
    trace = simulate(clock, now, lambda tick: Fate(delay=delay), [(at, "set_speed", (s,)) for at, s in changes],
                     until=40.0, ticks=10**6)
    timeline = [(0.0, speed)] + changes
    assert trace.published == trace.first()  # (none re-sent)
    marks = [0] + trace.marks + [len(trace.published)]
    for n, (at, pace) in enumerate(timeline):
        times = [t - 1000.0 for t, _ in trace.published[marks[n]:marks[n + 1]]]
        if not n:
            assert all(b - a == pytest.approx(1.0 / pace, rel=1e-9) for a, b in zip(times, times[1:]))
        elif times:  # a speed change: the tick due goes at once (once the tick out is settled)
            assert times[0] - at <= delay + 1e-9
        drift = [t - k / pace for k, t in enumerate(times)]  # each tick's time less its pace's
        assert not drift or max(drift) - min(drift) <= 1.0 / pace + 1e-9
    assert clock.view()["speed"] == timeline[-1][1]


# --- examples of the rules ---------------------------------------------------------------------------

def test_a_tick_not_settled_is_re_sent_five_times_then_the_clock_says_so_once_and_waits():
    clock, now = new_clock(None)
    trace = simulate(clock, now, {3: Fate(lost=99, rescue=100.0)}, until=400.0)
    times = [t - 1000.0 for t, k in trace.published if k == 3]
    start = times[0]
    assert [t - start for t in times] == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    warnings = [m for _, level, m in trace.logs if level == logging.WARNING]
    assert warnings == [f"tick 3 not settled after {5 * n} s; publishing it again" for n in range(1, 6)]
    errors = [(t - 1000.0 - start, m) for t, level, m in trace.logs if level == logging.ERROR]
    assert len(errors) == 1 and errors[0][0] == 30.0 and "not publishing it again" in errors[0][1]
    assert trace.gave_up == [3]
    assert trace.settled_at[3] - 1000.0 == start + 100.0 and (trace.settled_at[3], 4) in trace.published


def test_a_settlement_of_another_tick_restarts_the_wait_before_a_re_send():
    """As before: any settlement heard (a stale one too) starts the re-send's wait again."""
    clock, now = new_clock(None)
    trace = simulate(clock, now, {0: Fate(duplicate=3.0), 1: Fate(lost=2)}, until=30.0)
    t1 = [t - 1000.0 for t, k in trace.published if k == 1]
    assert t1 == [0.0, 8.0, 13.0]  # the stale settlement of 0 came at 3 s: 3 + 5, then 5 later


def test_a_new_speed_paces_from_now_not_from_the_ticks_before():
    """150 ticks at 100 a second, then 5 a second: the next tick at once (paced from the ticks
    before, it would have waited 30 s), then 0.2 s apart. As the clock always did, at 1 tick per
    second or more, the tick after it goes at once too: the new pace counts from one tick's time
    before the change."""
    clock, now = new_clock(100.0)
    trace = simulate(clock, now, requests=[(1.495, "set_speed", (5,))], until=2.2)
    first = [t - 1000.0 for t, _ in trace.first()]
    assert first[:150] == pytest.approx([k / 100 for k in range(150)])
    assert first[150:] == pytest.approx([1.495, 1.495, 1.695, 1.895, 2.095])
    slow, now = new_clock(100.0)  # below 1 tick per second, it counts from now
    first = [t - 1000.0 for t, _ in simulate(slow, now, requests=[(0.005, "set_speed", (0.5,))], until=5.0).first()]
    assert first == pytest.approx([0.0, 0.005, 2.005, 4.005])


def test_paused_it_ticks_only_when_stepped_and_resumed_at_once():
    clock, now = new_clock(1.0)
    trace = simulate(clock, now, requests=[(0.5, "pause", ()), (10.0, "step", ()), (10.2, "step", ()),
                                           (20.0, "resume", ())], until=22.5)
    assert [(round(t - 1000.0, 6), k) for t, k in trace.first()] == [(0.0, 0), (10.0, 1), (10.2, 2), (20.0, 3),
                                                                      (21.0, 4), (22.0, 5)]


def test_a_step_while_running_changes_nothing():
    clock, now = new_clock(2.0)
    stepped = simulate(clock, now, requests=[(0.7, "step", ()), (1.1, "step", ())], until=5.0)
    assert stepped.first() == simulate(*new_clock(2.0), until=5.0).first()
    assert clock.steps == 0


def test_it_resumes_after_the_newest_settlement_and_goes_past_one_of_a_later_tick():
    clock, now = new_clock(None, settled=41)
    clock.settled(7, {"tick": 7})  # stale: changes nothing
    trace = simulate(clock, now, {43: Fate(lost=1)}, requests=[], until=1.0)
    assert trace.logs[0] == (1000.0, logging.INFO, "resuming after tick 41")
    assert trace.first()[-1][1] == 43  # 42 settled at once, 43 out
    clock.settled(90, {"tick": 90})  # an inverter that went on without the clock
    actions = clock.poll()
    assert actions.publish == [91] and clock.settlement == {"tick": 90}
    assert clock.tick_message(91, 1_700_000_000, 5.0) == {"tick": 91, "time": 1_700_000_000 + 91 * 60, "dt_s": 60,
                                                          "sent": 5.0, "settled": {"tick": 90}}


def test_a_new_session_publishes_the_tick_out_again_at_once():
    clock, now = new_clock(None)
    trace = simulate(clock, now, {2: Fate(lost=99, rescue=100.0)}, restarts=[3.0], until=4.0)
    assert [(t - 1000.0, k) for t, k in trace.published] == [(0.0, 0), (0.0, 1), (0.0, 2), (3.0, 2)]


def test_it_stops_at_the_limit():
    clock, now = new_clock(None, limit=5)
    trace = simulate(clock, now, until=10.0)
    assert [k for _, k in trace.published] == [0, 1, 2, 3, 4]
    assert trace.logs[-1][1:] == (logging.INFO, "stopping after 5 ticks") and trace.done_at == 1000.0
    assert trace.settled == [0, 1, 2, 3, 4]
    assert new_clock(None, limit=5, settled=4)[0].start().done  # restarted past it: done at once


@pytest.mark.parametrize("speed", [1e308, float("inf"), float("nan"), 2**64, 2**53 + 1, 0, -1, True, "fast", None])
def test_a_refused_speed_is_named_and_changes_nothing(speed):
    clock, _ = new_clock(10.0)
    before = clock.view()
    with pytest.raises(ApplicationError) as refused:
        clock.set_speed(speed)
    assert refused.value.error == INVALID and "speed" in refused.value.args[0]
    assert clock.view() == before and clock.changes == 0
