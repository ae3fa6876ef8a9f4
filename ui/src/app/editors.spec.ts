import { TestBed } from '@angular/core/testing';

import { RecordsEditor, SwitchEditor, TimeWindow, WindowEditor, addRecord, addWindow, describeWindow, isTimeOfDay, normalizeWindows,
  recordFields, time24, toggleDay, unitOf, windowProblems } from './editors';
import deviceKinds from './generated/device-kinds.json';

const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

describe('time window helpers', () => {
  it('adds a window after the last one, every day, and toggles weekdays in order', () => {
    const one = addWindow([]);
    expect(one).toEqual([{ start: '18:00', end: '19:00', days: EVERY_DAY }]);
    const two = addWindow([{ start: '17:30', end: '18:30', days: ['mon'] }]);
    expect(two[1]).toEqual({ start: '18:30', end: '19:30', days: EVERY_DAY });
    const w = toggleDay(toggleDay({ start: '06:00', end: '07:00', days: ['wed'] }, 'mon'), 'wed');
    expect(w.days).toEqual(['mon']);
  });

  it('fills in the days the model defaults to, and names what is wrong', () => {
    expect(normalizeWindows([{ start: '22:00', end: '05:00' }])).toEqual([{ start: '22:00', end: '05:00', days: EVERY_DAY }]);
    expect(windowProblems([{ start: '10:00', end: '10:00', days: [] }])).toEqual([
      'time 1: the end equals the start', 'time 1: pick at least one day']);
    expect(describeWindow({ start: '22:00', end: '05:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }))
      .toBe('22:00–05:00 Mon–Fri (past midnight)');
  });

  it('reads typed times on the 24-hour clock and names the ones it cannot', () => {
    expect(['7:05', '0705', '7', '19:30', ' 23:59 '].map(time24)).toEqual(['07:05', '07:05', '07:00', '19:30', '23:59']);
    expect(['24:00', '7pm', '12:60', ''].map(time24)).toEqual(['24:00', '7pm', '12:60', '']);
    expect(windowProblems([{ start: '7pm', end: '20:00', days: ['mon'] }])).toEqual([
      'time 1: give a start and an end as hh:mm on the 24-hour clock (00:00 to 23:59)']);
  });
});

describe('WindowEditor', () => {
  it('keeps a typed time when a weekday is clicked before the parent passes the change back', async () => {
    const fixture = TestBed.createComponent(WindowEditor);
    fixture.componentRef.setInput('windows', [{ start: '18:00', end: '19:00', days: ['mon'] }]);
    const emitted: TimeWindow[][] = [];
    fixture.componentInstance.changed.subscribe((w) => emitted.push(w)); // the parent is slow: no setInput
    fixture.detectChanges();
    await fixture.whenStable();
    const root: HTMLElement = fixture.nativeElement;
    const to = root.querySelectorAll<HTMLInputElement>('input.hhmm')[1];
    to.value = '2359';
    to.dispatchEvent(new Event('change'));
    (root.querySelector('[data-window="0"] [data-day="sun"]') as HTMLButtonElement).click();
    expect(emitted.at(-1)).toEqual([{ start: '18:00', end: '23:59', days: ['mon', 'sun'] }]);
  });

  it('edits windows with time inputs and weekday toggles, no JSON', async () => {
    const fixture = TestBed.createComponent(WindowEditor);
    let windows: TimeWindow[] = [{ start: '17:30', end: '18:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }];
    fixture.componentRef.setInput('windows', windows);
    fixture.componentRef.setInput('label', 'cooking');
    fixture.componentInstance.changed.subscribe((w) => {
      windows = w;
      fixture.componentRef.setInput('windows', w);
    });
    fixture.detectChanges();
    await fixture.whenStable();
    const root: HTMLElement = fixture.nativeElement;
    expect(root.querySelector('textarea')).toBeNull();
    const [from, to] = Array.from(root.querySelectorAll<HTMLInputElement>('input.hhmm'));
    expect([from.value, to.value]).toEqual(['17:30', '18:30']);
    expect(from.getAttribute('aria-label')).toBe('cooking 1 from');

    expect(root.querySelector('input[type="time"]')).toBeNull(); // no AM/PM from the browser's locale
    to.value = '19:15';
    to.dispatchEvent(new Event('change'));
    (root.querySelector('[data-window="0"] [data-day="sat"]') as HTMLButtonElement).click();
    expect(windows[0]).toEqual({ start: '17:30', end: '19:15', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] });

    (root.querySelector('.add-row') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(windows.length).toBe(2);
    expect(root.querySelectorAll('.window-row').length).toBe(2);
    expect(root.querySelector('[data-window="1"] [data-day="sun"]')!.getAttribute('aria-pressed')).toBe('true');

    (root.querySelector('[data-window="0"] .remove-row') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(windows).toEqual([{ start: '19:15', end: '20:15', days: EVERY_DAY }]);
  });
});

describe('SwitchEditor', () => {
  it('sets the grid condition, a battery floor in percent, a PV surplus in W and timers', async () => {
    const fixture = TestBed.createComponent(SwitchEditor);
    let value = { timers: [], only_when_grid_on: false, min_battery_soc: null, min_pv_surplus_w: null } as any;
    fixture.componentRef.setInput('value', value);
    fixture.componentInstance.changed.subscribe((v) => { value = v; fixture.componentRef.setInput('value', v); });
    fixture.detectChanges();
    const root: HTMLElement = fixture.nativeElement;
    (root.querySelector('[data-switch="only_when_grid_on"]') as HTMLInputElement).click();
    const soc = root.querySelector('[data-switch="min_battery_soc"]') as HTMLInputElement;
    soc.value = '60';
    soc.dispatchEvent(new Event('change'));
    const pv = root.querySelector('[data-switch="min_pv_surplus_w"]') as HTMLInputElement;
    pv.value = '1500';
    pv.dispatchEvent(new Event('change'));
    (root.querySelector('.add-row') as HTMLButtonElement).click();
    expect(value).toEqual({ timers: [{ start: '18:00', end: '19:00', days: EVERY_DAY }], only_when_grid_on: true,
      min_battery_soc: 0.6, min_pv_surplus_w: 1500 });
  });
});

describe('RecordsEditor', () => {
  const sessionItems = (deviceKinds as any).ev_charger.properties.sessions.items;
  const fields = recordFields(sessionItems)!;

  it('adds a record like the last one on the weekdays no record uses yet', () => {
    const first = { arrive: '17:30', depart: '07:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], energy_kwh: 12,
      car_battery_kwh: null, arrival_soc: null, target_soc: null };
    const next = addRecord([first], fields);
    expect(next[1]).toEqual({ ...first, days: ['sat', 'sun'] });
    expect(addRecord([], fields)[0]).toMatchObject({ arrive: '08:00', depart: '08:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] });
  });

  it('edits a charging session with time, number and percent inputs and weekday toggles, no JSON', async () => {
    const fixture = TestBed.createComponent(RecordsEditor);
    fixture.componentRef.setInput('records', [{ arrive: '18:00', depart: '07:00', days: ['mon'], energy_kwh: null,
      car_battery_kwh: 60, arrival_soc: 0.4, target_soc: 0.8 }]);
    fixture.componentRef.setInput('fields', fields);
    fixture.componentRef.setInput('label', 'session');
    fixture.componentRef.setInput('minimum', 1);
    const seen: Record<string, unknown>[][] = [];
    fixture.componentInstance.changed.subscribe((v) => seen.push(v));
    fixture.detectChanges();
    const el: HTMLElement = fixture.nativeElement;
    expect(el.querySelector('textarea')).toBeNull();
    const input = (name: string) => el.querySelector(`[aria-label="session 1 ${name}"]`) as HTMLInputElement;
    expect(input('Charge on arrival').value).toBe('40');
    input('Leaves').value = '6:45';
    input('Leaves').dispatchEvent(new Event('change'));
    input('Charge wanted').value = '90';
    input('Charge wanted').dispatchEvent(new Event('change'));
    (el.querySelector('[aria-label="session 1 on Sat"]') as HTMLButtonElement).click();
    expect(seen[seen.length - 1][0]).toMatchObject({ depart: '06:45', target_soc: 0.9, days: ['mon', 'sat'] });
    expect((el.querySelector('[aria-label="remove session 1"]') as HTMLButtonElement).disabled).toBe(true); // minItems 1
  });
});

describe('units as data (issue 25)', () => {
  it('takes a field’s unit from its x-unit and a time of day from its format, never from the description', () => {
    const fields = recordFields({
      type: 'object', properties: {
        power: { type: 'number', 'x-unit': 'W', description: 'the most it draws [kW]' },
        share: { type: 'number', 'x-unit': '0..1', minimum: 0, maximum: 1, description: 'of the day' },
        at: { type: 'string', format: 'time-of-day', description: 'when it starts' },
        note: { type: 'string', description: 'a note [HH:MM]' },
        count: { type: 'integer', description: 'how many [W]' },
      },
    })!;
    expect(fields.map((f) => [f.name, f.kind, f.unit])).toEqual([
      ['power', 'number', 'W'], ['share', 'percent', '%'], ['at', 'time', ''], ['note', 'text', ''], ['count', 'number', '']]);
    expect(fields[0].help).toBe('the most it draws [kW]'); // the description is prose, shown as it is
    expect(unitOf({ 'x-unit': 'kWh' })).toBe('kWh');
    expect(unitOf({ description: 'nominal capacity [kWh]' })).toBe('');
    expect(isTimeOfDay({ type: 'string', format: 'time-of-day' })).toBe(true);
  });

  it('finds the unit of every number of every kind in the generated kinds file', () => {
    const kinds = deviceKinds as Record<string, any>;
    const missing: string[] = [];
    for (const [kind, schema] of Object.entries(kinds)) {
      for (const [name, p] of Object.entries<any>(schema.properties ?? {})) {
        if ((p.type === 'number' || p.type === 'integer') && !unitOf(p)) missing.push(`${kind}.${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
