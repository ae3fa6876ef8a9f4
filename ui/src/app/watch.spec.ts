import { Settlement } from './generated';
import { chartPoints, wattsTick } from './chart';
import { mergeHistory } from './bus';
import {
  accumulate, batteryState, curtailReason, formatDuration, formatLocalIso, homeFacts, niceTicks, outageSpans, paceLabel,
  pvPower, segments, selfSufficiency, timeTicks,
} from './watch';

const roles = { pv: 'source', bat: 'storage', grid: 'grid', oven: 'load', tv: 'load' };
// 2026-01-05 00:00 in Johannesburg (UTC+2) is 2026-01-04 22:00 UTC
const MIDNIGHT = Date.UTC(2026, 0, 4, 22) / 1000;

function s(tick: number, e: Record<string, number>, extra: Record<string, unknown> = {}): Settlement {
  return Settlement.unmarshal({
    tick, time: MIDNIGHT + tick * 60, dt_s: 60, e, demand: {}, loss_j: 0, curtailed_j: 0, soc: 0.5, grid_on: true,
    cost: 0.1, pv_surplus_w: 0, missing: [], off: [], ...extra,
  });
}

describe('watch: the power flow', () => {
  it('gives PV used, available and curtailed, and says why', () => {
    const p = pvPower(s(1, { pv: 6360 }, { curtailed_j: 228000 }), roles);
    expect(p.usedW).toBe(106);
    expect(p.availableW).toBe(3906);
    expect(p.curtailedW).toBe(3800);
    expect(curtailReason(p.curtailedW, 1, true, false, 0)).toBe('battery full, no export');
    expect(curtailReason(p.curtailedW, 0.5, false, true, -5000)).toBe('battery at its charge limit, grid down');
    expect(curtailReason(0, 1, true, false, 0)).toBe('');
  });

  it('gives the time to full or empty at the present rate, down to the floor', () => {
    const cap = 10 * 3.6e6; // 10 kWh
    const charging = batteryState(-2000, 0.8, cap, 0.1); // 2 kWh to go at 2 kW: 1 h
    expect(charging.words).toBe('charging');
    expect(charging.towards).toBe('full');
    expect(charging.seconds).toBeCloseTo(3600, 6);
    const discharging = batteryState(500, 0.35, cap, 0.1); // 2.5 kWh above the floor at 0.5 kW: 5 h
    expect(discharging.towards).toBe('empty');
    expect(discharging.seconds).toBeCloseTo(18000, 6);
    expect(batteryState(0, 0.5, cap, 0.1).words).toBe('idle');
    expect(batteryState(100, null, null, 0).words).toBe('no battery');
    expect(formatDuration(3600)).toBe('1 h 00 min');
    expect(formatDuration(18000 + 300)).toBe('5 h 05 min');
    expect(formatDuration(2400)).toBe('40 min');
    expect(formatDuration(3 * 86400)).toBe('3 d 0 h');
  });

  it('reads capacity, floor, export and circuits from the home', () => {
    const f = homeFacts({ devices: [
      { id: 'battery', kind: 'battery', capacity_kwh: 10, soc_min: 0.05 },
      { id: 'inverter', kind: 'inverter', work_mode: 'limited_to_home', battery_shutdown_soc: 0.1 },
      { id: 'geyser', kind: 'geyser', circuit: 'non_essential' }, { id: 'tv', kind: 'tv' }] });
    expect(f.batteryJ).toBe(3.6e7);
    expect(f.socFloor).toBe(0.1);
    expect(f.exportAllowed).toBe(false);
    expect(f.circuit['geyser']).toBe('non_essential');
    expect(f.circuit['tv']).toBe('essential');
  });

  it('shows outage times in the home\'s time zone, with the day when not today', () => {
    expect(formatLocalIso('2026-01-05T18:30:00+02:00', 'Africa/Johannesburg', '2026-01-05')).toBe('18:30');
    expect(formatLocalIso('2026-01-06T05:00:00+02:00', 'Africa/Johannesburg', '2026-01-05')).toBe('Tue 01-06 05:00');
    expect(formatLocalIso(null, 'UTC', '')).toBe('—');
  });

  it('says the pace held', () => {
    expect(paceLabel(30, 60)).toBe('1,800×');
    expect(paceLabel(0.0167, 60)).toBe('1.0×');
  });
});

