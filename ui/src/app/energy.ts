// Pure helpers turning settlements into what the views show (no Angular, no I/O).
import { Settlement, TopologyEntry } from './generated';

export type Role = 'source' | 'storage' | 'grid' | 'load' | 'inverter' | 'environment';

export interface Flows {
  /** PV power into the bus [W]. */
  pvW: number;
  /** Battery power, + discharging into the bus, - charging [W]. */
  batteryW: number;
  /** Grid power, + importing, - exporting [W]. */
  gridW: number;
  /** Power of all loads together [W] (positive). */
  loadsW: number;
  /** Conversion losses [W]. */
  lossW: number;
}

/** Power of each device in the tick [W], + into the bus. */
export function powerOf(settlement: Settlement | null, id: string): number | null {
  if (!settlement) return null;
  const flow = settlement.e[id];
  return flow === undefined ? null : flow / settlement.dtS;
}

export function flows(settlement: Settlement | null, roles: Record<string, Role | string>): Flows {
  const out: Flows = { pvW: 0, batteryW: 0, gridW: 0, loadsW: 0, lossW: 0 };
  if (!settlement) return out;
  for (const [id, joules] of Object.entries(settlement.e)) {
    const w = joules / settlement.dtS;
    switch (roles[id]) {
      case 'source': out.pvW += w; break;
      case 'storage': out.batteryW += w; break;
      case 'grid': out.gridW += w; break;
      case 'load': out.loadsW -= w; break;
    }
  }
  out.lossW = settlement.lossJ / settlement.dtS;
  return out;
}

/** "1.23 kW" / "850 W". */
export function formatPower(w: number | null): string {
  if (w === null) return '—';
  const abs = Math.abs(w);
  return abs >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`;
}

/** A device's power on its card, without a sign, as in the flow view: what a load uses, what
 * PV gives, the battery charging or discharging, the grid importing or exporting ``w`` [W]
 * (+ into the home's bus). */
export function describePower(w: number | null, role: string | undefined): string {
  if (w === null) return '—';
  const abs = Math.abs(w);
  const p = abs >= 1000 ? `${(abs / 1000).toFixed(2)} kW` : `${Math.round(abs)} W`;
  if (abs < 1) return role === 'storage' ? `${p} idle` : p;
  if (role === 'storage') return `${p} ${w > 0 ? 'discharging' : 'charging'}`;
  if (role === 'grid') return `${p} ${w > 0 ? 'import' : 'export'}`;
  return p;
}

/** The simulated local time of a settlement, e.g. "2026-01-05 14:03". */
export function formatSimTime(unixS: number, timeZone: string): string {
  const d = new Date(unixS * 1000);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** Devices the UI flags: missing ones first. */
export function flagged(topology: Record<string, TopologyEntry>): string[] {
  return Object.entries(topology).filter(([, t]) => (t as any).status === 'missing').map(([id]) => id).sort();
}

/** A chart's polyline points for values over the last ticks, scaled into width x height. */
export function polyline(values: number[], width: number, height: number, min: number, max: number): string {
  if (values.length === 0) return '';
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - ((v - min) / span) * height).toFixed(1)}`)
    .join(' ');
}

/** Parse a server validation message "field: problem; other: problem" into field -> problem. */
export function fieldErrors(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of message.split('; ')) {
    const match = /^([A-Za-z0-9_.\[\]]+): (.*)$/.exec(part);
    if (match) out[match[1].split(/[.\[]/)[0]] = part;
    else out['_'] = (out['_'] ? out['_'] + '; ' : '') + part;
  }
  return out;
}
