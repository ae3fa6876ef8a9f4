import { fieldsOf } from './property-form';

describe('property form fields from the generated device schemas', () => {
  it('lists a kind’s properties with units, ranges and enums, simple ones first', () => {
    const fields = fieldsOf('oven');
    const power = fields.find((f) => f.name === 'rated_power_w')!;
    expect(power.unit).toBe('W');
    expect(power.min).toBe(0);
    expect(power.max).toBe(20000);
    expect(fields.find((f) => f.name === 'circuit')!.enum).toEqual(['essential', 'non_essential']);
    const cooking = fields.findIndex((f) => f.name === 'cooking');
    expect(fields[cooking].json).toBe(true);
    expect(fields.slice(0, cooking).every((f) => !f.json)).toBe(true);
    expect(fields.map((f) => f.name)).not.toContain('id');
  });

  it('knows nothing of an unknown kind', () => {
    expect(fieldsOf('toaster')).toEqual([]);
  });
});
