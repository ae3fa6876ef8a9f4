"""WAMP URIs of a home, built in one place (realm ``home``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

REALM = "home"
HOME_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: Error URI for a refused property change or a malformed request.
INVALID_PROPERTY = "homesim.error.invalid_property"
#: Error URI for a write based on a stale read: a ``device.<id>.set`` whose ``revision`` is
#: older than the properties it writes ("changed elsewhere since revision N (now M): reload"),
#: or a controller action that kept meeting a concurrent change of the same Device.
CONFLICT = "homesim.error.conflict"


@dataclass(frozen=True)
class Uris:
    """Every topic and procedure of one home."""

    home: str

    def __post_init__(self) -> None:
        if not HOME_ID.match(self.home):
            raise ValueError(f"home id {self.home!r} is not allowed: must match {HOME_ID.pattern}")

    @property
    def prefix(self) -> str:
        return f"home.{self.home}."

    @property
    def tick(self) -> str:
        return f"home.{self.home}.tick"

    @property
    def settlement(self) -> str:
        return f"home.{self.home}.settlement"

    @property
    def progress(self) -> str:
        """The inverter's progress (retained): settled tick, window ahead, flows."""
        return f"home.{self.home}.progress"

    @property
    def settlements_since(self) -> str:
        """The inverter's RPC: recent settlements from a tick on (recorder backfill)."""
        return f"home.{self.home}.settlements.since"

    @property
    def topology(self) -> str:
        return f"home.{self.home}.topology"

    def device_prefix(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}."

    def energy(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.energy"

    def energy_ahead(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.energy_ahead"

    def state(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.state"

    def get(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.get"

    def set(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.set"

    @property
    def clock_state(self) -> str:
        """The clock's speed and pause state (retained), published on every change."""
        return f"home.{self.home}.clock"

    def clock(self, procedure: str) -> str:
        return f"home.{self.home}.clock.{procedure}"

    def controller(self, procedure: str) -> str:
        return f"home.{self.home}.controller.{procedure}"

    def plan(self, procedure: str) -> str:
        return f"home.{self.home}.plan.{procedure}"

    def report(self, procedure: str) -> str:
        return f"home.{self.home}.report.{procedure}"

    def loadshedding(self, procedure: str) -> str:
        """The controller's load-shedding RPCs: ``upload``, ``preview``."""
        return f"home.{self.home}.loadshedding.{procedure}"

    def history(self, procedure: str) -> str:
        """The planner's history RPCs: ``upload``, ``inspect``, ``import``, ``adopt``."""
        return f"home.{self.home}.history.{procedure}"

    def tariff(self, procedure: str) -> str:
        """The planner's tariff RPC: ``preview``."""
        return f"home.{self.home}.tariff.{procedure}"

    def config(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.config"

    def device_topic(self, what: str) -> str:
        """Wildcard pattern of one topic for every device, e.g. ``home.h.device..energy``."""
        return f"home.{self.home}.device..{what}"

    @staticmethod
    def device_of(topic: str) -> str:
        """The device id in ``home.<home>.device.<id>.<what>``."""
        return topic.split(".")[3]

    @property
    def devices(self) -> str:
        """The controller's retained list of devices (the desired home)."""
        return f"home.{self.home}.devices"

    @property
    def authorizer(self) -> str:
        return f"home.{self.home}.authorize"

    @property
    def authenticator(self) -> str:
        return f"home.{self.home}.authenticate"
