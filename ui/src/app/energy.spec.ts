import { Settlement } from './generated';
import { describePower, fieldErrors, flows, formatPower, formatSimTime, polyline, powerOf } from './energy';

function settlement(e: Record<string, number>, lossJ = 600): Settlement {
  return Settlement.unmarshal({
    tick: 3, time: 1767564000, dt_s: 60, e, demand: {}, loss_j: lossJ, curtailed_j: 0, soc: 0.5, grid_on: true,
    cost: 0.1, pv_surplus_w: 0, missing: [], off: [],
  });
}

describe('energy', () => {
  const roles = { pv: 'source', bat: 'storage', grid: 'grid', oven: 'load', tv: 'load' };

  it('turns a settlement into flows in watts with the bus sign convention', () => {
    const f = flows(settlement({ pv: 120000, bat: -30000, grid: 6000, oven: -90000, tv: -5400 }), roles);
    expect(f.pvW).toBe(2000);
    expect(f.batteryW).toBe(-500); // charging
    expect(f.gridW).toBe(100); // importing
    expect(f.loadsW).toBe(1590); // positive consumption
    expect(f.lossW).toBe(10);
  });

  it('gives null power for a device that took no part', () => {
    const s = settlement({ pv: 600 });
    expect(powerOf(s, 'pv')).toBe(10);
    expect(powerOf(s, 'oven')).toBeNull();
    expect(powerOf(null, 'pv')).toBeNull();
  });

  it('formats power and simulated local time', () => {
    expect(formatPower(850.4)).toBe('850 W');
    expect(formatPower(-3000)).toBe('-3.00 kW');
    expect(formatPower(null)).toBe('—');
    // cards: no signs, the direction in words (as the flow view)
    expect(describePower(-90.2, 'load')).toBe('90 W');
    expect(describePower(-1500, 'storage')).toBe('1.50 kW charging');
    expect(describePower(106, 'storage')).toBe('106 W discharging');
    expect(describePower(0, 'storage')).toBe('0 W idle');
    expect(describePower(-250, 'grid')).toBe('250 W export');
    expect(describePower(3200, 'source')).toBe('3.20 kW');
    expect(formatSimTime(1767564000, 'Africa/Johannesburg')).toBe('2026-01-05 00:00');
  });

  it('scales a polyline into the box, top is max', () => {
    expect(polyline([0, 5, 10], 100, 50, 0, 10)).toBe('0.0,50.0 50.0,25.0 100.0,0.0');
    expect(polyline([], 100, 50, 0, 10)).toBe('');
  });

  it('splits a server validation message by field', () => {
    const errors = fieldErrors('rated_power_w: -5 is not allowed: must be > 0; cooking[0].start: bad time');
    expect(errors['rated_power_w']).toContain('must be > 0');
    expect(errors['cooking']).toContain('bad time');
    expect(fieldErrors('set oven: give the properties')['_']).toContain('give the properties');
  });
});
