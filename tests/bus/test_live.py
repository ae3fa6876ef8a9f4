"""A live reference home: real Crossbar router, one real process per device and service.

One home is started for the whole module (``homesim up`` in a subprocess) and poked the way
a user would: through the operator's and viewer's tickets, and a device's own credentials.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim.bus.device import STATE_EVERY_TICKS
from homesim.devices import battery as battery_model
from homesim.engine.compiled import CompiledHome
from homesim.home import load_home
from live import BusClient, LiveProcess, wait_until

INVALID = "homesim.error.invalid_property"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path_factory.mktemp("live") / "up", "--speed", "20")
    client = live.client("operator")
    yield live, client
    client.close()
    assert live.stop() == 0


def uri(live, rest):
    return f"home.{live.home_id}.{rest}"


def settlements_of(client, live):
    return client.subscribe(uri(live, "settlement"))


def latest_topology(client, live):
    return client.call(uri(live, "topology.get"))["devices"]


def test_every_device_and_service_is_its_own_process(home):
    live, client = home
    devices = client.call(uri(live, "controller.list"))
    ids = [d["id"] for d in devices]
    assert {"battery", "inverter", "geyser", "pv_east", "grid"} <= set(ids)
    pids = {live.pid_of(f"device.{d}") for d in ids} | {live.pid_of(s) for s in ("clock", "recorder", "watcher")}
    assert len(pids) == len(ids) + 3
    topology = wait_until(lambda: (t := latest_topology(client, live)) and
                          all(v["status"] == "present" for v in t.values()) and t, what="all present")
    assert set(topology) == set(ids)


def test_processes_are_forked_from_one_fork_server_and_share_its_memory(home):
    """A device or light service is forked from the fork server (``homesim.bus.forkserver``),
    then a child of ``homesim up`` (which waits for it and restarts it), with its own command
    line and environment in /proc, and most of its memory shared (copy on write)."""
    live, _ = home
    from live import process_parents

    parents = process_parents()
    server = live.pid_of("forkserver")
    assert parents[server] == live.process.pid
    for name in ("device.tv", "device.pv_east", "device.inverter", "clock", "recorder"):
        pid = live.pid_of(name)
        assert parents[pid] == live.process.pid, name  # the supervisor's child, not the fork server's
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        module = b"homesim.bus.device" if name.startswith("device.") else b"homesim.bus.services"
        assert argv[1:3] == [b"-m", module], argv[:6]
        assert live.env_of(name)["HOMESIM_METRICS_PORT"] != live.env_of("forkserver").get("HOMESIM_METRICS_PORT")
        rollup = dict(line.split()[:2] for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
        shared = int(rollup["Shared_Clean:"]) + int(rollup["Shared_Dirty:"])
        assert shared > int(rollup["Rss:"]) / 2, (name, rollup)
    assert "device_tv" not in "".join(live.env_of("forkserver")), "the fork server holds no process's credential"
    assert all("HOMESIM_TICKET" not in k and "HOMESIM_SECRET" not in k for k in live.env_of("forkserver"))


#: What a light device process must not load (``homesim.jit``): found by their shared objects
#: mapped into the process (pvlib is pure Python but loads pandas and SciPy).
HEAVY_LIBRARIES = ("pandas", "pvlib", "scipy", "numba", "llvmlite", "pyarrow", "matplotlib")


def heavy_libraries(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return sorted(lib for lib in HEAVY_LIBRARIES if f"/{lib}/" in maps or f"/{lib}.libs/" in maps)


def test_no_device_or_service_process_loads_numba_pandas_scipy_or_pvlib_but_the_planner(home):
    live, client = home
    devices = client.call(uri(live, "controller.list"))
    wait_until(lambda: all(v["status"] == "present" for v in latest_topology(client, live).values()),
               what="all present")
    ids = {d["id"] for d in devices}
    assert {"sun", "weather", "pv_east", "inverter", "battery", "grid", "tv", "geyser"} <= ids
    seen = settlements_of(client, live)
    wait_until(lambda: len(seen) >= 2, what="settled ticks")  # every device has computed its block
    for device_id in ids:
        assert heavy_libraries(live.pid_of(f"device.{device_id}")) == [], device_id
    for service in ("clock", "recorder", "watcher", "controller"):
        assert heavy_libraries(live.pid_of(service)) == [], service
    # the check sees them where they are: this test's process runs the compiled engine
    import homesim.engine.fastforward  # noqa: F401

    assert {"numba", "pandas", "scipy"} <= set(heavy_libraries(os.getpid()))


def test_settlements_balance_and_the_recorder_keeps_them(home):
    live, client = home
    seen = settlements_of(client, live)
    wait_until(lambda: len(seen) >= 10, what="10 settlements")
    for _, settlement in seen[:10]:
        assert sum(settlement["e"].values()) == settlement["loss_j"]
        assert settlement["missing"] == []
    last = seen[9][1]["tick"]
    count = wait_until(lambda: (c := client.call(uri(live, "report.count")))["last"] >= last and c)
    assert count["ticks"] == count["last"] + 1  # no gap from tick 0


def test_devices_running_ahead_answer_no_tick_yet_take_part_in_every_one(home):
    """PV, the grid and the profile loads send no event a tick: their events come a window of
    240 ticks at a time, when the inverter's progress moves it (every 120 ticks), and every
    settlement has their flows; the battery and the thermostats answer every tick."""
    live, client = home
    ahead = {"pv_east", "pv_west", "grid", "kettle", "tv", "lights", "base_load"}
    answering = {"battery", "geyser", "oven", "fridge"}
    per_tick = client.subscribe(uri(live, "device..energy"), match="wildcard")
    windows = client.subscribe(uri(live, "device..energy_ahead"), match="wildcard")
    progress = client.subscribe(uri(live, "progress"))
    seen = settlements_of(client, live)
    wait_until(lambda: len(seen) >= 300, timeout_s=120, what="300 settlements")
    settled = [s for _, s in seen]
    senders = {topic.split(".")[3] for topic, _ in per_tick}
    assert senders == answering, senders
    for device in answering:
        ticks = {e["tick"] for topic, e in per_tick if topic.split(".")[3] == device}
        assert {s["tick"] for s in settled[1:-1]} <= ticks, device
    by_device: dict[str, list] = {}
    for topic, message in windows:
        by_device.setdefault(topic.split(".")[3], []).append([e["tick"] for e in message["events"]])
    assert set(by_device) == ahead, set(by_device)
    for device, batches in by_device.items():
        assert len(batches) <= len(settled) // 120 + 2, (device, len(batches))  # a window at a time
        for ticks in batches:
            assert ticks == list(range(ticks[0], ticks[0] + len(ticks))) and len(ticks) <= 240, (device, ticks)
    for s in settled:
        assert ahead <= set(s["e"]) and not ahead & set(s["missing"]), s
    moved = [p for _, p in progress]
    assert moved and all(p["window_end"] - p["window_start"] == 240 for p in moved)
    assert all(p["window_start"] <= p["tick"] + 1 for p in moved)


def test_add_a_device_then_set_its_properties(home):
    live, client = home
    added = client.call(uri(live, "controller.add"), {"id": "probe", "kind": "generic_load", "power_w": 1000})
    assert added == {"id": "probe", "kind": "generic_load", "enabled": True}
    wait_until(lambda: latest_topology(client, live).get("probe", {}).get("status") == "present", what="probe present")
    client.call(uri(live, "clock.pause"))
    seen = settlements_of(client, live)
    time.sleep(0.5)  # a tick in flight when the clock paused settles

    def step():
        mark = len(seen)
        client.call(uri(live, "clock.step"))
        wait_until(lambda: len(seen) > mark, what="a stepped settlement")
        time.sleep(0.2)
        assert len(seen) == mark + 1, "one step, one tick"
        return seen[-1][1]

    try:
        first = step()
        assert first["demand"]["probe"] == 1000 * 60  # 1000 W for one 60 s tick [J]

        view = client.call(uri(live, "device.probe.set"), {"power_w": 2500})
        assert view["properties"]["power_w"] == 2500
        second = step()
        assert second["tick"] == first["tick"] + 1
        assert second["demand"]["probe"] == 2500 * 60

        bad = [({"power_w": -5}, ["power_w", "-5", ">"]),
               ({"power_w": "lots"}, ["power_w", "lots"]),
               ({"colour": "red"}, ["colour"]),
               ({"id": "other"}, ["id"]),
               ({}, ["mapping"])]
        for changes, words in bad:
            with pytest.raises(ApplicationError) as refused:
                client.call(uri(live, "device.probe.set"), changes)
            assert refused.value.error == INVALID
            message = refused.value.args[0]
            assert all(w in message for w in words), message
        assert client.call(uri(live, "device.probe.get"))["properties"]["power_w"] == 2500
        third = step()
        assert third["demand"]["probe"] == 2500 * 60
        # the controller wrote the change into the live home file
        assert "power_w: 2500" in (live.out / "live" / "home.yaml").read_text()
    finally:
        client.call(uri(live, "clock.resume"))

    with pytest.raises(ApplicationError) as refused:
        client.call(uri(live, "controller.add"), {"kind": "oven", "rated_power_w": 0})
    assert "rated_power_w" in refused.value.args[0]
    with pytest.raises(ApplicationError) as refused:
        client.call(uri(live, "controller.add"), {"id": "probe", "kind": "tv"})
    assert "taken" in refused.value.args[0]


def test_switch_a_device_off_and_on(home):
    live, client = home
    if "probe" not in [d["id"] for d in client.call(uri(live, "controller.list"))]:
        client.call(uri(live, "controller.add"), {"id": "probe", "kind": "generic_load", "power_w": 1000})
    wait_until(lambda: latest_topology(client, live).get("probe", {}).get("status") == "present", what="probe on")
    # (a constant load runs ahead: its events come a window at a time, when the progress moves it)
    energy = client.subscribe(uri(live, "device.probe.energy_ahead"))
    wait_until(lambda: len(energy) >= 1, timeout_s=60, what="probe events")
    seen = settlements_of(client, live)
    client.call(uri(live, "controller.switch"), "probe", False)
    wait_until(lambda: latest_topology(client, live)["probe"]["status"] == "off", what="probe off")
    with pytest.raises(LookupError):
        wait_until(lambda: _gone(live, "device.probe"), what="probe process gone") and live.pid_of("device.probe")
    energy.clear()
    mark = len(seen)
    wait_until(lambda: len(seen) >= mark + 5, what="settlements while off")
    assert energy == []
    for _, settlement in seen[mark:]:
        assert "probe" in settlement["off"] and "probe" not in settlement["e"]
        assert settlement["missing"] == []
        assert sum(settlement["e"].values()) == settlement["loss_j"]
    client.call(uri(live, "controller.switch"), "probe", True)
    wait_until(lambda: len(energy) >= 1, timeout_s=60, what="probe events again")
    with pytest.raises(ApplicationError) as refused:
        client.call(uri(live, "controller.switch"), "inverter", False)
    assert "inverter" in refused.value.args[0]
    with pytest.raises(ApplicationError) as refused:
        client.call(uri(live, "controller.switch"), "nosuch", False)
    assert "nosuch" in refused.value.args[0]


def _gone(live, name):
    try:
        live.pid_of(name)
    except LookupError:
        return True
    return False


def test_a_killed_battery_is_marked_missing_restarted_and_resumes(home):
    live, client = home
    states = client.subscribe(uri(live, "device.battery.state"))
    topology = client.subscribe(uri(live, "topology"))
    energy = client.subscribe(uri(live, "device.battery.energy"))
    wait_until(lambda: len(states) >= 2, timeout_s=60, what="battery states (one every 60 settled ticks)")
    assert all(s["tick"] % STATE_EVERY_TICKS == 0 for _, s in states), [s["tick"] for _, s in states]
    wait_until(lambda: energy and energy[-1][1]["tick"] % STATE_EVERY_TICKS > 5, timeout_s=60,
               what="a tick well past the battery's last state")
    pid = live.pid_of("device.battery")
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    missing = wait_until(lambda: next((t for _, t in topology if t["devices"]["battery"]["status"] == "missing"), None),
                         what="battery missing")
    assert missing["time"] - killed_at < 1.0
    new_pid = wait_until(lambda: not _gone(live, "device.battery") and live.pid_of("device.battery"), timeout_s=30,
                         what="battery restarted")
    assert new_pid != pid
    mark = len(energy)
    wait_until(lambda: len(energy) > mark, timeout_s=60, what="battery events after restart")
    resumed = energy[mark][1]
    # the recorder has every tick; the ticks without the battery are marked, none invented
    last_tick = wait_until(lambda: (c := client.call(uri(live, "report.count"))) and c["last"] > resumed["tick"] and c,
                           what="recorded past the restart")
    assert last_tick["ticks"] == last_tick["last"] + 1
    import sqlite3

    db = sqlite3.connect(f"file:{live.out / 'ledger.sqlite'}?mode=ro", uri=True)
    rows = [json.loads(p) for (p,) in db.execute("SELECT payload FROM settlements ORDER BY tick")]
    db.close()
    assert [r["tick"] for r in rows] == list(range(len(rows)))
    without = [r for r in rows if "battery" in r["missing"]]
    assert without, "no tick was settled while the battery was down"
    for r in without:
        assert "battery" not in r["e"] and r["soc"] is None
    assert all(sum(r["e"].values()) == r["loss_j"] for r in rows)
    # It resumed exactly: from its state of a tick before it died and every settlement since,
    # replayed (it took part until it died, then none while it was down), its stored energy is
    # what the settlements' battery flows make of the initial one, to the Joule.
    compiled = CompiledHome(load_home(EXAMPLES / "home.yaml"), 60)
    stored = compiled.initial_stored_j()
    for r in rows[:resumed["tick"]]:
        if "battery" in r["e"]:
            stored = battery_model.apply(compiled.battery_params, stored, r["e"]["battery"])
    assert resumed["stored_j"] == stored
    replayed = re.search(r"resumed from its state of tick (\d+) and (\d+) settlements since",
                         (live.out / "logs" / "device.battery.log").read_text())
    assert replayed and int(replayed.group(2)) > 0, "the battery did not replay the settlements after its state"


def device_ticket(live, device_id):
    """A device's own credentials, read from its process (as an attacker on the host could)."""
    raw = open(f"/proc/{live.pid_of('device.' + device_id)}/environ", "rb").read().decode()
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)["HOMESIM_TICKET"]


