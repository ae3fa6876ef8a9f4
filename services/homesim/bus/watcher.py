"""The watcher: ``python -m homesim.bus.services watcher``.

Keeps the live topology of the home from the router's session meta-events (``on_join`` /
``on_leave``; a process killed with SIGKILL leaves when its connection drops) and the
controller's list of devices, and publishes it retained on ``home.<home>.topology``:

``{"devices": {id: {"kind", "role", "status", "since"}}, "time"}`` where ``status`` is
``present`` (its process is connected), ``missing`` (it should run but is not connected) or
``off`` (switched off by the controller).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from autobahn.wamp.types import SubscribeOptions

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import checked, component, env, log, retain, run_component, uris_from_env
from homesim.live import load_live_home
from homesim.messages import DesiredHome, valid


class Topology:
    """Which devices should run and which are connected (no I/O)."""

    def __init__(self, devices: list[dict[str, Any]], off: set[str]) -> None:
        self.devices: dict[str, dict[str, Any]] = {}
        self.connected: Counter[str] = Counter()
        self.since: dict[str, float] = {}
        self.set_devices(devices, off)

    def set_devices(self, devices: list[dict[str, Any]], off: set[str]) -> None:
        self.devices = {d["id"]: {"kind": d["kind"], "role": d["role"]} for d in devices}
        self.off = set(off)

    def status(self, device_id: str) -> str:
        if device_id in self.off:
            return "off"
        return "present" if self.connected[device_id] > 0 else "missing"

    def view(self) -> dict[str, Any]:
        now = time.time()
        out = {}
        for device_id, device in self.devices.items():
            status = self.status(device_id)
            key = f"{device_id}:{status}"
            self.since.setdefault(key, now)
            out[device_id] = {**device, "status": status, "since": self.since[key]}
        # forget the start times of states no device is in any more
        live = {f"{d}:{v['status']}" for d, v in out.items()}
        self.since = {k: v for k, v in self.since.items() if k in live}
        return {"devices": out, "time": now}


def run_watcher() -> None:


    uris = uris_from_env()
    home = load_live_home(Path(env("HOMESIM_HOME")))
    topology = Topology([{"id": d.id, "kind": d.kind, "role": d.ROLE} for d in home.devices], set())
    ProcessMetrics(uris.home, "watcher")  # its /metrics: up, process info
    comp = component()

    @comp.on_join
    async def joined(session, details):
        sessions: dict[int, str] = {}
        last: dict[str, Any] = {}

        def publish() -> None:
            view = topology.view()
            summary = {d: v["status"] for d, v in view["devices"].items()}
            if summary != last.get("summary"):
                last["summary"] = summary
                session.publish(uris.topology, view, options=retain())
                changed = [f"{d} {s}" for d, s in summary.items() if s != "present"]
                log.info("topology: %s", ", ".join(changed) or "every device present")

        def on_join(info: dict[str, Any]) -> None:
            sessions[int(info["session"])] = str(info.get("authid"))
            topology.connected[str(info.get("authid"))] += 1
            publish()

        def on_leave(session_id: int, *_: Any) -> None:
            authid = sessions.pop(int(session_id), None)
            if authid is not None:
                topology.connected[authid] -= 1
                publish()

        def on_devices(message: dict[str, Any]) -> None:
            if not valid(DesiredHome, message, uris.devices):
                return
            topology.set_devices(message["devices"], {d["id"] for d in message["devices"] if not d["enabled"]})
            publish()

        await session.subscribe(on_join, "wamp.session.on_join")
        await session.subscribe(on_leave, "wamp.session.on_leave")
        for session_id in await session.call("wamp.session.list"):
            if session_id not in sessions:
                try:
                    info = await session.call("wamp.session.get", session_id)
                except Exception:  # it left in between
                    continue
                on_join(info)
        await session.subscribe(on_devices, uris.devices, options=SubscribeOptions(get_retained=True))
        await session.register(checked(lambda: topology.view()), uris.topology + ".get")
        publish()

    run_component(comp)
