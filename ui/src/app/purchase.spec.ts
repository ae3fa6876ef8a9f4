import { axis, yearLabels, batteryChart, billChart, cashFlowChart, fieldOf, formatIrr, formatMoney, formatRate, formatYears, moneyTick, PlanYearRow } from './purchase';

const row = (year: number, net: number, cumulative: number, extra: Partial<PlanYearRow> = {}): PlanYearRow =>
  ({ year, net, cumulative, battery_kwh: year ? 10 - year : null, battery_share: year ? (10 - year) / 10 : null,
    bill: year ? 1000 : null, baseline_bill: year ? 15000 : null, ...extra });

describe('plan a purchase helpers', () => {
  it('writes money, years and rates as the panel shows them', () => {
    expect(formatMoney(147871.863, 'ZAR')).toBe('147,872 ZAR');
    expect(formatMoney(-124461.6, 'ZAR')).toBe('−124,462 ZAR');
    expect(formatMoney(null, 'ZAR')).toBe('—');
    expect(formatYears(7.34, 20)).toBe('7.3 years');
    expect(formatYears(null, 2)).toBe('not within 2 years');
    expect(formatRate(-0.6399)).toBe('−64.0 %');
    expect(formatRate(null)).toBe('—');
    expect(formatIrr(-0.0386)).toBe('−3.9 %');
    expect(formatIrr(null)).toBe('none');  // no IRR, as `homesim plan` says it
    expect(moneyTick(-150000)).toBe('−150k');
    expect(moneyTick(1_200_000)).toBe('1.2M');
  });

  it('finds the field an error names', () => {
    expect(fieldOf('years: 0 is not allowed: Input should be greater than or equal to 1')).toBe('years');
    expect(fieldOf('vary.battery.capacity_kwh: give at least one value')).toBe('vary');
    expect(fieldOf('finance: the home has no finance section')).toBe('finance');
    expect(fieldOf('Something else')).toBeNull();
  });

  it('labels every k-th year counted back from the last', () => {
    expect(yearLabels(1, 20, (t) => t).map((l) => l.label)).toEqual(['2', '4', '6', '8', '10', '12', '14', '16', '18', '20']);
    expect(yearLabels(0, 2, (t) => t).map((l) => l.label)).toEqual(['0', '1', '2']);
  });

  it('covers the values with nice ticks', () => {
    const a = axis(-147872, 13138);
    expect(a.lo).toBeLessThanOrEqual(-147872);
    expect(a.hi).toBeGreaterThanOrEqual(13138);
    expect(a.ticks).toContain(0);
  });

  it('draws the cash flow with the payback where the cumulative crosses 0', () => {
    const rows = [row(0, -100, -100), row(1, 60, -40), row(2, 60, 20)];
    const c = cashFlowChart(rows, 1 + 40 / 60, 'ZAR');
    expect(c.bars.map((b) => b.cls)).toEqual(['spend', 'gain', 'gain']);
    expect(c.points.length).toBe(3);
    // the marker sits between year 1's and year 2's points, on the zero line
    expect(c.marker!.x).toBeGreaterThan(c.points[1].x);
    expect(c.marker!.x).toBeLessThan(c.points[2].x);
    expect(c.marker!.y).toBeCloseTo(c.zeroY);
    expect(cashFlowChart(rows, null, 'ZAR').marker).toBeNull();
  });

  it('draws the bills side by side and the battery with its end of life', () => {
    const rows = [row(0, -100, -100), row(1, 60, -40), row(2, 60, 20)];
    expect(billChart(rows, 'ZAR').bars.map((b) => b.cls)).toEqual(['without', 'with', 'without', 'with']);
    const b = batteryChart(rows, 10);
    expect(b.bars.map((x) => x.value)).toEqual([9, 8]);
    expect(b.refLine!.label).toContain('7 kWh');
  });
});
