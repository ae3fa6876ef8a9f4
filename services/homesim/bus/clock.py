"""The clock: ``python -m homesim.bus.services clock``.

Publishes ``tick`` {tick, time, dt_s, sent, settled} (retained; ``settled``: the newest
settlement, which the devices take from the tick), waits for that tick's settlement
(lockstep), and paces the next by its speed: ``HOMESIM_SPEED`` ticks per wall second, or
``max`` (as fast as the home settles). RPCs: ``clock.get``, ``clock.set_speed(speed)``,
``clock.pause``, ``clock.resume``, ``clock.step`` (one tick while paused); every change is
published retained on ``clock`` {tick, dt_s, speed, paused, simulated_s_per_wall_s}. ``HOMESIM_TICKS``
> 0 stops after that many settled ticks. Restarted, it resumes after the last settled tick
(the retained settlement).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from autobahn.wamp.exception import ApplicationError

from homesim.bus.metrics import ClockMetrics
from homesim.bus.session import checked, component, env, log, retain, retained, run_component, uris_from_env
from homesim.bus.uris import INVALID_PROPERTY
from homesim.bus.arguments import call_arguments
from homesim.messages import MAX_SAFE_INTEGER, MAX_SPEED, Empty, SetSpeed, Settlement, valid

#: A tick not settled after this long is published again [s] (``$HOMESIM_REPUBLISH_S``) ...
REPUBLISH_S = float(os.environ.get("HOMESIM_REPUBLISH_S", "5.0"))
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


class Clock:
    """Pacing state of the clock (no I/O)."""

    def __init__(self, speed: float | None, dt_s: int) -> None:
        self.speed = speed
        self.dt_s = dt_s
        self.paused = False
        self.steps = 0
        self.next_tick = 0
        self.wake = asyncio.Event()
        #: Speed changes so far: the pace starts again from each (the ticks before it were paced
        #: at the old speed).
        self.changes = 0

    def view(self) -> dict[str, Any]:
        return {"tick": self.next_tick, "dt_s": self.dt_s, "speed": "max" if self.speed is None else self.speed,
                "paused": self.paused, "simulated_s_per_wall_s": None if self.speed is None else self.speed * self.dt_s}

    def set_speed(self, speed: Any) -> dict[str, Any]:
        self.speed = parse_speed(speed)
        self.changes += 1
        self.wake.set()
        return self.view()

    def pause(self) -> dict[str, Any]:
        self.paused = True
        self.wake.set()
        return self.view()

    def resume(self) -> dict[str, Any]:
        self.paused = False
        self.wake.set()
        return self.view()

    def step(self) -> dict[str, Any]:
        """One tick while paused (running, the clock ticks anyway)."""
        if self.paused:
            self.steps += 1
        self.wake.set()
        return self.view()


def _start_of(home) -> int:
    """Local midnight of the home's first day [s since 1970 UTC] (when the run does not say)."""
    import datetime as dt

    from homesim.engine.compiled import start_unix_s

    start = os.environ.get("HOMESIM_START")
    return start_unix_s(home, dt.date.fromisoformat(start) if start else None)


