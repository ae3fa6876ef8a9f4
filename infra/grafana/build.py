"""Build homesim's Grafana dashboards with grafana-foundation-sdk and write them as JSON.

    .venv/bin/python infra/grafana/build.py [--out infra/grafana]

Writes ``dashboards/*.json`` (home overview, device detail, simulation health: templated by
``home`` and ``device``, on Prometheus; the homeowner's day-by-day dashboard, SQL on the
recorder's PostgreSQL, in simulated local days), ``provisioning/`` for docker compose (the
Prometheus and PostgreSQL data sources and a dashboard provider) and ``configmap.yaml`` (the dashboards as a ConfigMap with the Grafana
sidecar label, for the Helm chart). Run by ``cd/process_specs.sh``; never edit the output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from grafana_foundation_sdk.builders import barchart, common, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import DataSourceRef, DynamicConfigValue

DATASOURCE = DataSourceRef(type_val="prometheus", uid="homesim-prometheus")
#: The recorder's own database (PostgreSQL): the homeowner's dashboard, in simulated time.
RECORDER = DataSourceRef(type_val="grafana-postgresql-datasource", uid="homesim-recorder")
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
        .with_panel(single("Cost so far", "none", query(f"sum by (home, currency) (homesim_cost_total{{{HOME}}})",
                                                        "{{currency}}")))
        .with_panel(single("Loads now", "watt", query(
            f'-sum by (home) (homesim_device_power_watts{{{HOME}, role="load"}})')))
        .with_panel(series(
            "Power flows", "watt",
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, role="source"}})', "PV"),
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, role="storage"}})', "battery (+ discharge)"),
            query(f'sum by (home) (homesim_device_power_watts{{{HOME}, role="grid"}})', "grid (+ import)"),
            query(f'-sum by (home) (homesim_device_power_watts{{{HOME}, role="load"}})',
                  "loads"),
            query(f"sum by (home) (homesim_pv_curtailed_watts{{{HOME}}})", "PV curtailed"),
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


# --- The homeowner's dashboard: SQL on the recorder's tables, per simulated local day ----------
#
# The recorder keeps one row per tick, ``settlements(tick, payload)`` with the settlement as JSON
# (``time`` [s since 1970 UTC], ``dt_s`` [s], ``e`` {device: J, + into the home's bus}, ``demand``
# {load: J}, ``loss_j``, ``curtailed_j`` [J], ``grid_on``, ``cost`` [currency]) and
# ``meta(key, value)`` with the home's ``timezone``, ``currency``, ``battery_id``, ``grid_id``
# and ``essential_ids``. A flow is the battery's or the grid's by id, a load's when the load
# asked for energy that tick (it is in ``demand``), else PV. Days are the home's local days,
# whatever the wall clock and Grafana's time picker say: no Grafana macro is used; ``$days``
# (how many of the last recorded days) is the only variable.

J_PER_KWH = 3_600_000
DAILY_SQL = """WITH m AS (
  SELECT COALESCE((SELECT value FROM meta WHERE key = 'timezone'), 'UTC') AS tz,
         (SELECT value FROM meta WHERE key = 'currency') AS currency,
         (SELECT value FROM meta WHERE key = 'battery_id') AS battery,
         (SELECT value FROM meta WHERE key = 'grid_id') AS grid,
         COALESCE((SELECT value FROM meta WHERE key = 'essential_ids'), '[]')::jsonb AS essential
), t AS (
  SELECT s.tick, s.payload::jsonb AS p,
         to_char(to_timestamp((s.payload::jsonb ->> 'time')::bigint) AT TIME ZONE m.tz, 'YYYY-MM-DD') AS day
  FROM settlements s CROSS JOIN m
), flows AS (
  SELECT t.tick,
         SUM(CASE WHEN x.key = m.battery OR x.key = m.grid OR t.p -> 'demand' ? x.key THEN 0
                  ELSE x.value::bigint END) AS pv_j,
         SUM(CASE WHEN x.key = m.battery THEN GREATEST(x.value::bigint, 0) ELSE 0 END) AS discharge_j,
         SUM(CASE WHEN x.key = m.battery THEN GREATEST(-x.value::bigint, 0) ELSE 0 END) AS charge_j,
         SUM(CASE WHEN x.key = m.grid THEN GREATEST(x.value::bigint, 0) ELSE 0 END) AS import_j,
         SUM(CASE WHEN x.key = m.grid THEN GREATEST(-x.value::bigint, 0) ELSE 0 END) AS export_j,
         SUM(CASE WHEN x.key IS DISTINCT FROM m.battery AND x.key IS DISTINCT FROM m.grid
                       AND t.p -> 'demand' ? x.key THEN -x.value::bigint ELSE 0 END) AS load_j
  FROM t CROSS JOIN m CROSS JOIN LATERAL jsonb_each_text(t.p -> 'e') AS x
  GROUP BY t.tick
), ticks AS (
  SELECT t.day, t.tick, (t.p ->> 'dt_s')::bigint AS dt_s, (t.p ->> 'cost')::float8 AS cost,
         (t.p ->> 'loss_j')::bigint AS loss_j, (t.p ->> 'curtailed_j')::bigint AS curtailed_j,
         (m.grid IS NOT NULL AND NOT (t.p ->> 'grid_on')::boolean) AS outage,
         (SELECT COALESCE(SUM(-COALESCE((t.p -> 'e' ->> k)::bigint, 0)), 0)
            FROM jsonb_array_elements_text(m.essential) AS k) AS essential_served_j,
         EXISTS (SELECT 1 FROM jsonb_array_elements_text(m.essential) AS k
                  WHERE COALESCE((t.p -> 'demand' ->> k)::bigint, 0) + COALESCE((t.p -> 'e' ->> k)::bigint, 0) > 0)
           AS essential_short
  FROM t CROSS JOIN m
), daily AS (
  SELECT ticks.day, COUNT(*) AS ticks,
         SUM(COALESCE(f.pv_j, 0)) / 3600000.0 AS pv_kwh,
         SUM(COALESCE(f.discharge_j, 0)) / 3600000.0 AS battery_discharge_kwh,
         SUM(COALESCE(f.import_j, 0)) / 3600000.0 AS grid_import_kwh,
         SUM(COALESCE(f.load_j, 0)) / 3600000.0 AS load_kwh,
         SUM(COALESCE(f.charge_j, 0)) / 3600000.0 AS battery_charge_kwh,
         SUM(COALESCE(f.export_j, 0)) / 3600000.0 AS grid_export_kwh,
         SUM(ticks.loss_j) / 3600000.0 AS loss_kwh,
         SUM(ticks.curtailed_j) / 3600000.0 AS curtailed_kwh,
         SUM(ticks.cost) AS cost,
         CASE WHEN SUM(COALESCE(f.load_j, 0)) > 0
              THEN GREATEST(0.0, 1.0 - SUM(COALESCE(f.import_j, 0))::float8 / SUM(COALESCE(f.load_j, 0)))
              ELSE 1.0 END AS self_sufficiency,
         SUM(CASE WHEN ticks.outage THEN ticks.dt_s ELSE 0 END) / 3600.0 AS outage_hours,
         SUM(CASE WHEN ticks.outage THEN ticks.essential_served_j ELSE 0 END) / 3600000.0
           AS essential_served_in_outages_kwh,
         CASE WHEN COUNT(*) FILTER (WHERE ticks.outage) > 0
              THEN (COUNT(*) FILTER (WHERE ticks.outage AND NOT ticks.essential_short))::float8
                   / COUNT(*) FILTER (WHERE ticks.outage)
              ELSE 1.0 END AS outage_coverage
  FROM ticks LEFT JOIN flows AS f ON f.tick = ticks.tick
  GROUP BY ticks.day
)
SELECT {columns}
FROM (SELECT * FROM daily ORDER BY day DESC LIMIT $days) AS last_days CROSS JOIN m
ORDER BY day"""


def daily_sql(*columns: str) -> str:
    """The SQL of a panel: ``day`` and these columns of the ``daily`` table above."""
    return DAILY_SQL.replace("{columns}", ", ".join(("day", *columns)))


class SqlQuery(variants.Dataquery):
    """A raw SQL query of Grafana's PostgreSQL data source (the SDK has no builder for it)."""

    def __init__(self, sql: str, ref_id: str = "A") -> None:
        self.sql, self.ref_id_value = sql, ref_id

    def to_json(self) -> dict:
        return {"datasource": {"type": RECORDER.type_val, "uid": RECORDER.uid}, "editorMode": "code",
                "format": "table", "rawQuery": True, "rawSql": self.sql, "refId": self.ref_id_value}


