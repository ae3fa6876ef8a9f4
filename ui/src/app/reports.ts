// Reports of the recorded days (report.daily): day-by-day bars of PV, home and bought energy,
// navigable by month and day, refreshed on their own every REFRESH_TICKS settled ticks, and the table.
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';

import { Bus, BusError } from './bus';
import { ReportRows } from './generated';
import { formatPercent } from './watch';

/** The report refreshes itself every this many settled ticks (and when the simulated day changes). */
export const REFRESH_TICKS = 30;

type Row = Record<string, any>;

/** The months present in rows ("2026-01"), in order. */
export function monthsOf(rows: Row[]): string[] {
  return [...new Set(rows.map((r) => String(r['period']).slice(0, 7)))].sort();
}

/** Bars of one month's days: x slot per day, heights of PV, load and import scaled to the largest. */
export function dayBars(rows: Row[], month: string, height: number): { day: string; label: string; pv: number; load: number; imp: number }[] {
  const days = rows.filter((r) => String(r['period']).startsWith(month));
  const max = Math.max(1e-9, ...days.flatMap((r) => [r['pv_kwh'], r['load_kwh'], r['grid_import_kwh']].map(Number)));
  return days.map((r) => ({
    day: String(r['period']), label: String(r['period']).slice(8),
    pv: (Number(r['pv_kwh']) / max) * height, load: (Number(r['load_kwh']) / max) * height,
    imp: (Number(r['grid_import_kwh']) / max) * height,
  }));
}

@Component({
  selector: 'app-reports',
  template: `
    <h3>Recorded days
      <button type="button" (click)="load()" aria-label="refresh the report">Refresh</button>
      <small>updates by itself every {{ refreshTicks }} ticks</small></h3>
    @if (error(); as e) { <p class="error" role="alert">{{ e }}</p> }
    @if (report(); as r) {
      <nav class="months" aria-label="month">
        <button type="button" (click)="moveMonth(-1)" [disabled]="monthIndex() <= 0" aria-label="previous month">◀</button>
        <span data-test="month">{{ month() }}</span>
        <button type="button" (click)="moveMonth(1)" [disabled]="monthIndex() >= months().length - 1" aria-label="next month">▶</button>
        <button type="button" (click)="moveDay(-1)" [disabled]="dayIndex() <= 0" aria-label="previous day">◀ day</button>
        <button type="button" (click)="moveDay(1)" [disabled]="dayIndex() >= r.rows.length - 1" aria-label="next day">day ▶</button>
      </nav>
      <svg class="bars" [attr.viewBox]="'0 0 ' + barsWidth() + ' 140'" role="img" aria-label="energy per day of the month"
           data-test="day-bars">
        @for (b of bars(); track b.day; let i = $index) {
          <g [attr.data-bar]="b.day" (click)="day.set(b.day)" [class.selected]="b.day === selectedDay()">
            <rect class="hit" [attr.x]="i * 30" y="0" width="30" height="140" />
            <rect class="pv" [attr.x]="i * 30 + 3" [attr.y]="120 - b.pv" width="7" [attr.height]="b.pv" />
            <rect class="load" [attr.x]="i * 30 + 11" [attr.y]="120 - b.load" width="7" [attr.height]="b.load" />
            <rect class="imp" [attr.x]="i * 30 + 19" [attr.y]="120 - b.imp" width="7" [attr.height]="b.imp" />
            <text [attr.x]="i * 30 + 15" y="134" text-anchor="middle">{{ b.label }}</text>
          </g>
        }
      </svg>
      <p class="key"><span class="pv">■ PV</span> <span class="load">■ home</span> <span class="imp">■ bought</span> [kWh per day]</p>
      @if (selectedRow(); as row) {
        <p class="day" data-test="selected-day">
          <b>{{ row['period'] }}</b>: PV {{ n(row['pv_kwh']) }} kWh · home {{ n(row['load_kwh']) }} kWh ·
          bought {{ n(row['grid_import_kwh']) }} kWh · sold {{ n(row['grid_export_kwh']) }} kWh ·
          battery {{ n(row['battery_charge_kwh']) }} in / {{ n(row['battery_discharge_kwh']) }} out kWh ·
          cost {{ n(row['cost']) }} {{ r.currency }} · self-sufficiency {{ pct(row['self_sufficiency']) }} ·
          grid down {{ n(row['outage_hours']) }} h ({{ pct(row['outage_coverage']) }} covered)
        </p>
      }
      <div class="table" tabindex="0" role="region" aria-label="recorded days (scrolls sideways)"><table aria-label="report of the recorded days">
        <thead><tr><th>day</th><th>PV kWh</th><th>home kWh</th><th>bought kWh</th><th>sold kWh</th>
          <th>cost {{ r.currency }}</th><th>self-sufficiency</th><th>grid down h</th><th>covered</th></tr></thead>
        <tbody>
          @for (row of r.rows; track row['period']) {
            <tr [attr.data-day]="row['period']" [attr.data-ticks]="row['ticks']" [class.selected]="row['period'] === selectedDay()" (click)="day.set(row['period'])">
              <td>{{ row['period'] }}</td><td>{{ n(row['pv_kwh']) }}</td><td>{{ n(row['load_kwh']) }}</td>
              <td>{{ n(row['grid_import_kwh']) }}</td><td>{{ n(row['grid_export_kwh']) }}</td><td>{{ n(row['cost']) }}</td>
              <td>{{ pct(row['self_sufficiency']) }}</td><td>{{ n(row['outage_hours']) }}</td>
              <td>{{ pct(row['outage_coverage']) }}</td>
            </tr>
          }
        </tbody>
      </table></div>
    }
  `,
  styles: `
    :host { display: block; min-width: 0; }
    .table { overflow-x: auto; }
    table { border-collapse: collapse; }
    th, td { padding: 2px 8px; text-align: right; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; }
    tr.selected td { background: #eef2f7; }
    h3 button { margin-left: 8px; font-size: 0.8rem; }
    h3 small { font-weight: normal; font-size: 0.75rem; color: #667; margin-left: 6px; }
    .months { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
    .bars { width: 100%; max-width: 960px; height: 140px; display: block; }
    .bars text { font: 10px system-ui, sans-serif; fill: #556; }
    .hit { fill: transparent; cursor: pointer; } g.selected .hit { fill: #eef2f7; }
    .pv { fill: #f2a900; color: #8a5c00; } .load { fill: #3d5a80; color: #3d5a80; } .imp { fill: #7a7a7a; color: #555; }
    .key, .day { font-size: 0.8rem; margin: 2px 0; }
    .error { color: #b00020; }
  `,
})
export class Reports {
  readonly bus = inject(Bus);
  readonly refreshTicks = REFRESH_TICKS;
  readonly report = signal<{ rows: Row[]; currency: string } | null>(null);
  readonly error = signal<string | null>(null);
  /** The chosen month and day (null: follow the newest). */
  readonly chosenMonth = signal<string | null>(null);
  readonly day = signal<string | null>(null);
  private loading = false;
  private loadedAt = -Infinity;

