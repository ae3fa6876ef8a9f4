import { KINDS, PALETTE, newDevice, zoneOfRole } from './kinds';

describe('device kinds from the generated kinds file', () => {
  it('offers the palette in the models’ order, with names and icons, and not the sun', () => {
    expect(PALETTE[0].kind).toBe('pv_array');
    expect(PALETTE.map((k) => k.kind)).not.toContain('sun');
    expect(PALETTE.every((k) => k.label && k.icon)).toBe(true);
    expect(KINDS['oven'].label).toBe('Oven');
  });

  it('adds a load on its usual circuit, or on the circuit it is dropped into', () => {
    expect(newDevice('oven')).toEqual({ kind: 'oven', circuit: 'non_essential' });
    expect(newDevice('fridge')).toEqual({ kind: 'fridge', circuit: 'essential' });
    expect(newDevice('fridge', 'non_essential')).toEqual({ kind: 'fridge', circuit: 'non_essential' });
    expect(newDevice('battery', 'essential')).toEqual({ kind: 'battery' });
    expect(zoneOfRole('load', undefined)).toBe('essential');
    expect(zoneOfRole('source', null)).toBe('roof');
  });
});
