"""A device as its own process on the bus: ``python -m homesim.bus.device --kind K --id ID --home HOME``.

The same command a container runs. Connection settings come from the environment (see
``homesim.bus.session``); the run's step, start and seed from ``HOMESIM_STEP``,
``HOMESIM_START`` and ``HOMESIM_SEED`` (defaults: 60 s, the home's start, the home's seed);
relative paths in the home file resolve against ``HOMESIM_HOME_DIR`` (default: its folder);
``HOMESIM_DEVICE_CONFIG`` names a YAML file with this device's own entry, which replaces the
home file's (how a device in a cluster gets the properties of its Device object).

A device whose energy depends on the settlements (a battery, a thermostat, a load with a
smart-switch condition) receives every ``tick``, which carries the settlement of the tick before
(taken into its state first), and publishes its energy event on ``device.<id>.energy``. A device
whose energy depends on no settlement (PV, the grid, a profile load: ``runs_ahead``) answers no
tick: when the inverter's retained ``progress`` moves its window of ticks, it publishes its
events for those ticks at once on ``device.<id>.energy_ahead``, and takes its metrics from the
progress; the sun and the weather, which publish no energy, show what they see at the
progress's tick. The inverter collects the events, holds those of ticks to come, and publishes
the ``settlement`` of each tick the clock publishes (to the clock, the recorder and viewers) and
its ``progress``. A device's state is kept on the retained ``device.<id>.state`` topic every
``STATE_EVERY_TICKS`` ticks; a restarted device answering ticks resumes from it and replays the
settlements since (the inverter's ``settlements.since``), exactly. ``device.<id>.get`` returns
its properties and state; ``device.<id>.set`` changes properties (validated; from the next tick
on: a device running ahead sends its events again from there) and publishes them retained on
``device.<id>.config``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # A device process steps a tick at a time and computes a block of ticks (a week at 60 s) in
    # a fraction of a second: its kernels stay plain Python, no numba, LLVM or SciPy in the
    # process (``homesim.jit``). Set before the kernels' modules load.
    os.environ.setdefault("HOMESIM_JIT", "0")

from homesim.bus.adapters import Adapter, InverterAdapter, adapter_for
from homesim.bus.revisions import Revisions, changed_fields
from homesim.bus.uris import INVALID_PROPERTY, Uris
from homesim.engine.compiled import CompiledHome
from homesim.home import Home, HomeFileError, home_from_dict, with_changes
from homesim.live import compile_home, home_dir, load_live_home
from homesim.bus.arguments import rpc_arguments
from homesim.messages import (AHEAD_BY_ROLE, ENERGY_BY_ROLE, DesiredHome, DeviceView, Progress, Settlement,
                              SettlementsSince, Tick, Topology, valid)

#: How long the inverter waits for the devices of a tick before settling without them [s].
BARRIER_TIMEOUT_S = float(os.environ.get("HOMESIM_BARRIER_TIMEOUT_S", "2.0"))
#: The inverter's window: the ticks whose energy events the devices running ahead publish at
#: once; it moves on (``progress``) when half of it is settled.
AHEAD_TICKS = 240
#: The inverter publishes its ``progress`` at least this often while ticks settle [s] (the
#: devices running ahead take their metrics from it).
PROGRESS_S = 0.5
#: Settlements the inverter keeps for a restarted recorder to fetch what it missed.
RECENT_SETTLEMENTS = 20_000
#: A device publishes its retained state every this many settled ticks (and after a property
#: change): restarted, a device answering ticks replays the settlements since from the
#: inverter's recent ones; one running ahead takes the progress; the inverter resumes from the
#: retained settlement (its ``tripped``).
STATE_EVERY_TICKS = 60


def property_changes(device_id: str, changes: Any) -> dict[str, Any]:
    """``{"<id>.<field>": value}`` from a ``set`` call's mapping; refuses what can't be set."""
    from autobahn.wamp.exception import ApplicationError

    if not isinstance(changes, dict) or not changes:
        raise ApplicationError(INVALID_PROPERTY, f"set {device_id}: give the properties to change as a "
                                                 "mapping, e.g. {\"power_w\": 2000}")
    fixed = [key for key in changes if key in ("id", "kind")]
    if fixed:
        raise ApplicationError(INVALID_PROPERTY, f"{fixed[0]}: can't be changed on a running device "
                                                 "(remove it and add a new one)")
    bad = [key for key in changes if not isinstance(key, str) or not key]
    if bad:
        raise ApplicationError(INVALID_PROPERTY, f"{bad[0]!r}: property names must be non-empty strings")
    return {f"{device_id}.{key}": value for key, value in changes.items()}


def changed_home(home: Home, device_id: str, changes: Any, base: Path, desired: dict[str, Any] | None = None) -> Home:
    """``home`` with the device's properties changed, or the clear error of why not.

    ``desired`` is the controller's latest desired home (``home.<home>.devices``), if known: the
    change is also checked against it, with this device's current properties, so that it can't
    make the whole home inconsistent (``homesim.home.consistency``) with properties other devices
    were given after this process read the home."""
    from autobahn.wamp.exception import ApplicationError

    checked = home
    try:
        wanted = property_changes(device_id, changes)
        if isinstance(desired, dict) and isinstance(desired.get("devices"), list):
            own = home.device(device_id).model_dump(mode="json")
            devices = [own if isinstance(d, dict) and d.get("id") == device_id else d for d in desired["devices"]]
            if own in devices:
                checked = home_from_dict({**desired, "devices": devices}, home_dir=base)
                with_changes(checked, wanted, home_dir=base)
        checked = home
        return with_changes(home, wanted, home_dir=base)
    except HomeFileError as error:
        prefix = f"devices[{[d.id for d in checked.devices].index(device_id)}]."
        problems = [p.removeprefix(prefix) for p in error.problems]
        raise ApplicationError(INVALID_PROPERTY, "; ".join(problems)) from None


def bind_checked(adapter: Adapter, new_home: Home) -> None:
    """Bind ``adapter`` to ``new_home`` (its device's properties just changed) after checking its
    present state against them: the kind's ``with_state`` (a battery's stored energy clamped to a
    smaller capacity, with a line in the log) or its refusal, a clear error naming the field."""
    from autobahn.wamp.exception import ApplicationError

    from homesim.bus.session import log

    try:
        state, note = new_home.device(adapter.device_id).with_state(adapter.state())
    except ValueError as error:
        raise ApplicationError(INVALID_PROPERTY, str(error)) from None
    adapter.bind(compile_home(new_home))
    if note is not None:
        adapter.restore(state)
        log.warning("%s", note)


def device_view(adapter: Adapter, revisions: Revisions) -> dict[str, Any]:
    """What ``get`` returns and ``config`` retains (with the properties' revision)."""
    return {"id": adapter.device_id, "kind": adapter.device.kind, "role": adapter.device.ROLE,
            "properties": adapter.device.model_dump(mode="json"), "state": adapter.state(),
            "revision": revisions.revision, "changed": list(revisions.changed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homesim.bus.device", description=__doc__.splitlines()[0])
    parser.add_argument("--kind", required=True, help="device kind (must match the home file)")
    parser.add_argument("--id", required=True, help="device id in the home file")
    parser.add_argument("--home", required=True, type=Path, help="home definition file")
    args = parser.parse_args(argv)
    from homesim.bus.session import setup_logging

    setup_logging(args.id)
    try:
        home = load_live_home(args.home)
        device = home.device(args.id)
    except HomeFileError as error:
        print(f"homesim: {error}", file=sys.stderr)
        return 2
    except KeyError:
        print(f"homesim: {args.home} has no device {args.id!r}", file=sys.stderr)
        return 2
    if device.kind != args.kind:
        print(f"homesim: device {args.id!r} is a {device.kind}, not a {args.kind}", file=sys.stderr)
        return 2
    run_device(home, args.id, home_dir(args.home))
    return 0


def run_device(home: Home, device_id: str, base: Path) -> None:
    from homesim.bus.metrics import DeviceMetrics
    from homesim.bus.session import checked, component, log, retain, retained, run_component, uris_from_env

    uris = uris_from_env()
    adapter = adapter_for(compile_home(home), device_id)
    # The first block before joining: ``homesim up`` starts the clock once every device answers
    # ``get``, so no first tick waits for a block being computed (seconds for the PV arrays).
    adapter.exo(0)
    metrics = DeviceMetrics.start(uris.home, adapter.device, home.currency)
    #: The inverter's last settlements, for the recorder's backfill and a restarted device's
    #: replay: kept across sessions (after a router restart the recorder asks for the ticks it
    #: lost while the router went down).
    recent: collections.deque = collections.deque(maxlen=RECENT_SETTLEMENTS)
    #: The inverter's events of ticks not settled yet (those the devices running ahead sent for
    #: the ticks to come), kept across sessions too: after a router restart a device still
    #: reconnecting is not missing from ticks it had sent.
    held: dict[int, dict[str, dict[str, Any]]] = {}
    #: The properties' revision (``set``'s optimistic concurrency), across sessions; resumed
    #: from the retained ``config`` of the device's previous process on the first join.
    revisions = Revisions()
    resumed: dict[str, bool] = {}
    comp = component()

    @comp.on_join
    async def joined(session, details):
        from autobahn.wamp.types import SubscribeOptions

        log.info("joined as %s (%s)", details.authid, details.authrole)
        inverter = isinstance(adapter, InverterAdapter)
        environment = adapter.device.ROLE == "environment"
        # Driven by the inverter's progress, not by every tick: a device whose energy depends on
        # no settlement (it publishes its events a window ahead) and the sun and the weather.
        by_progress = not inverter and (environment or adapter.device.runs_ahead())
        #: What this session published ahead: up to ``sent_to`` (exclusive), to the inverter
        #: session ``holder`` (a new inverter holds nothing: the window goes again).
        ahead: dict[str, Any] = {"holder": None, "sent_to": -1, "window": None, "tick": -1}

        def get() -> dict[str, Any]:
            return device_view(adapter, revisions)

        desired: dict[str, Any] = {}

        def on_desired(message: dict[str, Any]) -> None:
            """The controller's desired home: what a property change is checked against."""
            if valid(DesiredHome, message, uris.devices):
                desired["home"] = message["home"]

        def set_properties(changes: Any = None, revision: Any = None, **kwargs: Any) -> dict[str, Any]:
            """``set(power_w=2000)`` or ``set({"power_w": 2000})``, with ``revision=N`` (the one it
            read) refused if a property it sets changed since N, else merged; without, the last
            writer wins."""
            if changes is None:
                changes = kwargs
            if isinstance(changes, dict) and "revision" in changes and revision is None:
                changes = dict(changes)  # set({"power_w": 500, "revision": 3}) as set(..., revision=3)
                revision = changes.pop("revision")
            before = adapter.device.model_dump(mode="json")
            new_home = changed_home(adapter.compiled.home, device_id, changes, base, desired.get("home"))
            revisions.check(device_id, revision, changes)
            bind_checked(adapter, new_home)
            revisions.accepted(changed_fields(before, adapter.device.model_dump(mode="json")))
            view = device_view(adapter, revisions)
            session.publish(uris.config(device_id), view, options=retain())
            publish_state(force=True)
            if by_progress and not environment and ahead["window"] is not None:
                # From the next tick the inverter settles on: what it holds of ours is replaced.
                publish_ahead(max(ahead["window"][0], ahead["tick"] + 1), ahead["window"][1], again=True)
            log.info("properties changed: %s", changes)
            return view

        def publish_state(force: bool = False, before: int | None = None) -> None:
            """Every ``STATE_EVERY_TICKS`` settled ticks (``before``: the tick taken last, when
            several came at once), and after a property change."""
            tick = adapter.applied_tick
            if force or tick // STATE_EVERY_TICKS != (tick - 1 if before is None else before) // STATE_EVERY_TICKS:
                session.publish(uris.state(device_id), adapter.state(), options=retain())

        def publish_ahead(start: int, end: int, again: bool = False) -> None:
            first = start if again else max(start, ahead["sent_to"])
            if first < end:
                session.publish(uris.energy_ahead(device_id), {"events": adapter.ahead(first, end)})
                ahead["sent_to"] = max(ahead["sent_to"], end)

        if not resumed:  # the first join: the revision goes on from the previous process's
            resumed["done"] = True
            last = await retained(session, uris.config(device_id), (uris.settlements_since, 0, 1))
            if (last and valid(DeviceView, last, uris.config(device_id))
                    and revisions.resume(last, adapter.device.model_dump(mode="json"))):
                session.publish(uris.config(device_id), device_view(adapter, revisions), options=retain())
                log.info("properties changed elsewhere while down: %s (revision %d)",
                         ", ".join(revisions.changed), revisions.revision)
        # First of all (but the revision), so that a device the watcher reports present answers
        # get and set (with the revision it goes on from).
        await session.register(checked(get), uris.get(device_id))
        await session.register(checked(set_properties), uris.set(device_id))
        if not inverter:  # the inverter's own home follows every change
            await session.subscribe(on_desired, uris.devices, options=SubscribeOptions(get_retained=True))

        if inverter:
            await _run_inverter(session, uris, adapter, base, publish_state, metrics, recent, held, details.session)
        elif by_progress:
            def on_progress(message: dict[str, Any], details=None) -> None:
                if not valid(Progress, message, uris.progress):
                    return
                if message["holder"] != ahead["holder"]:  # a new inverter session: it holds nothing of ours
                    ahead["holder"], ahead["sent_to"] = message["holder"], -1
                before = adapter.applied_tick
                if message["settled"] is not None:
                    adapter.on_settlement(message["settled"])
                # (the retained one: its flows were counted by this device's previous process)
                metrics.progressed(message, flows=not getattr(details, "retained", False))
                ahead["window"] = (int(message["window_start"]), int(message["window_end"]))
                ahead["tick"] = int(message["tick"])
                if environment:
                    adapter.on_tick(max(0, ahead["tick"]))  # what it sees at the last settled tick
                else:
                    publish_ahead(*ahead["window"])
                publish_state(before=before)

            await session.subscribe(on_progress, uris.progress,
                                    options=SubscribeOptions(get_retained=True, details_arg="details"))
        else:
            await _resume(session, uris, adapter, retained, log)

            def on_settled(settlement: dict[str, Any]) -> None:
                """A settlement (validated with the tick carrying it) taken into the state once."""
                if adapter.on_settlement(settlement):
                    metrics.settled(settlement)
                    publish_state()

            def on_tick(message: dict[str, Any]) -> None:
                if not valid(Tick, message, uris.tick):
                    return
                if message.get("settled") is not None:  # the tick before's, in order with this one
                    on_settled(message["settled"])
                tick = int(message["tick"])
                if tick <= adapter.applied_tick:
                    return  # already settled (a retained or repeated tick)
                event = adapter.on_tick(tick)
                if event is not None:
                    session.publish(uris.energy(device_id), event)

            # The settlements come with the ticks (Tick.settled): no subscription to each one.
            await session.subscribe(on_tick, uris.tick, options=SubscribeOptions(get_retained=True))

    run_component(comp)


async def _resume(session, uris: Uris, adapter: Adapter, retained, log) -> None:
    """A device answering ticks, restarted: its retained state (published every
    ``STATE_EVERY_TICKS`` ticks), then every settlement since, replayed as it lived them
    (each tick's demand, then its settlement), from the inverter's recent settlements: it
    goes on exactly where it was. Without its retained state it starts afresh."""
    barrier = (uris.settlements_since, 0, 1)  # what a device may call
    state = await retained(session, uris.state(adapter.device_id), barrier)
    if not (state and valid(adapter.device.STATE_MODEL, state, uris.state(adapter.device_id))):
        return
    adapter.restore(state)
    fitted, note = adapter.device.with_state(adapter.state())  # (properties changed while it was down)
    if note is not None:
        adapter.restore(fitted)
        log.warning("%s", note)
    last = await retained(session, uris.settlement, barrier)
    if last and valid(Settlement, last, uris.settlement) and int(last["tick"]) > adapter.applied_tick:
        missed = await _settlements(session, uris, adapter.applied_tick + 1, int(last["tick"]))
        if missed:
            for settlement in missed:
                adapter.on_tick(int(settlement["tick"]))
                adapter.on_settlement(settlement)
            log.info("resumed from its state of tick %d and %d settlements since", int(state["tick"]), len(missed))
        else:
            log.warning("resumed from its state of tick %d: the inverter no longer holds the settlements since",
                        int(state["tick"]))
            if not adapter.keeps_state():  # its state is the last settlement's
                adapter.on_settlement(last)
    adapter.exo(adapter.applied_tick + 1)  # the block it resumes in, before the ticks come


async def _settlements(session, uris: Uris, first: int, last: int) -> list[dict[str, Any]] | None:
    """The settlements of ticks ``first``..``last`` from the inverter, or None when it can't
    give them all (it restarted, or they are older than it keeps)."""
    found: list[dict[str, Any]] = []
    while first + len(found) <= last:
        try:
            part = await session.call(uris.settlements_since, first + len(found), 5000)
        except Exception:  # noqa: BLE001 - no inverter now
            return None
        part = [s for s in part if valid(Settlement, s, uris.settlements_since)]
        if not part or int(part[0]["tick"]) != first + len(found):
            return None
        found += [s for s in part if int(s["tick"]) <= last]
        if int(part[-1]["tick"]) >= last:
            break
    ticks = [int(s["tick"]) for s in found]
    return found if ticks == list(range(first, last + 1)) else None


async def _run_inverter(session, uris: Uris, adapter: InverterAdapter, base: Path, publish_state, metrics,
                        recent: collections.deque, events: dict[int, dict[str, dict[str, Any]]],
                        holder: int) -> None:
    """Collect each tick's energy events; settle when every present device has reported, or
    when the barrier times out (the absent ones are then listed as missing). Devices that run
    ahead send their events for the window of its ``progress`` (``holder``: this session),
    held until their ticks come; a tick settles only once the clock published it. ``recent``
    holds the last settlements across sessions (``settlements_since`` serves them), ``events``
    (tick -> device -> its event) the events of ticks not settled yet, across sessions too."""
    from autobahn.wamp.types import SubscribeOptions

    from homesim.bus.session import checked, log, retain, retained

    started: dict[int, float] = {}
    #: ticks the clock published (when) and not yet settled
    sent: dict[int, float] = {}
    topology: dict[str, dict[str, Any]] = {}
    last = await retained(session, uris.settlement)
    if not (last and valid(Settlement, last, uris.settlement)):
        last = None
    if last is not None and int(last["tick"]) > adapter.applied_tick:
        adapter.applied_tick = int(last["tick"])
        adapter.tripped = bool(last.get("tripped", False))  # what it settled last (a restart goes on exactly)
    newest: dict[str, Any] = {"settlement": recent[-1] if recent else last}
    progress: dict[str, Any] = {"start": 0, "end": 0, "first": adapter.applied_tick + 1, "flows": {}, "at": 0.0,
                                "pending": False}

    def publish_progress(move: bool = False) -> None:
        """The progress (retained); ``move``: the window goes on from the next tick."""
        if move:
            progress["start"] = adapter.applied_tick + 1
            progress["end"] = progress["start"] + AHEAD_TICKS
        flows = {d: {"in_j": f[0], "out_j": f[1]} for d, f in progress["flows"].items()}
        session.publish(uris.progress, {"tick": adapter.applied_tick, "holder": holder,
                                        "window_start": progress["start"], "window_end": progress["end"],
                                        "first_tick": progress["first"], "flows": flows,
                                        "settled": newest["settlement"]}, options=retain())
        progress.update(first=adapter.applied_tick + 1, flows={}, at=time.monotonic(), pending=False)

    def awaited() -> set[str]:
        """Energy devices that are on and, as far as the watcher knows, present."""
        return {d for d in adapter.energy_devices()
                if topology.get(d, {}).get("status", "present") == "present"}

    def off() -> frozenset[str]:
        return frozenset(d for d, t in topology.items() if t.get("status") == "off")

    def settle(tick: int, timed_out: bool = False) -> None:
        if tick <= adapter.applied_tick:
            return
        if timed_out:
            metrics.barrier_timeouts.inc()
        # (an event dropped as implausible is held as None: that device is missing, not waited for)
        received = {d: event for d, event in events.pop(tick, {}).items() if event is not None}
        began = started.pop(tick, time.monotonic())
        settlement, problem = settle_checked(adapter, tick, received, off(), sent.pop(tick, None))
        if problem is not None:
            metrics.settle_failures.inc()
            log.error("tick %d can't be settled with the events of %s (%s): settled with none of them", tick,
                      ", ".join(sorted(received)) or "no device", problem)
        if settlement["missing"]:
            log.warning("tick %d settled without %s", tick, ", ".join(settlement["missing"]))
        session.publish(uris.settlement, settlement, options=retain())
        recent.append(settlement)
        newest["settlement"] = settlement
        publish_state()
        metrics.settled(settlement, time.monotonic() - began)
        for device_id, flow in settlement["e"].items():
            totals = progress["flows"].setdefault(device_id, [0, 0])
            totals[0 if flow > 0 else 1] += abs(flow)
        if tick + AHEAD_TICKS // 2 >= progress["end"]:
            publish_progress(move=True)
        elif time.monotonic() - progress["at"] >= PROGRESS_S:
            publish_progress()
        else:
            progress["pending"] = True
        for table in (events, started, sent):
            for stale in [t for t in table if t <= tick]:
                table.pop(stale)

    def ready(tick: int) -> None:
        """Settle ``tick`` once the clock published it and every awaited device's event is in."""
        if tick in sent and awaited() <= events.get(tick, {}).keys():
            settle(tick)

    def implausible(device_id: str, given: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
        """The events of ``given`` that can't be physically true (``InverterAdapter.implausible``),
        dropped with one line for them all and counted: the device is missing from those ticks."""
        dropped = []
        for event in given:
            reason = adapter.implausible(device_id, event)
            if reason is not None:
                dropped.append((event, reason))
        if dropped:
            metrics.dropped_events.inc(len(dropped))
            ticks = [int(event["tick"]) for event, _ in dropped]
            log.warning("dropped %d implausible event(s) of %s on %s, tick %d%s: %s", len(dropped), device_id, topic,
                        ticks[0], f" to {ticks[-1]}" if len(ticks) > 1 else "", dropped[0][1])
        return [event for event, _ in dropped]

    def sender(payload: Any, details, models: dict[str, type], ahead: bool) -> str | None:
        """The device that published ``payload`` on ``details.topic``, if it is this home's,
        the payload is its role's model in ``models``, and it publishes there (``ahead``: a
        device running ahead, on ``energy_ahead``; else one answering ticks, on ``energy``);
        else None (dropped, the reason logged)."""
        device_id = Uris.device_of(details.topic)
        try:
            device = adapter.compiled.home.device(device_id)
        except KeyError:
            return None  # not a device of this home (yet)
        if device.ROLE not in models or not valid(models[device.ROLE], payload, details.topic):
            return None
        if device.runs_ahead() != ahead:
            log.warning("dropped a message on %s: %s %s", details.topic, device_id,
                        "answers every tick, it does not run ahead" if ahead
                        else "runs ahead, its events come on energy_ahead")
            return None
        return device_id

    def on_energy(event: dict[str, Any], details=None) -> None:
        device_id = sender(event, details, ENERGY_BY_ROLE, ahead=False)
        if device_id is None:
            return
        tick = int(event["tick"])
        if tick <= adapter.applied_tick:
            return
        # an implausible event is held as None: the device is missing from this tick
        events.setdefault(tick, {})[device_id] = None if implausible(device_id, [event], details.topic) else event
        started.setdefault(tick, time.monotonic())
        ready(tick)

    def on_energy_ahead(message: dict[str, Any], details=None) -> None:
        """A device's events for ticks to come, held until their ticks (those of ticks not
        settled yet replace what was held: a property change)."""
        device_id = sender(message, details, AHEAD_BY_ROLE, ahead=True)
        if device_id is None:
            return
        horizon = adapter.applied_tick + 4 * AHEAD_TICKS  # held at most this far
        due = []
        dropped = implausible(device_id, message["events"], details.topic)
        for event in message["events"]:
            tick = int(event["tick"])
            if adapter.applied_tick < tick <= horizon:
                events.setdefault(tick, {})[device_id] = None if any(event is d for d in dropped) else event
                if tick in sent:
                    due.append(tick)
        for tick in sorted(due):
            ready(tick)

    def on_tick(message: dict[str, Any]) -> None:
        if not valid(Tick, message, uris.tick):
            return
        tick = int(message["tick"])
        if tick > adapter.applied_tick:
            started.setdefault(tick, time.monotonic())
            sent.setdefault(tick, message.get("sent"))
            ready(tick)
        elif recent and recent[-1]["tick"] == tick:
            # The clock repeats a tick it has not seen settled: the settlement was lost (the router
            # died as it went out). Settled already, it goes out again (taking it is idempotent).
            session.publish(uris.settlement, recent[-1], options=retain())

    def on_topology(message: dict[str, Any]) -> None:
        if not valid(Topology, message, uris.topology):
            return
        topology.clear()
        topology.update(message.get("devices", {}))
        for tick in sorted(sent):
            ready(tick)

    def on_config(view: dict[str, Any], details=None) -> None:
        """A device's properties changed: settle with them from the next tick on."""
        if not valid(DeviceView, view, details.topic):
            return
        device_id = view["id"]
        if device_id == adapter.device_id or device_id != Uris.device_of(details.topic):
            return
        home = adapter.compiled.home
        if device_id not in [d.id for d in home.devices]:
            return
        data = home.model_dump(mode="json")
        data["devices"] = [view["properties"] if d["id"] == device_id else d for d in data["devices"]]
        try:
            adapter.bind(_compile(data, base))
        except HomeFileError as error:  # two changes that only clash together (made at once)
            log.warning("ignored the new properties of %s: %s", device_id, "; ".join(error.problems))

    def on_devices(message: dict[str, Any]) -> None:
        """Devices added or removed by the controller."""
        if not valid(DesiredHome, message, uris.devices):
            return
        ids = [d["id"] for d in message["home"]["devices"]]
        if ids != [d.id for d in adapter.compiled.home.devices]:
            adapter.bind(_compile(message["home"], base))
            log.info("devices now: %s", ", ".join(ids))

    def since(tick: Any = None, limit: Any = 1000) -> list[dict[str, Any]]:
        """Settlements from ``tick`` on (at most ``limit``), of the last RECENT_SETTLEMENTS."""
        request = rpc_arguments(SettlementsSince, tick=tick, limit=limit)
        tick, limit = request.tick, request.limit
        if not recent or int(tick) > recent[-1]["tick"]:
            return []
        first = max(0, int(tick) - recent[0]["tick"])
        if first >= len(recent) or recent[first]["tick"] != int(tick):  # not consecutive: look it up
            first = next((k for k, s in enumerate(recent) if s["tick"] >= int(tick)), len(recent))
        return list(itertools.islice(recent, first, first + max(1, min(int(limit), 5000))))

    await session.subscribe(on_topology, uris.topology, options=SubscribeOptions(get_retained=True))
    await session.subscribe(on_devices, uris.devices, options=SubscribeOptions(get_retained=True))
    await session.subscribe(on_config, uris.device_topic("config"),
                            options=SubscribeOptions(match="wildcard", details_arg="details"))
    await session.subscribe(on_energy, uris.device_topic("energy"),
                            options=SubscribeOptions(match="wildcard", details_arg="details"))
    await session.subscribe(on_energy_ahead, uris.device_topic("energy_ahead"),
                            options=SubscribeOptions(match="wildcard", details_arg="details"))
    # A new session holds no events ahead: the devices running ahead send the window again.
    publish_progress(move=True)
    await session.subscribe(on_tick, uris.tick, options=SubscribeOptions(get_retained=True))
    # Last: once this is registered the inverter hears every energy event (up waits for it).
    await session.register(checked(since), uris.settlements_since)

    async def barrier() -> None:
        while session.is_attached():
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for tick in sorted(started):
                if now - started[tick] >= BARRIER_TIMEOUT_S:
                    settle(tick, timed_out=True)
            if progress["pending"] and now - progress["at"] >= PROGRESS_S:
                publish_progress()  # the flows of the last ticks, when none came for a while

    asyncio.ensure_future(barrier())


def settle_checked(adapter: InverterAdapter, tick: int, received: dict[str, dict[str, Any]], off: frozenset[str],
                   tick_sent: float | None) -> tuple[dict[str, Any], str | None]:
    """The inverter's settlement of ``tick`` and ``None``; or, when the one the events make breaks
    its contract (:func:`unpublishable`; the clock and the recorder would drop it and the clock
    wait for that tick for good), the tick settled without any of them (every device missing)
    and why (to report)."""
    tripped = adapter.tripped
    settlement = adapter.settle(tick, received, off)
    settlement["tick_sent"] = tick_sent
    problem = unpublishable(settlement)
    if problem is not None:
        adapter.tripped = tripped
        settlement = adapter.settle(tick, {}, off)
        settlement["tick_sent"] = tick_sent
    return settlement, problem


def unpublishable(settlement: dict[str, Any]) -> str | None:
    """Why a settlement breaks its contract (``messages.Settlement``: an SoC outside [0, 1], an
    integer beyond 2**53, a number not finite...), which its receivers would drop; ``None``: it
    holds."""
    from pydantic import ValidationError

    try:
        Settlement.model_validate(settlement)
    except ValidationError as error:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:3])
    return None


def _compile(data: dict[str, Any], base: Path) -> CompiledHome:
    return compile_home(home_from_dict(data, home_dir=base))


if __name__ == "__main__":
    sys.exit(main())
