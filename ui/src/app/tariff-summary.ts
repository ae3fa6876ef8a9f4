// The grid's full tariff in words, read-only, in the property form (issue 26): its name, fixed
// charges, seasons, rates with their prices or blocks, export credit and metering, and where it
// is changed (the "Tariff" panel, tariff-picker.ts, which checks a tariff and applies it with the grid's
// revision). No JSON: a homeowner reads the tariff, the panel edits it.
import { Component, input, output } from '@angular/core';

import { MONTHS, formatPrice } from './tariff-picker';

const DAY_WORDS: Record<string, string> = {
  mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun',
};
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Days in words: "every day", "Mon–Fri", "Sat, Sun". */
export function daysText(days: string[] | undefined): string {
  const set = new Set(days?.length ? days : ALL_DAYS);
  if (ALL_DAYS.every((d) => set.has(d))) return 'every day';
  if (set.size === 5 && ALL_DAYS.slice(0, 5).every((d) => set.has(d))) return 'Mon–Fri';
  return ALL_DAYS.filter((d) => set.has(d)).map((d) => DAY_WORDS[d]).join(', ');
}

/** One energy rate in words: "peak: Mon–Fri 07:00–10:00, 17:00–20:00, in summer: 3.10 ZAR/kWh". */
export function rateText(rate: any, currency: string): string {
  const when: string[] = [daysText(rate?.days)];
  const times: string[] = rate?.times ?? [];
  when.push(times.length ? times.map((t) => t.replace('-', '–')).join(', ') : 'all day');
  const seasons: string[] = rate?.seasons ?? [];
  if (seasons.length) when.push(`in the ${seasons.join(' or ')} season`);
  const blocks: any[] = rate?.blocks ?? [];
  const price = blocks.length
    ? blocks.map((b) => `${b.up_to_kwh === null || b.up_to_kwh === undefined ? 'above that' : `up to ${b.up_to_kwh} kWh a month`} ${formatPrice(b.price_per_kwh)}`).join(', ') + ` ${currency}/kWh`
    : `${formatPrice(rate?.price_per_kwh)} ${currency}/kWh`;
  const credit = rate?.export_per_kwh === null || rate?.export_per_kwh === undefined
    ? '' : `; export credit ${formatPrice(rate.export_per_kwh)} ${currency}/kWh`;
  return `${rate?.name || 'rate'}: ${when.join(' ')}: ${price}${credit}`;
}

/** The tariff in force in words, a line each; none: the simple prices. */
export function tariffLines(tariff: any, currency: string): string[] {
  if (!tariff || typeof tariff !== 'object') return ['None: the grid bills by the simple prices above.'];
  const lines: string[] = [tariff.name ? `${tariff.name}` : 'A tariff without a name'];
  if (tariff.source) lines.push(`From: ${tariff.source}`);
  const fixed = tariff.fixed ?? {};
  lines.push(`Fixed charges: ${formatPrice(fixed.per_day ?? 0)} ${currency} a day, ${formatPrice(fixed.per_month ?? 0)} ${currency} a month`
    + (tariff.minimum_per_month ? `; at least ${formatPrice(tariff.minimum_per_month)} ${currency} a month` : ''));
  const seasons = Object.entries<number[]>(tariff.seasons ?? {});
  lines.push(seasons.length
    ? 'Seasons: ' + seasons.map(([name, months]) => `${name} (${months.map((m) => MONTHS[m - 1] ?? m).join(', ')})`).join('; ')
    : 'Seasons: one, all year');
  for (const rate of tariff.rates ?? []) lines.push(rateText(rate, currency));
  const credit = tariff.export_per_kwh ? `${formatPrice(tariff.export_per_kwh)} ${currency}/kWh` : 'none';
  const byRate = (tariff.rates ?? []).some((r: any) => r.export_per_kwh !== null && r.export_per_kwh !== undefined);
  lines.push(byRate ? `Export credit: by rate (above); otherwise ${credit}` : `Export credit: ${credit}`);
  lines.push(tariff.metering === 'net'
    ? 'Metering: net (each month, bought and sold are netted first)'
    : 'Metering: gross (every kWh bought is charged, every kWh sold credited)');
  const holidays: string[] = tariff.holidays ?? [];
  if (holidays.length) lines.push(`Public holidays (${holidays.length}) billed as ${DAY_WORDS[tariff.holidays_as] ?? tariff.holidays_as}`);
  return lines;
}

@Component({
  selector: 'app-tariff-summary',
  template: `
    <div class="summary" data-test="tariff-summary">
      <ul>
        @for (line of lines(); track $index) { <li>{{ line }}</li> }
      </ul>
      <p class="where">It is changed in the “Tariff” panel below the home, where a tariff is checked and applied to the grid.
        <button type="button" (click)="openPicker.emit()" data-test="open-tariff-picker">Go to the Tariff panel</button></p>
    </div>
  `,
  styles: `
    .summary ul { margin: 0; padding-left: 18px; font-size: 0.85rem; }
    .where { margin: 4px 0 0; font-size: 0.8rem; color: #556; }
    .where button { margin-left: 6px; }
  `,
})
export class TariffSummary {
  readonly value = input<unknown>(null);
  readonly currency = input<string>('ZAR');
  readonly openPicker = output<void>();

  lines(): string[] { return tariffLines(this.value(), this.currency()); }
}
