"""A device's property revisions: optimistic concurrency for ``device.<id>.set`` (issue 24).

Every accepted change that changes a device's properties bumps its revision (an integer, in
its ``get`` view and its retained ``config`` event). A ``set`` may name the revision it read
(``revision=N``): if the properties it writes were changed since N (by anyone: another tab, a
WAMP client, a controller), it is refused with ``homesim.error.conflict`` ("changed elsewhere
since revision N (now M): reload"); if only other properties changed, it is merged (only the
properties it names are written). A ``set`` without a revision is last-writer-wins.

The device keeps which properties each of its last ``HISTORY`` revisions changed; a write
based on an older revision than that (or one from before the device restarted) is refused as
a conflict, since what changed since is no longer known.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from typing import Any

from autobahn.wamp.exception import ApplicationError

from homesim.bus.uris import CONFLICT, INVALID_PROPERTY

#: Revisions whose changed properties a device remembers.
HISTORY = 64


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The properties whose values differ between two property mappings, sorted."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def top_level(keys: Iterable[str]) -> set[str]:
    """``switch.timers`` -> ``switch``: revisions are kept per top-level property."""
    return {str(key).split(".", 1)[0] for key in keys}


class Revisions:
    """The revision of one device's properties and which properties the last ones changed."""

    def __init__(self, revision: int = 0, changed: Iterable[str] = ()) -> None:
        self.revision = revision
        #: The properties the change to ``revision`` set (shown in the view).
        self.changed = sorted(changed)
        #: (revision, the properties its change set), for revisions after ``known_from``.
        self.history: collections.deque[tuple[int, frozenset[str]]] = collections.deque(maxlen=HISTORY)
        #: The oldest revision a write may be based on: what changed after it is known.
        self.known_from = revision

    def resume(self, retained: Mapping[str, Any] | None, properties: Mapping[str, Any]) -> bool:
        """Go on from the device's retained view (its previous process's): the same revision
        if the properties are the same, the next one (with the properties that differ) if they
        were changed elsewhere while it was down (a ``kubectl patch`` or a ``helm upgrade`` of
        its Device, a hand edit of the live home). True if the properties changed (the view is
        then to be published)."""
        if not retained or not isinstance(retained.get("revision"), int) or retained["revision"] < 0:
            return False
        before = retained.get("properties") or {}
        if before == dict(properties):
            self.revision, self.changed = retained["revision"], list(retained.get("changed") or [])
            self.known_from = self.revision
            return False
        self.revision = retained["revision"] + 1
        self.changed = changed_fields(before, properties)
        self.known_from = self.revision
        return True

    def check(self, device_id: str, based_on: Any, keys: Iterable[str]) -> None:
        """Refuse a write of ``keys`` based on revision ``based_on`` (None: last writer wins)
        if any of them changed since; else it may be merged."""
        if based_on is None:
            return
        if isinstance(based_on, bool) or not isinstance(based_on, int) or based_on < 0:
            raise ApplicationError(INVALID_PROPERTY, f"revision: {based_on!r} is not allowed: must be an integer "
                                                     f">= 0, the revision of {device_id} that the change is based on "
                                                     "(from its get or config event)")
        now = self.revision
        if based_on == now:
            return
        if based_on > now:
            raise ApplicationError(CONFLICT, f"revision: {based_on} is not a revision of {device_id} (now {now}): "
                                             "reload", revision=now, fields=[])
        if based_on < self.known_from:
            raise ApplicationError(CONFLICT, f"{device_id} changed elsewhere since revision {based_on} (now {now}; "
                                             "which properties is no longer known): reload", revision=now, fields=[])
        since: set[str] = set()
        for revision, fields in self.history:
            if revision > based_on:
                since |= fields
        overlap = sorted(since & top_level(keys))
        if overlap:
            raise ApplicationError(CONFLICT, f"{', '.join(overlap)}: changed elsewhere since revision {based_on} "
                                             f"(now {now}): reload", revision=now, fields=overlap)

    def accepted(self, fields: Iterable[str]) -> int:
        """A change that set ``fields`` was made: the next revision (none if nothing changed)."""
        fields = sorted(top_level(fields))
        if fields:
            if len(self.history) == self.history.maxlen:  # the oldest goes: what changed after it is unknown
                self.known_from = self.history[0][0]
            self.revision += 1
            self.changed = fields
            self.history.append((self.revision, frozenset(fields)))
        return self.revision
