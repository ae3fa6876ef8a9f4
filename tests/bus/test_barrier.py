"""The inverter's settlement barrier (``homesim.bus.barrier.Barrier``) without a router: fed
the events, ticks and topology a live home sends it, in orderings hypothesis generates (late,
duplicate, missing and implausible events, answering devices ahead of the tick, devices
running ahead sending their window again, ticks re-sent, the topology changing, a new session,
a restarted inverter), on a clock of the test's own (no wall time, no process).

Every settlement it returns is checked against a model of what it may hold: the events last
sent to it for that tick (a device twice: its last; implausible: none), settled by a twin
inverter stepped beside it. Ledger facts: each tick the clock published is settled once and in
order, sum(e) == loss_j in integer Joules, a device without an event has no flow and no demand
and is listed as missing, a tick is never held past the barrier's timeout nor settled before
it unless every present device's event is in, a late event changes no settled tick, the
progress's flows are the settlements' energy counted once."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homesim.bus.adapters import InverterAdapter, adapter_for
from homesim.bus.ahead import Ahead
from homesim.bus.barrier import Barrier, Dropped, Progressed, Resent, Settled
from homesim.bus.uris import Uris
from homesim.engine.compiled import CompiledHome
from homesim.home import home_from_dict

HOME = {
    "name": "barrier", "start": "2026-01-05",
    "location": {"latitude": -33.9, "longitude": 18.5, "altitude_m": 40, "timezone": "Africa/Johannesburg"},
    "devices": [
        {"id": "pv", "kind": "pv_array", "rated_power_w": 3000, "tilt_deg": 25, "azimuth_deg": 0},
        {"id": "battery", "kind": "battery", "capacity_kwh": 5},
        {"id": "geyser", "kind": "geyser"},
        {"id": "lights", "kind": "generic_load", "power_w": 300},
        {"id": "grid", "kind": "grid"},
    ],
}
DT_S = 900
#: The ticks a run covers: daylight (PV events of these ticks are plausible), 10:00 to 18:45.
START, END = 40, 75
#: Devices answering ticks (their events on ``energy``) and running ahead (on ``energy_ahead``).
ANSWERING = ("battery", "geyser")
AHEAD = ("pv", "lights", "grid")
ENERGY = ANSWERING + AHEAD
TIMEOUT_S = 2.0
#: A short window, so a run of a few dozen ticks moves it several times.
WINDOW = 8
URIS = Uris("h")


@pytest.fixture(scope="module")
def compiled() -> CompiledHome:
    return CompiledHome(home_from_dict(HOME), DT_S)


@pytest.fixture(autouse=True)
def quiet():
    """The barrier logs every tick settled without a device: thousands here, none of them news."""
    logger = logging.getLogger("homesim.bus")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def inverter(compiled: CompiledHome) -> InverterAdapter:
    """An inverter adapter as the first process of a run starting at tick ``START`` has it."""
    adapter = adapter_for(compiled, "inverter")
    assert isinstance(adapter, InverterAdapter)
    adapter.applied_tick = START - 1
    return adapter


class Now:
    """The test's clock [s]."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def event(device: str, tick: int, variant: int = 0, bad: bool = False) -> dict[str, Any]:
    """``device``'s energy event for ``tick``: plausible values that differ by tick and
    ``variant`` (a property changed); ``bad``: one its kind's check refuses."""
    part = ((tick * 7919 + variant * 104729 + len(device) * 31) % 997) / 997
    if device == "pv":
        return {"tick": tick, "available_j": 10**12 if bad else int(part * 3000 * DT_S)}
    if device == "battery":
        return {"tick": tick, "stored_j": 10**12 if bad else int(part * 5 * 3_600_000)}
    if device == "grid":
        return {"tick": tick, "grid_on": part > 0.2, "import_price": 3.0 + part, "export_price": 0.5}
    return {"tick": tick, "demand_j": 10**12 if bad else int(part * 100 * DT_S)}


