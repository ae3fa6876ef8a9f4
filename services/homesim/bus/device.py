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
import os
import sys
from pathlib import Path
from typing import Any

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import SubscribeOptions

if __name__ == "__main__":
    # A device process steps a tick at a time and computes a block of ticks (a week at 60 s) in
    # a fraction of a second: its kernels stay plain Python, no numba, LLVM or SciPy in the
    # process (``homesim.jit``). Set before the kernels' modules load.
    os.environ.setdefault("HOMESIM_JIT", "0")

from homesim.bus.adapters import Adapter, InverterAdapter, adapter_for
from homesim.bus.ahead import Ahead
from homesim.bus.barrier import Barrier, Dropped, Out, Progressed, Resent, Settled
from homesim.bus.metrics import DeviceMetrics
from homesim.bus.revisions import Revisions, changed_fields
from homesim.bus.session import checked, component, log, retain, retained, run_component, setup_logging, uris_from_env
from homesim.bus.uris import INVALID_PROPERTY, Uris
from homesim.home import Home, HomeFileError, home_from_dict, with_changes
from homesim.live import compile_home, home_dir, load_live_home
from homesim.bus.arguments import rpc_arguments
from homesim.messages import DesiredHome, DeviceView, Progress, Settlement, SettlementsSince, Tick, valid

#: A device publishes its retained state every this many settled ticks (and after a property
#: change): restarted, a device answering ticks replays the settlements since from the
#: inverter's recent ones; one running ahead takes the progress; the inverter resumes from the
#: retained settlement (its ``tripped``).
STATE_EVERY_TICKS = 60


def property_changes(device_id: str, changes: Any) -> dict[str, Any]:
    """``{"<id>.<field>": value}`` from a ``set`` call's mapping; refuses what can't be set."""
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
    uris = uris_from_env()
    adapter = adapter_for(compile_home(home), device_id)
    # The first block before joining: ``homesim up`` starts the clock once every device answers
    # ``get``, so no first tick waits for a block being computed (seconds for the PV arrays).
    adapter.exo(0)
    metrics = DeviceMetrics.start(uris.home, adapter.device, home.currency)
    #: The inverter's settlement barrier: kept across sessions (its recent settlements and the
    #: events it holds of ticks not settled yet).
    barrier = Barrier(adapter, uris, base) if isinstance(adapter, InverterAdapter) else None
    #: The properties' revision (``set``'s optimistic concurrency), across sessions; resumed
    #: from the retained ``config`` of the device's previous process on the first join.
    revisions = Revisions()
    resumed: dict[str, bool] = {}
    comp = component()

    @comp.on_join
    async def joined(session, details):
        log.info("joined as %s (%s)", details.authid, details.authrole)
        environment = adapter.device.ROLE == "environment"
        # Driven by the inverter's progress, not by every tick: a device whose energy depends on
        # no settlement (it publishes its events a window ahead) and the sun and the weather.
        by_progress = barrier is None and (environment or adapter.device.runs_ahead())
        #: What this session sent ahead (a new session of the inverter holds nothing: the window goes again).
        ahead = Ahead()
        desired: dict[str, Any] = {}

        def get() -> dict[str, Any]:
            return device_view(adapter, revisions)

        def on_desired(message: dict[str, Any]) -> None:
            """The controller's desired home: what a property change is checked against."""
            if valid(DesiredHome, message, uris.devices):
                desired["home"] = message["home"]

        def set_properties(changes: Any = None, revision: Any = None, **kwargs: Any) -> dict[str, Any]:
            """``set(power_w=2000)`` or ``set({"power_w": 2000})``, with ``revision=N`` (the one it
            read) refused if a property it sets changed since N, else merged; without, the last
            writer wins."""
            changes = kwargs if changes is None else changes
            view = apply_properties(adapter, revisions, base, changes, revision, desired.get("home"))
            session.publish(uris.config(device_id), view, options=retain())
            publish_state(force=True)
            if by_progress and not environment:
                # From the next tick the inverter settles on: what it holds of ours is replaced.
                publish_ahead(ahead.changed())
            log.info("properties changed: %s", changes)
            return view

        def publish_state(force: bool = False, before: int | None = None) -> None:
            """Every ``STATE_EVERY_TICKS`` settled ticks (``before``: the tick taken last, when
            several came at once), and after a property change."""
            tick = adapter.applied_tick
            if force or tick // STATE_EVERY_TICKS != (tick - 1 if before is None else before) // STATE_EVERY_TICKS:
                session.publish(uris.state(device_id), adapter.state(), options=retain())

        def publish_ahead(span: tuple[int, int] | None) -> None:
            if span is not None:
                session.publish(uris.energy_ahead(device_id), {"events": adapter.ahead(*span)})

        if not resumed:  # the first join: the revision goes on from the previous process's
            resumed["done"] = True
            await _resume_revision(session, uris, adapter, revisions, retained, log)
        # First of all (but the revision), so that a device the watcher reports present answers
        # get and set (with the revision it goes on from).
        await session.register(checked(get), uris.get(device_id))
        await session.register(checked(set_properties), uris.set(device_id))
        if barrier is not None:  # the inverter's own home follows every change
            await _run_inverter(session, uris, barrier, publish_state, metrics, details.session)
            return
        await session.subscribe(on_desired, uris.devices, options=SubscribeOptions(get_retained=True))
        if by_progress:
            await _run_by_progress(session, uris, adapter, metrics, ahead, publish_state,
                                   None if environment else publish_ahead)
        else:
            await _run_answering(session, uris, adapter, metrics, publish_state, retained, log)

    run_component(comp)