describe('watch: today', () => {
  it('accumulates kWh, cost and self-sufficiency of the local day, starting again at midnight', () => {
    const kwh = 3.6e6 / 60; // J per tick of 1 kW
    let t = accumulate(null, s(0, { pv: 2 * kwh, bat: -1 * kwh, grid: 0.5 * kwh, oven: -1.5 * kwh }, { curtailed_j: kwh }), roles, 'Africa/Johannesburg');
    t = accumulate(t, s(1, { pv: 0, bat: 0.5 * kwh, grid: -0.25 * kwh, oven: -0.25 * kwh }), roles, 'Africa/Johannesburg');
    t = accumulate(t, s(1, { pv: 99 * kwh }), roles, 'Africa/Johannesburg'); // replayed tick: ignored
    expect(t.day).toBe('2026-01-05');
    expect(t.ticks).toBe(2);
    expect(t.pvKWh * 60).toBeCloseTo(2, 9);
    expect(t.pvAvailableKWh * 60).toBeCloseTo(3, 9);
    expect(t.loadKWh * 60).toBeCloseTo(1.75, 9);
    expect(t.importKWh * 60).toBeCloseTo(0.5, 9);
    expect(t.exportKWh * 60).toBeCloseTo(0.25, 9);
    expect(t.batteryInKWh * 60).toBeCloseTo(1, 9);
    expect(t.batteryOutKWh * 60).toBeCloseTo(0.5, 9);
    expect(t.cost).toBeCloseTo(0.2, 9);
    expect(selfSufficiency(t)).toBeCloseTo(1 - 0.5 / 1.75, 9);
    const next = accumulate(t, s(1440, { pv: kwh }), roles, 'Africa/Johannesburg');
    expect(next.day).toBe('2026-01-06');
    expect(next.ticks).toBe(1);
  });

  it('merges the recorder\'s history with live settlements by tick', () => {
    const merged = mergeHistory([s(1, {}), s(2, {}), s(3, {})], [s(3, {}), s(4, {})], 3);
    expect(merged.map((x) => x.tick)).toEqual([2, 3, 4]);
  });
});

describe('watch: chart scales', () => {
  it('picks nice ticks with units', () => {
    expect(niceTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(-3000, 4000, 5)).toEqual([-2000, 0, 2000, 4000]);
    expect(niceTicks(-3000, 4000, 5)).toContain(0);
    expect(wattsTick(2000)).toBe('2 kW');
    expect(wattsTick(-500)).toBe('-500 W');
    expect(wattsTick(0)).toBe('0');
  });

  it('labels whole local hours', () => {
    const ticks = timeTicks(MIDNIGHT, MIDNIGHT + 12 * 3600, 'Africa/Johannesburg');
    expect(ticks[0].label).toBe('00:00');
    expect(ticks.map((t) => t.label)).toContain('12:00');
    expect(ticks.length).toBeLessThanOrEqual(9);
  });

  it('leaves a gap where the SoC is missing, not a 0', () => {
    const lines = segments([0, 1, 2, 3], [0.5, null, 0.4, 0.3], (x) => x, (y) => y);
    expect(lines).toEqual(['0.0,0.5', '2.0,0.4 3.0,0.3']);
    const p = chartPoints([s(0, { pv: 60000 }, { soc: null })], roles);
    expect(p[0].soc).toBeNull();
    expect(p[0].pv).toBe(1000);
  });

  it('shades outages as merged spans', () => {
    const h = [s(0, {}), s(1, {}, { grid_on: false }), s(2, {}, { grid_on: false }), s(3, {}), s(4, {}, { grid_on: false })];
    expect(outageSpans(h)).toEqual([
      { start: MIDNIGHT + 60, end: MIDNIGHT + 180 }, { start: MIDNIGHT + 240, end: MIDNIGHT + 300 }]);
  });
});