def plausible(given: dict[str, Any]) -> bool:
    """Whether ``given`` is one of :func:`event`'s plausible events (``bad``: not)."""
    return 10**12 not in given.values()


def topic(device: str, what: str) -> str:
    return f"home.h.device.{device}.{what}"


def topology(status: dict[str, str]) -> dict[str, Any]:
    return {"time": 0.0, "devices": {d: {"kind": "k", "role": "r", "status": s, "since": 0.0} for d, s in status.items()}}


class Run:
    """A live home around one barrier: the clock publishes a tick once it saw the one before
    settled; devices answer it (or not, late, twice, wrongly); devices running ahead send the
    progress's window; the watcher reports devices present, missing or off. Every output of
    the barrier is checked as it comes (``take``)."""

    def __init__(self, compiled: CompiledHome) -> None:
        self.compiled = compiled
        self.now = Now()
        self.holder = 1
        self.twin = inverter(compiled)  # the model's inverter: settles what the barrier should hold
        self.status = {d: "present" for d in ENERGY}
        self.clock_tick = START  # the clock's tick: published, and settled once the barrier says so
        self.clock_sent = {START: 0.0}
        self.settled: list[dict[str, Any]] = []  # copies of every settlement, as published
        self.last_sent: dict[str, dict[str, Any]] = {}  # each device's last event
        self.ahead = {d: Ahead() for d in AHEAD}  # what each device running ahead sent to this holder
        self.resent = 0
        self.timeouts = 0
        self.start_instance()

    # -- the barrier's process -----------------------------------------------------------------

    def start_instance(self) -> None:
        """A new inverter process (the first, or a restart): it knows what is retained only."""
        self.barrier = Barrier(inverter(self.compiled), URIS, Path("."), clock=self.now, timeout_s=TIMEOUT_S,
                               ahead_ticks=WINDOW)
        #: the model: tick -> device -> the last event this process received for it, while not settled
        self.held: dict[int, dict[str, dict[str, Any]]] = {}
        #: every settlement this process made (what its ``since`` must give)
        self.made: list[dict[str, Any]] = []
        self.join()

    def join(self) -> None:
        """A session: the retained settlement, the topology, the first progress, the retained tick."""
        self.holder += 1
        self.barrier.join(self.holder, self.settled[-1] if self.settled else None)
        self.seen: dict[int, float] = {}  # tick -> when this session first heard of it
        self.delivered: set[int] = set()
        self.window: tuple[int, int] | None = None
        self.progress: dict[str, Any] | None = None
        self.flows: dict[str, list[int]] = {}
        self.take(self.barrier.topology_changed(topology(self.status)))
        self.take(self.barrier.open())
        self.deliver_tick()

    @property
    def last_settled(self) -> int:
        return self.settled[-1]["tick"] if self.settled else START - 1

    def deliver_tick(self) -> None:
        tick = self.clock_tick
        if tick > self.last_settled:
            self.seen.setdefault(tick, self.now())
            self.delivered.add(tick)
        message = {"tick": tick, "time": 1767564000 + tick * DT_S, "dt_s": DT_S, "sent": self.clock_sent[tick],
                   "settled": None}
        resent, again = self.resent, bool(self.made) and self.made[-1]["tick"] == tick
        self.take(self.barrier.tick(message))
        if again:  # settled here already: the settlement was lost on its way, it goes again
            assert self.resent == resent + 1

    def send(self, device: str, given: dict[str, Any]) -> None:
        self.last_sent[device] = given
        tick = given["tick"]
        if tick > self.last_settled:
            self.held.setdefault(tick, {})[device] = given
            self.seen.setdefault(tick, self.now())
        out = self.barrier.energy(topic(device, "energy"), given)
        if tick > self.last_settled and not plausible(given):
            assert Dropped(device, 1) in out
        self.take(out)

    def send_ahead(self, device: str, events: list[dict[str, Any]]) -> None:
        horizon = self.last_settled + 4 * WINDOW
        for one in events:
            if self.last_settled < one["tick"] <= horizon:
                self.held.setdefault(one["tick"], {})[device] = one
        self.take(self.barrier.energy_ahead(topic(device, "energy_ahead"), {"events": events}))

    # -- what it returns, checked --------------------------------------------------------------

    def take(self, out: list) -> None:
        for item in out:
            if isinstance(item, Settled):
                self.check_settled(item)
            elif isinstance(item, Resent):
                assert self.settled and item.settlement == self.settled[-1]  # the same settlement again
                assert item.settlement["tick"] == self.clock_tick
                self.resent += 1
            elif isinstance(item, Progressed):
                self.check_progress(item.message)
            else:
                assert isinstance(item, Dropped) and item.count >= 1

    def check_settled(self, item: Settled) -> None:
        s = item.settlement
        tick = s["tick"]
        # each tick the clock published, once, in order
        assert tick == self.last_settled + 1 == self.clock_tick, (tick, self.last_settled, self.clock_tick)
        # the balance, exact in integer Joules
        assert all(type(v) is int for v in s["e"].values()) and type(s["loss_j"]) is int
        assert sum(s["e"].values()) == s["loss_j"]
        # what it holds: the last event each device sent for the tick; an implausible one: none
        off = frozenset(d for d, status in self.status.items() if status == "off")
        received = {d: e for d, e in self.held.get(tick, {}).items() if plausible(e)}
        expected = self.twin.settle(tick, received, off)
        assert {k: v for k, v in s.items() if k != "tick_sent"} == expected
        # a device without an event is missing and given nothing: no flow, no demand
        for device in s["missing"]:
            assert device not in s["e"] and device not in s["demand"]
            assert device not in received and device not in off
        awaited = {d for d in ENERGY if self.status[d] == "present"}
        if item.timed_out:
            self.timeouts += 1
            assert self.now() - self.seen[tick] >= TIMEOUT_S  # never before the barrier ran out
        else:  # settled at once: the clock's tick and every present device's event were in
            assert tick in self.delivered and awaited <= self.held.get(tick, {}).keys()
            assert s["tick_sent"] == self.clock_sent[tick]
        self.settled.append(copy.deepcopy(s))
        self.made.append(self.settled[-1])
        for device, flow in s["e"].items():
            self.flows.setdefault(device, [0, 0])[0 if flow > 0 else 1] += abs(flow)

    def check_progress(self, message: dict[str, Any]) -> None:
        assert message["holder"] == self.holder
        assert message["tick"] == self.barrier.adapter.applied_tick
        # the flows since the last progress: the settlements' energy, each tick counted once
        assert message["flows"] == {d: {"in_j": f[0], "out_j": f[1]} for d, f in self.flows.items()}
        assert message["first_tick"] <= message["tick"] + 1
        self.flows = {}
        window = (message["window_start"], message["window_end"])
        if window != self.window:  # moved: from the next tick on, when half of it is settled
            assert window == (message["tick"] + 1, message["tick"] + 1 + WINDOW)
            if self.window is not None:
                assert message["tick"] + WINDOW // 2 >= self.window[1]
        self.window = window
        self.progress = message

    # -- what the home does ----------------------------------------------------------------------

    def act(self, action: tuple) -> None:
        kind, *args = action
        getattr(self, f"do_{kind}")(*args)
        # a tick whose clock tick and every present device's event are in is not kept waiting
        tick = self.clock_tick
        awaited = {d for d in ENERGY if self.status[d] == "present"}
        if tick in self.delivered and awaited <= self.held.get(tick, {}).keys():
            assert tick == self.last_settled, (tick, self.last_settled)

    def do_answer(self, device: str, variant: int) -> None:
        """A device answering ticks sends its event for the clock's tick (maybe before the
        barrier has the tick: it is ahead of it by a tick)."""
        self.send(device, event(device, self.clock_tick, variant))

    def do_duplicate(self, device: str) -> None:
        if device in self.last_sent:
            given = self.last_sent[device]
            if device in AHEAD:
                self.send_ahead(device, [given])
            else:
                self.send(device, given)

    def do_late(self, device: str, variant: int) -> None:
        """An event of the tick before (settled by now, or the clock would not have moved on)."""
        if self.clock_tick > START:
            self.send(device, event(device, self.clock_tick - 1, variant))

    def do_implausible(self, device: str) -> None:
        bad = event(device, self.clock_tick, bad=True)
        self.last_sent[device] = bad
        if device in AHEAD:
            before = len(self.settled)
            self.send_ahead(device, [bad])
            assert len(self.settled) >= before
        else:
            self.send(device, bad)

    def do_ahead(self, device: str, again: bool, variant: int) -> None:
        """A device running ahead answers the last progress: the window's ticks it has not sent
        to this holder (``again``: from the next tick on, new values: its properties changed)."""
        if self.progress is None:
            return
        ahead = self.ahead[device]
        ahead.progress(self.progress)
        span = ahead.changed() if again else ahead.due()
        if span is not None:
            events = [event(device, tick, variant) for tick in range(*span)]
            self.last_sent[device] = events[-1]
            self.send_ahead(device, events)

    def do_tick(self) -> None:
        """The clock publishes its tick (again: it has not seen the settlement, lost on the way)."""
        self.deliver_tick()

    def do_next(self) -> None:
        """The clock saw its tick settled: the next one."""
        if self.clock_tick == self.last_settled and self.clock_tick < END:
            self.clock_tick += 1
            self.clock_sent[self.clock_tick] = self.now() + 0.25

    def do_wait(self, seconds: float) -> None:
        self.now.t += seconds
        self.take(self.barrier.poll())
        if seconds >= TIMEOUT_S:  # never waits for a tick it heard of past the timeout
            assert self.clock_tick not in self.seen or self.clock_tick <= self.last_settled

    def do_status(self, device: str, status: str) -> None:
        """The watcher: a device left (missing), came back (present) or was switched off."""
        self.status[device] = status
        self.take(self.barrier.topology_changed(topology(self.status)))

    def do_reconnect(self) -> None:
        """The router restarted: a new session of the same process."""
        self.join()

    def do_restart(self) -> None:
        """The inverter's process restarted: it holds nothing but what is retained."""
        self.start_instance()


