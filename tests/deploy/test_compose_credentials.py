"""`homesim credentials` (the .env of docker-compose.yml) and the controller's first start in
an empty folder (a new Compose volume): pure, no containers."""

from __future__ import annotations

import subprocess

from conftest import EXAMPLES, ROOT


def test_credentials_are_fresh_and_every_device_ticket_checks_out():
    from homesim.bus.router import ticket_role
    from homesim.home import home_from_dict, read_home_file

    def run():
        return subprocess.run([str(ROOT / ".venv" / "bin" / "homesim"), "credentials", str(EXAMPLES / "home.yaml")],
                              capture_output=True, text=True, timeout=60)
    first, second = run(), run()
    assert first.returncode == 0, first.stderr
    env = dict(line.split("=", 1) for line in first.stdout.splitlines() if not line.startswith("#"))
    other = dict(line.split("=", 1) for line in second.stdout.splitlines() if not line.startswith("#"))
    assert env.keys() == other.keys() and all(env[k] != other[k] for k in env)  # random each time
    home = home_from_dict(read_home_file(EXAMPLES / "home.yaml"))
    key, viewer, operator = env["HOMESIM_DEVICE_KEY"], env["HOMESIM_VIEWER_TICKET"], env["HOMESIM_OPERATOR_TICKET"]
    # the recorder's PostgreSQL: random, and safe unescaped in the recorder's postgresql:// URL
    import re

    assert re.fullmatch(r"[A-Za-z0-9_-]{24,}", env["HOMESIM_DB_PASSWORD"])
    for device in home.devices:
        if device.kind == "inverter":
            assert len(env["HOMESIM_SERVICE_INVERTER"]) >= 24
            continue
        ticket = env[f"HOMESIM_TICKET_{device.id.upper()}"]
        assert ticket_role(key, viewer, operator, device.id, ticket) == "device"
        assert ticket_role(key, viewer, operator, "battery" if device.id != "battery" else "grid", ticket) is None
    bad = subprocess.run([str(ROOT / ".venv" / "bin" / "homesim"), "credentials", str(ROOT / "nothing.yaml")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "nothing.yaml" in bad.stderr and "Traceback" not in bad.stderr


def test_the_controller_starts_from_the_home_file_in_an_empty_folder(tmp_path):
    from homesim.bus.controller import DesiredHome

    live = tmp_path / "live"
    desired = DesiredHome.open(live, EXAMPLES, EXAMPLES / "home.yaml")
    assert (live / "state.json").exists() and desired.version == 0 and desired.off == set()
    desired.switch("oven", False)
    again = DesiredHome.open(live, EXAMPLES, EXAMPLES / "home.yaml")  # kept, not reset from the template
    assert again.off == {"oven"} and again.version == 1
