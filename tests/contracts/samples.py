"""A representative payload of every message model of the contract (some with optional
fields null or absent), built from real runs where the model carries real data."""

from __future__ import annotations

from homesim.bus.adapters import ENERGY_ROLES, adapter_for
from homesim.engine.compiled import CompiledHome
from homesim.home import load_home

from conftest import EXAMPLES


def real_settlements(ticks: int = 3):
    home = load_home(EXAMPLES / "home.yaml")
    compiled = CompiledHome(home, 60)
    adapters = {d.id: adapter_for(compiled, d.id) for d in home.devices}
    out, events_seen, states = [], [], []
    for tick in range(ticks):
        events = {d: e for d, a in adapters.items() if (e := a.on_tick(tick)) is not None
                  and home.device(d).ROLE in ENERGY_ROLES}
        events_seen.append(events)
        settlement = adapters["inverter"].settle(tick, events, off=frozenset({"tv"}) if tick == 1 else frozenset())
        settlement["tick_sent"] = 1.7e9 + tick if tick else None
        for adapter in adapters.values():
            adapter.on_settlement(settlement)
        out.append(settlement)
    states = {d: a.state() for d, a in adapters.items()}
    return home, out, events_seen, states, adapters


def samples() -> dict[str, list[dict]]:
    home, settlements, events, states, adapters = real_settlements()
    by_role = {}
    for device_id, event in events[0].items():
        by_role.setdefault(home.device(device_id).ROLE, event)
    state_samples: dict[str, list[dict]] = {}
    for device_id, state in states.items():  # each kind names the model of its state
        state_samples.setdefault(home.device(device_id).STATE_MODEL.__name__, []).append(state)
    view = {"id": "tv", "kind": "tv", "role": "load", "properties": home.device("tv").model_dump(mode="json"),
            "state": states["tv"], "revision": 3, "changed": ["power_w"]}
    topology = {"devices": {"tv": {"kind": "tv", "role": "load", "status": "present", "since": 1.7e9},
                            "oven": {"kind": "oven", "role": "load", "status": "off", "since": 1.7e9 + 0.5}},
                "time": 1.7e9 + 1}
    summaries = [{"id": d.id, "kind": d.kind, "role": d.ROLE, "enabled": d.id != "tv"} for d in home.devices]
    out = {
        "Tick": [{"tick": 0, "time": 1767564000, "dt_s": 60, "sent": 1764226800.25}],
        "PvEnergy": [by_role["source"], {"tick": 700, "available_j": 123456}],
        "LoadEnergy": [by_role["load"]],
        "BatteryEnergy": [by_role["storage"]],
        "GridEnergy": [by_role["grid"]],
        "Settlement": settlements,
        "PvEnergyAhead": [{"events": adapters["pv_east"].ahead(0, 3)}],
        "LoadEnergyAhead": [{"events": adapters["tv"].ahead(600, 840)}],
        "GridEnergyAhead": [{"events": adapters["grid"].ahead(0, 2)}],
        "DeviceFlows": [{"in_j": 0, "out_j": 6000}],
        "Progress": [{"tick": -1, "holder": 1, "window_start": 0, "window_end": 240, "first_tick": 0, "flows": {},
                      "settled": None},
                     {"tick": 2, "holder": 8162534, "window_start": 0, "window_end": 240, "first_tick": 0,
                      "flows": {d: {"in_j": max(j, 0), "out_j": max(-j, 0)} for d, j in settlements[2]["e"].items()},
                      "settled": settlements[2]}],
        "DeviceView": [view],
        "ClockState": [{"tick": 12, "dt_s": 60, "speed": 20.0, "paused": False, "simulated_s_per_wall_s": 1200.0},
                       {"tick": 0, "dt_s": 60, "speed": "max", "paused": True, "simulated_s_per_wall_s": None}],
        "TopologyEntry": list(topology["devices"].values()),
        "Topology": [topology],
        "DeviceSummary": summaries[:2],
        "DesiredHome": [{"version": 3, "devices": summaries, "home": home.model_dump(mode="json")}],
        "Empty": [{}],
        "SetProperties": [{"power_w": 2000}, {"switch": {"timers": [{"start": "04:00", "end": "06:00"}]}},
                          {"backup_reserve_soc": 0.5, "revision": 3}],
        "SetSpeed": [{"speed": 60.0}, {"speed": "max"}],
        "AddDevice": [{"device": {"kind": "oven", "id": "oven2", "rated_power_w": 2500}}],
        "DeviceId": [{"id": "oven2"}],
        "SwitchDevice": [{"id": "tv", "on": False}],
        "AddResult": [{"id": "oven2", "kind": "oven", "enabled": True}],
        "RemoveResult": [{"id": "oven2", "removed": True}],
        "SwitchResult": [{"id": "tv", "enabled": False}],
        "RecordCount": [{"ticks": 10, "last": 9}, {"ticks": 0, "last": -1}],
        "SettlementsSince": [{"tick": 4, "limit": 100}],
        "RecentRequest": [{}, {"ticks": 1440}],
        "ReportRequest": [{}, {"only": "2026-01-05"}],
        "ReportRows": [{"by": "day", "columns": ["period", "cost"], "rows": [{"period": "2026-01-05", "cost": 0.37}],
                        "currency": "ZAR"}],
        "PlanRequest": [{"vary": {"battery.capacity_kwh": [5, 10.24]}, "days": 2}],
        "PlanResult": [{"rows": [{"battery.capacity_kwh": 5, "cost": 41.2, "self_sufficiency": 0.61,
                                  "unmet_hours_in_outages": 0.0, "grid_import_kwh": 12.5, "pv_kwh": 40.1,
                                  "outage_coverage": 1.0}],
                        "columns": ["battery.capacity_kwh", "cost", "self_sufficiency", "unmet_hours_in_outages",
                                    "grid_import_kwh", "pv_kwh", "outage_coverage"], "days": 2.0, "currency": "ZAR"}],
        "ScheduleUpload": [{"name": "events.csv", "text": "area_name,start,finsh,stage,source\n", "role": "area"},
                           {"name": "status.json", "text": "{}", "role": "stages"}],
        "ScheduleStored": [{"path": "loadshedding/events.csv", "field": "events_csv", "areas": ["example-town-area-1"],
                            "rows": 10, "summary": "10 outages of 3 areas"},
                           {"path": "loadshedding/st.json", "field": "stage_timeline", "rows": 4, "summary": "4 periods"}],
        "SchedulePreviewRequest": [{"load_shedding": {"events_csv": "loadshedding/events.csv", "area": "a"}},
                                   {"load_shedding": {"area_schedule_csv": "a.csv"}, "start": "2026-01-05", "days": 7}],
        "SchedulePreview": [{"area": "riverside-block-3", "areas": ["riverside-block-3"], "source": "the outage list",
                             "timezone": "Africa/Johannesburg", "start": "2026-01-05", "days": 1,
                             "stages": [{"stage": 2, "start": "2026-01-05T16:00", "end": "2026-01-06T05:00"}],
                             "outages": [{"stage": 2, "start": "2026-01-05T20:00", "end": "2026-01-05T22:30"}],
                             "outage_count": 1, "daily": [{"date": "2026-01-05", "hours": 2.5, "stage": 2}],
                             "averages": [{"stage": 2, "hours": 2.5}], "averages_basis": "the outage list"}],
        "StagePeriod": [{"stage": 0, "start": "2026-01-05T16:00", "end": "2026-01-06T05:00"}],
        "DayOff": [{"date": "2026-01-05", "hours": 0.0, "stage": 0}],
        "StageHours": [{"stage": 8, "hours": 13.8}],
        "HistoryUpload": [{"name": "history.csv", "text": "entity_id,state,last_changed\n"},
                          {"name": "history.csv", "text": "sensor.pv_power,1.2,2026-01-05T10:00:00Z\n",
                           "upload": "0123456789abcdef", "offset": 29}],
        "UploadResult": [{"upload": "0123456789abcdef", "name": "history.csv", "bytes": 70}],
        "HistoryInspect": [{"upload": "0123456789abcdef"}],
        "HistoryInspection": [{"upload": "0123456789abcdef", "name": "history.csv", "layout": "ha_history",
                               "layout_label": "Home Assistant history export (one row per state change)",
                               "columns": ["sensor.pv_power", "sensor.load_power"],
                               "mapping": {"pv": "sensor.pv_power", "load": "sensor.load_power"},
                               "units": {"pv": "power", "load": "power"}, "quantities": {"pv": "Solar power (PV)"},
                               "location": {"latitude": -33.93, "longitude": 18.47, "timezone": "Africa/Johannesburg"}}],
        "HistoryImport": [{"uploads": ["0123456789abcdef"], "latitude": -33.93, "longitude": 18.47,
                           "timezone": "Africa/Johannesburg"},
                          {"uploads": ["0123456789abcdef"], "mapping": {"pv": {"name": "sensor.pv_power", "unit": "kW"},
                                                                       "load": "sensor.load_power"},
                           "latitude": -33.93, "longitude": 18.47, "timezone": "Africa/Johannesburg"}],
        "HistoryImported": [{"job": "0123456789abcdef", "quality": {"files": [], "problems": [], "coverage": {},
                                                                    "notes": []},
                             "home": {"name": "Calibrated home", "devices": []},
                             "fitted": {"kwp": {"value": 4.9, "unit": "kWp"}}, "notes": [],
                             "report": {"errors": {}, "months": []},
                             "plots": [{"title": "Energy by month", "src": "data:image/png;base64,iVBORw0KGgo="}],
                             "home_file": "/tmp/out/live/imports/jobs/0123456789abcdef/home.yaml"}],
        "HistoryAdopt": [{"job": "0123456789abcdef", "version": 3}],
        "AdoptResult": [{"added": ["load"], "removed": ["oven", "geyser"], "changed": ["battery"],
                         "home_file": "/tmp/out/live/imports/jobs/0123456789abcdef/home.yaml"}],
        "TariffPreview": [{"urdb": "{}", "name": "rate.json"}, {"tariff": {"rates": [{"price_per_kwh": 2.5}]}}],
        "TariffShown": [{"tariff": {"rates": [{"price_per_kwh": 2.5}]},
                         "properties": {"tariff": {"rates": [{"price_per_kwh": 2.5}]},
                                        "import_tariff": {"flat_per_kwh": 3.0, "periods": []}, "export_per_kwh": 0.0},
                         "summary": {"name": "", "currency": "ZAR", "seasons": [], "rates": []}}],
        # (baseline always given: the TypeScript model writes its one allowed value as a constant)
        "PurchaseRequest": [{"years": 2, "baseline": "grid_only"}, {"years": None, "baseline": "grid_only"}],
        **purchase_samples(),
        "OptimizeRequest": [{"vary": {"battery.capacity_kwh": [5, 10, 15]}},
                            {"vary": {"battery.capacity_kwh": [5, 10]}, "objective": "payback", "budget": 150000,
                             "min_outage_coverage": 0.9, "years": 10}],
        "OptimizeResult": [{"objective": "npv", "evaluated": 2, "currency": "ZAR", "method": "grid", "space": 2,
                            "baseline": "grid_only",
                            "rows": [{"battery.capacity_kwh": 5, "capital": 119712.0, "npv": 35120.5,
                                      "simple_payback_years": 8.4, "outage_coverage": 0.93, "feasible": True},
                                     {"battery.capacity_kwh": 10, "capital": 147872.0, "npv": 30110.1,
                                      "simple_payback_years": None, "outage_coverage": 0.99, "feasible": True}],
                            "best": {"battery.capacity_kwh": 5, "capital": 119712.0, "npv": 35120.5,
                                     "simple_payback_years": 8.4, "outage_coverage": 0.93, "feasible": True}},
                           {"objective": "npv", "evaluated": 0, "currency": "ZAR", "rows": [], "best": None}],
        **state_samples,
    }
    return out


