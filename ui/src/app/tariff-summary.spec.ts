import { TestBed } from '@angular/core/testing';

import { Bus } from './bus';
import { PropertyForm, fieldsOf } from './property-form';
import { daysText, rateText, tariffLines } from './tariff-summary';

const TOU = {
  name: 'City Homeflex', source: 'City tariff book 2026', metering: 'net',
  fixed: { per_day: 12.5, per_month: 0 }, minimum_per_month: 0,
  seasons: { high: [6, 7, 8], low: [1, 2, 3, 4, 5, 9, 10, 11, 12] },
  holidays: [], holidays_as: 'sun', export_per_kwh: 0.8,
  rates: [
    { name: 'peak', seasons: ['high'], days: ['mon', 'tue', 'wed', 'thu', 'fri'], times: ['06:00-09:00', '17:00-19:00'],
      price_per_kwh: 7.1, blocks: [], export_per_kwh: null },
    { name: 'standard', seasons: [], days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], times: [],
      price_per_kwh: null, blocks: [{ up_to_kwh: 600, price_per_kwh: 2.5 }, { up_to_kwh: null, price_per_kwh: 3.25 }],
      export_per_kwh: null },
  ],
};

describe('tariff summary in words (the grid form, issue 26)', () => {
  it('words days, rates and blocks', () => {
    expect([daysText(undefined), daysText(['mon', 'tue', 'wed', 'thu', 'fri']), daysText(['sat', 'sun'])])
      .toEqual(['every day', 'Mon–Fri', 'Sat, Sun']);
    expect(rateText(TOU.rates[0], 'ZAR')).toBe('peak: Mon–Fri 06:00–09:00, 17:00–19:00 in the high season: 7.10 ZAR/kWh');
    expect(rateText(TOU.rates[1], 'ZAR'))
      .toBe('standard: every day all day: up to 600 kWh a month 2.50, above that 3.25 ZAR/kWh');
    expect(rateText({ ...TOU.rates[0], export_per_kwh: 1.2 }, 'ZAR')).toContain('; export credit 1.20 ZAR/kWh');
    expect(rateText({ ...TOU.rates[0], seasons: ['high', 'shoulder'] }, 'ZAR')).toContain(' in the high or shoulder season: ');
    expect(tariffLines({ ...TOU, rates: [{ ...TOU.rates[0], export_per_kwh: 1.2 }] }, 'ZAR'))
      .toContain('Export credit: by rate (above); otherwise 0.80 ZAR/kWh');
  });

  it('gives the whole tariff a line each, and the simple prices when there is none', () => {
    expect(tariffLines(null, 'ZAR')).toEqual(['None: the grid bills by the simple prices above.']);
    const lines = tariffLines(TOU, 'ZAR');
    expect(lines[0]).toBe('City Homeflex');
    expect(lines).toContain('From: City tariff book 2026');
    expect(lines).toContain('Fixed charges: 12.50 ZAR a day, 0.00 ZAR a month');
    expect(lines).toContain('Seasons: high (Jun, Jul, Aug); low (Jan, Feb, Mar, Apr, May, Sep, Oct, Nov, Dec)');
    expect(lines).toContain('Export credit: 0.80 ZAR/kWh');
    expect(lines).toContain('Metering: net (each month, bought and sold are netted first)');
    expect(tariffLines({ ...TOU, metering: 'gross', export_per_kwh: 0, minimum_per_month: 50, seasons: {} }, 'USD'))
      .toEqual(expect.arrayContaining(['Export credit: none', 'Seasons: one, all year',
        'Fixed charges: 12.50 USD a day, 0.00 USD a month; at least 50.00 USD a month',
        'Metering: gross (every kWh bought is charged, every kWh sold credited)']));
    // no code names, no JSON
    for (const line of lines) expect(line).not.toMatch(/[{}_]|per_kwh|null/);
  });

  it('replaces the grid form\'s JSON box: words, the Tariff panel named, the form closed to go there', async () => {
    const field = fieldsOf('grid').find((f) => f.name === 'tariff')!;
    expect(field.editor).toBe('utility-tariff');
    expect(field.json).toBe(false);
    expect(field.help).not.toMatch(/import_tariff|export_per_kwh/);
    const bus = {
      canChange: () => true,
      desired: () => ({ home: { currency: 'ZAR' } }),
      settlement: () => null,
      getDevice: async () => ({ properties: { id: 'grid', kind: 'grid', name: 'Grid', tariff: TOU }, revision: 1 }),
    };
    TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
    const fixture = TestBed.createComponent(PropertyForm);
    fixture.componentRef.setInput('deviceId', 'grid');
    fixture.componentRef.setInput('kind', 'grid');
    let closed = 0;
    fixture.componentInstance.closed.subscribe(() => (closed += 1));
    for (let i = 0; i < 5; i++) {
      fixture.detectChanges();
      await fixture.whenStable();
      await new Promise((r) => setTimeout(r, 10));
    }
    const el: HTMLElement = fixture.nativeElement;
    const box = el.querySelector('[data-field="tariff"]') as HTMLElement;
    expect(box.querySelector('textarea')).toBeNull();
    expect(el.querySelectorAll('textarea[name="tariff"]').length).toBe(0);
    const text = box.textContent ?? '';
    expect(text).toContain('City Homeflex');
    expect(text).toContain('peak: Mon–Fri 06:00–09:00, 17:00–19:00 in the high season: 7.10 ZAR/kWh');
    expect(text).toContain('“Tariff” panel');
    (box.querySelector('[data-test="open-tariff-picker"]') as HTMLButtonElement).click();
    expect(closed).toBe(1);
    expect(fixture.componentInstance.dirty()).toBe(false);
  });
});
