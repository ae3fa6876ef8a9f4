// The tariff picker: a tariff for the grid from an OpenEI URDB file or the native form (fixed
// charges, seasons, time-of-use rates, blocks), checked by the planner's tariff.preview and shown
// as prices by hour for each season and day type, then set on the grid with the revision read.
import { Component, computed, inject, signal } from '@angular/core';

import { Bus, BusError } from './bus';

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_LABELS: Record<string, string> = { weekday: 'Weekday', saturday: 'Saturday', sunday: 'Sunday' };

export interface BlockForm { upTo: string; price: string }
export interface RateForm { name: string; seasons: string[]; days: string[]; times: string; price: string; blocks: BlockForm[] }
export interface SeasonForm { name: string; months: number[] }
export interface TariffForm {
  name: string; metering: 'gross' | 'net'; perDay: string; perMonth: string; exportPerKwh: string;
  seasons: SeasonForm[]; rates: RateForm[];
}

/** A starting form: one season, a peak rate on weekday mornings and evenings, the rest standard. */
export function defaultForm(): TariffForm {
  return {
    name: 'My tariff', metering: 'gross', perDay: '0', perMonth: '0', exportPerKwh: '0', seasons: [],
    rates: [
      { name: 'peak', seasons: [], days: DAYS.slice(0, 5), times: '06:00-09:00, 17:00-20:00', price: '4.50', blocks: [] },
      { name: 'standard', seasons: [], days: [...DAYS], times: '', price: '2.50', blocks: [] },
    ],
  };
}

