"""Build homesim's Grafana dashboards with grafana-foundation-sdk and write them as JSON.

    .venv/bin/python infra/grafana/build.py [--out infra/grafana]

Writes ``dashboards/*.json`` (home overview, device detail, simulation health: templated by
``home`` and ``device``), ``provisioning/`` for docker compose (a Prometheus data source and a
dashboard provider) and ``configmap.yaml`` (the dashboards as a ConfigMap with the Grafana
sidecar label, for the Helm chart). Run by ``cd/process_specs.sh``; never edit the output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE = DataSourceRef(type_val="prometheus", uid="homesim-prometheus")
HOME = 'home=~"$home"'


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).datasource(DATASOURCE)
    return q.legend_format(legend) if legend else q



def _variable(name: str, query_text: str) -> dashboard.QueryVariable:
    return dashboard.QueryVariable(name).label(name).datasource(DATASOURCE).query(query_text)


def series(title: str, unit: str, *targets: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).height(8).span(width)
    for index, target in enumerate(targets):
        panel = panel.with_target(target.ref_id(chr(ord("A") + index)))
    return panel


def single(title: str, unit: str, target: prometheus.Dataquery, width: int = 6) -> stat.Panel:
    return (stat.Panel().title(title).unit(unit).datasource(DATASOURCE).height(4).span(width)
            .with_target(target.ref_id("A")))


def overview() -> dashboard.Dashboard:
    return (
        dashboard.Dashboard("homesim: home overview").uid("homesim-home").tags(["homesim"]).refresh("5s")
        .time("now-30m", "now")
        .with_variable(_variable("home", "label_values(homesim_tick, home)"))
        .with_panel(single("State of charge", "percentunit", query(f"max by (home) (homesim_battery_soc_ratio{{{HOME}}})")))
        .with_panel(single("Grid", "bool_on_off", query(f"max by (home) (homesim_grid_on{{{HOME}}})")))
        .with_panel(single("Cost so far", "none", query(f"sum by (home) (homesim_cost_total{{{HOME}}})")))
        .with_panel(single("Loads now", "watt", query(
            f'-sum by (home) (homesim_device_power_watts{{{HOME}, kind!~"pv_array|battery|grid|inverter"}})')))
        .with_panel(series(
            "Power flows", "watt",
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, kind="pv_array"}})', "PV"),
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, kind="battery"}})', "battery (+ discharge)"),
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, kind="grid"}})', "grid (+ import)"),
            query(f'-sum by (home) (homesim_device_power_watts{{{HOME}, kind!~"pv_array|battery|grid|inverter"}})',
                  "loads"),
            width=24))
        .with_panel(series("State of charge", "percentunit",
                           query(f"homesim_battery_soc_ratio{{{HOME}}}", "{{device}}")))
        .with_panel(series("Energy by device (last 5 min)", "joule",
                           query(f'sum by (device, direction) (increase(homesim_device_energy_joules_total{{{HOME}}}[5m]))',
                                 "{{device}} {{direction}}")))
    )


def device_detail() -> dashboard.Dashboard:
    selected = f'{HOME}, device=~"$device"'
    return (
        dashboard.Dashboard("homesim: device detail").uid("homesim-device").tags(["homesim"]).refresh("5s")
        .time("now-30m", "now")
        .with_variable(_variable("home", "label_values(homesim_tick, home)"))
        .with_variable(_variable("device", 'label_values(homesim_device_power_watts{home=~"$home"}, device)'))
        .with_panel(series("Power", "watt", query(f"homesim_device_power_watts{{{selected}}}", "{{device}}"), width=24))
        .with_panel(series("Energy rate by direction", "watt",
                           query(f"rate(homesim_device_energy_joules_total{{{selected}}}[1m])", "{{device}} {{direction}}")))
        .with_panel(series("Tick lag", "s", query(f"homesim_tick_lag_seconds{{{selected}}}", "{{device}}")))
    )


def health() -> dashboard.Dashboard:
    return (
        dashboard.Dashboard("homesim: simulation health").uid("homesim-health").tags(["homesim"]).refresh("5s")
        .time("now-30m", "now")
        .with_variable(_variable("home", "label_values(homesim_tick, home)"))
        .with_panel(single("Ticks settled per second", "none",
                           query(f"sum by (home) (rate(homesim_settled_ticks_total{{{HOME}}}[1m]))")))
        .with_panel(single("Missing devices", "none", query(f"max by (home) (homesim_missing_devices{{{HOME}}})")))
        .with_panel(single("Worst tick lag", "s", query(f"max by (home) (homesim_tick_lag_seconds{{{HOME}}})")))
        .with_panel(single("Processes up", "none", query(f'sum by (home) (up{{job="homesim", {HOME}}})')))
        .with_panel(series("Tick rate", "none",
                           query(f"sum by (home) (rate(homesim_settled_ticks_total{{{HOME}}}[1m]))", "settled ticks/s")))
        .with_panel(series("Tick lag by device", "s", query(f"homesim_tick_lag_seconds{{{HOME}}}", "{{device}}")))
        .with_panel(series("Last tick by process", "none", query(f"homesim_tick{{{HOME}}}", "{{process}}"), width=24))
    )


DASHBOARDS = {"home-overview": overview, "device-detail": device_detail, "simulation-health": health}


def render(built) -> str:
    return json.dumps(json.loads(JSONEncoder(sort_keys=True, indent=2).encode(built.build())), indent=2,
                      sort_keys=True) + "\n"


def write(out: Path) -> list[Path]:
    written = []
    folder = out / "dashboards"
    folder.mkdir(parents=True, exist_ok=True)
    rendered = {name: render(make()) for name, make in DASHBOARDS.items()}
    for name, text in rendered.items():
        path = folder / f"{name}.json"
        path.write_text(text)
        written.append(path)
    provisioning = out / "provisioning"
    (provisioning / "datasources").mkdir(parents=True, exist_ok=True)
    (provisioning / "dashboards").mkdir(parents=True, exist_ok=True)
    header = "# Generated by infra/grafana/build.py: do not edit.\n"
    datasource = provisioning / "datasources" / "homesim.yaml"
    datasource.write_text(header + yaml.safe_dump({"apiVersion": 1, "datasources": [{
        "name": "Prometheus", "uid": DATASOURCE.uid, "type": "prometheus", "access": "proxy",
        "url": "http://prometheus:9090", "isDefault": True}]}, sort_keys=False))
    provider = provisioning / "dashboards" / "homesim.yaml"
    provider.write_text(header + yaml.safe_dump({"apiVersion": 1, "providers": [{
        "name": "homesim", "folder": "homesim", "type": "file", "disableDeletion": True,
        "options": {"path": "/var/lib/grafana/dashboards/homesim"}}]}, sort_keys=False))
    configmap = out / "configmap.yaml"
    configmap.write_text(header + yaml.safe_dump({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "homesim-dashboards", "labels": {"grafana_dashboard": "1"}},
        "data": {f"{name}.json": text for name, text in rendered.items()},
    }, sort_keys=False, width=1000))
    return written + [datasource, provider, configmap]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
