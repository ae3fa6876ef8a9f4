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
import contextlib
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any, Callable

from homesim.bus import pacing
from homesim.bus.arguments import call_arguments
from homesim.bus.metrics import ClockMetrics
from homesim.bus.pacing import Clock, parse_speed
from homesim.bus.session import checked, component, env, log, retain, retained, run_component, uris_from_env
from homesim.bus.uris import Uris
from homesim.engine.compiled import start_unix_s
from homesim.live import load_live_home
from homesim.messages import Empty, SetSpeed, Settlement, valid

__all__ = ["Clock", "parse_speed", "run_clock"]  # Clock and parse_speed: homesim.bus.pacing's

#: A tick not settled after this long is published again [s] (``$HOMESIM_REPUBLISH_S``), at most
#: ``pacing.REPUBLISH_TRIES`` times in all; then the clock says so once and waits.
REPUBLISH_S = float(os.environ.get("HOMESIM_REPUBLISH_S", str(pacing.REPUBLISH_S)))


def _start_of(home) -> int:
    """Local midnight of the home's first day [s since 1970 UTC] (when the run does not say)."""
    start = os.environ.get("HOMESIM_START")
    return start_unix_s(home, dt.date.fromisoformat(start) if start else None)


def run_clock() -> None:
    """The clock's process: a :class:`pacing.Clock` (all its logic) wired to the bus."""
    uris = uris_from_env()
    home = load_live_home(Path(env("HOMESIM_HOME")))
    start_unix = int(os.environ.get("HOMESIM_START_UNIX") or _start_of(home))
    clock = Clock(parse_speed(os.environ.get("HOMESIM_SPEED", "max")), int(os.environ.get("HOMESIM_STEP", "60")),
                  limit=int(os.environ.get("HOMESIM_TICKS", "0")), republish_s=REPUBLISH_S)
    # the home's inverter (None: a home without one), asked for the run's position after a restart
    inverter_id = next((d.id for d in home.devices if d.ROLE == "inverter"), None)
    metrics = ClockMetrics(uris.home)
    comp = component()
    # The clock (its last settled tick too) is kept across sessions: after the router restarts
    # (its retained topics gone) it goes on from where it was, not from tick 0. One session
    # drives it at a time: the newest.
    current: dict[str, Any] = {"session": None}
    wake = asyncio.Event()  # an event for the clock: a settlement or a control request

    @comp.on_join
    async def joined(session, details):
        current["session"] = session
        await _take_position(session, clock, uris, inverter_id)

        def on_settlement(settlement: dict[str, Any]) -> None:
            if valid(Settlement, settlement, uris.settlement):
                clock.settled(int(settlement["tick"]), settlement)
                wake.set()

        await session.subscribe(on_settlement, uris.settlement)
        await _register_controls(session, clock, uris, wake)
        session.publish(uris.clock_state, clock.view(), options=retain())
        await _drive(clock, clock.start(), session, lambda: current["session"] is session, wake, start_unix,
                     uris, metrics)

    @comp.on_leave
    async def left(session, details):
        if clock.limit > 0 and clock.next_tick >= clock.limit:
            await comp.stop()

    run_component(comp)


async def _drive(clock: Clock, actions: pacing.Actions, session, driving: Callable[[], bool], wake: asyncio.Event,
                 start_unix: int, uris: Uris, metrics: ClockMetrics) -> None:
    """Do what the clock says (publish, log, count), wait as long as it says or until ``wake``
    (an event), and ask it again; until it is done (then leave) or ``driving`` is no longer so
    (a new session drives it)."""
    while True:
        for level, message in actions.log:
            log.log(level, message)
        for tick in actions.publish:
            session.publish(uris.tick, clock.tick_message(tick, start_unix, time.time()), options=retain())
        if actions.settled is not None:
            metrics.tick.set(actions.settled)
        if actions.gave_up:
            metrics.unsettled.inc(actions.gave_up)
        if actions.done:
            session.leave()  # not awaited: on_leave stops the component, and with it this task
            return
        wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), actions.delay)  # the next event, or the clock's time
        if not driving():
            return
        actions = clock.poll()


async def _take_position(session, clock: Clock, uris: Uris, inverter_id: str | None) -> None:
    """The newest settlement the router retains (after the clock restarted), or the last tick
    the inverter settled (the clock and the router restarted both)."""
    last = await retained(session, uris.settlement)
    if last and valid(Settlement, last, uris.settlement):
        clock.settled(int(last["tick"]), last)
    if clock.settled_tick < 0 and inverter_id:  # a new clock on a new router (both restarted)
        try:  # the inverter knows the last tick it settled
            clock.settled(int((await session.call(uris.get(inverter_id)))["state"]["tick"]))
        except Exception:  # noqa: BLE001 - no inverter yet: a new run
            pass


async def _register_controls(session, clock: Clock, uris: Uris, wake: asyncio.Event) -> None:
    """``clock.get`` and the control RPCs (``set_speed``, ``pause``, ``resume``, ``step``),
    each of which also tells every service the new state (retained topic) and wakes the clock."""

    def announcing(change):
        model = SetSpeed if change.__name__ == "set_speed" else Empty

        def call(*args, **kwargs):
            view = change(*call_arguments(model, args, kwargs).values())
            session.publish(uris.clock_state, view, options=retain())
            wake.set()
            return view
        return call

    await session.register(checked(clock.view), uris.clock("get"))
    for name in ("set_speed", "pause", "resume", "step"):
        await session.register(announcing(getattr(clock, name)), uris.clock(name))