def apply_properties(adapter: Adapter, revisions: Revisions, base: Path, changes: Any, revision: Any,
                     desired: dict[str, Any] | None) -> dict[str, Any]:
    """A ``set`` call's ``changes`` (``revision``: the one its caller read, or inside ``changes``)
    checked (:func:`changed_home`, the revision, the present state) and bound; the new view."""
    if isinstance(changes, dict) and "revision" in changes and revision is None:
        changes = dict(changes)  # set({"power_w": 500, "revision": 3}) as set(..., revision=3)
        revision = changes.pop("revision")
    before = adapter.device.model_dump(mode="json")
    new_home = changed_home(adapter.compiled.home, adapter.device_id, changes, base, desired)
    revisions.check(adapter.device_id, revision, changes)
    bind_checked(adapter, new_home)
    revisions.accepted(changed_fields(before, adapter.device.model_dump(mode="json")))
    return device_view(adapter, revisions)


async def _resume_revision(session, uris: Uris, adapter: Adapter, revisions: Revisions, retained, log) -> None:
    """The revision goes on from the previous process's retained ``config`` (the next one if its
    properties changed while it was down)."""
    device_id = adapter.device_id
    last = await retained(session, uris.config(device_id), (uris.settlements_since, 0, 1))
    if (last and valid(DeviceView, last, uris.config(device_id))
            and revisions.resume(last, adapter.device.model_dump(mode="json"))):
        session.publish(uris.config(device_id), device_view(adapter, revisions), options=retain())
        log.info("properties changed elsewhere while down: %s (revision %d)",
                 ", ".join(revisions.changed), revisions.revision)


async def _run_by_progress(session, uris: Uris, adapter: Adapter, metrics, ahead: Ahead, publish_state,
                           publish_ahead) -> None:
    """A device running ahead (``publish_ahead``: its events of the window's ticks it has not
    sent) or the sun or the weather (``publish_ahead`` None: they show what they see at the
    progress's tick), driven by the inverter's progress."""
    def on_progress(message: dict[str, Any], details=None) -> None:
        if not valid(Progress, message, uris.progress):
            return
        ahead.progress(message)
        before = adapter.applied_tick
        if message["settled"] is not None:
            adapter.on_settlement(message["settled"])
        # (the retained one: its flows were counted by this device's previous process)
        metrics.progressed(message, flows=not getattr(details, "retained", False))
        if publish_ahead is None:
            adapter.on_tick(max(0, ahead.tick))  # what it sees at the last settled tick
        else:
            publish_ahead(ahead.due())
        publish_state(before=before)

    await session.subscribe(on_progress, uris.progress, options=SubscribeOptions(get_retained=True, details_arg="details"))


