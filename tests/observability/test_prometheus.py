"""A real Prometheus scrapes a running home: every documented metric for every device with
sane values and clean labels (no ``exported_*``, no power series for devices without a flow),
the curtailment counter equal to the recorder's ``curtailed_j``, every dashboard's PromQL
returns data, every shipped config passes promtool."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from live import LiveProcess, wait_until  # noqa: E402

#: The dashboards on Prometheus (the homeowner's reads the recorder's PostgreSQL: test_homeowner_dashboard.py).
DASHBOARDS = sorted(p for p in (ROOT / "infra" / "grafana" / "dashboards").glob("*.json")
                    if '"uid": "homesim-prometheus"' in p.read_text())
ENERGY_KINDS = {"pv_array", "battery", "grid", "geyser", "oven", "kettle", "fridge", "tv", "lights", "generic_load"}
NO_FLOW_KINDS = {"sun", "weather", "inverter"}


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    live = LiveProcess(EXAMPLES / "home.yaml", tmp_path_factory.mktemp("prom") / "up", "--speed", "20",
                       "--prometheus")
    url = live.wait_for(r"Prometheus at (http://\S+)/", 60)
    targets = json.loads((live.out / "prometheus" / "targets.json").read_text())

    def query(expr: str) -> list[dict]:
        address = f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(address, timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]["result"]

    # every process scraped, and long enough for rate()/increase() windows to hold samples
    wait_until(lambda: len([r for r in query('up{job="homesim"}') if r["value"][1] == "1"]) == len(targets),
               timeout_s=60, what="every target up")
    time.sleep(8)
    yield live, query, targets
    assert live.stop() == 0


def by_device(results):
    return {r["metric"]["device"]: float(r["value"][1]) for r in results}


def test_every_documented_metric_for_every_device(scraped):
    live, query, targets = scraped
    devices = {t["labels"]["device"]: t["labels"]["kind"] for t in targets if "device" in t["labels"]}
    energy = {d for d, k in devices.items() if k in ENERGY_KINDS}
    power = by_device(query(f'homesim_device_power_watts{{home="{live.home_id}"}}'))
    assert set(power) >= energy
    pv = [d for d, k in devices.items() if k == "pv_array"]
    # a source never draws from the bus (the run starts at midnight, but a busy machine's scrape may
    # come after sunrise: the sign is what holds)
    assert pv and all(power[d] >= 0 for d in pv)
    loads = [d for d, k in devices.items() if k in ENERGY_KINDS - {"pv_array", "battery", "grid"}]
    assert all(power[d] <= 0 for d in loads) and sum(power[d] for d in loads) < 0  # loads take from the bus
    directions = query(f'homesim_device_energy_joules_total{{home="{live.home_id}"}}')
    assert {(r["metric"]["device"], r["metric"]["direction"]) for r in directions} >= {(d, "out") for d in loads}
    assert all(float(r["value"][1]) >= 0 for r in directions)
    soc = by_device(query("homesim_battery_soc_ratio"))
    assert soc and all(0 <= v <= 1 for v in soc.values())
    assert set(by_device(query("homesim_grid_on")).values()) <= {0.0, 1.0}
    lag = by_device(query("homesim_tick_lag_seconds"))
    assert set(lag) >= energy and all(0 <= v < 5 for v in lag.values())
    assert float(query("homesim_settled_ticks_total")[0]["value"][1]) > 20
    cost = query("homesim_cost_total")
    assert [r["metric"].get("currency") for r in cost] == ["ZAR"]  # examples/home.yaml's currency
    assert query("homesim_missing_devices")[0]["value"][1] == "0"
    ticks = {r["metric"]["process"]: float(r["value"][1]) for r in query("homesim_tick")}
    assert {"clock", "recorder", "inverter", "battery"} <= set(ticks)
    assert min(ticks[p] for p in ("clock", "recorder", "inverter", "battery")) > 0
    connected = {r["metric"]["process"]: r["value"][1] for r in query("homesim_bus_connected")}
    assert len(connected) == len(targets) and set(connected.values()) == {"1"}  # every process, on the bus
    assert query("homesim_recorder_pending_settlements")[0]["value"][1] == "0"
    assert query("homesim_recorder_write_errors_total")[0]["value"][1] == "0"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_dashboard_query_returns_data(scraped, path):
    live, query, _ = scraped
    dashboard = json.loads(path.read_text())
    variables = {"$home": live.home_id, "$device": "battery"}
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert len(expressions) >= 3
    for variable in dashboard["templating"]["list"]:
        found = re.match(r"label_values\((.*), (\w+)\)$", variable["query"])
        assert found, variable["query"]
        selector = found.group(1).replace('"$home"', f'"{live.home_id}"')
        values = {r["metric"][found.group(2)] for r in query(selector)}
        assert values, f"{path.name}: variable {variable['name']} has no values"
    for expr in expressions:
        concrete = expr
        for name, value in variables.items():
            concrete = concrete.replace(name, value)
        assert query(concrete), f"{path.name}: no data for {expr}"


def test_promtool_accepts_every_shipped_prometheus_config(scraped):
    live, _, _ = scraped
    for config in [ROOT / "infra" / "prometheus" / "prometheus.yml", live.out / "prometheus" / "prometheus.yml"]:
        result = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout + result.stderr


def test_series_carry_their_own_labels_and_no_exported_ones(scraped):
    live, query, targets = scraped
    series = query('{job="homesim"}')
    assert len(series) > 100
    exported = {name for r in series for name in r["metric"] if name.startswith("exported_")}
    assert not exported, f"labels renamed by the scrape: {exported}"
    for r in query('{__name__=~"homesim_device_.*|homesim_battery_.*|homesim_grid_on|homesim_tick_lag_seconds"}'):
        assert r["metric"]["home"] == live.home_id and r["metric"]["device"], r["metric"]
    devices = {t["labels"]["device"]: t["labels"]["kind"] for t in targets if "device" in t["labels"]}
    assert {k for k in devices.values()} >= NO_FLOW_KINDS  # the reference home has them: the check bites
    flowing = query('{__name__=~"homesim_device_power_watts|homesim_device_energy_joules_total"}')
    assert {r["metric"]["device"] for r in flowing} == {d for d, k in devices.items() if k in ENERGY_KINDS}
    assert not [r for r in flowing if r["metric"]["kind"] in NO_FLOW_KINDS]


def test_curtailment_equals_the_recorders_curtailed_j(scraped):
    """Last: runs the home to past noon (curtailment starts near tick 594 in the reference
    home, battery full and no export), pauses it and compares the settled totals."""
    from homesim.bus.store import open_store

    live, query, _ = scraped
    client = live.client("operator")
    uri = lambda name: f"home.{live.home_id}.{name}"  # noqa: E731
    try:
        client.call(uri("clock.set_speed"), "max")
        # at --max still minutes on a loaded machine: wait for the tick, generously
        wait_until(lambda: client.call(uri("report.count"))["last"] >= 700, timeout_s=600, what="tick 700 recorded")
        client.call(uri("clock.pause"))
        home = f'home="{live.home_id}"'

        def settled_everywhere() -> int | None:
            """The last tick, once it is recorded (no gap) and Prometheus has scraped the
            inverter at it in every scrape of the last 6 s (the tick in flight at the pause
            has settled: nothing moves any more)."""
            count = client.call(uri("report.count"))
            if count["ticks"] != count["last"] + 1:
                return None
            last = count["last"]
            window = f'homesim_tick{{process="inverter", {home}}}[6s]'
            lowest, highest = query(f"min_over_time({window})"), query(f"max_over_time({window})")
            samples = query(f"count_over_time({window})")
            if not (lowest and highest and samples) or float(samples[0]["value"][1]) < 2:
                return None
            if float(lowest[0]["value"][1]) == float(highest[0]["value"][1]) == last:
                return last
            return None

        last = wait_until(settled_everywhere, timeout_s=180, what="the paused home settled, recorded and scraped")
        assert query(f"homesim_settled_ticks_total{{{home}}}")[0]["value"][1] == str(last + 1)
        store = open_store(live.out / "ledger.sqlite", read_only=True)
        try:
            rows = list(store.payloads())
        finally:
            store.close()
        assert [r["tick"] for r in rows] == list(range(last + 1)), "the clock moved while paused"
        curtailed_j = sum(r["curtailed_j"] for r in rows)
        assert curtailed_j > 0, "no curtailment by tick 700: the comparison would prove nothing"
        total = query(f'homesim_pv_curtailed_joules_total{{home="{live.home_id}"}}')
        assert len(total) == 1 and float(total[0]["value"][1]) == curtailed_j
        watts = query(f'homesim_pv_curtailed_watts{{home="{live.home_id}"}}')
        assert len(watts) == 1 and float(watts[0]["value"][1]) == rows[-1]["curtailed_j"] / rows[-1]["dt_s"]
    finally:
        client.close()
