// Pure helpers of the WATCH side (no Angular, no I/O): what a homeowner reads off the power
// flow (PV used and available, curtailment and why, battery time to full/empty, outages), the
// day's totals accumulated from settlements, and the chart's scales.
import { Settlement } from './generated';
import { deviceOfRole, roleOf } from './kinds';

/** What the UI needs to know about the home's devices (from the controller's desired home). */
export interface HomeFacts {
  /** Battery capacity [J] (null: no battery). */
  batteryJ: number | null;
  /** The SoC the battery is not discharged below (the larger of soc_min and the inverter's shutdown SoC). */
  socFloor: number;
  /** Whether the inverter may export (work mode and export limit). */
  exportAllowed: boolean;
  /** Load id -> 'essential' | 'non_essential'. */
  circuit: Record<string, string>;
}

export function homeFacts(home: any): HomeFacts {
  const devices: any[] = home?.devices ?? [];
  const battery = devices.find((d) => roleOf(d) === 'storage' && d.enabled !== false);
  const inverter = deviceOfRole(devices, 'inverter');
  const grid = deviceOfRole(devices, 'grid');
  const circuit: Record<string, string> = {};
  for (const d of devices) if (d.id) circuit[d.id] = d.circuit ?? 'essential';
  const mode = inverter?.work_mode ?? 'selling_first';
  return {
    batteryJ: battery ? Number(battery.capacity_kwh ?? 0) * 3.6e6 : null,
    socFloor: Math.max(Number(battery?.soc_min ?? 0), Number(inverter?.battery_shutdown_soc ?? 0)),
    exportAllowed: mode !== 'limited_to_home' && mode !== 'zero_export' && grid?.export_limit_w !== 0,
    circuit,
  };
}

/** PV: what was used and what the arrays could have given [W]; curtailed = available - used. */
export function pvPower(s: Settlement | null, roles: Record<string, string>): { usedW: number; availableW: number; curtailedW: number } {
  if (!s) return { usedW: 0, availableW: 0, curtailedW: 0 };
  let used = 0;
  for (const [id, j] of Object.entries(s.e)) if (roles[id] === 'source') used += j;
  const curtailed = s.curtailedJ;
  return { usedW: used / s.dtS, availableW: (used + curtailed) / s.dtS, curtailedW: curtailed / s.dtS };
}

/** Why PV was curtailed, in words ("battery full, no export"); '' when nothing was. */
export function curtailReason(curtailedW: number, soc: number | null, gridOn: boolean, exportAllowed: boolean,
  batteryW: number): string {
  if (curtailedW < 1) return '';
  const why: string[] = [];
  if (soc === null) why.push('no battery');
  else if (soc >= 0.985) why.push('battery full');
  else if (batteryW < -1) why.push('battery at its charge limit');
  if (!gridOn) why.push('grid down');
  else if (!exportAllowed) why.push('no export');
  else why.push('export limit');
  return why.join(', ');
}

/** The battery in words: charging / discharging / idle, and the time to full / empty at the present rate. */
export function batteryState(batteryW: number, soc: number | null, capacityJ: number | null, floor: number):
  { words: string; seconds: number | null; towards: 'full' | 'empty' | null } {
  if (soc === null) return { words: 'no battery', seconds: null, towards: null };
  if (Math.abs(batteryW) < 5) return { words: 'idle', seconds: null, towards: null };
  if (!capacityJ) return { words: batteryW < 0 ? 'charging' : 'discharging', seconds: null, towards: null };
  if (batteryW < 0) return { words: 'charging', seconds: (Math.max(0, 1 - soc) * capacityJ) / -batteryW, towards: 'full' };
  return { words: 'discharging', seconds: (Math.max(0, soc - floor) * capacityJ) / batteryW, towards: 'empty' };
}

/** "2 h 05 min", "40 min", "3 d 4 h". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  if (h >= 48) return `${Math.floor(h / 24)} d ${h % 24} h`;
  return `${h} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Watts without a sign (the direction is said in words or arrows): "3.90 kW", "106 W". */
export function formatWatts(w: number): string {
  const abs = Math.abs(w);
  return abs >= 1000 ? `${(abs / 1000).toFixed(2)} kW` : `${Math.round(abs)} W`;
}

export function formatKWh(kwh: number): string {
  return `${kwh.toFixed(kwh >= 100 ? 0 : kwh >= 10 ? 1 : 2)} kWh`;
}

export function formatPercent(share: number | null | undefined): string {
  return typeof share === 'number' && Number.isFinite(share) ? `${Math.round(share * 100)} %` : '—';
}

/** Local parts of an instant in the home's time zone. */
export function localParts(unixS: number, timeZone: string): { day: string; hhmm: string; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    weekday: 'short',
  }).formatToParts(new Date(unixS * 1000));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: `${get('year')}-${get('month')}-${get('day')}`, hhmm: `${get('hour')}:${get('minute')}`, weekday: get('weekday') };
}