ANSWER_FATES = st.sampled_from(["answer", "answer", "answer", "twice", "none", "implausible"])
AHEAD_FATES = st.sampled_from(["window", "window", "window", "again", "none"])
VARIANTS = st.integers(0, 2)
DISTURBANCES = st.lists(st.one_of(
    st.tuples(st.just("tick")),
    st.tuples(st.just("late"), st.sampled_from(ANSWERING), VARIANTS),
    st.tuples(st.just("duplicate"), st.sampled_from(ENERGY)),
    st.tuples(st.just("implausible"), st.sampled_from(AHEAD)),
    st.tuples(st.just("wait"), st.sampled_from([0.6, 1.5])),
    st.tuples(st.just("status"), st.sampled_from(ENERGY), st.sampled_from(["present", "missing", "off"])),
    st.tuples(st.just("reconnect")),
    st.tuples(st.just("restart")),
), max_size=2)
WAITS = st.sampled_from([0.1, 0.6, TIMEOUT_S])


@st.composite
def tick_actions(draw) -> list[tuple]:
    """What happens while the clock's tick is open: each device answering ticks answers it (or
    twice, or not at all, or with an event that can't be true), each device running ahead
    answers the progress (or not, or sends its window again with new values), the clock's tick
    reaches the barrier, maybe a disturbance; all in any order; then some time passes and the
    clock moves on if it saw the tick settled."""
    actions: list[tuple] = [("tick",)]
    for device in ANSWERING:
        fate = draw(ANSWER_FATES)
        if fate != "none":
            actions.append(("implausible", device) if fate == "implausible" else ("answer", device, 0))
        if fate == "twice":
            actions.append(("duplicate", device))
    for device in AHEAD:
        fate = draw(AHEAD_FATES)
        if fate != "none":
            actions.append(("ahead", device, fate == "again", draw(VARIANTS)))
    actions += draw(DISTURBANCES)
    return [*draw(st.permutations(actions)), ("wait", draw(WAITS)), ("next",)]


