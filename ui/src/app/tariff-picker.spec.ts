import { defaultForm, formatPrice, parseTimes, priceColor, toNative } from './tariff-picker';

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
