"""The clock's logic, without a router: when to publish the next tick, its re-sending while it
is not settled, pause, step and speed (the process, :mod:`homesim.bus.clock`, only wires it to
the bus).

A :class:`Clock` is driven from outside: events go in (:meth:`Clock.settled`, a settlement;
:meth:`Clock.set_speed`, :meth:`Clock.pause`, :meth:`Clock.resume`, :meth:`Clock.step`, the
control RPCs), and :meth:`Clock.poll` says what to do now (:class:`Actions`: the ticks to
publish, the lines to log, a tick settled, a tick given up) and how long to wait before asking
again, unless an event comes first. Time comes from the ``now`` it is given (monotonic seconds
[s]), so that tests run it on a clock of their own, in no wall time.

The rules (``docs/engineering/live-home.md``):

- Lockstep: the clock publishes tick ``n`` and waits for its settlement; the next is the tick
  after the newest settled one (one tick at a time, in order; a settlement of a later tick,
  e.g. from an inverter that went on while the clock was away, moves it past that one).
- Pace: ``speed`` ticks per second after the first one paced (``None``: as soon as the last is
  settled). A new speed paces from the tick due then, at once; a clock that fell more than 1 s
  behind its pace starts pacing again from there (no racing to catch up).
- Paused, no tick goes but one per :meth:`Clock.step`; resumed, the next goes at once.
- A tick not settled ``republish_s`` after it was published (or after the last settlement
  heard meanwhile) is published again, ``tries - 1`` times at most; then the clock says once
  that it stops (``Actions.gave_up``) and waits for the settlement however long it takes.
- A refused speed changes nothing.
- With a ``limit`` > 0, no tick at or past it is published; :attr:`Actions.done` once there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from autobahn.wamp.exception import ApplicationError  # the RPC's refusal (an exception class, no I/O)

from homesim.bus.uris import INVALID_PROPERTY
from homesim.messages import MAX_SAFE_INTEGER, MAX_SPEED

#: A tick not settled after this long is published again [s] ...
REPUBLISH_S = 5.0
#: ... at most this many times in all (a settlement lost as the router went down comes back at
#: the first); then the clock says so once and waits without publishing it again.
REPUBLISH_TRIES = 6


def parse_speed(value: Any) -> float | None:
    """``"max"`` -> ``None`` (as fast as possible); else ticks per wall second (> 0)."""
    if value == "max":
        return None
    problem = (f"speed: {value!r} is not allowed: must be 'max' or a number of ticks per second > 0 and at most "
               f"{MAX_SPEED:g}")
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER):
        raise ApplicationError(INVALID_PROPERTY, problem)
    try:
        speed = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ApplicationError(INVALID_PROPERTY, problem) from None
    if not 0 < speed <= MAX_SPEED:  # (its view, speed x dt_s, stays finite)
        raise ApplicationError(INVALID_PROPERTY, problem)
    return speed


@dataclass
class Actions:
    """What :meth:`Clock.poll` asks of the process now."""

    #: Ticks to publish, in this order (a tick published again appears again).
    publish: list[int] = field(default_factory=list)
    #: Lines to log: (``logging`` level, message).
    log: list[tuple[int, str]] = field(default_factory=list)
    #: The tick now settled, if one was (the clock's tick metric).
    settled: int | None = None
    #: Ticks given up re-sending (the clock's unsettled-ticks counter).
    gave_up: int = 0
    #: The limit is reached: the clock stops.
    done: bool = False
    #: Poll again after this long at the latest [s]; ``None``: only when an event comes.
    delay: float | None = None


class Clock:
    """The clock's state: pace, pause and steps, the newest settlement and the tick out."""

    def __init__(self, speed: float | None, dt_s: int, *, now: Callable[[], float] = time.monotonic,
                 limit: int = 0, republish_s: float = REPUBLISH_S, tries: int = REPUBLISH_TRIES) -> None:
        """``speed``: ticks per second, ``None``: as fast as settled; ``dt_s``: a tick [s] (for
        the view); ``now``: the time [s] (monotonic); ``limit`` > 0: stop before that tick."""
        self.speed = speed
        self.dt_s = dt_s
        self.now = now
        self.limit = limit
        self.republish_s = republish_s
        self.tries_max = tries
        self.paused = False
        #: Steps asked for while paused, not taken yet.
        self.steps = 0
        #: The tick published next (or out, waiting for its settlement).
        self.next_tick = 0
        #: Speed changes so far: the pace starts again from each (the ticks before it were paced
        #: at the old speed).
        self.changes = 0
        #: The newest settled tick (-1: none) and its settlement, which the next tick carries.
        self.settled_tick = -1
        self.settlement: dict[str, Any] | None = None
        #: "gate": waiting until ``next_tick`` may go; "out": published, waiting for its
        #: settlement; "done": the limit reached; "idle": not started.
        self.phase = "idle"
        #: The pace: (time [s], tick) of a tick paced, and the speed change it is paced after.
        self._paced_from = (0.0, 0)
        self._paced_at = 0
        #: A control request came since the clock last decided to wait (its ``wake``).
        self._woken = False
        #: A settlement came since the clock last decided to wait for one.
        self._progress = False
        #: Waiting until this time [s] (a pace's wait, or a re-send's); None: for an event.
        self._deadline: float | None = None
        #: What the tick not out yet waits for: None (nothing yet), "paused" (a request),
        #: "paced" (its time, ``_deadline``, or a request).
        self._gate_wait: str | None = None
        #: How many times the tick out was published (its tries).
        self.tries = 0

    # --- requests (the control RPCs): each answers with the view -----------------------------

    def view(self) -> dict[str, Any]:
        return {"tick": self.next_tick, "dt_s": self.dt_s, "speed": "max" if self.speed is None else self.speed,
                "paused": self.paused, "simulated_s_per_wall_s": None if self.speed is None else self.speed * self.dt_s}

    def set_speed(self, speed: Any) -> dict[str, Any]:
        """A new speed (``"max"`` or ticks per second), or refused (nothing changes)."""
        self.speed = parse_speed(speed)
        self.changes += 1
        self._woken = True
        return self.view()

    def pause(self) -> dict[str, Any]:
        self.paused = True
        self._woken = True
        return self.view()

    def resume(self) -> dict[str, Any]:
        self.paused = False
        self._woken = True
        return self.view()

    def step(self) -> dict[str, Any]:
        """One tick while paused (running, the clock ticks anyway)."""
        if self.paused:
            self.steps += 1
        self._woken = True
        return self.view()

    # --- events ------------------------------------------------------------------------------

    def settled(self, tick: int, settlement: dict[str, Any] | None = None) -> bool:
        """A settlement (valid: the process checks it) of ``tick``; True if it is the newest."""
        self._progress = True
        if tick > self.settled_tick:
            self.settled_tick, self.settlement = tick, settlement
            return True
        return False

    def start(self) -> Actions:
        """(Re)start after the newest settled tick: at the first start and at every new session
        (the router restarted); the pace, pause and speed are kept."""
        self.next_tick = self.settled_tick + 1
        self._paced_from, self._paced_at = (self.now(), self.next_tick), self.changes
        self._woken = self._progress = False
        self.phase, self._gate_wait, self._deadline = "gate", None, None
        actions = Actions()
        if self.settled_tick >= 0:
            actions.log.append((logging.INFO, f"resuming after tick {self.settled_tick}"))
        return self._advance(actions)

    def poll(self) -> Actions:
        """What to do now, after an event or once the last :attr:`Actions.delay` is over."""
        return self._advance(Actions())

    def tick_message(self, tick: int, start_unix: int, sent: float) -> dict[str, Any]:
        """The ``tick`` event of ``tick`` (``messages.Tick``): its time from the run's start [s
        since 1970 UTC], ``sent`` [s since 1970], and the newest settlement."""
        return {"tick": tick, "time": start_unix + tick * self.dt_s, "dt_s": self.dt_s, "sent": sent,
                "settled": self.settlement}

    # --- the state machine -------------------------------------------------------------------

    def _advance(self, actions: Actions) -> Actions:
        while True:
            if self.phase == "gate":
                if 0 < self.limit <= self.next_tick:
                    self.phase, self._deadline = "done", None
                    actions.log.append((logging.INFO, f"stopping after {self.limit} ticks"))
                    break
                if not self._may_go():
                    break
                self._publish(actions)
            elif self.phase == "out":
                if self.settled_tick < self.next_tick:
                    self._wait_for_settlement(actions)
                    break
                actions.settled = self.next_tick
                self.next_tick = self.settled_tick + 1
                self.phase, self._gate_wait, self._deadline = "gate", None, None
            else:  # idle or done
                break
        actions.done = self.phase == "done"
        actions.delay = None if self._deadline is None else max(0.0, self._deadline - self.now())
        return actions

    def _may_go(self) -> bool:
        """Whether ``next_tick`` may be published now (paced, not paused, or a step); if not,
        the wait is set: until a request comes (paused) or the tick's time (paced)."""
        tick = self.next_tick
        if self._gate_wait == "paused":
            if not self._woken:
                return False
            self._paced_from = (self.now(), tick)  # a request while paused: paced from now
        elif self._gate_wait == "paced":
            if not self._woken:
                if self.now() < self._deadline:
                    return False
                self._gate_wait = self._deadline = None
                return True  # its time
        self._gate_wait = self._deadline = None
        while True:
            if self.paused:
                if self.steps:
                    self.steps -= 1
                    return True
                self._gate_wait, self._woken = "paused", False
                return False
            if self.speed is None:
                self._paced_from = (self.now(), tick)
                return True
            if self._paced_at != self.changes:
                # The speed changed (perhaps while a tick settled, when no wait was there to
                # wake): from now at the new pace, this tick at once. (Paced from the ticks
                # before, at the old speed, 150 ticks at 100 a second then 5 a second would
                # have waited 30 s for this one.)
                self._paced_from, self._paced_at = (self.now() - 1.0 / self.speed, tick), self.changes
            delay = self._paced_from[0] + (tick - self._paced_from[1]) / self.speed - self.now()
            if delay < -1.0:
                self._paced_from = (self.now(), tick)  # fell behind: don't race to catch up
            if delay <= 0:
                return True
            self._gate_wait, self._woken, self._deadline = "paced", False, self.now() + delay
            return False

    def _publish(self, actions: Actions) -> None:
        """Publish ``next_tick`` (its first try) and wait for its settlement."""
        actions.publish.append(self.next_tick)
        self.phase, self.tries, self._progress = "out", 1, False
        self._deadline = self.now() + self.republish_s

    def _wait_for_settlement(self, actions: Actions) -> None:
        """The tick out is not settled: publish it again once ``republish_s`` passed without
        a settlement, at most ``tries - 1`` times; then say so once and wait without a limit."""
        tick = self.next_tick
        if self._progress:  # a settlement (not of this tick): wait again, as long
            self._progress = False
        elif self._deadline is not None and self.now() >= self._deadline:
            if self.tries < self.tries_max:
                actions.log.append((logging.WARNING, f"tick {tick} not settled after "
                                                     f"{self.tries * self.republish_s:.0f} s; publishing it again"))
                actions.publish.append(tick)
            else:  # not forever: what is wrong is elsewhere (the inverter's log says what)
                actions.log.append((logging.ERROR, f"tick {tick} not settled after {self.tries} tries "
                                                   f"({self.tries * self.republish_s:.0f} s): not publishing it "
                                                   "again; the home waits for the inverter's settlement of it (see "
                                                   "the inverter's log)"))
                actions.gave_up += 1
            self.tries += 1
        else:
            return  # still waiting, as long as before
        self._deadline = self.now() + self.republish_s if self.tries <= self.tries_max else None
