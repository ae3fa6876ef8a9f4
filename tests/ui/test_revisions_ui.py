"""No lost updates in the UI end to end (ui/e2e/revisions.mjs): two tabs of the inverter's
settings in Debian's headless Chromium against a live reference home. A reserve set in one tab
shows in the other without a reload, changing only Priority there does not put it back, and
of two edits of the reserve the later Apply is refused as changed elsewhere and reloads.
On 8aab0e5 the panel read the inverter once and Apply sent every setting: tab A showed 30 %
until reloaded, and its Priority change put the reserve back to 30 %."""

from __future__ import annotations

import re
import sys

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-revisions"


def test_two_tabs_of_the_inverter_settings_lose_no_update(tmp_path):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        result = run_script("revisions.mjs", urls["operator"], ARTIFACTS, 600)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "revisions: ok" in result.stdout
        assert "both tabs read the reserve at 30 %" in result.stdout, output
        assert "tab A shows the reserve B set: 50 %" in result.stdout, output
        assert re.search(r"after A's Apply of priority \w+: reserve 50 %", result.stdout), output
        assert "tab A flags: changed elsewhere (now 60 %) while you edit it" in result.stdout, output
        assert re.search(r"tab A refused: backup_reserve_soc: changed elsewhere since revision (\d+) \(now (\d+)\): "
                         r"reload\. Reloaded", result.stdout), output
        assert "tab A now shows 60 %" in result.stdout, output
        client = live.client("operator")
        try:
            view = client.call(f"home.{live.home_id}.device.inverter.get")
        finally:
            client.close()
        assert view["properties"]["backup_reserve_soc"] == 0.6
        assert view["properties"]["priority"] != "load_first"  # A's change, kept
    finally:
        assert live.stop() == 0