@settings(max_examples=60, deadline=None)
@given(ticks=st.lists(tick_actions(), min_size=1, max_size=12))
def test_any_ordering_settles_each_tick_once_exactly_with_the_events_it_holds(compiled, ticks):
    """Any ordering of a live home's messages: each tick the clock published is settled once,
    in order, never later than the barrier's timeout; each settlement balances to the Joule,
    is the twin inverter's of the last event each device sent for the tick (a duplicate counted
    once, an implausible one not at all, a device switched off left out), lists the devices
    without one as missing with no flow; a late event changes nothing settled."""
    run = Run(compiled)
    for actions in ticks:
        for action in actions:
            run.act(action)
    run.do_tick()  # (the clock publishes a tick not settled again)
    run.do_wait(TIMEOUT_S)
    assert run.clock_tick == run.last_settled  # nothing is waited for for ever
    # what the inverter serves to the recorder and restarted devices is what it published
    assert run.barrier.since(START, 5000) == run.made


# -- single facts, in the order a tick meets them -------------------------------------------------


def test_the_events_of_the_tests_are_plausible_but_the_bad_ones(compiled):
    """(What the model above takes for granted, checked by the inverter's own rule.)"""
    adapter = inverter(compiled)
    for tick in range(START, END + 1):
        for device in ENERGY:
            for variant in range(3):
                assert adapter.implausible(device, event(device, tick, variant)) is None, (device, tick)
            if device != "grid":
                assert adapter.implausible(device, event(device, tick, bad=True)) is not None


