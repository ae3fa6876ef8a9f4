"""The home's gatekeeper: ``python -m homesim.bus.services authorizer``.

``authenticate``: the router asks it about every ticket join (devices, viewer, operator).
``authorize``: the router asks it about every action of a ``device`` session: a device may
publish and register only under its own ``home.<home>.device.<id>.`` prefix, subscribe to
the home, call the inverter's ``settlements.since`` (a restarted device replays the
settlements after its last retained state: what it could have heard anyway), and nothing else
(no control).
"""

from __future__ import annotations

import os
from typing import Any

from autobahn.wamp.exception import ApplicationError

from homesim.bus.router import ticket_role
from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, run_component, uris_from_env
from homesim.bus.uris import Uris


def authorize(uris: Uris, session: dict[str, Any], uri: str, action: str) -> bool:
    """What a device session may do (the router asks for every action of the ``device`` role)."""
    own = uris.device_prefix(str(session.get("authid", "")))
    if action in ("publish", "register"):
        return uri.startswith(own)
    if action == "subscribe":
        return uri.startswith(uris.prefix)
    if action == "call":
        return uri == uris.settlements_since
    return False


def run_authorizer() -> None:
    uris = uris_from_env()
    key = env("HOMESIM_DEVICE_KEY")
    viewer, operator = env("HOMESIM_VIEWER_TICKET"), env("HOMESIM_OPERATOR_TICKET")
    own_roles = frozenset(filter(None, os.environ.get("HOMESIM_DEVICE_ROLES", "").split(",")))
    ProcessMetrics(uris.home, "authorizer")  # its /metrics: up, process info
    comp = component()

    @comp.on_join
    async def joined(session, details):
        def authenticate(realm: str, authid: str, details: dict[str, Any]) -> dict[str, Any]:
            role = ticket_role(key, viewer, operator, authid, str(details.get("ticket", "")), own_roles)
            if role is None:
                log.warning("refused a ticket join as %r", authid)
                raise ApplicationError("homesim.error.not_authenticated", f"no valid ticket for {authid!r}")
            return {"role": role, "authid": authid}

        def check(session_details: dict[str, Any], uri: str, action: str, options: Any = None) -> dict[str, Any]:
            allowed = authorize(uris, session_details, uri, action)
            if not allowed:
                log.warning("refused %s %s to %s", action, uri, session_details.get("authid"))
            # Crossbar caches an answer per (realm, role, uri, action), not per session: in the
            # shared "device" role an answer that depends on the device's id (a publish or a
            # registration) must not be cached.
            shared = session_details.get("authrole") == "device"
            same_for_all = action in ("subscribe", "call")
            return {"allow": allowed, "disclose": False, "cache": same_for_all or not shared}

        await session.register(authenticate, uris.authenticator)
        await session.register(check, uris.authorizer)

    run_component(comp)