def test_a_device_may_publish_only_under_its_own_prefix(home):
    live, client = home
    if "probe" not in [d["id"] for d in client.call(uri(live, "controller.list"))]:
        client.call(uri(live, "controller.add"), {"id": "probe", "kind": "generic_load", "power_w": 1000})
    wait_until(lambda: not _gone(live, "device.probe"), what="probe running")
    # tv has a router role of its own; probe, added while running, the shared "device" role
    for device_id, role in (("tv", "device_tv"), ("probe", "device"), ("tv", "device_tv")):
        device = BusClient(live.url, device_id, ticket=device_ticket(live, device_id))
        try:
            assert device.details.authrole == role
            device.publish(uri(live, f"device.{device_id}.probe"), {"ok": True})  # its own prefix: acknowledged
            for foreign in ("device.battery.energy", "device.probe.energy", "device.tv.energy", "settlement", "tick"):
                if foreign.startswith(f"device.{device_id}."):
                    continue
                with pytest.raises(ApplicationError) as refused:
                    device.publish(uri(live, foreign), {"tick": 0, "stored_j": 1})
                assert refused.value.error == "wamp.error.not_authorized"
            with pytest.raises(ApplicationError):
                device.call(uri(live, "clock.pause"))
        finally:
            device.close()
    with pytest.raises(RuntimeError):
        BusClient(live.url, "battery", ticket=device_ticket(live, "tv"))  # the tv's ticket is not the battery's
    with pytest.raises(RuntimeError):
        BusClient(live.url, "operator", ticket="guess")
    viewer = live.client("viewer")
    try:
        assert viewer.call(uri(live, "device.battery.get"))["kind"] == "battery"
        with pytest.raises(ApplicationError):
            viewer.call(uri(live, "device.tv.set"), {"power_w": 10})
        with pytest.raises(ApplicationError):
            viewer.call(uri(live, "controller.switch"), "tv", False)
    finally:
        viewer.close()