def started(compiled: CompiledHome, status: dict[str, str] | None = None) -> Run:
    """A run with every device running ahead having sent the first window."""
    run = Run(compiled)
    if status:
        for device, value in status.items():
            run.do_status(device, value)
    for device in AHEAD:
        run.do_ahead(device, False, 0)
    return run


def test_a_tick_settles_once_its_clock_tick_and_every_present_devices_event_are_in(compiled):
    run = started(compiled)
    run.do_answer("battery", 0)
    assert run.settled == []  # the geyser's event is not in
    run.do_answer("geyser", 0)
    assert [s["tick"] for s in run.settled] == [START] and run.settled[0]["missing"] == [] and run.timeouts == 0


def test_an_event_ahead_of_the_barriers_tick_is_held_for_it(compiled):
    run = started(compiled)
    for device in ANSWERING:
        run.do_answer(device, 0)
    run.do_next()
    run.do_answer("battery", 1)
    run.do_answer("geyser", 1)  # both answered tick START + 1 before the barrier has it
    assert run.last_settled == START
    run.do_tick()
    assert run.last_settled == START + 1 and run.settled[-1]["missing"] == []


def test_a_device_without_an_event_is_missing_with_no_flow_and_no_demand_after_the_timeout(compiled):
    run = started(compiled)
    run.do_answer("battery", 0)
    run.do_wait(TIMEOUT_S - 0.1)
    assert run.settled == []  # still waiting
    run.do_wait(0.1)
    (settlement,) = run.settled
    assert settlement["missing"] == ["geyser"] and "geyser" not in settlement["e"]
    assert "geyser" not in settlement["demand"] and run.timeouts == 1


def test_a_device_the_watcher_reports_gone_is_not_waited_for(compiled):
    run = started(compiled, {"geyser": "missing"})
    run.do_answer("battery", 0)
    assert run.settled[0]["missing"] == ["geyser"] and run.timeouts == 0


def test_a_device_switched_off_is_listed_off_not_missing(compiled):
    run = started(compiled, {"geyser": "off"})
    run.do_answer("geyser", 0)  # (in flight as it went off)
    run.do_answer("battery", 0)
    (settlement,) = run.settled
    assert settlement["off"] == ["geyser"] and settlement["missing"] == [] and "geyser" not in settlement["e"]


