// Reports of the recorded days: energy, cost, self-sufficiency, outage coverage (report.daily).
import { Component, inject, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { ReportRows } from './generated';

@Component({
  selector: 'app-reports',
  template: `
    <h3>Recorded days <button type="button" (click)="load()" aria-label="refresh the report">Refresh</button></h3>
    @if (error(); as e) { <p class="error" role="alert">{{ e }}</p> }
    @if (report(); as r) {
      <div class="table"><table aria-label="report of the recorded days">
        <thead><tr><th>day</th><th>PV kWh</th><th>load kWh</th><th>import kWh</th><th>export kWh</th>
          <th>cost {{ r.currency }}</th><th>self-sufficiency</th><th>outage h</th><th>covered</th></tr></thead>
        <tbody>
          @for (row of r.rows; track row['period']) {
            <tr [attr.data-day]="row['period']">
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
    .table { overflow-x: auto; }
    table { border-collapse: collapse; }
    th, td { padding: 2px 8px; text-align: right; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; }
    h3 button { margin-left: 8px; font-size: 0.8rem; }
    .error { color: #b00020; }
  `,
})
export class Reports {
  readonly bus = inject(Bus);
  readonly report = signal<{ rows: Record<string, any>[]; currency: string } | null>(null);
  readonly error = signal<string | null>(null);

  async load(): Promise<void> {
    try {
      const r = ReportRows.unmarshal(await this.bus.call('report.daily'));
      this.report.set({ rows: r.rows as Record<string, any>[], currency: r.currency });
      this.error.set(null);
    } catch (e) {
      this.error.set((e as BusError).message);
    }
  }

  n(value: unknown): string {
    return typeof value === 'number' ? value.toFixed(2) : '—';
  }

  pct(value: unknown): string {
    return typeof value === 'number' ? `${Math.round(value * 100)} %` : '—';
  }
}