def test_clock_speed_changes_live(home):
    live, client = home
    announced = client.subscribe(uri(live, "clock"))
    view = client.call(uri(live, "clock.set_speed"), 100)
    assert view["speed"] == 100 and view["simulated_s_per_wall_s"] == 6000
    assert wait_until(lambda: announced and announced[-1][1])["speed"] == 100  # told to every service
    fast = client.subscribe(uri(live, "tick"))
    wait_until(lambda: len(fast) >= 150, 60, "150 ticks at 100 ticks/s")
    # The pace, read from the clock's own send times (not the test's): at 5 ticks/s, 26 ticks take
    # at least 25 / 5 s, less the 1 s the clock may catch up after falling behind (a busy machine
    # only makes it slower); at 20 or 100 ticks/s they would take at most 1.25 + 1 s.
    client.call(uri(live, "clock.set_speed"), 5)
    seen = client.subscribe(uri(live, "tick"))
    sent = {}
    wait_until(lambda: [sent.setdefault(t["tick"], t["sent"]) for _, t in list(seen)] and len(sent) >= 28, 60,
               "28 ticks at 5 ticks/s")
    ticks = sorted(sent)[2:28]  # past the change
    assert sent[ticks[-1]] - sent[ticks[0]] >= (len(ticks) - 1) / 5 - 1.0, [sent[t] for t in ticks]
    # ... and at once: the pace is taken from the change, not from the ticks before it at 100 a
    # second (it waited for them to be due at 5 a second: 150 / 5 s = 30 s, the clock still)
    every = {t["tick"]: t["sent"] for _, t in list(fast)}  # (still subscribed: across the change)
    ticks = sorted(every)
    assert max(every[b] - every[a] for a, b in zip(ticks, ticks[1:])) < 5.0
    for bad in ("fast", -1, 0, float("inf")):
        with pytest.raises(ApplicationError) as refused:
            client.call(uri(live, "clock.set_speed"), bad)
        assert refused.value.error == INVALID and "speed" in refused.value.args[0]
    assert client.call(uri(live, "clock.get"))["speed"] == 5
    client.call(uri(live, "clock.set_speed"), 20)