  readonly months = computed(() => monthsOf(this.report()?.rows ?? []));
  readonly month = computed(() => this.chosenMonth() ?? this.months()[this.months().length - 1] ?? '');
  readonly monthIndex = computed(() => this.months().indexOf(this.month()));
  readonly bars = computed(() => dayBars(this.report()?.rows ?? [], this.month(), 110));
  readonly barsWidth = computed(() => Math.max(31, this.bars().length) * 30);
  readonly selectedDay = computed(() => {
    const rows = this.report()?.rows ?? [];
    return this.day() ?? (rows.length ? String(rows[rows.length - 1]['period']) : null);
  });
  readonly dayIndex = computed(() => (this.report()?.rows ?? []).findIndex((r) => r['period'] === this.selectedDay()));
  readonly selectedRow = computed(() => (this.report()?.rows ?? [])[this.dayIndex()] ?? null);

  constructor() {
    // Refresh by itself: on the first settlement, then every REFRESH_TICKS ticks.
    effect(() => {
      const s = this.bus.settlement();
      if (!s) return;
      untracked(() => {
        if (s.tick - this.loadedAt >= REFRESH_TICKS || s.tick < this.loadedAt) void this.load(s.tick);
      });
    });
  }

  async load(tick?: number): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.loadedAt = tick ?? this.bus.settlement()?.tick ?? this.loadedAt;
    try {
      const r = ReportRows.unmarshal(await this.bus.call('report.daily'));
      this.report.set({ rows: r.rows as Row[], currency: r.currency });
      this.error.set(null);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.loading = false;
    }
  }

  moveMonth(step: number): void {
    const m = this.months()[this.monthIndex() + step];
    if (m) {
      this.chosenMonth.set(m);
      const first = (this.report()?.rows ?? []).find((r) => String(r['period']).startsWith(m));
      if (first) this.day.set(String(first['period']));
    }
  }

  moveDay(step: number): void {
    const row = (this.report()?.rows ?? [])[this.dayIndex() + step];
    if (row) {
      this.day.set(String(row['period']));
      this.chosenMonth.set(String(row['period']).slice(0, 7));
    }
  }

  n(value: unknown): string {
    return typeof value === 'number' ? value.toFixed(2) : '—';
  }

  pct(value: unknown): string {
    return formatPercent(value as number);
  }
}
