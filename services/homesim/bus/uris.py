"""WAMP URIs of a home, built in one place (realm ``home``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

REALM = "home"
HOME_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: Error URI for a refused property change or a malformed request.
INVALID_PROPERTY = "homesim.error.invalid_property"


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
    def topology(self) -> str:
        return f"home.{self.home}.topology"

    def device_prefix(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}."

    def energy(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.energy"

    def state(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.state"

    def get(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.get"

    def set(self, device_id: str) -> str:
        return f"home.{self.home}.device.{device_id}.set"

    def clock(self, procedure: str) -> str:
        return f"home.{self.home}.clock.{procedure}"

    def controller(self, procedure: str) -> str:
        return f"home.{self.home}.controller.{procedure}"

    def report(self, procedure: str) -> str:
        return f"home.{self.home}.report.{procedure}"

    @property
    def authorizer(self) -> str:
        return f"home.{self.home}.authorize"