def test_every_process_serves_metrics_listed_for_prometheus(home):
    live, client = home
    targets = json.loads((live.out / "prometheus" / "targets.json").read_text())
    assert {"clock", "recorder", "battery", "pv_east", "inverter", "geyser"} <= {t["labels"]["process"] for t in targets}
    scrape = live.metrics

    battery = wait_until(lambda: (m := scrape("battery")) and any(k.startswith("homesim_battery_soc_ratio") for k in m) and m)
    soc = next(v for k, v in battery.items() if k.startswith("homesim_battery_soc_ratio"))
    assert 0.0 <= soc <= 1.0
    wait_until(lambda: live.metric("inverter", "homesim_settled_ticks_total") > 0, 60, "a settled tick counted")
    assert live.metric("inverter", "homesim_barrier_timeouts_total") >= 0
    geyser = scrape("geyser")
    assert any(k.startswith('homesim_device_energy_joules_total{') and 'direction="out"' in k for k in geyser)
    assert all(v >= 0 for k, v in geyser.items() if k.startswith("homesim_device_energy_joules_total"))


def test_a_killed_recorder_fetches_the_ticks_it_missed(home):
    live, client = home
    before = client.call(uri(live, "report.count"))
    os.kill(live.pid_of("recorder"), signal.SIGKILL)
    seen = settlements_of(client, live)
    wait_until(lambda: len(seen) >= 10, what="ticks settled while the recorder is down")
    down_tick = seen[-1][1]["tick"]
    # Back, it stores live settlements at once and fetches the gap from the inverter meanwhile:
    # wait for the gap to be filled (every tick up to the last, none twice: ticks == last + 1).
    count = wait_until(lambda: _count(client, live, down_tick, whole=True), timeout_s=60,
                       what="the recorder back past the gap, with every tick")
    assert count["ticks"] == count["last"] + 1 > before["ticks"]
    import sqlite3

    db = sqlite3.connect(f"file:{live.out / 'ledger.sqlite'}?mode=ro", uri=True)
    stored = {t: json.loads(p) for t, p in db.execute("SELECT tick, payload FROM settlements WHERE tick >= ?",
                                                      (seen[0][1]["tick"],))}
    db.close()
    # (the subscription goes on receiving: compare the settlements up to the count waited for)
    compared = [s for _, s in list(seen) if s["tick"] <= count["last"]]
    assert len(compared) >= 10
    for settlement in compared:
        assert stored[settlement["tick"]] == settlement


