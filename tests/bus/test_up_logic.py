"""``homesim up``'s decisions without starting a process: what it starts in which order, which
devices it starts and stops for the controller's desired home, what it says once the home is
live, and the output folder it makes ready."""

from __future__ import annotations

import json
import stat

from homesim.bus.livehome import LiveHome
from homesim.bus.up import announcement, prepare_out, reconcile_plan, start_order
from homesim.credentials import SERVICES
from homesim.home import load_home

from conftest import EXAMPLES


def live_home(tmp_path, **options) -> LiveHome:
    return LiveHome(load_home(EXAMPLES / "home.yaml"), EXAMPLES / "home.yaml", tmp_path / "out", **options)


def test_the_clock_then_the_planner_start_last_everything_else_with_the_router():
    early, late = start_order()
    assert late == ["clock", "planner"]  # the clock first: no first tick waits for the planner
    assert early == [name for name in SERVICES if name not in ("clock", "planner")]
    assert early[0] == "authorizer"  # the devices join once it answers
    assert start_order(("recorder", "clock", "authorizer")) == (["recorder", "authorizer"], ["clock"])


def test_the_devices_the_controller_wants_are_started_and_the_others_stopped():
    running = ["authorizer", "clock", "device.tv", "device.fridge", "device.inverter"]
    stop, start = reconcile_plan(running, {"fridge": "fridge", "inverter": "inverter", "oven": "oven"})
    assert stop == ["device.tv"] and start == {"oven": "oven"}
    assert reconcile_plan(running, {"tv": "tv", "fridge": "fridge", "inverter": "inverter"}) == ([], {})
    # the controller's files unreadable (being replaced): nothing is stopped, not every device
    assert reconcile_plan(running, {}) == ([], {})


def test_the_announcement_names_where_everything_is_and_no_ticket(tmp_path):
    live = live_home(tmp_path)
    live.out.mkdir(parents=True)
    credentials = live.write_credentials()
    lines = announcement(live, credentials)
    assert lines[0] == f"homesim: 'Reference home, Cape Town' is live at {live.url} (realm home, home id home)"
    assert [line.split(":")[1].strip() for line in lines[1:3]] == ["UI (operator)", "UI (viewer, watch only)"]
    assert lines[-2:] == [f"homesim: viewer/operator tickets in {credentials}; logs in {live.logs}",
                          f"homesim: Prometheus targets in {live.targets_path}"]
    assert not any("WARNING" in line for line in lines)
    text = "\n".join(lines)
    for ticket in (live.credentials.viewer_ticket, live.credentials.operator_ticket):
        assert ticket not in text  # in files only their owner can read
    for role in ("operator", "viewer"):
        page = live.out / f"ui-{role}.html"
        assert page.as_uri() in text and stat.S_IMODE(page.stat().st_mode) == 0o600
        assert live.ui_url(role).replace("&", "&amp;") in page.read_text()
    anonymous = live_home(tmp_path / "anonymous", anonymous="viewer")
    anonymous.out.mkdir(parents=True)
    assert "homesim: WARNING: anyone on this machine can join without credentials as viewer" in announcement(
        anonymous, credentials)


def test_a_new_run_starts_from_new_logs_tickets_and_database(tmp_path):
    live = live_home(tmp_path)
    live.logs.mkdir(parents=True)
    (live.logs / "clock.log").write_text("an old run")
    (live.out / "credentials.json").write_text("{}")
    (live.out / "ledger.sqlite").write_text("not a database")
    cbdir = prepare_out(live)
    assert not list(live.logs.glob("*.log")) and not (live.out / "credentials.json").exists()
    assert (live.out / "ledger.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"  # a new one, checked writable
    assert json.loads((live.live_dir / "state.json").read_text()) == {"version": 0, "off": []}
    assert "Reference home" in live.live_home.read_text()
    assert stat.S_IMODE((cbdir / "config.json").stat().st_mode) == 0o600
