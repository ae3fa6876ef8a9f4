"""The "Plan a purchase" panel end to end (ui/e2e/plan.mjs) in Debian's headless Chromium against
a live reference home: a 2-year plan through the planner's plan.purchase shows cards equal to
what ``homesim plan --years 2`` computes for the same home file. Screenshots in out/e2e-plan/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from e2e_script import run_script, ui_urls  # noqa: E402
from live import LiveProcess  # noqa: E402

ARTIFACTS = ROOT / "out" / "e2e-plan"


def money(value, currency):
    """As the panel writes an amount (purchase.ts formatMoney)."""
    whole = round(value)
    return f"{'−' if whole < 0 else ''}{abs(whole):,} {currency}"


def test_plan_panel_shows_what_homesim_plan_computes(tmp_path):
    cli = subprocess.Popen([sys.executable, "-m", "homesim", "plan", str(EXAMPLES / "home.yaml"), "--years", "2",
                            "--out", str(tmp_path / "cli")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "services")})
    cli_output = cli.communicate(timeout=600)[0]
    assert cli.returncode == 0, cli_output
    expected = json.loads((tmp_path / "cli" / "plan.json").read_text())

    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path / "up", "--speed", "5")
    try:
        urls = ui_urls(live.output())
        assert "operator" in urls, live.output()
        result = run_script("plan.mjs", urls["operator"], ARTIFACTS, 900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "plan: ok" in result.stdout, output
    finally:
        assert live.stop() == 0

    cards = json.loads(re.search(r"plan: cards (\{.*\})", result.stdout).group(1))
    totals, currency = expected["totals"], expected["currency"]
    # the same numbers as the command line, to the last digit the RPC sends
    assert cards["capital"]["value"] == pytest.approx(totals["capital"], rel=1e-12)
    assert cards["npv"]["value"] == pytest.approx(totals["npv"], rel=1e-12)
    assert cards["savings"]["value"] == pytest.approx(totals["savings"], rel=1e-12)
    assert cards["battery"]["value"] == pytest.approx(totals["battery_share_last_year"], rel=1e-12)
    assert cards["outages"]["value"] == pytest.approx(totals["outage_hours_avoided"], rel=1e-12)
    # ... and as the homeowner reads them
    assert cards["capital"]["text"] == money(totals["capital"], currency)
    assert cards["npv"]["text"] == money(totals["npv"], currency)
    assert cards["savings"]["text"] == money(totals["savings"], currency)
    payback = totals["simple_payback_years"]
    assert cards["payback"]["text"] == (f"{payback:.1f} years" if payback is not None else "not within 2 years")
    assert cards["payback"]["value"] == (pytest.approx(payback) if payback is not None else None)
    irr = totals["irr"]
    assert cards["irr"]["text"] == (f"{'−' if irr < 0 else ''}{abs(irr) * 100:.1f} %" if irr is not None else "none")
    assert cards["battery"]["text"] == f"{round(totals['battery_share_last_year'] * 100)} %"
    assert cards["outages"]["text"] == f"{totals['outage_hours_avoided']:,.0f} h"
    # the size search shows what homesim.planning.optimize recommends for the same home and years
    from homesim.planning import optimize, plan
    from homesim.home import load_home

    prices = plan.with_years(plan.load_finance(EXAMPLES / "home.yaml")[0], 2)
    best = optimize.optimize(load_home(EXAMPLES / "home.yaml"), prices, [("battery.capacity_kwh", [5, 10])],
                             home_dir=EXAMPLES, workers=1)["best"]
    shown = re.search(r"plan: recommended: Recommended: a (\S+) kWh battery", result.stdout)
    assert shown and float(shown.group(1)) == best["battery.capacity_kwh"], result.stdout
    assert money(best["npv"], currency) in result.stdout
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == ["01-plan-2-years.png", "02-plan-2-years-phone.png"]
