"""The authorization matrix, against a live home's real router: for every role (a device with
a router role of its own, a device added while running and so in the shared ``device`` role, a
service, the viewer, the operator, anonymous) and every action (publish, subscribe, call,
register) on every kind of URI, allowed exactly where the design says and refused elsewhere.

The probes change nothing: publishes carry payloads every receiver drops as malformed, calls
to mutating procedures carry arguments they refuse (an allowed call answers with that refusal,
a forbidden one with ``wamp.error.not_authorized``), registrations are withdrawn at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))

from conftest import EXAMPLES  # noqa: E402
from live import BusClient, LiveProcess, wait_until  # noqa: E402

NOT_AUTHORIZED = "wamp.error.not_authorized"
#: The router's own refusal of publishing or registering under the reserved ``wamp.`` prefix.
RESTRICTED = "wamp.error.invalid_uri"
HOME = "tiny"  # the home id of examples/tiny.yaml
OWN = "load"  # the device whose credentials the device roles use (a role of its own)
ADDED = "probe"  # a device added while the home runs (the shared "device" role)

# Targets: name -> URI (``{self}``: the acting device's id; the others are fixed).
PUBLISH = {"own device topic": "home.tiny.device.{self}.probe", "other device topic": "home.tiny.device.grid.energy",
           "tick": "home.tiny.tick", "settlement": "home.tiny.settlement", "other home": "home.elsewhere.tick",
           "meta": "wamp.session.on_join"}
SUBSCRIBE = dict(PUBLISH)
CALL = {"device get": ("home.tiny.device.grid.get", ()), "device set": ("home.tiny.device.grid.set", ({"nope": 1},)),
        "clock get": ("home.tiny.clock.get", ()), "clock set_speed": ("home.tiny.clock.set_speed", (-1,)),
        "controller list": ("home.tiny.controller.list", ()),
        "controller switch": ("home.tiny.controller.switch", ("nosuch", False)),
        "report count": ("home.tiny.report.count", ()), "topology get": ("home.tiny.topology.get", ()),
        "settlements since": ("home.tiny.settlements.since", (0, 1)),
        "meta": ("wamp.session.count", ()), "other home": ("home.elsewhere.clock.get", ()),
        # the router's own (an oracle of tickets; a fake "refused" line in the log): only the router calls them
        "authenticate": ("home.tiny.authenticate", ("home", "operator", {"ticket": "guess"})),
        "authorize": ("home.tiny.authorize", ({"authid": OWN, "authrole": "device"}, "home.tiny.tick", "publish"))}
ROUTERS_OWN = {"authenticate", "authorize"}
REGISTER = {"own device procedure": "home.tiny.device.{self}.probe_rpc",
            "other device procedure": "home.tiny.device.grid.probe_rpc",
            "home procedure": "home.tiny.probe_rpc", "other home": "home.elsewhere.probe_rpc",
            "meta": "wamp.probe_rpc"}

HOME_TOPICS = {"own device topic", "other device topic", "tick", "settlement"}
VIEWER_CALLS = {"device get", "clock get", "controller list", "report count", "topology get"}
#: The design: what each role may do (everything else is refused).
ALLOWED = {
    "device": {"publish": {"own device topic"}, "subscribe": HOME_TOPICS, "call": {"settlements since"},
               "register": {"own device procedure"}},
    "service": {"publish": HOME_TOPICS, "subscribe": HOME_TOPICS | {"meta"},
                "call": set(CALL) - {"other home"} - ROUTERS_OWN,
                "register": {"own device procedure", "other device procedure", "home procedure"}},
    "viewer": {"publish": set(), "subscribe": HOME_TOPICS, "call": VIEWER_CALLS, "register": set()},
    "operator": {"publish": set(), "subscribe": HOME_TOPICS, "call": set(CALL) - {"meta", "other home"} - ROUTERS_OWN,
                 "register": set()},
}


def attempt(client: BusClient, action: str, target: str, self_id: str) -> bool:
    """Whether the router let ``client`` do ``action`` on ``target`` (False: not_authorized)."""
    try:
        if action == "publish":
            client.publish(PUBLISH[target].format(self=self_id), {"probe": "not a valid payload"})
        elif action == "subscribe":
            client.subscribe_once(SUBSCRIBE[target].format(self=self_id))
        elif action == "call":
            uri, args = CALL[target]
            client.call(uri, *args)
        else:
            client.unregister(client.register(REGISTER[target].format(self=self_id), lambda *a, **k: None))
    except ApplicationError as error:
        if error.error == NOT_AUTHORIZED or (error.error == RESTRICTED and "restricted" in str(error.args)):
            return False
        if action == "call":
            return True  # the procedure ran and refused the bad arguments, or is not registered
        raise
    return True


def matrix(client: BusClient, self_id: str) -> dict[str, set[str]]:
    targets = {"publish": PUBLISH, "subscribe": SUBSCRIBE, "call": CALL, "register": REGISTER}
    return {action: {t for t in names if attempt(client, action, t, self_id)} for action, names in targets.items()}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    live = LiveProcess(EXAMPLES / "tiny.yaml", tmp_path_factory.mktemp("authz") / "up", "--speed", "2")
    operator = live.client("operator")
    operator.call("home.tiny.controller.add", {"id": ADDED, "kind": "generic_load", "power_w": 10})
    wait_until(lambda: _running(live, f"device.{ADDED}"), 60, "the added device running")
    yield live
    operator.close()
    live.stop()


def _running(live, name):
    try:
        return live.pid_of(name)
    except LookupError:
        return None


def clients(live: LiveProcess):
    """role label -> (client, the id ``{self}`` stands for, the design's role)."""
    watcher = live.env_of("watcher")
    return {
        "device (own role)": (BusClient(live.url, OWN, ticket=live.env_of(f"device.{OWN}")["HOMESIM_TICKET"]), OWN,
                              "device"),
        "device (shared role)": (BusClient(live.url, ADDED, ticket=live.env_of(f"device.{ADDED}")["HOMESIM_TICKET"]),
                                 ADDED, "device"),
        "service": (BusClient(live.url, "watcher", secret=watcher["HOMESIM_SECRET"]), OWN, "service"),
        "viewer": (live.client("viewer"), OWN, "viewer"),
        "operator": (live.client("operator"), OWN, "operator"),
    }


def test_every_role_may_do_exactly_what_the_design_allows(home):
    made = clients(home)
    try:
        assert made["device (own role)"][0].details.authrole == f"device_{OWN}"
        assert made["device (shared role)"][0].details.authrole == "device"
        problems = []
        for label, (client, self_id, role) in made.items():
            got = matrix(client, self_id)
            for action, allowed in ALLOWED[role].items():
                for target in got[action] - allowed:
                    problems.append(f"{label} may {action} {target}: the design refuses it")
                for target in allowed - got[action]:
                    problems.append(f"{label} may not {action} {target}: the design allows it")
        assert not problems, "\n".join(problems)
        # the answers hold on asking again (Crossbar caches authorizer answers per role)
        assert matrix(made["device (shared role)"][0], ADDED) == ALLOWED["device"]
    finally:
        for client, _, _ in made.values():
            client.close()


def test_anonymous_clients_and_wrong_credentials_cannot_join(home):
    with pytest.raises(RuntimeError):
        BusClient(home.url, "anyone")  # anonymous: not offered by this router
    with pytest.raises(RuntimeError):
        BusClient(home.url, OWN, ticket="0" * 64)
    with pytest.raises(RuntimeError):
        BusClient(home.url, "watcher", secret="not-the-secret")
    with pytest.raises(RuntimeError):  # a device's ticket does not make it the operator
        BusClient(home.url, "operator", ticket=home.env_of(f"device.{OWN}")["HOMESIM_TICKET"])


def test_anonymous_viewer_opt_in_grants_exactly_the_viewer_rights(tmp_path):
    live = LiveProcess(EXAMPLES / "tiny.yaml", tmp_path / "up", "--speed", "2", "--anonymous", "viewer")
    try:
        anonymous = BusClient(live.url, "anyone")
        try:
            assert anonymous.details.authrole == "viewer"
            assert matrix(anonymous, OWN) == ALLOWED["viewer"]
        finally:
            anonymous.close()
    finally:
        live.stop()


def listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (IPv4, from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # LISTEN
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_a_local_home_listens_on_loopback_only(home):
    import json

    router_port = int(home.url.split(":")[2].split("/")[0])
    assert listening(router_port) == {"127.0.0.1"}
    targets = json.loads((home.out / "prometheus" / "targets.json").read_text())
    ports = [int(t["targets"][0].rsplit(":", 1)[1]) for t in targets]
    assert ports and all(listening(port) == {"127.0.0.1"} for port in ports)
