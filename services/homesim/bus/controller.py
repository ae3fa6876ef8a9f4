"""The controller: ``python -m homesim.bus.services controller``.

Backends (``HOMESIM_CONTROLLER_BACKEND``): ``local`` (default) and ``kubernetes`` (the Device
objects of the namespace, which the operator turns into Deployments: ``homesim.k8s.devices_backend``,
a :class:`DeviceStore` found by name among the entry points ``homesim.controller_backends``; the
live runtime imports nothing of ``homesim.k8s`` or ``kubernetes``).

Local: the live home file ``$HOMESIM_LIVE_DIR/home.yaml`` (the devices, their properties) and
``state.json`` (which are switched off, a version); ``homesim up`` runs one process per device
in the file and on, as the operator keeps one Deployment per Device with replicas 0 or 1.

RPCs under ``home.<home>.controller.``: ``list``, ``add(device)``, ``remove(id)``, ``switch(id, on)``;
``loadshedding.upload``/``preview`` (:mod:`homesim.bus.shedding`). A bad request gets
``homesim.error.invalid_property`` naming the field and changes nothing. Property changes made on a device (``device.<id>.set``) are written
into the live home file, so a restarted device keeps them. The desired home is published
retained on ``home.<home>.devices``.

No lost updates (issue 24): the files (or the Device objects) are the one source of truth. Every
action re-reads them and writes only what it changes (a config event: the properties its change
set); locally under a lock file, in a store one device at a time naming the version it read,
retried if it changed meanwhile (409 Conflict), then ``homesim.error.conflict``. Changes made
elsewhere (a hand edit, another controller, ``kubectl patch``) are noticed (the files polled
every ``POLL_S``; the store watched) and published.

Its logic needs no router: :class:`DesiredHome` (and :class:`StoredDesiredHome`) hold every
action and its checks, :class:`ConfigEvents` what a device's config event writes; the process
(:func:`run_controller`) only registers and subscribes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import SubscribeOptions

from homesim.bus.metrics import ProcessMetrics
from homesim.bus import shedding
from homesim.bus.revisions import changed_fields
from homesim.bus.session import checked, component, env, log, retain, run_component, uris_from_env
from homesim.bus.uris import CONFLICT, INVALID_PROPERTY, Uris
from homesim.home import Home, HomeFileError, free_id, home_from_dict
from homesim.live import load_live_home
from homesim.bus.arguments import call_arguments
from homesim.messages import AddDevice, DeviceView, SwitchDevice, valid
from homesim.messages import DeviceId as DeviceIdArgument

#: How often the local controller looks whether the live home's files changed elsewhere [s].
POLL_S = 1.0


def by_name(action: Callable[..., Any], model: type) -> Callable[..., Any]:
    """``action`` taking its arguments by position or by name, as ``model`` (the bus reference)
    lists them: ``remove("tv")`` is ``remove(id="tv")`` (``messages.call_arguments``)."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return action(*call_arguments(model, args, kwargs).values())

    call.__name__ = action.__name__
    return call


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` at once (a reader sees the old file or the new one)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class DesiredHome:
    """The live home file and the switches, validated on every change (no bus I/O).

    The files are the one source of truth: every action re-reads them (under a lock, if they
    changed since this process last read or wrote them: a hand edit, another controller) and
    changes only what it is about, so that nobody's change is undone by a stale copy."""

    def __init__(self, live_dir: Path, home: Home, base: Path, off: set[str], version: int = 0) -> None:
        self.live_dir = live_dir
        self.base = base
        self.home = home
        self.off = set(off)
        self.version = version
        #: The files' contents as this process last read or wrote them.
        self._seen: tuple[bytes, bytes] | None = None

    @classmethod
    def open(cls, live_dir: Path, base: Path, template: Path | None = None) -> "DesiredHome":
        """The desired home as ``homesim up`` (or an earlier controller) left it; in a folder
        with none yet (a new Compose volume), ``template``'s devices, all on."""
        if not (live_dir / "state.json").exists() and template is not None:
            live_dir.mkdir(parents=True, exist_ok=True)
            desired = cls(live_dir, load_live_home(template), base, set(), -1)
            desired.save()  # version 0
            return desired
        state = json.loads((live_dir / "state.json").read_text())
        desired = cls(live_dir, load_live_home(live_dir / "home.yaml"), base, set(state["off"]), int(state["version"]))
        desired.reload()
        return desired

    def save(self) -> None:
        self.version += 1
        header = (f"# The live home, written by the controller (version {self.version}).\n"
                  f"# Relative paths resolve against {self.base}.\n")
        home_text = header + yaml.safe_dump(self.home.model_dump(mode="json"), sort_keys=False)
        state_text = json.dumps({"version": self.version, "off": sorted(self.off)})
        write_atomic(self.live_dir / "home.yaml", home_text)
        write_atomic(self.live_dir / "state.json", state_text)
        self._seen = (home_text.encode(), state_text.encode())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The live dir's lock: one controller at a time reads, changes and writes the files."""
        with open(self.live_dir / ".controller.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def refresh(self) -> bool:
        """Re-read the files if they changed since this process last read or wrote them;
        True if they did. A file that no longer makes a valid home is refused (named), and
        nothing is written over it."""
        try:
            home_bytes = (self.live_dir / "home.yaml").read_bytes()
            state_bytes = (self.live_dir / "state.json").read_bytes()
        except FileNotFoundError:
            return False
        if (home_bytes, state_bytes) == self._seen:
            return False
        try:
            state = json.loads(state_bytes)
            off, version = set(state["off"]), int(state["version"])
            home = load_live_home(self.live_dir / "home.yaml", self.base)
        except HomeFileError as error:
            raise ApplicationError(INVALID_PROPERTY, f"the live home {self.live_dir / 'home.yaml'} was changed "
                                                     f"elsewhere and is not valid: {'; '.join(error.problems)}; "
                                                     "fix it first") from None
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as error:
            raise ApplicationError(INVALID_PROPERTY, f"the live home's files in {self.live_dir} were changed "
                                                     f"elsewhere and can't be read: {error}; fix them first") from None
        changed = (home.model_dump(mode="json") != self.home.model_dump(mode="json") or off != self.off)
        self.home, self.off = home, off
        self.version = max(self.version + (1 if changed else 0), version)
        self._seen = (home_bytes, state_bytes)
        return changed

    def reload(self) -> bool:
        """:meth:`refresh` as a step of its own (the controller polls it): True if the desired
        home changed elsewhere."""
        with self._locked():
            return self.refresh()

    def _transaction(self, change: Callable[[], tuple[Any, set[str]]]) -> Any:
        """``change`` applied to the desired home as it is now (re-read), and written if it
        changed a device (it returns its result and the ids of the devices it changed)."""
        with self._locked():
            self.refresh()
            result, touched = change()
            if touched:
                self.save()
            return result

    def devices(self) -> list[dict[str, Any]]:
        return [{"id": d.id, "kind": d.kind, "role": d.ROLE, "enabled": d.id not in self.off} for d in self.home.devices]

    def message(self) -> dict[str, Any]:
        return {"version": self.version, "devices": self.devices(), "home": self.home.model_dump(mode="json")}

    def _validated(self, data: dict[str, Any]) -> Home:
        try:
            return home_from_dict(data, home_dir=self.base)
        except HomeFileError as error:
            raise ApplicationError(INVALID_PROPERTY, "; ".join(error.problems)) from None

    def _known(self, device_id: Any) -> str:
        ids = [d.id for d in self.home.devices]
        if device_id not in ids:
            raise ApplicationError(INVALID_PROPERTY, f"id: {device_id!r} is not a device of this home; "
                                                     f"devices: {', '.join(ids)}")
        return device_id

    def _not_essential(self, device_id: str, action: str) -> None:
        """Refuse to remove or switch off what the home can't run without (its kind says so:
        ``REMOVABLE``)."""
        device = self.home.device(device_id)
        if not device.REMOVABLE:
            raise ApplicationError(INVALID_PROPERTY, f"id: {device_id!r} is the {device.kind}; it can't be {action}")

    def add(self, device: Any) -> dict[str, Any]:
        if not isinstance(device, dict):
            raise ApplicationError(INVALID_PROPERTY, "device: must be a mapping with at least 'kind', "
                                                     "e.g. {\"kind\": \"oven\", \"id\": \"oven2\"}")

        def change() -> tuple[Any, set[str]]:
            entry = device
            data = self.home.model_dump(mode="json")
            taken = [d["id"] for d in data["devices"]]
            if entry.get("id") in taken:
                raise ApplicationError(INVALID_PROPERTY, f"id: {entry['id']!r} is taken; pick another id")
            if "id" not in entry and isinstance(entry.get("kind"), str):
                entry = {"id": free_id(entry["kind"], taken), **entry}  # e.g. oven_2
            data["devices"].append(entry)
            home = self._validated(data)
            added = [d for d in home.devices if d.id not in taken]
            self.home = home
            return {"id": added[0].id, "kind": added[0].kind, "enabled": True}, {added[0].id}

        return self._transaction(change)

    def remove(self, device_id: Any) -> dict[str, Any]:
        def change() -> tuple[Any, set[str]]:
            known = self._known(device_id)
            self._not_essential(known, "removed")
            data = self.home.model_dump(mode="json")
            data["devices"] = [d for d in data["devices"] if d["id"] != known]
            self.home = self._validated(data)
            self.off.discard(known)
            return {"id": known, "removed": True}, {known}

        return self._transaction(change)

    def switch(self, device_id: Any, on: Any) -> dict[str, Any]:
        if not isinstance(on, bool):
            raise ApplicationError(INVALID_PROPERTY, f"on: {on!r} is not allowed: must be true or false")

        def change() -> tuple[Any, set[str]]:
            known = self._known(device_id)
            if not on:
                self._not_essential(known, "switched off")
            changed = (known in self.off) == on
            (self.off.discard if on else self.off.add)(known)
            return {"id": known, "enabled": on}, ({known} if changed else set())

        return self._transaction(change)

    def set_properties(self, device_id: str, properties: dict[str, Any], fields: Iterable[str] | None = None) -> bool:
        """A device's new properties (already validated by it); ``False`` if unknown or
        unchanged. ``fields``: only these properties are written (those its change set; the
        others stay as they are in the desired home, which may have changed elsewhere);
        None: all of them."""

        def change() -> tuple[Any, set[str]]:
            data = self.home.model_dump(mode="json")
            entry = next((d for d in data["devices"] if d["id"] == device_id), None)
            if entry is None:
                return False, set()
            new = dict(properties) if fields is None else dict(entry)
            for name in fields or ():
                if name in properties:
                    new[name] = properties[name]
                else:
                    new.pop(name, None)
            if new == entry:
                return False, set()
            data["devices"] = [new if d["id"] == device_id else d for d in data["devices"]]
            self.home = self._validated(data)
            return True, {device_id}

        return self._transaction(change)


class ConfigEvents:
    """A device's config events (``device.<id>.config``, after each ``set``) into the desired
    home: what each changed is written, nothing else (the properties it names as ``changed``,
    and whatever differs from the last event of that device seen: an event missed in between),
    so that a change made elsewhere to its other properties is not undone (no bus I/O)."""

    def __init__(self, desired: DesiredHome) -> None:
        self.desired = desired
        #: The last config event of each device.
        self.views: dict[str, dict[str, Any]] = {}

    def take(self, device_id: str, view: dict[str, Any]) -> bool:
        """``view`` (a valid ``DeviceView``) of ``device_id`` written; True if the desired home
        changed (to publish)."""
        before = self.views.get(device_id)
        self.views[device_id] = view
        fields = set(view.get("changed") or [])
        if before is not None:  # and whatever changed since the last one it saw (one missed)
            fields |= set(changed_fields(before["properties"], view["properties"]))
        return self.desired.set_properties(device_id, view["properties"], fields)


@runtime_checkable
class DeviceStore(Protocol):
    """Where a backend other than the local files keeps the desired home's devices (the same
    actions, checks and errors: :class:`StoredDesiredHome`); a callable giving one is found by name
    among the entry points ``BACKENDS`` (``kubernetes``: ``homesim.k8s.devices_backend``)."""

    #: What holds the devices, named in errors ("Devices in namespace home").
    where: str

    def read(self) -> list[tuple[dict[str, Any], bool]]:
        """Every device stored: its home file entry and whether it is on (each one's version kept)."""

    def create(self, entry: dict[str, Any], enabled: bool) -> None:
        """Store a device not there when last read (one stored meanwhile stays as it is)."""

    def write(self, before: tuple[dict[str, Any], bool] | None, after: tuple[dict[str, Any], bool] | None) -> bool:
        """One device from ``before`` (as read; None: new) to ``after`` (None: removed), only what
        changed, naming the version read; False if it changed since it was read."""

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        """Call ``changed`` on every change of the stored devices until ``stop`` (blocking)."""


class StoredDesiredHome(DesiredHome):
    """The desired home in a :class:`DeviceStore` (Kubernetes: the namespace's ``Device``
    objects), its one source of truth. Same RPCs, same checks; an action re-reads the devices and
    writes the one it changes; if that changed in between (a ``kubectl patch``) it reads again
    and retries, ``ATTEMPTS`` times, then reports ``homesim.error.conflict``."""

    #: Tries of an action whose write meets a concurrent change of the same device.
    ATTEMPTS = 5

    def __init__(self, store: DeviceStore, template: Home, base: Path) -> None:
        super().__init__(Path("."), template, base, set())
        self.store = store
        #: Location, start, currency, seed (and the devices while the store has none).
        self._template = template.model_dump(mode="json")
        self.refresh()

    def refresh(self) -> bool:
        """Read the devices (the template's while there are none); True if the desired home changed."""
        entries = self.store.read()
        data = dict(self._template)
        off: set[str] = set()
        if entries:
            data["devices"] = [entry for entry, _ in entries]
            off = {entry["id"] for entry, enabled in entries if not enabled}
        try:
            home = home_from_dict(data, home_dir=self.base)
        except HomeFileError as error:
            raise ApplicationError(INVALID_PROPERTY, f"the {self.store.where} were changed elsewhere and don't "
                                                     f"make a valid home: {'; '.join(error.problems)}; "
                                                     "fix them first") from None
        changed = home.model_dump(mode="json") != self.home.model_dump(mode="json") or off != self.off
        self.home, self.off = home, off
        if changed:
            self.version += 1
        return changed

    def reload(self) -> bool:
        return self.refresh()

    def save(self) -> None:
        """Store the devices of the desired home not stored yet (the template's, at the first
        start); stored ones are left as they are."""
        for device in self.home.model_dump(mode="json")["devices"]:
            self.store.create(device, device["id"] not in self.off)
        self.refresh()

    def _entries(self, home: Home, off: set[str]) -> dict[str, tuple[dict[str, Any], bool]]:
        return {d.id: (d.model_dump(mode="json"), d.id not in off) for d in home.devices}

    def _transaction(self, change: Callable[[], tuple[Any, set[str]]]) -> Any:
        touched: set[str] = set()
        for _ in range(self.ATTEMPTS):
            self.refresh()
            was = self._entries(self.home, self.off)
            result, touched = change()
            now = self._entries(self.home, self.off)
            try:
                written = all(self.store.write(was.get(device_id), now.get(device_id)) for device_id in sorted(touched))
            except Exception:
                self.refresh()
                raise
            if not written:  # changed since it was read: read again, try again
                self.refresh()
                log.info("a device changed while %s was written: trying again", ", ".join(sorted(touched)))
                continue
            if touched:
                self.version += 1
            return result
        raise ApplicationError(CONFLICT, f"{', '.join(sorted(touched))}: changed elsewhere while this change was "
                                         f"written, {self.ATTEMPTS} times: reload and try again")


def follow_changes(desired: DesiredHome, loop: asyncio.AbstractEventLoop, changed: Callable[[], None],
                   stop: threading.Event | None = None) -> None:
    """Call ``changed`` on ``loop`` whenever the desired home may have changed elsewhere: on
    every change in its store (Kubernetes: the Devices watched, in a thread), or every ``POLL_S``
    (local: the live home's files looked at), until ``stop`` is set."""
    stop = stop or threading.Event()
    if isinstance(desired, StoredDesiredHome):
        threading.Thread(target=desired.store.watch, args=(lambda: loop.call_soon_threadsafe(changed), stop),
                         daemon=True, name="watch-devices").start()
        return

    async def poll() -> None:
        while not stop.is_set():
            await asyncio.sleep(POLL_S)
            changed()

    loop.create_task(poll())


#: The entry point group of the controller's other backends (pyproject.toml).
BACKENDS = "homesim.controller_backends"


def load_store(name: str) -> Callable[[], DeviceStore]:
    """The installed backend ``name`` (what gives its :class:`DeviceStore`); a clear error, not a
    traceback, if there is none by that name or it can't be loaded."""
    found = {point.name: point for point in entry_points(group=BACKENDS)}
    if name not in found:
        installed = ", ".join(sorted(found)) or f"none: no entry points {BACKENDS}"
        raise SystemExit(f"homesim: HOMESIM_CONTROLLER_BACKEND={name!r} is not allowed: must be local or an installed "
                         f"backend ({installed}; is homesim installed, e.g. pip install -e .?)")
    try:
        return found[name].load()
    except Exception as error:  # noqa: BLE001 - named, whatever it was (a missing library, a bad name)
        raise SystemExit(f"homesim: the controller's {name} backend ({found[name].value}) can't be loaded: "
                         f"{type(error).__name__}: {error}") from None


def open_desired() -> DesiredHome:
    """The backend named by ``HOMESIM_CONTROLLER_BACKEND``: ``local`` (files; default) or an
    installed one (``kubernetes``: Device objects in ``HOMESIM_NAMESPACE``)."""
    base = Path(env("HOMESIM_HOME_DIR"))
    backend = os.environ.get("HOMESIM_CONTROLLER_BACKEND") or "local"
    if backend != "local":
        desired = StoredDesiredHome(load_store(backend)(), load_live_home(Path(env("HOMESIM_HOME"))), base)
        desired.save()
        return desired
    template = os.environ.get("HOMESIM_HOME")
    return DesiredHome.open(Path(env("HOMESIM_LIVE_DIR")), base, Path(template) if template else None)


def run_controller() -> None:
    uris = uris_from_env()
    desired = open_desired()
    ProcessMetrics(uris.home, "controller")  # its /metrics: up, process info
    comp = component()
    #: The session now (a router restart gives a new one), and whether the watch is running.
    current: dict[str, Any] = {}
    configs = ConfigEvents(desired)

    def publish() -> None:
        session = current.get("session")
        if session is not None and session.is_attached():
            session.publish(uris.devices, desired.message(), options=retain())

    def changed_elsewhere() -> None:
        """The desired home changed elsewhere (a hand edit or another controller; on Kubernetes
        a ``kubectl patch``, a ``helm upgrade``): published, so that the UI shows it."""
        try:
            if desired.reload():
                log.info("the desired home changed elsewhere (version %d)", desired.version)
                publish()
        except ApplicationError as error:
            log.warning("%s", error.args[0] if error.args else error)

    @comp.on_join
    async def joined(session, details):
        current["session"] = session

        def changing(action):
            def call(*args, **kwargs):
                try:
                    result = action(*args, **kwargs)
                finally:
                    publish()  # the home as read for it, even if the action was refused
                log.info("%s %s -> %s", action.__name__, args or kwargs, result)
                return result
            return call

        def on_config(view: dict[str, Any], details=None) -> None:
            if not valid(DeviceView, view, details.topic):
                return
            try:
                if configs.take(Uris.device_of(details.topic), view):
                    publish()
            except (ApplicationError, KeyError, TypeError) as error:
                log.warning("ignored a device config on %s: %s", details.topic, error)

        await session.register(checked(lambda: desired.devices()), uris.controller("list"))
        await session.register(changing(by_name(desired.add, AddDevice)), uris.controller("add"))
        await session.register(changing(by_name(desired.remove, DeviceIdArgument)), uris.controller("remove"))
        await session.register(changing(by_name(desired.switch, SwitchDevice)), uris.controller("switch"))
        await shedding.register(session, uris, lambda: desired.home, desired.base)
        await session.subscribe(on_config, uris.device_topic("config"),
                                options=SubscribeOptions(match="wildcard", details_arg="details"))
        changed_elsewhere()
        publish()
        if not current.get("watching"):
            current["watching"] = True
            follow_changes(desired, asyncio.get_running_loop(), changed_elsewhere)

    run_component(comp)
