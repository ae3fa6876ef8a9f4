"""Prometheus metrics of a live home's processes.

Every process serves its own ``/metrics`` on ``$HOMESIM_METRICS_ADDR:$HOMESIM_METRICS_PORT``
(address 127.0.0.1 unless set, 0.0.0.0 in the images; no server when the port is unset or 0);
``homesim up`` lists them in a file_sd targets file. Every series carries its own ``home``
(and ``device``, ``kind``, ``process``) labels; the shipped scrape configs honour them
(``honor_labels: true``, ``honorLabels`` in the chart's PodMonitor), so no ``exported_*``
label appears.
Metric names follow Prometheus conventions (base units, ``_total`` counters):

``homesim_device_power_watts{home,device,kind}``
    Power of the device's flow in the last settled tick [W]; positive into the home's bus
    (PV, battery discharge, grid import), negative out of it (loads, charge, export). Only
    devices with an energy flow have it: not the sun, the weather or the inverter. A device
    running ahead (PV, the grid, a profile load) takes it, its energy counters and its tick
    from the inverter's ``progress`` (at most 0.5 s behind while ticks settle).
``homesim_device_energy_joules_total{home,device,kind,direction}``
    Energy by direction, ``in`` (into the bus) or ``out`` (out of it) [J]; energy devices
    only, as above. Counters start at 0 when a process starts; Prometheus treats the drop as
    a counter reset.
``homesim_pv_curtailed_watts{home}`` and ``homesim_pv_curtailed_joules_total{home}``
    PV power available but not used in the last settled tick [W] and PV energy curtailed so
    far [J] (the settlement's ``curtailed_j``), inverter.
``homesim_battery_soc_ratio{home,device}``
    Battery state of charge (0..1).
``homesim_grid_on{home,device}``
    1 while the grid is up, 0 in an outage or load-shedding.
``homesim_cost_total{home,currency}``
    Cost of grid energy so far (import cost minus export credit) [currency], inverter; the
    ``currency`` label is the home's ISO 4217 code (e.g. ``ZAR``).
``homesim_tick_lag_seconds{home,device}``
    Wall time from the clock publishing a tick to this process taking its settlement [s].
``homesim_settled_ticks_total{home}`` and ``homesim_missing_devices{home}``
    Ticks settled and devices missing from the last one (inverter).
``homesim_barrier_timeouts_total{home}``
    Ticks the inverter settled when its barrier ran out (some present device had not reported);
    a device the watcher marked missing is no longer waited for, so it adds none (inverter).
``homesim_dropped_events_total{home}`` and ``homesim_settlement_failures_total{home}``
    Energy events the inverter dropped as physically impossible (the device is missing from
    those ticks), and ticks it could not settle with the events it had (settled with none of
    them) (inverter).
``homesim_clock_unsettled_ticks_total{home}``
    Ticks the clock stopped publishing again: not settled after its tries (clock).
``homesim_tick{home,process}``
    The last tick this process handled.
``homesim_bus_connected{home,process}``
    1 while this process has a session on the router (the images' health check reads it).
``homesim_recorder_pending_settlements{home}`` and ``homesim_recorder_write_errors_total{home}``
    Settlements the recorder holds because its database refuses writes, and the failed writes.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


#: Whether this process has a session on the router now (set by ``homesim.bus.session``).
BUS = {"connected": False}


def metrics_port() -> int:
    return int(os.environ.get("HOMESIM_METRICS_PORT", "0") or 0)


class ProcessMetrics:
    """A registry served on this process's metrics port."""

    def __init__(self, home: str, process: str) -> None:
        self.registry = CollectorRegistry()
        self.home = home
        self.process = process
        self.tick = Gauge("homesim_tick", "Last tick this process handled (every service too)", ["home", "process"],
                          registry=self.registry).labels(home, process)
        Gauge("homesim_bus_connected", "1 while this process has a session on the router (the images' health check)", ["home", "process"],
              registry=self.registry).labels(home, process).set_function(lambda: 1.0 if BUS["connected"] else 0.0)
        port = metrics_port()
        if port:
            try:
                start_http_server(port, addr=os.environ.get("HOMESIM_METRICS_ADDR", "127.0.0.1"), registry=self.registry)
            except OSError as error:  # the run goes on; only the metrics are missing
                logging.getLogger("homesim.bus").error("metrics: can't serve on port %d: %s", port, error)


class ClockMetrics(ProcessMetrics):
    """The clock's: ticks it gave up publishing again."""

    def __init__(self, home: str) -> None:
        super().__init__(home, "clock")
        self.unsettled = Counter("homesim_clock_unsettled_ticks", "Ticks the clock stopped publishing again, not "
                                 "settled after its tries (the inverter's log says why)", ["home"],
                                 registry=self.registry).labels(home)


