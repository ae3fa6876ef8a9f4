"""Connecting a process to the home's router: an autobahn (asyncio) component configured from
the environment, as a container will be configured.

Environment: ``HOMESIM_ROUTER_URL`` (``ws://127.0.0.1:PORT/ws``), ``HOMESIM_HOME_ID``,
``HOMESIM_AUTHID`` and this run's credential: ``HOMESIM_SECRET`` (a service: WAMP-CRA) or
``HOMESIM_TICKET`` (a device, viewer or operator: ticket).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from autobahn.asyncio.component import Component, run
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions, SubscribeOptions

from homesim.bus.metrics import BUS
from homesim.bus.uris import INVALID_PROPERTY, REALM, Uris

log = logging.getLogger("homesim.bus")


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"homesim: environment variable {name} is not set")
    return value


def uris_from_env() -> Uris:
    return Uris(env("HOMESIM_HOME_ID"))


def component() -> Component:
    """A component that connects (and reconnects, with backoff) with this process's ticket;
    whether it has a session shows in ``homesim_bus_connected`` (its health)."""
    comp = Component(
        transports=[{
            "url": env("HOMESIM_ROUTER_URL"),
            "max_retries": -1,
            "initial_retry_delay": 0.2,
            "max_retry_delay": 3.0,
            "retry_delay_growth": 1.5,
            "serializers": ["msgpack", "json"],
        }],
        realm=REALM,
        authentication=authentication(),
    )
    comp.on("join", lambda _session, _details: BUS.update(connected=True))
    comp.on("leave", lambda _session, _details: BUS.update(connected=False))
    return comp


def authentication() -> dict:
    """Autobahn's ``authentication`` argument for this process's credential."""
    authid = env("HOMESIM_AUTHID")
    if os.environ.get("HOMESIM_SECRET"):
        return {"wampcra": {"authid": authid, "secret": os.environ["HOMESIM_SECRET"]}}
    return {"ticket": {"authid": authid, "ticket": env("HOMESIM_TICKET")}}


async def retained(session, topic: str, barrier: tuple = ("wamp.session.count",), wait_s: float = 10.0) -> Any:
    """The retained event of ``topic`` (its first positional argument), or ``None``.

    The router sends a topic's retained event right behind its answer to the subscription, on
    the same connection: the answer to any call made after it (``barrier``: a procedure and its
    arguments the session may call; its result or error, even "no such procedure", will do)
    comes after it, so once that answer is in the event is too, or there is none (no guessing
    how long to wait for an event that may not exist). A device, which may call nothing but
    ``settlements.since``, gives that (``(uri, 0, 1)``)."""
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_event(*args, **_):
        if not got.done():
            got.set_result(args[0] if args else None)

    subscription = await session.subscribe(on_event, topic, options=SubscribeOptions(get_retained=True))
    try:
        if not got.done():
            try:
                await asyncio.wait_for(session.call(*barrier), wait_s)
            except Exception:  # noqa: BLE001 - an error answer is an answer
                pass
        return got.result() if got.done() else None
    finally:
        await subscription.unsubscribe()


def checked(procedure: Any) -> Any:
    """``procedure`` as an RPC that refuses arguments it does not take (unknown names, too many,
    one given twice, one missing) with ``homesim.error.invalid_property`` naming them and what
    it takes, rather than running into a Python ``TypeError`` (a traceback in the log and a
    ``wamp.error.runtime_error`` for the caller). Every procedure a home registers is wrapped."""


    signature = inspect.signature(procedure)
    names = ", ".join(name for name, p in signature.parameters.items()
                      if name != "details" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)) or "none"

    @functools.wraps(procedure)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ApplicationError(INVALID_PROPERTY, f"{error}; it takes: {names}".replace(
                f"{procedure.__qualname__}() ", "").replace(f"{procedure.__name__}() ", "")) from None
        return procedure(*args, **kwargs)

    return call


def retain():
    """Publish options: retained (a late subscriber gets the last value)."""
    return PublishOptions(retain=True)


def wait_for_router(timeout_s: float = 120.0) -> bool:
    """Wait until the router accepts TCP connections (checked every 50 ms, up to ``timeout_s``):
    a process started with its router joins the moment it listens, not at the next step of
    the component's backoff (0.2 s growing to 3 s). False if it did not listen in time (the
    component then keeps trying)."""
    url = urlsplit(env("HOMESIM_ROUTER_URL"))
    address = (url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "wss" else 80))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(address, 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_for_gate(timeout_s: float = 300.0) -> None:
    """Wait until the file ``HOMESIM_JOIN_AFTER`` names exists (checked every 20 ms), when it is
    set: ``homesim up`` starts its devices while the router starts and lets them join once the
    home's authenticator is there (before, a ticket join fails and waits for the backoff)."""
    gate = os.environ.get("HOMESIM_JOIN_AFTER")
    deadline = time.monotonic() + timeout_s
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)


def run_component(comp: Component) -> None:
    """Run ``comp`` until it stops (SIGTERM stops it cleanly), once the router listens (and
    the gate, if any, is open: :func:`wait_for_gate`)."""
    wait_for_router()
    wait_for_gate()
    run([comp], log_level=os.environ.get("HOMESIM_WAMP_LOGLEVEL", "error"))


def setup_logging(name: str) -> None:
    """Our messages at ``$HOMESIM_LOGLEVEL`` (default INFO) through our own handler only;
    autobahn's at ``$HOMESIM_WAMP_LOGLEVEL`` (default error) through its own."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(f"%(asctime)s {name} %(levelname)s %(message)s"))
    ours = logging.getLogger("homesim")
    ours.setLevel(os.environ.get("HOMESIM_LOGLEVEL", "INFO"))
    ours.addHandler(handler)
    ours.propagate = False