def _count(client, live, past, whole=False):
    try:
        count = client.call(uri(live, "report.count"))
    except ApplicationError:  # the recorder is still restarting
        return None
    if whole and count["ticks"] != count["last"] + 1:
        return None
    return count if count["last"] > past else None


def test_a_malformed_message_is_dropped_with_its_reason_and_the_home_goes_on(home):
    live, client = home
    tv = BusClient(live.url, "tv", ticket=device_ticket(live, "tv"))
    try:
        tv.publish(uri(live, "device.tv.energy"), {"tick": 10**9, "demand_j": "lots"})
        tv.publish(uri(live, "device.tv.energy"), {"tick": 10**9, "demand_j": 5, "surprise": 1})
    finally:
        tv.close()
    log = live.out / "logs" / "device.inverter.log"
    text = wait_until(lambda: (t := log.read_text()).count("dropped a message on") >= 2 and t, what="the drops logged")
    assert f"dropped a message on home.{live.home_id}.device.tv.energy: demand_j:" in text
    assert "surprise: Extra inputs are not permitted" in text
    seen = settlements_of(client, live)
    wait_until(lambda: len(seen) >= 3, what="settlements after the bad messages")
    assert all(s["missing"] == [] for _, s in seen)


def test_the_router_serves_the_bus_documentation(home):
    live, _ = home
    port = live.url.split(":")[2].split("/")[0]
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/specs/", timeout=10).read().decode()
    assert "homesim home bus" in page and "settlement" in page