def test_a_duplicate_event_is_counted_once(compiled):
    run = started(compiled)
    run.do_answer("geyser", 0)
    run.do_duplicate("geyser")
    run.do_answer("battery", 0)
    once = Run(compiled).twin.settle(START, {d: event(d, START) for d in ENERGY})
    assert run.settled[0]["demand"]["geyser"] == event("geyser", START)["demand_j"]
    assert {k: v for k, v in run.settled[0].items() if k != "tick_sent"} == once


def test_a_late_event_does_not_change_a_settled_tick(compiled):
    run = started(compiled)
    for device in ANSWERING:
        run.do_answer(device, 0)
    before = copy.deepcopy(run.barrier.since(START, 1))
    run.do_next()
    run.do_late("geyser", 2)
    run.do_late("battery", 2)
    assert run.barrier.since(START, 1) == before and run.last_settled == START


def test_an_implausible_event_makes_its_device_missing_and_is_not_waited_for(compiled):
    run = started(compiled)
    run.do_implausible("battery")
    run.do_answer("geyser", 0)
    (settlement,) = run.settled
    assert settlement["missing"] == ["battery"] and "battery" not in settlement["e"] and run.timeouts == 0


def test_a_tick_sent_again_after_its_settlement_sends_the_same_settlement(compiled):
    run = started(compiled)
    for device in ANSWERING:
        run.do_answer(device, 0)
    run.do_tick()  # the clock did not see the settlement
    assert run.resent == 1 and len(run.settled) == 1


def test_events_ahead_are_held_until_their_ticks_and_the_window_moves_at_half(compiled):
    run = started(compiled)
    assert run.window == (START, START + WINDOW)
    moved = START + WINDOW - WINDOW // 2  # settled, half the window is left: it moves on
    for _ in range(START, moved + 1):
        assert run.window == (START, START + WINDOW)
        for device in ANSWERING:
            run.do_answer(device, 0)
        run.do_next()
        run.do_tick()
    assert run.last_settled == moved and all(s["missing"] == [] for s in run.settled)
    assert run.window == (moved + 1, moved + 1 + WINDOW)


def test_events_ahead_sent_again_replace_those_held(compiled):
    run = started(compiled)
    run.do_ahead("lights", True, 2)  # its properties changed: the window again, other values
    for device in ANSWERING:
        run.do_answer(device, 0)
    assert run.settled[0]["demand"]["lights"] == event("lights", START, 2)["demand_j"]


def test_a_new_session_keeps_the_events_it_holds_and_sends_the_window_again(compiled):
    run = started(compiled)
    run.do_answer("battery", 0)
    run.do_reconnect()  # the router restarted; the geyser reconnects later
    assert run.window == (START, START + WINDOW) and run.settled == []
    run.do_answer("geyser", 0)
    assert run.settled[0]["missing"] == []  # the battery's event and the window were kept


def test_a_restarted_inverter_resumes_after_the_retained_settlement(compiled):
    run = started(compiled)
    for device in ANSWERING:
        run.do_answer(device, 0)
    run.do_restart()  # (the retained tick comes again as it subscribes)
    run.do_tick()
    assert [s["tick"] for s in run.settled] == [START]  # not settled twice
    assert run.barrier.adapter.applied_tick == START and run.window == (START + 1, START + 1 + WINDOW)


def test_since_gives_the_settlements_from_a_tick_on_even_with_a_gap(compiled):
    barrier = Barrier(inverter(compiled), URIS, Path("."))
    barrier.recent.extend({"tick": t} for t in [*range(10, 20), *range(25, 30)])
    assert [s["tick"] for s in barrier.since(12, 3)] == [12, 13, 14]
    assert [s["tick"] for s in barrier.since(21, 2)] == [25, 26]  # the first after a gap
    assert barrier.since(30, 5) == [] and [s["tick"] for s in barrier.since(0, 2)] == [10, 11]
