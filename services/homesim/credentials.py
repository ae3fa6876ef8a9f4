"""A home's credentials, in one place: the run's secrets (one WAMP-CRA secret per service, the
device ticket key, the viewer's and the operator's tickets), each device's ticket (an HMAC of its
id under the device key: a device added while the home runs gets one without restarting the
router) and the role a ticket grants. Used by the router's configuration, ``homesim up``, the
Compose file and the Kubernetes operator; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

#: What a device id looks like (``devices.base.DeviceId``): any other authid is no device.
_DEVICE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")

#: Roles that join with a ticket checked by the home's authenticator.
TICKET_ROLES = ("device", "viewer", "operator")
#: The home's service processes, in start order: the one list of them. Each runs as
#: ``python -m homesim.bus.services NAME`` and joins with its own WAMP-CRA secret, as its name;
#: ``homesim up``, the Compose file and the chart (a generated include, ``home.services``) start
#: these. The inverter is a device process that joins as a service, as its device id.
SERVICES = ("authorizer", "recorder", "watcher", "controller", "planner", "clock")
#: Who joins with a WAMP-CRA secret as its name: the services and the supervisor (``homesim up``).
SERVICE_NAMES = (*SERVICES, "supervisor")
#: Names a device may not have: the bus gives them to someone else (an authid or a role: the
#: viewer's and operator's tickets, the services, the router's own roles and processes, the
#: log file names of ``homesim up``). A device called ``viewer`` could never join: its ticket
#: would be checked as the viewer's.
RESERVED_IDS = frozenset(TICKET_ROLES + SERVICE_NAMES + ("service", "anonymous", "trusted", "router", "forkserver"))


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
    """The role a ticket grants (``None``: refused). Comparisons take constant time, on the
    UTF-8 bytes (any text is a wrong ticket, never an error: ``compare_digest`` refuses str
    with non-ASCII characters)."""
    given = ticket.encode("utf-8", "surrogatepass")
    if authid == "viewer":
        return "viewer" if hmac.compare_digest(given, viewer_ticket.encode()) else None
    if authid == "operator":
        return "operator" if hmac.compare_digest(given, operator_ticket.encode()) else None
    if _DEVICE_ID.fullmatch(authid) and hmac.compare_digest(given, device_ticket(key, authid).encode()):
        return device_role(authid, own_roles)
    return None