/** A number typed, or the text as typed (the planner names what is wrong with it). */
function num(text: string): number | string {
  const t = text.trim();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/** "06:00-09:00, 17:00-20:00" -> ["06:00-09:00", "17:00-20:00"] (spaces and empty parts dropped). */
export function parseTimes(text: string): string[] {
  return text.split(/[,;]/).map((t) => t.replace(/\s+/g, '')).filter((t) => t !== '');
}

/** The form as the native tariff (the grid's ``tariff`` property). */
export function toNative(form: TariffForm): Record<string, unknown> {
  const seasons = Object.fromEntries(form.seasons.filter((s) => s.name.trim()).map((s) => [s.name.trim(), [...s.months].sort((a, b) => a - b)]));
  return {
    name: form.name.trim(), metering: form.metering,
    fixed: { per_day: num(form.perDay || '0'), per_month: num(form.perMonth || '0') },
    export_per_kwh: num(form.exportPerKwh || '0'),
    ...(Object.keys(seasons).length ? { seasons } : {}),
    rates: form.rates.map((r) => ({
      name: r.name.trim(), seasons: r.seasons, days: r.days, times: parseTimes(r.times),
      ...(r.blocks.length
        ? { blocks: r.blocks.map((b) => ({ up_to_kwh: b.upTo.trim() === '' ? null : num(b.upTo), price_per_kwh: num(b.price) })) }
        : { price_per_kwh: num(r.price) }),
    })),
  };
}

/** A colour for a price between the lowest and highest of the tariff (green to red). */
export function priceColor(price: number, lo: number, hi: number): string {
  const t = hi > lo ? (price - lo) / (hi - lo) : 0;
  const hue = Math.round(130 - 130 * t);
  return `hsl(${hue}, 55%, ${Math.round(78 - 18 * t)}%)`;
}

/** A price as written: "2.50". */
export function formatPrice(price: number | null | undefined): string {
  return typeof price === 'number' && Number.isFinite(price) ? price.toFixed(2) : '—';
}

@Component({
  selector: 'app-tariff-picker',
  template: `
    <h2 id="tariff-title">Tariff</h2>
    <p class="hint">What the grid charges: from a rate exported from OpenEI's Utility Rate Database (JSON), or typed in
      the form. Check it below, then apply it to the grid.</p>
    <div class="source" role="radiogroup" aria-label="where the tariff comes from">
      <label><input type="radio" name="tariff-source" value="urdb" [checked]="source() === 'urdb'" (change)="source.set('urdb')" /> URDB file</label>
      <label><input type="radio" name="tariff-source" value="form" [checked]="source() === 'form'" (change)="source.set('form')" /> Form</label>
    </div>
    @if (source() === 'urdb') {
      <label class="upload">URDB rate (.json)
        <input type="file" accept=".json" data-test="urdb-file" [disabled]="!bus.canChange() || busy()" (change)="readUrdb($any($event.target))" /></label>
    } @else {
      <form (submit)="previewForm($event)" aria-label="tariff form" data-test="tariff-form" class="tariff-form">
        <div class="grid">
          <label for="t-name">Name</label><input id="t-name" [value]="form().name" (input)="edit({ name: $any($event.target).value })" />
          <label for="t-metering">Metering</label>
          <select id="t-metering" (change)="edit({ metering: $any($event.target).value })">
            <option value="gross" [selected]="form().metering === 'gross'">gross: every kWh bought charged, sold credited</option>
            <option value="net" [selected]="form().metering === 'net'">net: bought and sold netted each month</option>
          </select>
          <label for="t-day">Fixed per day [{{ currency() }}]</label>
          <input id="t-day" inputmode="decimal" [value]="form().perDay" (input)="edit({ perDay: $any($event.target).value })" />
          <label for="t-month">Fixed per month [{{ currency() }}]</label>
          <input id="t-month" inputmode="decimal" [value]="form().perMonth" (input)="edit({ perMonth: $any($event.target).value })" />
          <label for="t-export">Export credit [{{ currency() }}/kWh]</label>
          <input id="t-export" inputmode="decimal" [value]="form().exportPerKwh" (input)="edit({ exportPerKwh: $any($event.target).value })" />
        </div>
        <fieldset>
          <legend>Seasons <small>(none: the same all year; a rate with no season ticked applies in all)</small></legend>
          @for (s of form().seasons; track $index; let si = $index) {
            <div class="season" [attr.data-season]="si">
              <input [attr.aria-label]="'season ' + (si + 1) + ' name'" [value]="s.name" (input)="editSeason(si, { name: $any($event.target).value })" />
              <span class="toggles" role="group" [attr.aria-label]="'months of season ' + (si + 1)">
                @for (m of months; track m; let mi = $index) {
                  <label class="toggle"><input type="checkbox" [checked]="s.months.includes(mi + 1)" (change)="toggleMonth(si, mi + 1)" />{{ m }}</label>
                }
              </span>
              <button type="button" (click)="removeSeason(si)" [attr.aria-label]="'remove season ' + (si + 1)">Remove</button>
            </div>
          }
          <button type="button" (click)="addSeason()">Add a season</button>
        </fieldset>
        <fieldset>
          <legend>Energy rates <small>(the first that covers a time wins)</small></legend>
          @for (r of form().rates; track $index; let ri = $index) {
            <div class="rate" [attr.data-rate]="ri">
              <div class="grid">
                <label [for]="'r-name-' + ri">Name</label>
                <input [id]="'r-name-' + ri" [value]="r.name" (input)="editRate(ri, { name: $any($event.target).value })" />
                <label [for]="'r-times-' + ri">Times <small>(empty: all day)</small></label>
                <input [id]="'r-times-' + ri" placeholder="06:00-09:00, 17:00-20:00" [value]="r.times" (input)="editRate(ri, { times: $any($event.target).value })" />
                @if (!r.blocks.length) {
                  <label [for]="'r-price-' + ri">Price [{{ currency() }}/kWh]</label>
                  <input [id]="'r-price-' + ri" inputmode="decimal" [value]="r.price" (input)="editRate(ri, { price: $any($event.target).value })" />
                }
              </div>
              <span class="toggles" role="group" [attr.aria-label]="'days of rate ' + (r.name || ri + 1)">
                @for (d of days; track d) {
                  <label class="toggle"><input type="checkbox" [checked]="r.days.includes(d)" (change)="toggleDay(ri, d)" />{{ d }}</label>
                }
              </span>
              @if (form().seasons.length) {
                <span class="toggles" role="group" [attr.aria-label]="'seasons of rate ' + (r.name || ri + 1)">
                  @for (s of form().seasons; track $index) {
                    <label class="toggle"><input type="checkbox" [checked]="r.seasons.includes(s.name)" (change)="toggleRateSeason(ri, s.name)" />{{ s.name || 'season ' + ($index + 1) }}</label>
                  }
                </span>
              }
              @if (r.blocks.length) {
                <table class="blocks" [attr.aria-label]="'blocks of rate ' + (r.name || ri + 1)">
                  <thead><tr><th>Up to [kWh a month]</th><th>Price [{{ currency() }}/kWh]</th><th></th></tr></thead>
                  <tbody>
                    @for (b of r.blocks; track $index; let bi = $index) {
                      <tr>
                        <td><input [attr.aria-label]="'block ' + (bi + 1) + ' up to kWh'" inputmode="decimal" [value]="b.upTo"
                                   [placeholder]="bi === r.blocks.length - 1 ? 'no limit' : ''" (input)="editBlock(ri, bi, { upTo: $any($event.target).value })" /></td>
                        <td><input [attr.aria-label]="'block ' + (bi + 1) + ' price'" inputmode="decimal" [value]="b.price" (input)="editBlock(ri, bi, { price: $any($event.target).value })" /></td>
                        <td><button type="button" (click)="removeBlock(ri, bi)" [attr.aria-label]="'remove block ' + (bi + 1)">✕</button></td>
                      </tr>
                    }
                  </tbody>
                </table>
              }
              <span class="row-actions">
                <button type="button" (click)="addBlock(ri)">{{ r.blocks.length ? 'Add a block' : 'Use inclining blocks' }}</button>
                <button type="button" (click)="removeRate(ri)" [attr.aria-label]="'remove rate ' + (r.name || ri + 1)">Remove rate</button>
              </span>
            </div>
          }
          <button type="button" (click)="addRate()">Add a rate</button>
        </fieldset>
        <button type="submit" [disabled]="!bus.canChange() || busy()">Check the tariff</button>
      </form>
    }
    @if (error(); as e) { <p class="error" role="alert" data-error="tariff">{{ e }}</p> }

    @if (shown(); as t) {
      <section class="shown" aria-labelledby="tariff-shown-title" data-test="tariff-shown">
        <h3 id="tariff-shown-title">{{ t.summary.name || 'The tariff' }}</h3>
        @if (t.summary.source) { <p class="small">{{ t.summary.source }}</p> }
        @for (n of t.summary.notes ?? []; track $index) { <p class="small" data-test="tariff-note">{{ n }}</p> }
        <ul class="facts">
          <li>Fixed: {{ price(t.summary.fixed.per_day) }} {{ t.summary.currency }} a day, {{ price(t.summary.fixed.per_month) }} {{ t.summary.currency }} a month</li>
          <li>Export credit: {{ exportText(t.summary) }}</li>
          <li>Metering: {{ t.summary.metering === 'net' ? 'net (bought and sold netted each month)' : 'gross' }}</li>
        </ul>
        @for (s of t.summary.seasons; track s.name) {
          <div class="season-prices" [attr.data-season]="s.name">
            <h4>{{ s.name }} <small>({{ s.months.join(', ') }})</small></h4>
            @for (d of dayTypes; track d) {
              <div class="day-row">
                <span class="day">{{ dayLabel(d) }}</span>
                <svg viewBox="0 0 240 28" class="hours" role="img" [attr.aria-label]="dayText(s, d)" [attr.data-day]="d">
                  @for (h of s.days[d]; track h.hour) {
                    <rect [attr.x]="h.hour * 10" y="0" width="10" height="18" [attr.fill]="color(h.price)"><title>{{ h.hour }}:00 {{ h.rate }} {{ price(h.price) }}</title></rect>
                  }
                  @for (x of [0, 6, 12, 18]; track x) { <text [attr.x]="x * 10 + 1" y="27">{{ x }}:00</text> }
                </svg>
              </div>
            }
          </div>
        }
        <table class="legend" aria-label="rates and their prices">
          <thead><tr><th>Rate</th><th>Price [{{ t.summary.currency }}/kWh]</th>
            @if (exportByRate(t.summary)) { <th>Export credit [{{ t.summary.currency }}/kWh]</th> }</tr></thead>
          <tbody>
            @for (r of t.summary.rates; track $index) {
              <tr [attr.data-rate-name]="r.name"><td><span class="swatch" [style.background]="color(r.price ?? r.blocks[0]?.price)"></span>{{ r.name }}</td>
                <td>@if (r.blocks.length) {
                  @for (b of r.blocks; track $index) { <span class="block">{{ b.up_to_kwh === null ? 'above' : 'up to ' + b.up_to_kwh + ' kWh a month' }}: {{ price(b.price) }}</span> }
                } @else { {{ price(r.price) }} }</td>
                @if (exportByRate(t.summary)) { <td>{{ r.export === null || r.export === undefined ? price(t.summary.export_per_kwh) : price(r.export) }}</td> }</tr>
            }
          </tbody>
        </table>
        <button type="button" (click)="apply()" [disabled]="!bus.canChange() || busy() || !gridId()" data-test="apply-tariff">Apply to the grid</button>
        @if (applied(); as a) { <p class="ok" role="status" data-test="tariff-applied">{{ a }}</p> }
      </section>
    }
  `,
  styles: `
    :host { display: block; min-width: 0; }
    h2 { margin: 0 0 4px; font-size: 1.1rem; }
    .hint, .small { font-size: 0.8rem; color: #556; }
    .source { display: flex; gap: 16px; margin: 6px 0; }
    .grid { display: grid; grid-template-columns: minmax(8rem, 13rem) minmax(0, 1fr); gap: 4px 8px; align-items: center; max-width: 560px; }
    input, select { min-width: 0; max-width: 100%; }
    fieldset { border: 1px solid #d7dde4; border-radius: 6px; margin: 8px 0; max-width: 620px; min-width: 0; }
    .rate, .season { border-bottom: 1px dashed #d7dde4; padding: 6px 0; display: flex; flex-direction: column; gap: 4px; }
    .season { flex-direction: row; flex-wrap: wrap; align-items: center; }
    .toggles { display: flex; flex-wrap: wrap; gap: 2px 8px; font-size: 0.8rem; }
    .toggle { white-space: nowrap; }
    .row-actions { display: flex; gap: 8px; flex-wrap: wrap; }
    .blocks input { width: 7rem; }
    .facts { font-size: 0.85rem; padding-left: 18px; }
    .day-row { display: grid; grid-template-columns: 5.5rem minmax(0, 1fr); align-items: center; gap: 6px; max-width: 560px; }
    @media (max-width: 600px) {
      .grid, .day-row { grid-template-columns: minmax(0, 1fr); gap: 2px; }
      .grid label { margin-top: 6px; }
    }
    .day { font-size: 0.8rem; }
    .hours { width: 100%; height: auto; }
    .hours text { font: 8px system-ui, sans-serif; fill: #334; }
    h4 { margin: 8px 0 2px; font-size: 0.9rem; }
    table { border-collapse: collapse; margin: 6px 0; }
    th, td { padding: 2px 8px; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; text-align: left; }
    .legend td:first-child { white-space: nowrap; }
    .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
    .block { display: block; }
    .error { color: #b00020; } .ok { color: #1b6e3a; }
  `,
})
export class TariffPicker {
  readonly bus = inject(Bus);
  readonly months = MONTHS;
  readonly days = DAYS;
  readonly dayTypes = ['weekday', 'saturday', 'sunday'];
  readonly source = signal<'urdb' | 'form'>('form');
  readonly form = signal<TariffForm>(defaultForm());
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);
  readonly shown = signal<{ tariff: Record<string, unknown>; properties: Record<string, unknown>; summary: any } | null>(null);
  readonly applied = signal<string | null>(null);
  readonly currency = computed(() => ((this.bus.desired()?.home as any)?.currency as string | undefined) ?? 'ZAR');
  readonly gridId = computed(() =>
    (((this.bus.desired()?.home as any)?.devices ?? []) as any[]).find((d) => d.kind === 'grid')?.id ?? null);
  readonly range = computed(() => {
    const prices: number[] = [];
    for (const s of this.shown()?.summary?.seasons ?? []) {
      for (const d of Object.values(s.days) as any[]) for (const h of d) prices.push(h.price);
    }
    return prices.length ? { lo: Math.min(...prices), hi: Math.max(...prices) } : { lo: 0, hi: 1 };
  });

  price(p: number | null | undefined): string { return formatPrice(p); }
  /** Whether some rate has an export credit of its own. */
  exportByRate(summary: any): boolean { return (summary.rates ?? []).some((r: any) => r.export !== null && r.export !== undefined); }
  exportText(summary: any): string {
    if (this.exportByRate(summary)) return 'by rate (in the table)';
    return summary.export_per_kwh ? `${formatPrice(summary.export_per_kwh)} ${summary.currency}/kWh` : 'none';
  }
  color(p: number): string { return priceColor(p, this.range().lo, this.range().hi); }
  dayLabel(d: string): string { return DAY_LABELS[d] ?? d; }
  /** The hours of a day in words (the chart's accessible name): runs of the same rate. */
  dayText(season: any, day: string): string {
    const hours: any[] = season.days[day] ?? [];
    const runs: string[] = [];
    let start = 0;
    for (let h = 1; h <= hours.length; h++) {
      if (h === hours.length || hours[h].rate !== hours[start].rate) {
        runs.push(`${String(start).padStart(2, '0')}:00–${String(h).padStart(2, '0')}:00 ${hours[start].rate} ${formatPrice(hours[start].price)}`);
        start = h;
      }
    }
    return `${season.name}, ${this.dayLabel(day)}: ${runs.join('; ')}`;
  }

  edit(changes: Partial<TariffForm>): void { this.form.update((f) => ({ ...f, ...changes })); }
  editSeason(i: number, changes: Partial<SeasonForm>): void {
    this.form.update((f) => {
      const old = f.seasons[i];
      const seasons = f.seasons.map((s, j) => (j === i ? { ...s, ...changes } : s));
      // a renamed season stays chosen in the rates that had it
      const rates = changes.name === undefined ? f.rates : f.rates.map((r) => ({ ...r, seasons: r.seasons.map((n) => (n === old.name ? changes.name as string : n)) }));
      return { ...f, seasons, rates };
    });
  }
  toggleMonth(i: number, month: number): void {
    const s = this.form().seasons[i];
    this.editSeason(i, { months: s.months.includes(month) ? s.months.filter((m) => m !== month) : [...s.months, month] });
  }
  addSeason(): void {
    this.form.update((f) => ({ ...f, seasons: [...f.seasons, { name: `season ${f.seasons.length + 1}`, months: [] }] }));
  }
  removeSeason(i: number): void {
    this.form.update((f) => {
      const name = f.seasons[i].name;
      return { ...f, seasons: f.seasons.filter((_, j) => j !== i), rates: f.rates.map((r) => ({ ...r, seasons: r.seasons.filter((n) => n !== name) })) };
    });
  }
  editRate(i: number, changes: Partial<RateForm>): void {
    this.form.update((f) => ({ ...f, rates: f.rates.map((r, j) => (j === i ? { ...r, ...changes } : r)) }));
  }
  toggleDay(i: number, day: string): void {
    const r = this.form().rates[i];
    this.editRate(i, { days: r.days.includes(day) ? r.days.filter((d) => d !== day) : DAYS.filter((d) => d === day || r.days.includes(d)) });
  }
  toggleRateSeason(i: number, name: string): void {
    const r = this.form().rates[i];
    this.editRate(i, { seasons: r.seasons.includes(name) ? r.seasons.filter((n) => n !== name) : [...r.seasons, name] });
  }
  addRate(): void {
    this.form.update((f) => ({ ...f, rates: [...f.rates, { name: '', seasons: [], days: [...DAYS], times: '', price: '', blocks: [] }] }));
  }
  removeRate(i: number): void { this.form.update((f) => ({ ...f, rates: f.rates.filter((_, j) => j !== i) })); }
  addBlock(i: number): void {
    const r = this.form().rates[i];
    this.editRate(i, { blocks: r.blocks.length ? [...r.blocks, { upTo: '', price: '' }] : [{ upTo: '600', price: r.price }, { upTo: '', price: '' }] });
  }
  editBlock(i: number, b: number, changes: Partial<BlockForm>): void {
    const r = this.form().rates[i];
    this.editRate(i, { blocks: r.blocks.map((x, j) => (j === b ? { ...x, ...changes } : x)) });
  }
  removeBlock(i: number, b: number): void {
    const r = this.form().rates[i];
    this.editRate(i, { blocks: r.blocks.filter((_, j) => j !== b) });
  }

  private async preview(kwargs: Record<string, unknown>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    this.shown.set(null);
    this.applied.set(null);
    try {
      this.shown.set(await this.bus.call('tariff.preview', [], kwargs));
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.busy.set(false);
    }
  }

  async readUrdb(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    input.value = '';
    await this.preview({ urdb: text, name: file.name });
  }

  async previewForm(event: Event): Promise<void> {
    event.preventDefault();
    await this.preview({ tariff: toNative(this.form()) });
  }

  /** Set the grid's tariff, based on the revision read now (changed meanwhile: refused). */
  async apply(): Promise<void> {
    const shown = this.shown();
    const grid = this.gridId();
    if (!shown || !grid) return;
    this.busy.set(true);
    this.error.set(null);
    this.applied.set(null);
    try {
      const view = await this.bus.getDevice(grid);
      const updated = await this.bus.setProperties(grid, shown.properties, view.revision);
      this.applied.set(`Applied to ${grid} (revision ${updated.revision}): its prices from the next tick on.`);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.busy.set(false);
    }
  }
}
