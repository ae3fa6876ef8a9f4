"""The UI in a real browser (Debian's headless Chromium): its unit tests (Vitest browser
mode) and end to end against a live home started here."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import UI, run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e"


def test_ui_unit_tests_pass_in_chromium():
    result = subprocess.run(["npx", "ng", "test", "--watch=false"], cwd=UI, capture_output=True, text=True,
                            timeout=600)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    assert "chromium" in output
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 10, output[-2000:]


def test_end_to_end_drag_switch_invalid_property_speed(tmp_path):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        assert set(urls) == {"operator", "viewer"}, live.output()
        result = run_script("e2e.mjs", urls["operator"], ARTIFACTS, 600, VIEWER_URL=urls["viewer"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert "e2e: ok" in result.stdout
        shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
        assert [re.sub(r"^\d+-", "", s) for s in shots] == [
            "home.png", "oven-added.png", "oven-consuming.png", "oven-off.png", "invalid-property.png",
            "inverter-and-what-if.png", "fast.png",
            "viewer-phone.png"], shots
        # the oven the test dragged in ran as its own process, seen by the home's supervisor
        assert re.search(r"oven_\d+ \(oven\) started", live.output())
    finally:
        assert live.stop() == 0
