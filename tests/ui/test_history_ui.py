"""A home's own history and its tariff in the browser (ui/e2e/history.mjs) against a live
reference home: an example history uploaded, its columns mapped by the guesses, imported with
progress, its data-quality and calibration reports shown (metrics and plots), the calibrated home
adopted (the live home's devices replaced through the controller: the oven leaves); a tariff typed
in the form refused for a bad time window, then shown by hour and season and set on the grid with
its revision; examples/tariffs/urdb_example.json read and shown on a phone. Screenshots in out/e2e-history/."""

from __future__ import annotations

import json
import re
import sys

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess, wait_until  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-history"
HISTORY = EXAMPLES / "history" / "home_assistant.csv"
#: A URDB rate of homesim's examples (made up, in OpenEI's layout): seasons, TOU, a tiered period.
URDB = EXAMPLES / "tariffs" / "urdb_example.json"


def test_history_import_adopt_and_tariff_in_the_browser(tmp_path):
    bad = tmp_path / "text.csv"  # two days of a load column of words
    bad.write_text("Time,PV power (W),Load (W)\n" + "".join(f"2026-01-0{d}T{h:02d}:{m:02d}:00+02:00,0,on\n"
                                                            for d in (5, 6) for h in range(24) for m in range(0, 60, 5)))
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    client = live.client("operator")
    try:
        urls = ui_urls(live.output())
        # the example's mapping file says what a guess can't: PV in kW, the battery positive charging
        result = run_script("history.mjs", urls["operator"], ARTIFACTS, 1200, HISTORY_FILE=str(HISTORY),
                            HISTORY_FIXES="pv=kW,battery=charge", URDB_FILE=str(URDB), BAD_FILE=str(bad))
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "history: ok" in result.stdout, output
        desired = client.subscribe(f"home.{live.home_id}.devices", retained=True)
        home = wait_until(lambda: desired and desired[-1][1]["home"], 30, "the desired home")
        grid = client.call(f"home.{live.home_id}.device.grid.get")
    finally:
        client.close()
        assert live.stop() == 0

    # the adoption was real: the calibrated home's devices are the live home's, the oven is gone
    ids = {d["id"] for d in home["devices"]}
    assert "oven" not in ids and "geyser" not in ids, ids
    mapping = json.loads(re.search(r"history: mapping (\{.*\})", result.stdout).group(1))
    assert mapping["pv"] and mapping["load"]
    assert re.search(r"history: metrics rows \d+, plots [1-9]", result.stdout), result.stdout
    # the tariff the form made is the grid's, with the fixed charge typed
    assert grid["properties"]["tariff"]["fixed"]["per_day"] == 12.5
    assert {r["name"] for r in grid["properties"]["tariff"]["rates"]} == {"peak", "standard"}
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == [
        "01-refused.png", "02-mapping.png", "03-reports.png", "04-calibration.png", "05-adopted.png",
        "06-reports-phone.png", "07-tariff-form.png", "08-tariff-shown.png", "09-tariff-urdb-phone.png"]
    assert "history: urdb: Example Utility (made up) - Residential time-of-use" in result.stdout, result.stdout
    assert re.search(r"history: refused: text\.csv row \d+ column 'Load \(W\)': a column of text", result.stdout)
