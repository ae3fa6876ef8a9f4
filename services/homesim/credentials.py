"""A home's credentials, in one place: the run's secrets (one WAMP-CRA secret per service, the
device ticket key, the viewer's and the operator's tickets), each device's ticket (an HMAC of its
id under the device key: a device added while the home runs gets one without restarting the
router) and the role a ticket grants. Used by the router's configuration, ``homesim up``, the
Compose file and the Kubernetes operator; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

#: Roles that join with a ticket checked by the home's authenticator.
TICKET_ROLES = ("device", "viewer", "operator")


@dataclass(frozen=True)
class Credentials:
    """This run's secrets: one WAMP-CRA secret per service, the device ticket key, the
    viewer's and the operator's tickets."""

    services: dict[str, str]
    device_key: str = field(default_factory=lambda: secrets.token_hex(32))
    viewer_ticket: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    operator_ticket: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @classmethod
    def generate(cls, services: list[str]) -> "Credentials":
        return cls({name: secrets.token_urlsafe(24) for name in services})

    def device_ticket(self, device_id: str) -> str:
        return device_ticket(self.device_key, device_id)


def device_ticket(key: str, device_id: str) -> str:
    """The ticket of device ``device_id`` under the run's device key."""
    return hmac.new(key.encode(), f"device:{device_id}".encode(), hashlib.sha256).hexdigest()


def device_role(device_id: str, own_roles: frozenset[str] | set[str] = frozenset()) -> str:
    """The role a device joins as: its own if the router has one for it, else ``device``."""
    return f"device_{device_id}" if device_id in own_roles else "device"


def ticket_role(key: str, viewer_ticket: str, operator_ticket: str, authid: str, ticket: str,
                own_roles: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The role a ticket grants (``None``: refused). Comparisons take constant time."""
    if authid == "viewer":
        return "viewer" if hmac.compare_digest(ticket, viewer_ticket) else None
    if authid == "operator":
        return "operator" if hmac.compare_digest(ticket, operator_ticket) else None
    if authid and hmac.compare_digest(ticket, device_ticket(key, authid)):
        return device_role(authid, own_roles)
    return None
