"""Load-shedding picked in the grid's form in a real browser (Debian's headless Chromium) against a
live copy of the reference home: ui/e2e/loadshedding.mjs uploads a list of outages by area, picks an
area, saves it on the revision read, has a bad file refused, types a stage timeline on a phone;
screenshots at 1280 and 390 px in out/e2e-loadshedding/. Here: what it logged equals what
homesim.loadshedding computes from the same files, and the files and the live home are as it left them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from zoneinfo import ZoneInfo

from conftest import EXAMPLES, ROOT
from homesim import loadshedding as ls

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-loadshedding"
TZ = ZoneInfo("Africa/Johannesburg")


def span(outage: ls.Outage) -> str:
    """An outage as the picker lists it: 'Mon 5 Jan 20:00 – 22:30 · stage 2'."""
    a, b = dt.datetime.fromtimestamp(outage.start_s, TZ), dt.datetime.fromtimestamp(outage.end_s, TZ)
    end = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a} {b.day} {b:%b %H:%M}"
    return f"{a:%a} {a.day} {a:%b %H:%M} – {end} · stage {outage.stage}"


def test_load_shedding_picked_uploaded_previewed_and_saved(tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    for name in ("home.yaml", "finance.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    shutil.copytree(EXAMPLES / "loadshedding", folder / "loadshedding")
    live = LiveProcess(folder / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        result = run_script("loadshedding.mjs", urls["operator"], ARTIFACTS, 600, EXAMPLES=str(EXAMPLES / "loadshedding"))
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "loadshedding: ok" in out

        # 1. the home's rotation: the averages are homesim's, to one decimal
        rotation = ls.read_area_schedule(EXAMPLES / "loadshedding" / "area_schedule.csv")
        averages = " ".join(f"{ls.average_hours_off_per_day(rotation, s):.1f}" for s in range(1, 9))
        assert f"hours a day at stages 1-8: {averages}" in out, out
        assert re.search(r"the home's schedule: Your area \(area_schedule\.csv\): .* 28 days drawn", out), out

        # 2. the uploaded file's areas offered, the chosen area's outages as the reader gives them
        assert ("areas offered: choose your area, example-town-area-1, example-town-area-2, riverside-block-3"
                in out), out
        expected = ls.merge_outages(ls.read_outage_events(EXAMPLES / "loadshedding" / "events.csv", "riverside-block-3"))
        assert f"outages: {' | '.join(span(o) for o in expected)}\n" in out, out
        assert (folder / "loadshedding" / "events.csv").read_text() == (EXAMPLES / "loadshedding" / "events.csv").read_text()
        live_home = (tmp_path / "up" / "live" / "home.yaml").read_text()
        assert "events_csv: loadshedding/events.csv" in live_home and "area: riverside-block-3" in live_home, live_home

        # 3. the bad file named with its line and column, and not stored
        assert "bad file: broken.csv line 2, column 'finsh': 'later' is not an ISO 8601 date and time" in out, out
        assert not (folder / "loadshedding" / "broken.csv").exists()
        assert not [p for p in (folder / "loadshedding").iterdir() if p.name.startswith(".upload-")]

        # 4. the phone: the saved area, then stage 4 typed in; nothing wider than the phone
        assert "on a phone, as saved: riverside-block-3" in out, out
        assert "typed on a phone: Stage 4: Tue 6 Jan 05:00 – Wed 7 Jan 22:00" in out, out
        assert re.search(r"no page wider than 390 px", out), out
        assert out.count("no serious or critical violation") == 4, out
        shots = sorted(re.sub(r"^\d+-", "", p.name) for p in ARTIFACTS.glob("*.png"))
        assert shots == sorted(["rotation-preview.png", "area-picked.png", "bad-file.png", "stages-typed-phone.png",
                                "preview-phone.png"]), shots
    finally:
        assert live.stop() == 0