def purchase_samples():
    """plan.purchase's result: a one-year plan of the reference home priced by
    examples/finance.yaml (figures of a real run, rounded), and its parts."""
    size = {"pv_kwp": 4.95, "battery_kwh": 10.24, "inverter_kw": 5.0}
    capital = {"pv": 44551.86, "battery": 56320.0, "inverter": 22000.0, "installation": 25000.0, "total": 147871.86}
    totals = {"capital": 147871.86, "npv": -136035.9, "irr": None, "simple_payback_years": None,
              "discounted_payback_years": None, "lcoe_per_kwh": 32.2, "savings": 14137.92, "bill_without": 15000.55,
              "bill_with": 862.63, "outage_hours": 168.5, "unmet_hours_in_outages_without": 168.5,
              "unmet_hours_in_outages_with": 0.85, "outage_hours_avoided": 167.65, "outage_coverage": 0.995,
              "cost_per_outage_hour_avoided": 811.4, "battery_ageing_model": "lfp", "battery_share_last_year": 1.0,
              "battery_end_of_life_year": None}
    money = {"savings": 0.0, "export_revenue": 0.0, "capital": 147871.86, "maintenance": 0.0, "replacements": 0.0,
             "loan_payment": 0.0, "net": -147871.86, "cumulative": -147871.86, "discounted_cumulative": -147871.86}
    energy = ("battery_kwh", "battery_share", "battery_cycles", "pv_share", "pv_kwh", "load_kwh", "import_kwh",
              "export_kwh", "baseline_import_kwh", "baseline_export_kwh", "bill", "baseline_bill", "outage_hours",
              "unmet_hours_in_outages", "baseline_unmet_hours_in_outages")
    year0 = {"year": 0, **{k: None for k in energy}, **money}
    year1 = {"year": 1, "battery_kwh": 10.24, "battery_share": 1.0, "battery_cycles": 273.0, "pv_share": 1.0,
             "pv_kwh": 4932.2, "load_kwh": 4765.4, "import_kwh": 286.8, "export_kwh": 0.0,
             "baseline_import_kwh": 4733.2, "baseline_export_kwh": 0.0, "bill": 862.63, "baseline_bill": 15000.55,
             "outage_hours": 168.5, "unmet_hours_in_outages": 0.85, "baseline_unmet_hours_in_outages": 168.5,
             "savings": 14137.92, "export_revenue": 0.0, "capital": 0.0, "maintenance": 1000.0, "replacements": 0.0,
             "loan_payment": 0.0, "net": 13137.92, "cumulative": -134733.94, "discounted_cumulative": -136035.9}
    plan = {"plan_version": 1, "home": "Reference home, Cape Town", "currency": "ZAR", "years": 1,
            "baseline": "grid_only", "assumptions": ["each year is simulated at 60 s steps"],
            "finance": {"pv_per_kwp": 9000, "analysis_years": 1}, "size": size,
            "baseline_size": {"pv_kwp": 0.0, "battery_kwh": 0.0, "inverter_kw": 0.0}, "capital": capital,
            "totals": totals, "rows": [year0, year1]}
    return {"PurchasePlan": [plan], "PlanSize": [size], "PlanCapital": [capital], "PlanTotals": [totals],
            "PlanYear": [year0, year1]}
