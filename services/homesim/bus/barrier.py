"""The inverter's settlement barrier as a plain object: which events a tick waits for, what is
done with late, duplicate, implausible and missing events, the window of ticks the devices
running ahead publish at once, and what a new session or a re-sent tick changes.

No transport inside: :class:`Barrier` takes what arrives (energy events, events ahead, the
clock's ticks, the watcher's topology, properties and devices changed, the time passing:
``poll``) and *returns* what to publish (:class:`Settled`, :class:`Resent`,
:class:`Progressed`) and what it dropped (:class:`Dropped`). The inverter's process
(``homesim.bus.device``) only wires it to the bus: subscribe, feed, publish what comes back.
The time is read from the ``clock`` it is given (``time.monotonic`` in the process; a counter
in the tests, ``tests/bus/test_barrier.py``, which run it without a router).

The rules, in the order a tick meets them:

- a tick settles once the clock published it and the barrier holds an event (or an event
  dropped as implausible) of every energy device that is on and, as far as the watcher knows,
  present; or ``timeout_s`` after the tick or its first event came, without the absent ones
  (listed in ``missing``, no flow: never a made-up 0);
- an event of a tick already settled changes nothing; a second event of a device for a tick
  not settled yet replaces the first (it is counted once);
- a device running ahead publishes its events for the window ``[start, end)`` of the last
  ``Progressed``; they are held (at most 4 windows ahead) until their ticks come, and
  the window moves on when half of it is settled;
- a tick the clock publishes again once it is settled sends the same settlement again (it was
  lost on the way); an older one is ignored;
- across sessions (a router restart) the barrier keeps the recent settlements and the events
  held; a new session (``join``) holds no events ahead of its own (the window goes again) and
  resumes after the retained settlement if it is newer than the last one settled here.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

from pydantic import ValidationError

from homesim.bus.adapters import InverterAdapter
from homesim.bus.uris import Uris
from homesim.engine.compiled import CompiledHome
from homesim.home import HomeFileError, home_from_dict
from homesim.live import compile_home
from homesim.messages import AHEAD_BY_ROLE, ENERGY_BY_ROLE, DesiredHome, DeviceView, Settlement, Tick, Topology, valid

log = logging.getLogger("homesim.bus")

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


@dataclass(frozen=True)
class Settled:
    """A tick settled: publish ``settlement`` (retained)."""

    settlement: dict[str, Any]
    #: From the tick's first tick or event to its settlement [s].
    waited_s: float
    #: Settled by the barrier running out (some device's event was not in).
    timed_out: bool
    #: Why the settlement the events made broke its contract (it was settled without any of
    #: them: :func:`settle_checked`); ``None``: it held.
    problem: str | None


@dataclass(frozen=True)
class Resent:
    """The clock published a tick again that is settled already: its settlement goes again."""

    settlement: dict[str, Any]


@dataclass(frozen=True)
class Progressed:
    """Publish the ``progress`` ``message`` (retained; ``messages.Progress``)."""

    message: dict[str, Any]


@dataclass(frozen=True)
class Dropped:
    """``count`` events of ``device_id`` dropped as implausible (that device is missing from their ticks)."""

    device_id: str
    count: int


Out = Union[Settled, Resent, Progressed, Dropped]


@dataclass
class Window:
    """The ticks the devices running ahead publish at once, and the flows since the last progress."""

    start: int = 0
    end: int = 0
    #: First tick the flows cover.
    first: int = 0
    #: device -> [energy in, energy out] [J] since ``first``.
    flows: dict[str, list[int]] = field(default_factory=dict)
    #: When the last progress went out (the barrier's clock) [s].
    at: float = 0.0
    #: Ticks settled since, not published in a progress yet.
    pending: bool = False


class Barrier:
    """The inverter's settlement barrier of one home (see the module's text for the rules).

    ``adapter`` settles a tick from its events and keeps the last settled tick
    (``applied_tick``); ``base`` is the folder relative paths of the home resolve against (a
    device's new properties); ``clock`` gives the time [s]; ``timeout_s`` is how long a tick
    waits for its devices [s]; ``ahead_ticks`` the window's length [ticks]."""

    def __init__(self, adapter: InverterAdapter, uris: Uris, base: Path, clock: Callable[[], float] = time.monotonic,
                 timeout_s: float = BARRIER_TIMEOUT_S, ahead_ticks: int = AHEAD_TICKS) -> None:
        self.adapter = adapter
        self.uris = uris
        self.base = base
        self.clock = clock
        self.timeout_s = timeout_s
        self.ahead_ticks = ahead_ticks
        #: The last settlements, for the recorder's backfill and a restarted device's replay:
        #: kept across sessions (after a router restart the recorder asks for the ticks it lost).
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT_SETTLEMENTS)
        #: The events of ticks not settled yet (tick -> device -> event; ``None``: dropped as
        #: implausible), kept across sessions too: after a router restart a device still
        #: reconnecting is not missing from ticks it had sent.
        self.events: dict[int, dict[str, dict[str, Any] | None]] = {}
        self.join(0, None)

    def join(self, holder: int, last: Any) -> None:
        """A new session ``holder`` (it holds no events ahead of its own: the devices running
        ahead send the window again once :meth:`open` went out), with the retained settlement
        ``last`` (if any): a restarted inverter resumes after it (and its ``tripped``)."""
        self.holder = holder
        #: ticks seen (a tick or an event came) and not settled yet: when first seen [s]
        self.started: dict[int, float] = {}
        #: ticks the clock published and not settled yet: its ``sent`` time
        self.sent: dict[int, float | None] = {}
        self.topology: dict[str, dict[str, Any]] = {}
        if not (last and valid(Settlement, last, self.uris.settlement)):
            last = None
        if last is not None and int(last["tick"]) > self.adapter.applied_tick:
            self.adapter.applied_tick = int(last["tick"])
            self.adapter.tripped = bool(last.get("tripped", False))  # what it settled last (a restart goes on exactly)
        self.newest: dict[str, Any] | None = self.recent[-1] if self.recent else last
        self.window = Window(first=self.adapter.applied_tick + 1)

    def open(self) -> list[Out]:
        """The first progress of a session: the window from the next tick on."""
        return [self.progress(move=True)]

    # -- what arrives --------------------------------------------------------------------------

    def energy(self, topic: str, event: Any) -> list[Out]:
        """An energy event of a device answering ticks, on ``device.<id>.energy``."""
        device_id = self.sender(topic, event, ENERGY_BY_ROLE, ahead=False)
        if device_id is None:
            return []
        tick = int(event["tick"])
        if tick <= self.adapter.applied_tick:
            return []  # late: that tick is settled
        dropped = self.implausible(device_id, [event], topic)
        # an implausible event is held as None: the device is missing from this tick
        self.events.setdefault(tick, {})[device_id] = None if dropped else event
        self.started.setdefault(tick, self.clock())
        return counted(device_id, dropped) + self.ready(tick)

    def energy_ahead(self, topic: str, message: Any) -> list[Out]:
        """A device's events for ticks to come (``device.<id>.energy_ahead``), held until their
        ticks (those of ticks not settled yet replace what was held: a property change)."""
        device_id = self.sender(topic, message, AHEAD_BY_ROLE, ahead=True)
        if device_id is None:
            return []
        horizon = self.adapter.applied_tick + 4 * self.ahead_ticks  # held at most this far
        dropped = self.implausible(device_id, message["events"], topic)
        due = []
        for event in message["events"]:
            tick = int(event["tick"])
            if self.adapter.applied_tick < tick <= horizon:
                self.events.setdefault(tick, {})[device_id] = None if any(event is d for d in dropped) else event
                if tick in self.sent:
                    due.append(tick)
        out = counted(device_id, dropped)
        for tick in sorted(due):
            out += self.ready(tick)
        return out

    def tick(self, message: Any) -> list[Out]:
        """The clock's ``tick``: settled once its devices' events are in; again once settled:
        the settlement was lost (the router died as it went out) and goes out again."""
        if not valid(Tick, message, self.uris.tick):
            return []
        tick = int(message["tick"])
        if tick > self.adapter.applied_tick:
            self.started.setdefault(tick, self.clock())
            self.sent.setdefault(tick, message.get("sent"))
            return self.ready(tick)
        if self.recent and self.recent[-1]["tick"] == tick:
            return [Resent(self.recent[-1])]
        return []

    def topology_changed(self, message: Any) -> list[Out]:
        """The watcher's topology: a device that left is not waited for, one that came back is."""
        if not valid(Topology, message, self.uris.topology):
            return []
        self.topology = dict(message.get("devices", {}))
        out: list[Out] = []
        for tick in sorted(self.sent):
            out += self.ready(tick)
        return out

    def poll(self) -> list[Out]:
        """The time passed: the ticks waited for ``timeout_s`` settle without the devices not
        in; the flows of the last ticks go out when none settled for ``PROGRESS_S``."""
        now = self.clock()
        out: list[Out] = []
        for tick in sorted(self.started):
            if tick in self.started and now - self.started[tick] >= self.timeout_s:
                out += self.settle(tick, timed_out=True)
        if self.window.pending and now - self.window.at >= PROGRESS_S:
            out.append(self.progress())
        return out

    def config(self, topic: str, view: Any) -> None:
        """A device's properties changed (``device.<id>.config``): settle with them from the next tick on."""
        if not valid(DeviceView, view, topic):
            return
        device_id = view["id"]
        if device_id == self.adapter.device_id or device_id != Uris.device_of(topic):
            return
        home = self.adapter.compiled.home
        if device_id not in [d.id for d in home.devices]:
            return
        data = home.model_dump(mode="json")
        data["devices"] = [view["properties"] if d["id"] == device_id else d for d in data["devices"]]
        try:
            self.adapter.bind(compiled(data, self.base))
        except HomeFileError as error:  # two changes that only clash together (made at once)
            log.warning("ignored the new properties of %s: %s", device_id, "; ".join(error.problems))

    def devices(self, message: Any) -> None:
        """Devices added or removed by the controller (its desired home)."""
        if not valid(DesiredHome, message, self.uris.devices):
            return
        ids = [d["id"] for d in message["home"]["devices"]]
        if ids != [d.id for d in self.adapter.compiled.home.devices]:
            self.adapter.bind(compiled(message["home"], self.base))
            log.info("devices now: %s", ", ".join(ids))

    def since(self, tick: int, limit: int) -> list[dict[str, Any]]:
        """Settlements from ``tick`` on (at most ``limit``, 1 to 5000), of the last RECENT_SETTLEMENTS."""
        recent, tick = self.recent, int(tick)
        if not recent or tick > recent[-1]["tick"]:
            return []
        first = max(0, tick - recent[0]["tick"])
        if first >= len(recent) or recent[first]["tick"] != tick:  # not consecutive: look it up
            first = next((k for k, s in enumerate(recent) if s["tick"] >= tick), len(recent))
        return list(itertools.islice(recent, first, first + max(1, min(int(limit), 5000))))

    # -- the barrier ---------------------------------------------------------------------------

    def awaited(self) -> set[str]:
        """Energy devices that are on and, as far as the watcher knows, present."""
        return {d for d in self.adapter.energy_devices()
                if self.topology.get(d, {}).get("status", "present") == "present"}

    def off(self) -> frozenset[str]:
        return frozenset(d for d, t in self.topology.items() if t.get("status") == "off")

    def ready(self, tick: int) -> list[Out]:
        """Settle ``tick`` once the clock published it and every awaited device's event is in."""
        if tick in self.sent and self.awaited() <= self.events.get(tick, {}).keys():
            return self.settle(tick)
        return []

    def settle(self, tick: int, timed_out: bool = False) -> list[Out]:
        """Settle ``tick`` with the events held (none if it is settled already)."""
        adapter = self.adapter
        if tick <= adapter.applied_tick:
            return []
        # (an event dropped as implausible is held as None: that device is missing, not waited for)
        received = {d: event for d, event in self.events.pop(tick, {}).items() if event is not None}
        began = self.started.pop(tick, self.clock())
        settlement, problem = settle_checked(adapter, tick, received, self.off(), self.sent.pop(tick, None))
        if problem is not None:
            log.error("tick %d can't be settled with the events of %s (%s): settled with none of them", tick,
                      ", ".join(sorted(received)) or "no device", problem)
        if settlement["missing"]:
            log.warning("tick %d settled without %s", tick, ", ".join(settlement["missing"]))
        self.recent.append(settlement)
        self.newest = settlement
        out: list[Out] = [Settled(settlement, self.clock() - began, timed_out, problem)]
        out += self.settled(tick, settlement)
        for table in (self.events, self.started, self.sent):
            for stale in [t for t in table if t <= tick]:
                table.pop(stale)
        return out

    def settled(self, tick: int, settlement: dict[str, Any]) -> list[Out]:
        """The flows of ``settlement`` counted; the progress when the window moves or it is due."""
        window = self.window
        for device_id, flow in settlement["e"].items():
            totals = window.flows.setdefault(device_id, [0, 0])
            totals[0 if flow > 0 else 1] += abs(flow)
        if tick + self.ahead_ticks // 2 >= window.end:
            return [self.progress(move=True)]
        if self.clock() - window.at >= PROGRESS_S:
            return [self.progress()]
        window.pending = True
        return []

    def progress(self, move: bool = False) -> Progressed:
        """The progress (retained); ``move``: the window goes on from the next tick."""
        window, applied = self.window, self.adapter.applied_tick
        if move:
            window.start = applied + 1
            window.end = window.start + self.ahead_ticks
        flows = {d: {"in_j": f[0], "out_j": f[1]} for d, f in window.flows.items()}
        message = {"tick": applied, "holder": self.holder, "window_start": window.start,
                   "window_end": window.end, "first_tick": window.first, "flows": flows,
                   "settled": self.newest}
        self.window = Window(window.start, window.end, first=applied + 1, at=self.clock())
        return Progressed(message)

    # -- checks --------------------------------------------------------------------------------

    def sender(self, topic: str, payload: Any, models: dict[str, type], ahead: bool) -> str | None:
        """The device that published ``payload`` on ``topic``, if it is this home's, the payload
        is its role's model in ``models``, and it publishes there (``ahead``: a device running
        ahead, on ``energy_ahead``; else one answering ticks, on ``energy``); else None
        (dropped, the reason logged)."""
        device_id = Uris.device_of(topic)
        try:
            device = self.adapter.compiled.home.device(device_id)
        except KeyError:
            return None  # not a device of this home (yet)
        if device.ROLE not in models or not valid(models[device.ROLE], payload, topic):
            return None
        if device.runs_ahead() != ahead:
            log.warning("dropped a message on %s: %s %s", topic, device_id,
                        "answers every tick, it does not run ahead" if ahead
                        else "runs ahead, its events come on energy_ahead")
            return None
        return device_id

    def implausible(self, device_id: str, given: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
        """The events of ``given`` that can't be physically true (``InverterAdapter.implausible``),
        dropped with one line in the log for them all: the device is missing from those ticks."""
        dropped = []
        for event in given:
            reason = self.adapter.implausible(device_id, event)
            if reason is not None:
                dropped.append((event, reason))
        if dropped:
            ticks = [int(event["tick"]) for event, _ in dropped]
            log.warning("dropped %d implausible event(s) of %s on %s, tick %d%s: %s", len(dropped), device_id, topic,
                        ticks[0], f" to {ticks[-1]}" if len(ticks) > 1 else "", dropped[0][1])
        return [event for event, _ in dropped]


def counted(device_id: str, dropped: list[dict[str, Any]]) -> list[Out]:
    """A :class:`Dropped` for the events ``dropped``, if any."""
    return [Dropped(device_id, len(dropped))] if dropped else []


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
    try:
        Settlement.model_validate(settlement)
    except ValidationError as error:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:3])
    return None


def compiled(data: dict[str, Any], base: Path) -> CompiledHome:
    """The home ``data`` compiled (relative paths resolve against ``base``)."""
    return compile_home(home_from_dict(data, home_dir=base))
