"""Secrets: none in the repository; made fresh for every home (locally per run, in the chart
as a random Secret kept across upgrades); the router listens on 127.0.0.1 unless told
otherwise (a live home's sockets: tests/security/test_authorization_matrix.py). The images hold
none either: tests/containers.)"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import ROOT

#: A value of 20+ random-looking characters given to something named like a credential.
CREDENTIAL = re.compile(r"(secret|ticket|password|passwd|token|api_?key|private_?key|device_?key)['\"]?\s*[:=]\s*"
                        r"['\"]?[A-Za-z0-9_+/=-]{20,}", re.IGNORECASE)
#: The armour line of a PEM private key (made from parts: this file must not hold it).
PRIVATE_KEY = "PRIVATE" + " KEY-----"
#: Files holding hashes or generated identifiers, not credentials.
NOT_CREDENTIALS = re.compile(r"(\.lock$|package-lock\.json$|^ui/src/app/generated/|^specs/)")


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_the_repository_holds_no_credentials_or_private_keys():
    found = []
    for name in tracked_files():
        path = ROOT / name
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        if PRIVATE_KEY in text or path.name in ("key.priv", "credentials.json", ".env"):
            found.append(f"{name}: a key or credentials file")
        if not NOT_CREDENTIALS.search(name):
            found += [f"{name}: {m.group(0)[:40]}..." for m in CREDENTIAL.finditer(text)]
    assert not found, "\n".join(found)


def test_the_scan_finds_a_planted_credential(tmp_path):
    """The pattern above is not blind: it finds what a careless commit would hold (the planted
    values are made here, so that this file does not hold them)."""
    token = "Zk3i9QmTT1b0" * 3
    for planted in (f"HOMESIM_DEVICE_KEY={token}", f'ticket: "{token}"', f"secret = '{token}'"):
        assert CREDENTIAL.search(planted), planted


def test_credentials_are_made_fresh_for_every_home():
    from homesim.bus.router import Credentials, device_ticket

    first, second = Credentials.generate(["clock", "recorder"]), Credentials.generate(["clock", "recorder"])
    assert first.device_key != second.device_key and first.viewer_ticket != second.viewer_ticket
    assert first.services["clock"] != second.services["clock"]
    assert len(first.device_key) >= 64 and len(first.operator_ticket) >= 32
    assert device_ticket(first.device_key, "tv") != device_ticket(second.device_key, "tv")


def test_the_chart_makes_a_random_secret_and_takes_an_existing_one():
    helm = pytest.importorskip("helm_python")
    import yaml

    def secrets(values):
        rendered = helm.Chart.load(ROOT / "charts" / "home").render(values, name="home", namespace="home",
                                                                     is_install=True)
        return [d for path, text in rendered.items() if not path.endswith("NOTES.txt")
                for d in yaml.safe_load_all(text) if d and d["kind"] == "Secret"]

    one, two = secrets({}), secrets({})
    assert len(one) == 1 and one[0]["data"]["device-key"] != two[0]["data"]["device-key"]
    assert secrets({"existingSecret": "mine"}) == []  # the chart then makes none and reads "mine"


def test_the_router_config_listens_on_loopback_by_default():
    from homesim.bus.router import Credentials, router_config
    from homesim.bus.uris import Uris

    config = router_config(Uris("h"), 8080, Credentials.generate(["clock"]))
    endpoint = config["workers"][0]["transports"][0]["endpoint"]
    assert endpoint["interface"] == "127.0.0.1"
    with pytest.raises(ValueError):  # anonymous access only on loopback
        router_config(Uris("h"), 8080, Credentials.generate(["clock"]), interface="0.0.0.0", anonymous_role="viewer")