/** An ISO time from the bus ("2026-01-05T18:30:00+02:00") as the home's local "18:30" (with the weekday
 * and date when not on ``today``). */
export function formatLocalIso(iso: string | null | undefined, timeZone: string, today: string): string {
  if (!iso) return '—';
  const p = localParts(Date.parse(iso) / 1000, timeZone);
  return p.day === today ? p.hhmm : `${p.weekday} ${p.day.slice(5)} ${p.hhmm}`;
}

/** The day's energy so far [kWh] and cost, from settlements of one local day. */
export interface DayTotals {
  day: string;
  ticks: number;
  lastTick: number;
  pvKWh: number;
  pvAvailableKWh: number;
  loadKWh: number;
  importKWh: number;
  exportKWh: number;
  batteryInKWh: number;
  batteryOutKWh: number;
  cost: number;
}

export function emptyDay(day: string): DayTotals {
  return { day, ticks: 0, lastTick: -1, pvKWh: 0, pvAvailableKWh: 0, loadKWh: 0, importKWh: 0, exportKWh: 0,
    batteryInKWh: 0, batteryOutKWh: 0, cost: 0 };
}

const KWH = 3.6e6;

/** Add one settlement to the day's totals: a new local day starts again at 0; a tick already
 * counted (or older) is ignored, so settlements may be replayed. */
export function accumulate(totals: DayTotals | null, s: Settlement, roles: Record<string, string>, timeZone: string): DayTotals {
  const day = localParts(s.time, timeZone).day;
  let t = totals && totals.day === day ? totals : emptyDay(day);
  if (totals && totals.day > day) return totals; // an older day's tick
  if (s.tick <= t.lastTick) return t;
  t = { ...t, ticks: t.ticks + 1, lastTick: s.tick, cost: t.cost + s.cost, pvAvailableKWh: t.pvAvailableKWh + s.curtailedJ / KWH };
  for (const [id, j] of Object.entries(s.e)) {
    const kwh = j / KWH;
    switch (roles[id]) {
      case 'source': t.pvKWh += kwh; t.pvAvailableKWh += kwh; break;
      case 'load': t.loadKWh -= kwh; break;
      case 'grid': if (kwh > 0) t.importKWh += kwh; else t.exportKWh -= kwh; break;
      case 'storage': if (kwh > 0) t.batteryOutKWh += kwh; else t.batteryInKWh -= kwh; break;
    }
  }
  return t;
}

/** Share of the load served not bought from the grid (as the recorder's reports): 1 - import / load. */
export function selfSufficiency(t: DayTotals): number | null {
  return t.loadKWh > 0 ? Math.max(0, 1 - t.importKWh / t.loadKWh) : null;
}

/** "Nice" axis ticks covering [min, max] (1, 2, 5 x 10^n steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Time axis ticks at whole local hours (every 1, 2, 3, 6 or 12 h so that at most ~8 show). */
export function timeTicks(t0: number, t1: number, timeZone: string): { t: number; label: string }[] {
  if (!(t1 > t0)) return [];
  const hours = (t1 - t0) / 3600;
  const every = [1, 2, 3, 6, 12, 24].find((h) => hours / h <= 8) ?? 24;
  const out: { t: number; label: string }[] = [];
  // local hours: step through UTC hours and keep those whose local hour is a multiple of `every`
  for (let t = Math.ceil(t0 / 3600) * 3600; t <= t1; t += 3600) {
    const hhmm = localParts(t, timeZone).hhmm;
    if (hhmm.endsWith(':00') && Number(hhmm.slice(0, 2)) % every === 0) out.push({ t, label: hhmm });
  }
  return out;
}

/** A linear scale from a domain onto a pixel range. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Polyline point lists, broken where a value is null (a gap, not a 0). */
export function segments(xs: number[], values: (number | null)[], x: (v: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined || !Number.isFinite(v)) {
      if (current.length) out.push(current.join(' '));
      current = [];
    } else current.push(`${x(xs[i]).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) out.push(current.join(' '));
  return out;
}

/** Spans [start, end) of ticks with the grid off, from settlements in tick order. */
export function outageSpans(history: Settlement[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const s of history) {
    if (s.gridOn) continue;
    const last = out[out.length - 1];
    if (last && last.end >= s.time) last.end = s.time + s.dtS;
    else out.push({ start: s.time, end: s.time + s.dtS });
  }
  return out;
}

/** The pace held: "1,800×" from ticks per wall second and the tick length. */
export function paceLabel(ticksPerS: number, dtS: number): string {
  const x = ticksPerS * dtS;
  return `${x >= 10 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)}×`;
}