async def _run_answering(session, uris: Uris, adapter: Adapter, metrics, publish_state, retained, log) -> None:
    """A device answering ticks: resumed from its retained state, then its energy event for each
    tick, with the settlement of the tick before (``Tick.settled``) taken into its state first."""
    await _resume(session, uris, adapter, retained, log)

    def on_tick(message: dict[str, Any]) -> None:
        if not valid(Tick, message, uris.tick):
            return
        settled = message.get("settled")
        if settled is not None and adapter.on_settlement(settled):  # the tick before's, taken once
            metrics.settled(settled)
            publish_state()
        tick = int(message["tick"])
        if tick <= adapter.applied_tick:
            return  # already settled (a retained or repeated tick)
        event = adapter.on_tick(tick)
        if event is not None:
            session.publish(uris.energy(adapter.device_id), event)

    # The settlements come with the ticks (Tick.settled): no subscription to each one.
    await session.subscribe(on_tick, uris.tick, options=SubscribeOptions(get_retained=True))


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


async def _run_inverter(session, uris: Uris, barrier: Barrier, publish_state, metrics, holder: int) -> None:
    """Wire the inverter's settlement barrier (:class:`homesim.bus.barrier.Barrier`, which holds
    every rule: what a tick waits for, late, duplicate and missing events, the window ahead) to
    the bus for this session (``holder``): subscribe, feed it, publish what it returns."""
    barrier.join(holder, await retained(session, uris.settlement))

    def publish(out: list[Out]) -> None:
        for item in out:
            if isinstance(item, Settled):
                if item.timed_out:
                    metrics.barrier_timeouts.inc()
                if item.problem is not None:
                    metrics.settle_failures.inc()
                session.publish(uris.settlement, item.settlement, options=retain())
                publish_state()
                metrics.settled(item.settlement, item.waited_s)
            elif isinstance(item, Resent):
                session.publish(uris.settlement, item.settlement, options=retain())
            elif isinstance(item, Progressed):
                session.publish(uris.progress, item.message, options=retain())
            elif isinstance(item, Dropped):
                metrics.dropped_events.inc(item.count)

    def since(tick: Any = None, limit: Any = 1000) -> list[dict[str, Any]]:
        """Settlements from ``tick`` on (at most ``limit``), of the last RECENT_SETTLEMENTS."""
        request = rpc_arguments(SettlementsSince, tick=tick, limit=limit)
        return barrier.since(request.tick, request.limit)

    wildcard = SubscribeOptions(match="wildcard", details_arg="details")
    await session.subscribe(lambda m: publish(barrier.topology_changed(m)), uris.topology,
                            options=SubscribeOptions(get_retained=True))
    await session.subscribe(barrier.devices, uris.devices, options=SubscribeOptions(get_retained=True))
    await session.subscribe(lambda v, details=None: barrier.config(details.topic, v), uris.device_topic("config"),
                            options=wildcard)
    await session.subscribe(lambda e, details=None: publish(barrier.energy(details.topic, e)),
                            uris.device_topic("energy"), options=wildcard)
    await session.subscribe(lambda m, details=None: publish(barrier.energy_ahead(details.topic, m)),
                            uris.device_topic("energy_ahead"), options=wildcard)
    # A new session holds no events ahead: the devices running ahead send the window again.
    publish(barrier.open())
    await session.subscribe(lambda m: publish(barrier.tick(m)), uris.tick, options=SubscribeOptions(get_retained=True))
    # Last: once this is registered the inverter hears every energy event (up waits for it).
    await session.register(checked(since), uris.settlements_since)

    async def timer() -> None:
        while session.is_attached():
            await asyncio.sleep(0.05)
            publish(barrier.poll())

    asyncio.ensure_future(timer())


if __name__ == "__main__":
    sys.exit(main())