def test_a_repeated_tick_gets_its_settlement_again(home):
    """The clock repeats a tick whose settlement it has not seen (the router may have died as the
    settlement went out, with the inverter's state already past it): the inverter publishes that
    settlement again instead of ignoring the tick, so the clock never waits for it forever."""
    live, client = home
    client.call(uri(live, "clock.pause"))
    try:
        def last_settled():  # the inverter's last settled tick, once the recorder has it too
            tick = client.call(uri(live, "device.inverter.get"))["state"]["tick"]
            stored = client.call(uri(live, "report.recent"), 1)
            return stored[-1] if stored and stored[-1]["tick"] == tick else None

        last = wait_until(last_settled, 60, "the paused home's last settlement recorded")
        seen = settlements_of(client, live)
        clock = BusClient(live.url, "clock", secret=live.env_of("clock")["HOMESIM_SECRET"])
        try:
            repeat = {"tick": last["tick"], "time": last["time"], "dt_s": last["dt_s"]}

            def settled_again():
                again = [s for _, s in seen if s["tick"] == last["tick"]]
                if not again:
                    clock.publish(uri(live, "tick"), {**repeat, "sent": time.time()})
                return again

            again = wait_until(settled_again, 30, f"tick {last['tick']}'s settlement published again")
        finally:
            clock.close()
        assert again[0]["e"] == last["e"] and sum(again[0]["e"].values()) == again[0]["loss_j"]
    finally:
        client.call(uri(live, "clock.resume"))
