"""A representative payload of every message model of the contract (some with optional
fields null or absent), built from real runs where the model carries real data."""

from __future__ import annotations

from homesim import messages as m
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
    role_of = {d.id: (d.kind, d.ROLE) for d in home.devices}
    state_samples: dict[str, list[dict]] = {}
    for device_id, state in states.items():
        kind, role = role_of[device_id]
        state_samples.setdefault(m.state_model(kind, role).__name__, []).append(state)
    view = {"id": "tv", "kind": "tv", "role": "load", "properties": home.device("tv").model_dump(mode="json"),
            "state": states["tv"]}
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
        "BatterySetpoint": [{"tick": 5, "battery_j": -30000, "power_w": -500.0}],
        "DeviceView": [view],
        "ClockState": [{"tick": 12, "dt_s": 60, "speed": 20.0, "paused": False, "simulated_s_per_wall_s": 1200.0},
                       {"tick": 0, "dt_s": 60, "speed": "max", "paused": True, "simulated_s_per_wall_s": None}],
        "TopologyEntry": list(topology["devices"].values()),
        "Topology": [topology],
        "DeviceSummary": summaries[:2],
        "DesiredHome": [{"version": 3, "devices": summaries, "home": home.model_dump(mode="json")}],
        "Empty": [{}],
        "SetProperties": [{"power_w": 2000}, {"switch": {"timers": [{"start": "04:00", "end": "06:00"}]}}],
        "SetSpeed": [{"speed": 60.0}, {"speed": "max"}],
        "AddDevice": [{"device": {"kind": "oven", "id": "oven2", "rated_power_w": 2500}}],
        "DeviceId": [{"id": "oven2"}],
        "SwitchDevice": [{"id": "tv", "on": False}],
        "AddResult": [{"id": "oven2", "kind": "oven", "enabled": True}],
        "RemoveResult": [{"id": "oven2", "removed": True}],
        "SwitchResult": [{"id": "tv", "enabled": False}],
        "RecordCount": [{"ticks": 10, "last": 9}, {"ticks": 0, "last": -1}],
        "SettlementsSince": [{"tick": 4, "limit": 100}],
        "ReportRequest": [{}, {"only": "2026-01-05"}],
        "ReportRows": [{"by": "day", "columns": ["period", "cost"], "rows": [{"period": "2026-01-05", "cost": 0.37}],
                        "currency": "ZAR"}],
        "PlanRequest": [{"vary": {"battery.capacity_kwh": [5, 10.24]}, "days": 2}],
        "PlanResult": [{"rows": [{"battery.capacity_kwh": 5, "cost": 41.2, "self_sufficiency": 0.61,
                                  "unmet_hours_in_outages": 0.0, "grid_import_kwh": 12.5, "pv_kwh": 40.1,
                                  "outage_coverage": 1.0}],
                        "columns": ["battery.capacity_kwh", "cost", "self_sufficiency", "unmet_hours_in_outages",
                                    "grid_import_kwh", "pv_kwh", "outage_coverage"], "days": 2.0, "currency": "ZAR"}],
        **state_samples,
    }
    return out