class Sql(Builder[SqlQuery]):
    def __init__(self, sql: str) -> None:
        self.query = SqlQuery(sql)

    def build(self) -> SqlQuery:
        return self.query


def bars(title: str, unit: str, columns: list[tuple[str, str]], width: int = 12, stacked: bool = True,
         description: str = "") -> barchart.Panel:
    """Bars per simulated day: ``columns`` are (SQL column, display name)."""
    from grafana_foundation_sdk.models.common import StackingMode

    panel = (barchart.Panel().title(title).unit(unit).datasource(RECORDER).height(8).span(width)
             .x_field("day").x_tick_label_rotation(-45).description(description)
             .legend(common.VizLegendOptions().show_legend(True).display_mode(common_models.LegendDisplayMode.LIST)
                     .placement(common_models.LegendPlacement.BOTTOM))
             .with_target(Sql(daily_sql(*(c for c, _ in columns)))))
    if stacked:
        panel = panel.stacking(StackingMode.NORMAL)
    for column, name in columns:
        panel = panel.override_by_name(column, [DynamicConfigValue(id_val="displayName", value=name)])
    return panel


def homeowner() -> dashboard.Dashboard:
    every = ["pv_kwh", "battery_discharge_kwh", "grid_import_kwh", "load_kwh", "battery_charge_kwh", "grid_export_kwh",
             "loss_kwh", "curtailed_kwh", "cost", "currency", "self_sufficiency", "outage_hours",
             "essential_served_in_outages_kwh", "outage_coverage", "ticks"]
    from grafana_foundation_sdk.models.dashboard import VariableOption

    choices = ["7", "31", "92", "366"]
    days = (dashboard.CustomVariable("days").label("last recorded days").values(",".join(choices))
            .options([VariableOption(selected=c == "31", text=c, value=c) for c in choices])
            .current(VariableOption(selected=True, text="31", value="31")))
    return (
        dashboard.Dashboard("homesim: my home, day by day").uid("homesim-homeowner").tags(["homesim", "homeowner"])
        .refresh("1m").time("now-1h", "now")
        .description("Per simulated local day, from the recorder's database (not the wall clock): "
                     "where the energy came from and went, what it cost, how self-sufficient the "
                     "home was and how outages were covered.")
        .with_variable(days)
        .with_panel(bars("Energy in by source per day", "kwatth",
                         [("pv_kwh", "PV"), ("battery_discharge_kwh", "battery discharge"),
                          ("grid_import_kwh", "grid import")]))
        .with_panel(bars("Energy out by sink per day", "kwatth",
                         [("load_kwh", "loads"), ("battery_charge_kwh", "battery charge"),
                          ("grid_export_kwh", "grid export"), ("loss_kwh", "inverter losses")]))
        .with_panel(bars("Cost per day", "none", [("cost", "cost")], width=8, stacked=False,
                         description="Grid import cost minus export credit, in the home's currency "
                                     "(the table's currency column)."))
        .with_panel(bars("Self-sufficiency per day", "percentunit", [("self_sufficiency", "self-sufficiency")],
                         width=8, stacked=False,
                         description="1 - grid import / load served: the share of the served load not "
                                     "bought from the grid."))
        .with_panel(bars("PV curtailed per day", "kwatth", [("curtailed_kwh", "PV curtailed")], width=8,
                         stacked=False, description="PV energy available but not used (battery full, "
                                                    "no export allowed)."))
        .with_panel(bars("Outages and how they were covered", "none",
                         [("outage_hours", "outage hours"),
                          ("essential_served_in_outages_kwh", "essential load served in outages [kWh]")],
                         width=12, stacked=False,
                         description="Hours without grid, and the energy the essential circuit got "
                                     "from PV and the battery meanwhile."))
        .with_panel(bars("Outage coverage per day", "percentunit", [("outage_coverage", "covered")], width=12,
                         stacked=False, description="Share of the outage time with every essential load "
                                                    "fully served (1 on days without outage)."))
        .with_panel(table.Panel().title("Every day").datasource(RECORDER).height(10).span(24)
                    .with_target(Sql(daily_sql(*every))))
    )


DASHBOARDS = {"home-overview": overview, "device-detail": device_detail, "simulation-health": health,
              "homeowner": homeowner}


def recorder_datasource(host: str, database: str, user: str, password: str) -> dict:
    """The recorder's PostgreSQL as a Grafana data source (Compose: Grafana expands
    ``$HOMESIM_DB_PASSWORD`` from its environment; the chart writes its own from the values)."""
    return {"name": "Recorder (PostgreSQL)", "uid": RECORDER.uid, "type": RECORDER.type_val, "access": "proxy",
            "url": host, "user": user,
            "jsonData": {"database": database, "sslmode": "disable", "postgresVersion": 1600, "timescaledb": False},
            "secureJsonData": {"password": password}}


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
        "url": "http://prometheus:9090", "isDefault": True}, recorder_datasource(
            "postgres:5432", "homesim", "homesim", "$HOMESIM_DB_PASSWORD")]}, sort_keys=False))
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