class DeviceMetrics(ProcessMetrics):
    """What a device (or the inverter) exposes, updated from each settlement."""

    def __init__(self, home: str, device_id: str, kind: str, currency: str = "",
                 exports: frozenset[str] = frozenset({"flow"}), role: str = "") -> None:
        """``exports``: what the device's kind says its process exports (``DeviceConfig.METRICS``);
        ``role`` labels its power and energy (``source``, ``load``...), what dashboards sum by."""
        super().__init__(home, device_id)
        self.device_id = device_id
        labels = [home, device_id, kind, role]
        self.power = self.energy_in = self.energy_out = None
        if "flow" in exports:
            self.power = Gauge("homesim_device_power_watts", "Power of the device's flow in the last tick, + into the home's bus [W]; devices "
                               "with an energy flow only (not the sun, weather or inverter)",
                               ["home", "device", "kind", "role"], registry=self.registry).labels(*labels)
            energy = Counter("homesim_device_energy_joules", "Energy into (direction in) and out of (out) the home's bus [J]; "
                             "energy devices only",
                             ["home", "device", "kind", "role", "direction"], registry=self.registry)
            self.energy_in = energy.labels(*labels, "in")
            self.energy_out = energy.labels(*labels, "out")
        self.lag = Gauge("homesim_tick_lag_seconds", "Wall time from the clock's tick to this process taking its settlement [s]",
                         ["home", "device"], registry=self.registry).labels(home, device_id)
        self.soc = self.grid_on = self.cost = self.settled_ticks = self.missing = self.barrier_timeouts = None
        self.dropped_events = self.settle_failures = None
        self.curtailed_power = self.curtailed_energy = None
        if "battery_soc" in exports:
            self.soc = Gauge("homesim_battery_soc_ratio", "Battery state of charge [0..1]", ["home", "device"],
                             registry=self.registry).labels(home, device_id)
        if "grid_on" in exports:
            self.grid_on = Gauge("homesim_grid_on", "1 while the grid is up, 0 in an outage or load-shedding", ["home", "device"],
                                 registry=self.registry).labels(home, device_id)
        if "settlement" in exports:
            # A gauge: export credit can make it fall.
            self.cost = Gauge("homesim_cost_total", "Cost of grid energy so far, import cost minus export credit "
                              "(a gauge: export credit lowers it); the currency label is the home's ISO 4217 code [currency]", ["home", "currency"],
                              registry=self.registry).labels(home, currency)
            self.curtailed_power = Gauge("homesim_pv_curtailed_watts", "PV power available but not used in the "
                                         "last tick: the settlement's curtailed_j / dt_s [W]", ["home"], registry=self.registry).labels(home)
            self.curtailed_energy = Counter("homesim_pv_curtailed_joules", "PV energy curtailed so far: the sum of curtailed_j [J]", ["home"],
                                            registry=self.registry).labels(home)
            self.settled_ticks = Counter("homesim_settled_ticks", "Ticks the inverter settled", ["home"],
                                         registry=self.registry).labels(home)
            self.missing = Gauge("homesim_missing_devices", "Devices missing from the last settlement", ["home"],
                                 registry=self.registry).labels(home)
            self.dropped_events = Counter("homesim_dropped_events", "Energy events the inverter dropped as physically "
                                          "impossible (PV at night, beyond a rating, a battery beyond its capacity): "
                                          "the device is missing from those ticks", ["home"],
                                          registry=self.registry).labels(home)
            self.settle_failures = Counter("homesim_settlement_failures", "Ticks the inverter could not settle with "
                                           "the events it had (the settlement would break its contract): settled "
                                           "with none of them", ["home"], registry=self.registry).labels(home)
            self.barrier_timeouts = Counter("homesim_barrier_timeouts", "Ticks the inverter settled when its barrier ran out before "
                                            "every present device reported (a device marked missing is no longer waited for)",
                                            ["home"], registry=self.registry).labels(home)

    @classmethod
    def start(cls, home: str, device: Any, currency: str = "") -> "DeviceMetrics":
        return cls(home, device.id, device.kind, currency, device.METRICS, device.ROLE)

    def settled(self, settlement: dict[str, Any], _settle_s: float | None = None) -> None:
        """Take one settlement (a device answering ticks, and the inverter)."""
        flow = settlement["e"].get(self.device_id)
        if self.power is not None and flow:
            if flow > 0:
                self.energy_in.inc(flow)
            else:
                self.energy_out.inc(-flow)
        if self.cost is not None:
            self.cost.inc(float(settlement["cost"]))
            self.settled_ticks.inc()
            self.missing.set(len(settlement["missing"]))
            curtailed = int(settlement.get("curtailed_j", 0))
            self.curtailed_power.set(curtailed / settlement["dt_s"])
            self.curtailed_energy.inc(curtailed)
        self.latest(settlement)

    def progressed(self, progress: dict[str, Any], flows: bool = True) -> None:
        """Take the inverter's progress (a device that runs ahead, the sun, the weather): the
        energy counters from its flows (``flows`` False: the retained one a restarted process
        gets, which its previous process counted), the rest from its last settlement."""
        mine = progress["flows"].get(self.device_id) if flows else None
        if self.power is not None and mine:
            self.energy_in.inc(mine["in_j"])
            self.energy_out.inc(mine["out_j"])
        if progress["settled"] is not None:
            self.latest(progress["settled"])

    def latest(self, settlement: dict[str, Any]) -> None:
        """The gauges of the last settlement."""
        self.tick.set(settlement["tick"])
        sent = settlement.get("tick_sent")
        if sent:
            self.lag.set(max(0.0, time.time() - float(sent)))
        flow = settlement["e"].get(self.device_id)
        if self.power is not None:
            self.power.set(0.0 if flow is None else flow / settlement["dt_s"])
        if self.soc is not None and settlement.get("soc") is not None:
            self.soc.set(settlement["soc"])
        if self.grid_on is not None:
            self.grid_on.set(1.0 if settlement["grid_on"] else 0.0)
