"""The Crossbar router of a home: its configuration, generated per home and per run, and the
process that runs it (in its own virtualenv: crossbar pins old libraries).

Roles: ``service`` (the services of :data:`homesim.credentials.SERVICES`, the inverter and the
supervisor: everything under the home's prefix and the session meta API), ``device_<id>`` for each device
of the home at start and ``device`` for devices added later (decided per action by the home's
dynamic authorizer: publish and register only under ``home.<home>.device.<own id>.``;
Crossbar caches an authorizer's answers per role, so a role of its own lets each device's
answers be cached safely, while the shared ``device`` role is asked every time),
``viewer`` (subscribe; call ``get``, ``clock.get``, ``controller.list`` and reports) and
``operator`` (subscribe and call anything under the home but the router's own ``authenticate``
and ``authorize``, which only the router calls: services may only register them). There is no
anonymous access.

Credentials are made per run. Services authenticate with WAMP-CRA against secrets written
into the router's configuration. Devices, viewers and operators present a ticket that the
home's authenticator (a service) checks: a device's ticket is an HMAC of its id under the
run's secret, so a device added while the home runs gets credentials without restarting the
router. The router listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
from pathlib import Path

from homesim.bus.starting import launch, wait_ready
from homesim.bus.uris import REALM, Uris
from homesim.credentials import TICKET_ROLES, Credentials, device_role, device_ticket, ticket_role  # noqa: F401  (re-exported)
from homesim.health import router_health

ROOT = Path(__file__).resolve().parents[3]
#: The HTML docs of the bus (cd/process_specs.sh), served by the router at /specs/
#: (``$HOMESIM_SPECS_HTML`` in the router image).
SPECS_HTML = Path(os.environ.get("HOMESIM_SPECS_HTML") or ROOT / "specs" / "html")
#: The built UI (``make ui``), served by the router at / (``$HOMESIM_UI_DIST`` in the image).
UI_DIST = Path(os.environ.get("HOMESIM_UI_DIST") or ROOT / "ui" / "dist" / "ui" / "browser")
#: The documentation site (``make docs``), served by the router at /docs/ when it is built
#: (``$HOMESIM_DOCS_HTML`` elsewhere).
DOCS_HTML = Path(os.environ.get("HOMESIM_DOCS_HTML") or ROOT / "docs" / "_build" / "html")

def permission(uri: str, match: str, **allow: bool) -> dict:
    """A role's permission on ``uri`` (``match``: exact, prefix or wildcard) for the ``allow``ed actions."""
    actions = {k: allow.get(k, False) for k in ("call", "register", "publish", "subscribe")}
    return {"uri": uri, "match": match, "allow": actions, "disclose": {"caller": True, "publisher": True}, "cache": True}


def router_config(uris: Uris, port: int, credentials: Credentials, device_ids: list[str] = (),
                  interface: str = "127.0.0.1", anonymous_role: str | None = None) -> dict:
    """The Crossbar node configuration of one home (``device_ids``: a role of its own each).

    ``anonymous_role`` (``viewer`` or ``operator``; default none) lets clients that can't
    authenticate, such as ``wampc``, join with that role: an explicit opt-in for a router on
    127.0.0.1 only.
    """
    if anonymous_role is not None:
        if anonymous_role not in ("viewer", "operator"):
            raise ValueError(f"anonymous role {anonymous_role!r} is not allowed: must be viewer or operator")
        if interface not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("anonymous access is allowed only on a router listening on 127.0.0.1")
    prefix = uris.prefix
    roles = [{"name": device_role(d, {d}), "authorizer": uris.authorizer} for d in device_ids] + [
        {"name": "service", "permissions": [
            permission(prefix, "prefix", call=True, register=True, publish=True, subscribe=True),
            permission("wamp.", "prefix", call=True, subscribe=True),
            # The router's own: the authorizer registers them, only the router calls them.
            *[permission(own, "exact", register=True) for own in (uris.authenticator, uris.authorizer)],
        ]},
        {"name": "device", "authorizer": uris.authorizer},
        {"name": "viewer", "permissions": [
            permission(prefix, "prefix", subscribe=True),
            permission(uris.device_topic("get"), "wildcard", call=True),
            permission(f"home.{uris.home}.report.", "prefix", call=True),
            permission(uris.clock("get"), "exact", call=True),
            permission(uris.controller("list"), "exact", call=True),
            permission(uris.topology + ".get", "exact", call=True),
        ]},
        {"name": "operator", "permissions": [
            permission(prefix, "prefix", call=True, subscribe=True),
            # (not the router's own: an oracle of tickets, and false "refused" lines in the log)
            *[permission(own, "exact") for own in (uris.authenticator, uris.authorizer)],
        ]},
    ]
    return {
        "$schema": "https://raw.githubusercontent.com/crossbario/crossbar/master/crossbar.json",
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            "realms": [{"name": REALM, "roles": roles}],
            "transports": [{
                "type": "web",
                "endpoint": {"type": "tcp", "port": port, "interface": interface},
                "paths": {
                    # the bus's own documentation, generated from homesim/messages.py
                    "/": {"type": "static", "directory": str(UI_DIST if (UI_DIST / "index.html").exists() else SPECS_HTML)},
                    "specs": {"type": "static", "directory": str(SPECS_HTML)},
                    # these docs (make docs), when they are built
                    **({"docs": {"type": "static", "directory": str(DOCS_HTML)}}
                       if (DOCS_HTML / "index.html").exists() else {}),
                    "ws": {
                        "type": "websocket",
                        # A peer that stops answering pings (a stalled or frozen client) is
                        # dropped after 20 s, and with it what the router buffered for it.
                        "options": {"tcp_nodelay": True, "auto_ping_interval": 10000,
                                    "auto_ping_timeout": 10000},
                        "auth": {
                            "wampcra": {"type": "static", "users": {
                                name: {"secret": secret, "role": "service"}
                                for name, secret in credentials.services.items()
                            }},
                            "ticket": {"type": "dynamic", "authenticator": uris.authenticator,
                                       "authenticator-realm": REALM},
                            **({"anonymous": {"type": "static", "role": anonymous_role}} if anonymous_role else {}),
                        },
                    },
                },
            }],
        }],
    }