def run_clock() -> None:
    from pathlib import Path

    from homesim.live import load_live_home

    uris = uris_from_env()
    dt_s = int(os.environ.get("HOMESIM_STEP", "60"))
    home = load_live_home(Path(env("HOMESIM_HOME")))
    start_unix = int(os.environ.get("HOMESIM_START_UNIX") or _start_of(home))
    limit = int(os.environ.get("HOMESIM_TICKS", "0"))
    clock = Clock(parse_speed(os.environ.get("HOMESIM_SPEED", "max")), dt_s)
    # the home's inverter (None: a home without one), asked for the run's position after a restart
    inverter_id = next((d.id for d in home.devices if d.ROLE == "inverter"), None)
    metrics = ClockMetrics(uris.home)
    comp = component()

    # The last settled tick, kept across sessions: after the router restarts (its retained
    # topics gone) the clock goes on from where it was, not from tick 0.
    settled = {"tick": -1}
    # ... and that settlement, which the next tick carries to the devices (Tick.settled)
    newest: dict[str, Any] = {"settlement": None}

    @comp.on_join
    async def joined(session, details):
        progress = asyncio.Event()

        def on_settlement(settlement: dict[str, Any]) -> None:
            if not valid(Settlement, settlement, uris.settlement):
                return
            if int(settlement["tick"]) > settled["tick"]:
                settled["tick"] = int(settlement["tick"])
                newest["settlement"] = settlement
            progress.set()

        last = await retained(session, uris.settlement)
        if last and valid(Settlement, last, uris.settlement) and int(last["tick"]) > settled["tick"]:
            settled["tick"] = int(last["tick"])
            newest["settlement"] = last
        if settled["tick"] < 0 and inverter_id:  # a new clock on a new router (both restarted)
            try:  # the inverter knows the last tick it settled
                settled["tick"] = int((await session.call(uris.get(inverter_id)))["state"]["tick"])
            except Exception:  # noqa: BLE001 - no inverter yet: a new run
                pass
        if settled["tick"] >= 0:
            log.info("resuming after tick %d", settled["tick"])
        await session.subscribe(on_settlement, uris.settlement)
        def announcing(change):
            """A control RPC that also tells every service the new speed (retained topic)."""
            model = SetSpeed if change.__name__ == "set_speed" else Empty

            def call(*args, **kwargs):
                view = change(*call_arguments(model, args, kwargs).values())
                session.publish(uris.clock_state, view, options=retain())
                return view
            return call

        await session.register(checked(clock.view), uris.clock("get"))
        for name in ("set_speed", "pause", "resume", "step"):
            await session.register(announcing(getattr(clock, name)), uris.clock(name))

        def publish(tick: int) -> None:
            session.publish(uris.tick, {"tick": tick, "time": start_unix + tick * dt_s, "dt_s": dt_s,
                                        "sent": time.time(), "settled": newest["settlement"]}, options=retain())

        clock.next_tick = settled["tick"] + 1
        session.publish(uris.clock_state, clock.view(), options=retain())
        paced_from = (time.monotonic(), clock.next_tick)
        paced_at = clock.changes
        while limit <= 0 or clock.next_tick < limit:
            tick = clock.next_tick
            while True:  # until this tick may go
                if clock.paused:
                    if clock.steps:
                        clock.steps -= 1
                        break
                    clock.wake.clear()
                    await clock.wake.wait()
                    paced_from = (time.monotonic(), tick)
                    continue
                if clock.speed is None:
                    paced_from = (time.monotonic(), tick)
                    break
                if paced_at != clock.changes:
                    # The speed changed (perhaps while a tick settled, when no wait was there to
                    # wake): from now at the new pace, this tick at once. (Paced from the ticks
                    # before, at the old speed, 150 ticks at 100 a second then 5 a second would
                    # have waited 30 s for this one.)
                    paced_from, paced_at = (time.monotonic() - 1.0 / clock.speed, tick), clock.changes
                delay = paced_from[0] + (tick - paced_from[1]) / clock.speed - time.monotonic()
                if delay < -1.0:
                    paced_from = (time.monotonic(), tick)  # fell behind: don't race to catch up
                if delay <= 0:
                    break
                clock.wake.clear()
                try:
                    await asyncio.wait_for(clock.wake.wait(), delay)  # a pause, a step or a new speed
                except asyncio.TimeoutError:
                    break
            progress.clear()
            publish(tick)
            tries = 1
            while settled["tick"] < tick:
                try:
                    await asyncio.wait_for(progress.wait(), REPUBLISH_S if tries <= REPUBLISH_TRIES else None)
                except asyncio.TimeoutError:
                    if tries < REPUBLISH_TRIES:
                        log.warning("tick %d not settled after %.0f s; publishing it again", tick, tries * REPUBLISH_S)
                        publish(tick)
                    else:  # not forever: what is wrong is elsewhere (the inverter's log says what)
                        log.error("tick %d not settled after %d tries (%.0f s): not publishing it again; the home "
                                  "waits for the inverter's settlement of it (see the inverter's log)", tick, tries,
                                  tries * REPUBLISH_S)
                        metrics.unsettled.inc()
                    tries += 1
                progress.clear()
            metrics.tick.set(tick)
            clock.next_tick = settled["tick"] + 1
        log.info("stopping after %d ticks", limit)
        session.leave()  # not awaited: on_leave stops the component, and with it this task

    @comp.on_leave
    async def left(session, details):
        if limit > 0 and clock.next_tick >= limit:
            await comp.stop()

    run_component(comp)
