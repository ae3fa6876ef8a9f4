import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Bus } from './bus';
import { TariffPicker, defaultForm, formatPrice, parseTimes, priceColor, toNative } from './tariff-picker';

describe('tariff picker helpers', () => {
  it('reads time windows as typed', () => {
    expect(parseTimes('06:00-09:00, 17:00 - 20:00;')).toEqual(['06:00-09:00', '17:00-20:00']);
    expect(parseTimes('')).toEqual([]);
  });

  it('writes the form as the native tariff', () => {
    const form = defaultForm();
    form.perDay = '12.5';
    form.seasons = [{ name: 'high', months: [8, 6, 7] }, { name: 'low', months: [1, 2, 3, 4, 5, 9, 10, 11, 12] }];
    form.rates[0].seasons = ['high'];
    form.rates[1].blocks = [{ upTo: '600', price: '2.1' }, { upTo: '', price: '3.2' }];
    const t = toNative(form) as any;
    expect(t.fixed).toEqual({ per_day: 12.5, per_month: 0 });
    expect(t.seasons).toEqual({ high: [6, 7, 8], low: [1, 2, 3, 4, 5, 9, 10, 11, 12] });
    expect(t.rates[0]).toEqual({ name: 'peak', seasons: ['high'], days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      times: ['06:00-09:00', '17:00-20:00'], price_per_kwh: 4.5 });
    expect(t.rates[1].blocks).toEqual([{ up_to_kwh: 600, price_per_kwh: 2.1 }, { up_to_kwh: null, price_per_kwh: 3.2 }]);
    expect(t.rates[1].price_per_kwh).toBeUndefined();
  });

  it('keeps what is not a number as typed, for the planner to name', () => {
    const form = defaultForm();
    form.rates[0].price = 'cheap';
    expect((toNative(form) as any).rates[0].price_per_kwh).toBe('cheap');
    expect((toNative(defaultForm()) as any).seasons).toBeUndefined();
  });

  it('colours prices from the lowest to the highest', () => {
    expect(priceColor(1, 1, 5)).toBe('hsl(130, 55%, 78%)');
    expect(priceColor(5, 1, 5)).toBe('hsl(0, 55%, 60%)');
    expect(priceColor(2, 2, 2)).toBe('hsl(130, 55%, 78%)');
    expect(formatPrice(2.5)).toBe('2.50');
    expect(formatPrice(null)).toBe('—');
  });
});

describe('TariffPicker', () => {
  const hours = (price: number, rate: string) => Array.from({ length: 24 }, (_, hour) => ({ hour, rate, price, blocks: false }));
  const shown = {
    tariff: { name: 'My tariff', rates: [] },
    properties: { tariff: { name: 'My tariff', rates: [] }, import_tariff: { flat_per_kwh: 3, periods: [] }, export_per_kwh: 0 },
    summary: { name: 'My tariff', source: '', currency: 'ZAR', metering: 'gross', fixed: { per_day: 12.5, per_month: 0 },
      export_per_kwh: 0, notes: [],
      seasons: [{ name: 'All year', months: ['Jan'], days: { weekday: [...hours(2.5, 'standard').slice(0, 6), ...hours(4.5, 'peak').slice(6, 9).map((h, i) => ({ ...h, hour: 6 + i })), ...hours(2.5, 'standard').slice(9)],
        saturday: hours(2.5, 'standard'), sunday: hours(2.5, 'standard') } }],
      rates: [{ name: 'peak', price: 4.5, blocks: [] }, { name: 'standard', price: 2.5, blocks: [] }] },
  };

  it('checks the form with the planner, shows the prices by hour and applies them with the grid’s revision', async () => {
    const calls: unknown[][] = [];
    const bus = {
      canChange: () => true,
      desired: signal({ version: 1, devices: [], home: { currency: 'ZAR', devices: [{ id: 'grid', kind: 'grid' }] } }),
      call: async (rest: string, _args: unknown[], kwargs: Record<string, unknown>) => { calls.push([rest, kwargs]); return shown; },
      getDevice: async (id: string) => { calls.push(['get', id]); return { revision: 4 }; },
      setProperties: async (id: string, changes: unknown, revision: number) => { calls.push(['set', id, changes, revision]); return { revision: 5 }; },
    };
    TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
    const fixture = TestBed.createComponent(TariffPicker);
    const el = fixture.nativeElement as HTMLElement;
    const settle = async () => {
      for (let i = 0; i < 5; i++) { fixture.detectChanges(); await fixture.whenStable(); await new Promise((r) => setTimeout(r, 20)); }
    };
    await settle();
    (el.querySelector('form[data-test="tariff-form"] button[type="submit"]') as HTMLButtonElement).click();
    await settle();
    expect(calls[0]).toEqual(['tariff.preview', { tariff: toNative(defaultForm()) }]);
    const weekday = el.querySelector('svg[data-day="weekday"]')!.getAttribute('aria-label');
    expect(weekday).toBe('All year, Weekday: 00:00–06:00 standard 2.50; 06:00–09:00 peak 4.50; 09:00–24:00 standard 2.50');
    expect(el.querySelectorAll('svg[data-day="weekday"] rect').length).toBe(24);
    expect(el.querySelector('[data-test="tariff-shown"]')!.textContent).toContain('Fixed: 12.50 ZAR a day');
    (el.querySelector('[data-test="apply-tariff"]') as HTMLButtonElement).click();
    await settle();
    expect(calls.slice(1)).toEqual([['get', 'grid'], ['set', 'grid', shown.properties, 4]]);
    expect(el.querySelector('[data-test="tariff-applied"]')!.textContent).toContain('grid (revision 5)');
  });
});
