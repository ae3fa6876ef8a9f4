import { TestBed } from '@angular/core/testing';

import { Bus, BusError } from './bus';
import { PropertyForm, fieldsOf, toPercent } from './property-form';

describe('property form fields from the generated device schemas', () => {
  it('lists a kind’s properties with human labels, units, ranges and enums, in the model’s order', () => {
    const fields = fieldsOf('oven');
    const power = fields.find((f) => f.name === 'rated_power_w')!;
    expect(power.label).toBe('Element power');
    expect(power.unit).toBe('W');
    expect(power.help).not.toContain('[');
    expect(power.min).toBe(0);
    expect(power.max).toBe(20000);
    expect(power.editor).toBe('number');
    expect(fields.find((f) => f.name === 'circuit')!.enum).toEqual(['essential', 'non_essential']);
    const cooking = fields.findIndex((f) => f.name === 'cooking');
    expect(fields[cooking].editor).toBe('windows');
    // name and circuit first, the oven's own properties as the model declares them, the switch last
    expect(fields.map((f) => f.name)).toEqual(['name', 'circuit', 'rated_power_w', 'setpoint_c', 'hysteresis_k',
      'heat_capacity_j_per_k', 'loss_w_per_k', 'ambient_c', 'cooking', 'switch']);
    expect(fields.map((f) => f.name)).not.toContain('id');
  });

  it('has an editor for everything a person sets on a load, and no JSON', () => {
    for (const kind of ['oven', 'geyser', 'kettle', 'fridge', 'tv', 'lights', 'generic_load', 'battery', 'pv_array',
      'ev_charger', 'heat_pump_water_heater', 'pool_pump']) {
      expect(fieldsOf(kind).filter((f) => f.json).map((f) => `${kind}.${f.name}`)).toEqual([]);
    }
    const editors = Object.fromEntries(fieldsOf('kettle').map((f) => [f.name, f.editor]));
    expect(editors).toMatchObject({ uses: 'times', days: 'days', switch: 'switch', efficiency: 'percent' });
    expect(fieldsOf('lights').find((f) => f.name === 'on')!.editor).toBe('windows');
    expect(fieldsOf('tv').find((f) => f.name === 'watching')!.editor).toBe('windows');
    expect(fieldsOf('generic_load').find((f) => f.name === 'hourly_w')!.editor).toBe('numbers');
    expect(fieldsOf('grid').find((f) => f.name === 'import_tariff')!.editor).toBe('tariff');
    const sessions = fieldsOf('ev_charger').find((f) => f.name === 'sessions')!;
    expect(sessions.editor).toBe('records');
    expect(sessions.minItems).toBe(1);
    expect(sessions.records!.map((r) => [r.name, r.kind, r.unit])).toEqual([
      ['arrive', 'time', ''], ['depart', 'time', ''], ['days', 'days', ''], ['energy_kwh', 'number', 'kWh'],
      ['car_battery_kwh', 'number', 'kWh'], ['arrival_soc', 'percent', '%'], ['target_soc', 'percent', '%']]);
    expect(fieldsOf('ev_charger').find((f) => f.name === 'charge_windows')!.editor).toBe('windows');
    expect(fieldsOf('pool_pump').find((f) => f.name === 'deadline')!.editor).toBe('time');
  });

  it('shows ratios as percent', () => {
    const soc = fieldsOf('battery').find((f) => f.name === 'initial_soc')!;
    expect([soc.editor, soc.unit, soc.max]).toEqual(['percent', '%', 100]);
    expect(toPercent(0.1408)).toBe('14.08');
  });

  it('knows nothing of an unknown kind', () => {
    expect(fieldsOf('toaster')).toEqual([]);
  });
});

describe('PropertyForm saves on the revision it read (issue 24: no lost updates)', () => {
  it('sends only the edited field with its revision; a conflict shows the message and reloads', async () => {
    let device = { properties: { id: 'oven', kind: 'oven', name: 'Oven', circuit: 'non_essential', rated_power_w: 2000 },
      revision: 3 };
    const sets: unknown[][] = [];
    let reads = 0;
    let refuse: BusError | null = null;
    const bus = {
      canChange: () => true,
      getDevice: async () => { reads += 1; return device; },
      setProperties: async (id: string, changes: Record<string, unknown>, revision?: number) => {
        sets.push([id, changes, revision]);
        if (refuse) throw refuse;
        device = { properties: { ...device.properties, ...changes } as any, revision: device.revision + 1 };
        return device;
      },
    };
    TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
    const fixture = TestBed.createComponent(PropertyForm);
    fixture.componentRef.setInput('deviceId', 'oven');
    fixture.componentRef.setInput('kind', 'oven');
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        fixture.detectChanges();
        await fixture.whenStable();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle();
    const el: HTMLElement = fixture.nativeElement;
    const power = () => el.querySelector('#prop-rated_power_w') as HTMLInputElement;
    power().value = '2500';
    power().dispatchEvent(new Event('input'));
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    await settle();
    expect(sets).toEqual([['oven', { rated_power_w: 2500 }, 3]]);
    device = { properties: { ...device.properties, rated_power_w: 3100 }, revision: 5 }; // changed elsewhere
    power().value = '2600';
    power().dispatchEvent(new Event('input'));
    refuse = new BusError('homesim.error.conflict', 'rated_power_w: changed elsewhere since revision 4 (now 5): reload');
    const before = reads;
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    await settle();
    expect(sets[1]).toEqual(['oven', { rated_power_w: 2600 }, 4]);
    expect(reads).toBe(before + 1);
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('changed elsewhere since revision 4 (now 5)');
    expect(power().value).toBe('3100');
  });
});
