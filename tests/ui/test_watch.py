"""The WATCH side end to end (ui/e2e/watch.mjs) in Debian's headless Chromium against a live
reference home: curtailed PV at noon with a full battery, the first load-shedding outage with
its stage and end, today's totals equal to the recorder's report.daily, the chart's history
back after a reload. Screenshots in out/e2e-watch/ (laptop 1280x900 and phone 390x844)."""

from __future__ import annotations

import re
import sys

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-watch"


def test_watch_noon_curtailment_outage_today_and_reload(tmp_path):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        assert "operator" in urls, live.output()
        result = run_script("watch.mjs", urls["operator"], ARTIFACTS, 900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "watch: ok" in result.stdout
        curtailed = re.search(r"watch: noon 2026-01-\d\d (\d\d):\d\d: \W*PV .* of .* available — ([\d.]+ k?W) curtailed: "
                              r"battery full", result.stdout)
        assert curtailed and 11 <= int(curtailed.group(1)) < 16, output
        assert re.search(r"watch: outage at 2026-01-05 (16|17|18):\d\d: .*load-shedding stage 2 until 18:30", result.stdout), output
        assert result.stdout.count(": match") == 2, output
        before, after = map(int, re.search(r"chart points: (\d+) before the reload, (\d+) after", result.stdout).groups())
        assert before > 500 and after >= before, output
        shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
        assert shots == ["01-noon-curtailed.png", "02-noon-curtailed-phone.png", "03-outage.png", "04-outage-phone.png",
                         "05-today-and-days.png", "06-after-reload.png"], shots
    finally:
        assert live.stop() == 0
