"""The builder in a real browser (Debian's headless Chromium) against a live reference home:
forms in view on a laptop and a phone, timers edited without JSON and followed by the device,
a drop into a circuit, keyboard adding, YAML save and load, no clipped labels."""

from __future__ import annotations

import re
import sys

from conftest import EXAMPLES, ROOT
from homesim.home import home_from_dict, parse_yaml

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-builder"


def test_builder_forms_timers_circuits_yaml(tmp_path):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        assert "operator" in urls, live.output()
        result = run_script("builder.mjs", urls["operator"], ARTIFACTS, 600)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "builder: ok" in out
        assert re.search(r"oven's form at 1280x800: .* focus inside", out)
        assert re.search(r"geyser's form at 390x844: .* focus inside", out)
        assert "lights with no on-times: 0 W" in out
        assert re.search(r"lights on all day: 1[45]\d W", out), out
        assert re.search(r"oven_\d+ dropped into the non-essential circuit: circuit non_essential", out)
        assert re.search(r"Tab x\d+ \+ Enter added fridge_\d+ \(essential\)", out)
        assert re.search(r"ev_charger\w*'s session edited without JSON: leaves 06:45, 15 kWh, on Saturdays too", out), out
        assert re.search(r"loaded back: home\.yaml: 0 added, \d+ updated; tv power_w 321 -> 110 W as saved", out), out
        assert "bad.yaml: devices[0] (oven).rated_power: not a property of oven" in out
        shots = sorted(re.sub(r"^\d+-", "", p.name) for p in ARTIFACTS.glob("*.png"))
        assert shots == sorted(["house.png", "oven-form-laptop.png", "lights-timer-edited.png", "oven-and-fridge-added.png",
                                "ev-charger-sessions.png",
                                "loaded-and-bad-file.png", "house-phone.png", "geyser-form-phone.png",
                                "geyser-switch-phone.png"]), shots
        # the saved YAML is a home file homesim reads, with the dropped oven on the grid side
        saved = parse_yaml((ARTIFACTS / "home.yaml").read_text())
        ovens = [d for d in saved["devices"] if d["kind"] == "oven" and d["id"] != "oven"]
        assert ovens and ovens[0]["circuit"] == "non_essential"
        lights = next(d for d in saved["devices"] if d["id"] == "lights")
        assert lights["on"] == [{"start": "00:00", "end": "23:59", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}]
        home = home_from_dict(saved, home_dir=EXAMPLES)
        assert home.device(ovens[0]["id"]).circuit == "non_essential"
    finally:
        assert live.stop() == 0