def free_port(low: int = 20_000, high: int = 32_000) -> int:
    """A port free on 127.0.0.1, below Linux's ephemeral range (32768-60999), so that the
    outgoing connections of the home's own processes can't take it before it is bound."""
    for port in random.sample(range(low, high), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}..{high}")


def crossbar_binary() -> Path:
    """The crossbar executable: ``$HOMESIM_CROSSBAR`` or the project's ``.venv-router``."""
    configured = os.environ.get("HOMESIM_CROSSBAR")
    path = Path(configured) if configured else ROOT / ".venv-router" / "bin" / "crossbar"
    if not path.exists():
        raise FileNotFoundError(f"crossbar not found at {path}: run `make router` (or set HOMESIM_CROSSBAR)")
    return path


def write_node(cbdir: Path, config: dict) -> Path:
    """Write the node directory (config readable by the owner only: it holds the tickets)."""
    cbdir.mkdir(parents=True, exist_ok=True)
    path = cbdir / "config.json"
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path


def launch_router(cbdir: Path, log_path: Path, with_parent: bool = False) -> subprocess.Popen:
    """Start crossbar on ``cbdir``, not waited for (see :func:`wait_router`)."""
    return launch([str(crossbar_binary()), "start", "--cbdir", str(cbdir), "--loglevel", "warn"], log_path,
                  with_parent)


def wait_router(router: subprocess.Popen, port: int, log_path: Path, timeout_s: float = 60.0) -> subprocess.Popen:
    """Wait until a launched router accepts connections on ``port`` (a RuntimeError naming
    the log if it exits first or is not ready in time)."""
    return wait_ready(router, log_path, lambda: router_health(port, 0.5) is None, f"the router (port {port})",
                      timeout_s)


def start_router(cbdir: Path, port: int, log_path: Path, timeout_s: float = 60.0,
                 with_parent: bool = False) -> subprocess.Popen:
    """Start crossbar on ``cbdir`` and wait until it accepts connections on ``port``
    (``with_parent``: as :func:`homesim.bus.starting.launch`)."""
    return wait_router(launch_router(cbdir, log_path, with_parent), port, log_path, timeout_s)


def credentials_from_env(services: list[str]) -> Credentials:
    """This home's credentials from the environment (a Kubernetes Secret or compose env):
    ``HOMESIM_DEVICE_KEY``, ``HOMESIM_VIEWER_TICKET``, ``HOMESIM_OPERATOR_TICKET`` and
    ``HOMESIM_SERVICE_<NAME>`` per service."""
    def need(name: str) -> str:
        value = os.environ.get(name)
        if not value:
            raise SystemExit(f"homesim router: environment variable {name} is not set")
        return value

    return Credentials({s: need(f"HOMESIM_SERVICE_{s.upper()}") for s in services}, need("HOMESIM_DEVICE_KEY"),
                       need("HOMESIM_VIEWER_TICKET"), need("HOMESIM_OPERATOR_TICKET"))


def main(argv: list[str] | None = None) -> int:
    """``python -m homesim.bus.router``: the router of a home in a container. Writes the node
    configuration from the environment and runs crossbar in the foreground (listening on
    ``HOMESIM_ROUTER_INTERFACE``, default 0.0.0.0 in a container, ``HOMESIM_ROUTER_PORT``)."""
    parser = argparse.ArgumentParser(prog="python -m homesim.bus.router", description=main.__doc__.splitlines()[0])
    parser.add_argument("--cbdir", type=Path, default=Path("/tmp/homesim-router"), help="crossbar node folder")
    parser.add_argument("--devices", default=os.environ.get("HOMESIM_DEVICE_ROLES", ""),
                        help="comma-separated device ids with a router role of their own")
    args = parser.parse_args(argv)
    services = [s for s in os.environ.get("HOMESIM_SERVICES", "").split(",") if s]
    config = router_config(Uris(os.environ.get("HOMESIM_HOME_ID", "home")),
                           int(os.environ.get("HOMESIM_ROUTER_PORT", "8080")), credentials_from_env(services),
                           [d for d in args.devices.split(",") if d],
                           interface=os.environ.get("HOMESIM_ROUTER_INTERFACE", "0.0.0.0"))
    write_node(args.cbdir, config)
    os.execv(str(crossbar_binary()), [str(crossbar_binary()), "start", "--cbdir", str(args.cbdir), "--loglevel", "warn"])
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
