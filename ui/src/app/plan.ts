// What-if planning: vary a property over values and compare, with the fast-forward engine.
import { Component, computed, inject, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { formatPercent } from './watch';

export interface PlanRow { [column: string]: number | string | boolean | null }

/** "5, 10, 15" -> [5, 10, 15]; words stay words ("true" is a boolean). */
export function parseValues(text: string): (number | string | boolean)[] {
  return text.split(',').map((v) => v.trim()).filter((v) => v !== '').map((v) =>
    v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v);
}

/** Bars for one metric, scaled to the largest magnitude. */
export function bars(rows: PlanRow[], metric: string, width: number): { label: string; value: number; w: number }[] {
  const values = rows.map((r) => Number(r[metric] ?? 0));
  const max = Math.max(...values.map(Math.abs), 1e-9);
  return values.map((value, i) => ({ label: String(i + 1), value, w: (Math.abs(value) / max) * width }));
}

/** Columns that are shares (0..1), shown as %. */
const SHARES = new Set(['self_sufficiency', 'outage_coverage', 'demand_served']);

const LABELS: Record<string, string> = {
  cost: 'cost', self_sufficiency: 'self-sufficiency', unmet_hours_in_outages: 'unmet h in outages',
  grid_import_kwh: 'grid import [kWh]', pv_kwh: 'PV [kWh]', outage_coverage: 'outage coverage',
};

@Component({
  selector: 'app-plan',
  template: `
    <form (submit)="run($event)" aria-label="what-if">
      <h3>What if…</h3>
      <label for="plan-key">property</label>
      <input id="plan-key" list="plan-keys" [value]="key()" (input)="key.set($any($event.target).value)"
             placeholder="battery.capacity_kwh" />
      <datalist id="plan-keys">@for (k of suggestions(); track k) { <option [value]="k"></option> }</datalist>
      <label for="plan-values">values</label>
      <input id="plan-values" [value]="values()" (input)="values.set($any($event.target).value)" placeholder="5, 10, 15" />
      <label for="plan-days">days</label>
      <input id="plan-days" type="number" min="0.1" max="366" step="any" [value]="days()"
             (input)="days.set(+$any($event.target).value)" />
      <button type="submit" [disabled]="!bus.canChange() || running()">{{ running() ? 'Running…' : 'Run' }}</button>
    </form>
    @if (error(); as e) { <p class="error" role="alert">{{ e }}</p> }
    @if (result(); as r) {
      <div class="table" tabindex="0" role="region" aria-label="what-if comparison (scrolls sideways)"><table aria-label="what-if comparison">
        <thead><tr><th>#</th>@for (c of r.columns; track c) { <th>{{ label(c) }}</th> }</tr></thead>
        <tbody>
          @for (row of r.rows; track $index) {
            <tr><td>{{ $index + 1 }}</td>@for (c of r.columns; track c) { <td>{{ cell(row[c], c) }}</td> }</tr>
          }
        </tbody>
      </table></div>
      <svg [attr.viewBox]="'0 0 320 ' + (costBars().length * 22 + 4)" role="img" aria-label="cost per variant" class="bars">
        @for (b of costBars(); track $index) {
          <text x="0" [attr.y]="$index * 22 + 16">{{ b.label }}</text>
          <rect x="16" [attr.y]="$index * 22 + 4" [attr.width]="b.w" height="16" />
          <text [attr.x]="20 + b.w" [attr.y]="$index * 22 + 16">{{ b.value.toFixed(2) }} {{ r.currency }}</text>
        }
      </svg>
      <p class="small">{{ r.days }} days from the home's start, fast-forward; cost per variant.</p>
    }
  `,
  styles: `
    form { display: grid; grid-template-columns: 6rem 1fr; gap: 4px 8px; align-items: center; max-width: 480px; }
    h3 { grid-column: 1 / -1; margin: 0 0 4px; }
    :host { display: block; min-width: 0; }
    .table { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; }
    th { white-space: nowrap; }
    button { grid-column: 2; justify-self: start; }
    table { border-collapse: collapse; margin-top: 8px; }
    th, td { padding: 2px 8px; text-align: right; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; }
    .bars { width: 100%; max-width: 420px; }
    .bars rect { fill: #3d5a80; }
    .bars text { font: 11px system-ui, sans-serif; }
    .error { color: #b00020; }
    .small { font-size: 0.75rem; color: #667; }
  `,
})
export class Plan {
  readonly bus = inject(Bus);
  readonly key = signal('battery.capacity_kwh');
  readonly values = signal('5, 10, 15');
  readonly days = signal(7);
  readonly running = signal(false);
  readonly error = signal<string | null>(null);
  readonly result = signal<{ rows: PlanRow[]; columns: string[]; days: number; currency: string } | null>(null);
  readonly costBars = computed(() => bars(this.result()?.rows ?? [], 'cost', 200));
  readonly suggestions = computed(() => {
    const home = this.bus.desired()?.home as any;
    const out: string[] = [];
    for (const d of home?.devices ?? []) {
      for (const [k, v] of Object.entries(d)) {
        if (typeof v === 'number' && k !== 'id') out.push(`${d.id}.${k}`);
      }
    }
    return out;
  });

  label(column: string): string {
    return LABELS[column] ?? column;
  }

  cell(value: unknown, column = ''): string {
    if (SHARES.has(column) && typeof value === 'number') return formatPercent(value);
    return typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(3)) : String(value);
  }

  async run(event: Event): Promise<void> {
    event.preventDefault();
    this.running.set(true);
    this.error.set(null);
    this.result.set(null); // never an error above the previous run's figures
    try {
      const vary = { [this.key().trim()]: parseValues(this.values()) };
      this.result.set(await this.bus.call('plan.compare', [vary, this.days()]));
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.running.set(false);
    }
  }
}
