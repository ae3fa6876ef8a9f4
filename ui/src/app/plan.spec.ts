import { bars, parseValues } from './plan';
import { normalSlots, sixSlots } from './inverter-settings';

describe('plan and inverter helpers', () => {
  it('parses what-if values', () => {
    expect(parseValues('5, 10.5,15')).toEqual([5, 10.5, 15]);
    expect(parseValues('LFP, true')).toEqual(['LFP', true]);
    expect(parseValues(' , ')).toEqual([]);
  });

  it('scales bars to the largest magnitude', () => {
    const b = bars([{ cost: 10 }, { cost: -20 }], 'cost', 200);
    expect(b.map((x) => x.w)).toEqual([100, 200]);
    expect(b[1].value).toBe(-20);
  });

  it('shows six program slots and stores them sorted without duplicate starts', () => {
    const six = sixSlots([{ start: '22:00', power_w: 3000, soc: 0.35, grid_charge: true },
      { start: '05:00', power_w: 5000, soc: 0.3, grid_charge: false }]);
    expect(six.length).toBe(6);
    expect(normalSlots(six).map((s) => s.start)).toEqual(['05:00', '22:00']);
  });
});
