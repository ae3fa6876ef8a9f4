// Your home from its history: upload a history file (in chunks over the bus), map its columns to
// what they measure, import it (calibrate a home, compare its replay with the data), read the
// data-quality and calibration reports, and adopt the calibrated home in the live home.
import { Component, computed, inject, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { fieldOf } from './purchase';

/** Characters a chunk carries (the planner takes up to 1 MiB a chunk: messages.MAX_UPLOAD_CHUNK). */
export const CHUNK_CHARS = 1 << 20;
/** Largest file offered for upload [bytes] (messages.MAX_UPLOAD_BYTES). */
export const MAX_FILE_BYTES = 200 * (1 << 20);

/** What each quantity is, for people. */
export const QUANTITY_LABELS: Record<string, string> = {
  pv_w: 'Solar power (PV)', load_w: 'Home consumption', grid_import_w: 'Bought from the grid',
  grid_export_w: 'Sold to the grid', battery_w: 'Battery power (+ discharging)', soc: 'Battery charge (SoC)',
};

/** Fitted values, for people: label and how to write the value. */
const FITTED: Record<string, [string, (v: number) => string]> = {
  pv_kwp: ['Solar panels', (v) => `${v.toFixed(2)} kWp`],
  pv_derate: ['Solar output against the weather', (v) => `${Math.round(v * 100)} %`],
  battery_kwh: ['Battery usable capacity', (v) => `${v.toFixed(1)} kWh`],
  capacity_kwh: ['Battery usable capacity', (v) => `${v.toFixed(1)} kWh`],
  round_trip_efficiency: ['Battery round-trip efficiency', (v) => `${Math.round(v * 100)} %`],
  tilt_deg: ['Panel tilt', (v) => `${Math.round(v)}°`],
  azimuth_deg: ['Panel direction (azimuth)', (v) => `${Math.round(v)}°`],
  reserve_soc: ['Battery reserve', (v) => `${Math.round(v * 100)} %`],
  load_kwh_per_day: ['Home consumption a day', (v) => `${v.toFixed(1)} kWh`],
};

/** The text split into chunks of at most ``size`` characters (never an empty one unless the text is empty). */
export function chunks(text: string, size = CHUNK_CHARS): string[] {
  if (!text.length) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Bytes as people read them: "512 B", "12.3 kB", "45.6 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A fitted value as "label: value" (unknown keys: the key in words and the number). */
export function describeFitted(key: string, value: unknown): { label: string; text: string } {
  const known = FITTED[key];
  const words = key.replace(/_/g, ' ');
  if (typeof value !== 'number') return { label: known?.[0] ?? words, text: value === null ? '—' : String(value) };
  return known ? { label: known[0], text: known[1](value) } : { label: words, text: String(Math.round(value * 1000) / 1000) };
}

/** An error measure [W] (SoC: percentage points) as written in the table. */
export function formatError(value: unknown, quantity: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (quantity === 'soc') return `${value.toFixed(1)} pts`;
  return Math.abs(value) >= 1000 ? `${(value / 1000).toFixed(2)} kW` : `${Math.round(value)} W`;
}

/** The monthly energy rows as month × (energy: measured, simulated, difference %). */
export function monthRows(months: any[] | undefined): { month: string; cells: { name: string; measured: string; simulated: string; diff: string }[] }[] {
  return (months ?? []).map((m) => ({
    month: m.month,
    cells: Object.entries(m.energy_kwh ?? {}).map(([name, e]: [string, any]) => {
      const measured = Number(e?.measured), simulated = Number(e?.simulated);
      const diff = Number.isFinite(measured) && Number.isFinite(simulated) && Math.abs(measured) > 1e-9
        ? `${simulated >= measured ? '+' : '−'}${Math.abs(((simulated - measured) / measured) * 100).toFixed(1)} %` : '—';
      return { name, measured: Number.isFinite(measured) ? measured.toFixed(1) : '—',
               simulated: Number.isFinite(simulated) ? simulated.toFixed(1) : '—', diff };
    }),
  }));
}

/** Energy names in the monthly table, for people. */
export const ENERGY_LABELS: Record<string, string> = {
  pv: 'Solar', load: 'Home', grid_import: 'Bought', grid_export: 'Sold', battery_discharge: 'Battery out',
  battery_charge: 'Battery in',
};

interface Inspection {
  upload: string; name: string; layout: string; layout_label: string; columns: string[];
  mapping: Record<string, any>; quantities: Record<string, string>;
  location: { latitude: number; longitude: number; timezone: string };
}

@Component({
  selector: 'app-history-import',
  template: `
    <h2 id="history-title">Your home from its history</h2>
    <p class="hint">Upload what your inverter's app, SolarAssistant or Home Assistant exported (CSV, up to 200 MB:
      a year of 1-minute data is 30–60 MB), say which column is what, and homesim fits a home to it.</p>
    <label class="upload">History file (.csv)
      <input type="file" accept=".csv,.txt,.tsv,.json" data-test="history-file" [disabled]="!bus.canChange() || !!busy()"
             (change)="upload($any($event.target))" /></label>
    @if (sent(); as s) {
      <p class="status" role="status" data-test="upload-status">{{ s }}</p>
    }
    @if (error(); as e) { <p class="error" role="alert" data-error="history" [attr.data-field]="errorField()">{{ e }}</p> }

    @if (inspection(); as i) {
      <form (submit)="runImport($event)" aria-label="map the history's columns" data-test="mapping">
        <p><strong>{{ i.name }}</strong>: {{ i.layout_label }}, {{ i.columns.length }} columns.</p>
        <fieldset>
          <legend>Which column is what</legend>
          <div class="grid">
            @for (q of quantityKeys(); track q) {
              <label [for]="'map-' + q">{{ quantityLabel(q) }}</label>
              <select [id]="'map-' + q" [attr.data-quantity]="q" (change)="choose(q, $any($event.target).value)">
                <option value="" [selected]="!mapping()[q]">not in the file</option>
                @for (c of i.columns; track c) { <option [value]="c" [selected]="mapping()[q] === c">{{ c }}</option> }
              </select>
            }
          </div>
        </fieldset>
        <fieldset>
          <legend>Where the home is</legend>
          <div class="grid">
            <label for="hist-lat">Latitude [°]</label>
            <input id="hist-lat" type="number" step="any" min="-90" max="90" [value]="latitude()"
                   (input)="latitude.set(+$any($event.target).value)" />
            <label for="hist-lon">Longitude [°]</label>
            <input id="hist-lon" type="number" step="any" min="-180" max="180" [value]="longitude()"
                   (input)="longitude.set(+$any($event.target).value)" />
            <label for="hist-tz">Time zone</label>
            <input id="hist-tz" [value]="timezone()" (input)="timezone.set($any($event.target).value)" />
          </div>
        </fieldset>
        <button type="submit" [disabled]="!bus.canChange() || !!busy()">{{ busy() === 'import' ? 'Importing…' : 'Import and calibrate' }}</button>
      </form>
    }
    @if (busy() === 'import') {
      <div class="progress" role="status" data-test="import-progress">
        <span class="spinner" aria-hidden="true"></span>
        @if (progress(); as p) {
          <progress [value]="p.done" [max]="p.total" aria-label="import steps done"></progress> {{ p.label }}
        } @else { Reading the history… }
      </div>
    }

    @if (result(); as r) {
      <section class="quality" aria-labelledby="quality-title" data-test="quality">
        <h3 id="quality-title">Data quality</h3>
        <ul class="files">
          @for (f of r.quality.files ?? []; track $index) {
            <li>{{ f.path }}: {{ (f.rows ?? 0).toLocaleString('en-US') }} rows, {{ f.first }} to {{ f.last }}</li>
          }
        </ul>
        <p>Share of the time with data:
          @for (c of coverage(); track c.q) { <span class="chip">{{ c.label }} {{ c.pct }}</span> }
        </p>
        @if ((r.quality.problems ?? []).length) {
          <table aria-label="problems found in the data">
            <thead><tr><th>Problem</th><th>What</th><th>Count</th><th>What was done</th></tr></thead>
            <tbody>
              @for (p of r.quality.problems; track $index) {
                <tr><td>{{ problemLabel(p.kind) }}</td><td>{{ p.quantity ? quantityLabel(p.quantity) : 'all' }}</td>
                  <td class="num">{{ p.count.toLocaleString('en-US') }}</td><td>{{ p.detail }}</td></tr>
              }
            </tbody>
          </table>
        } @else { <p>No problems found.</p> }
        @for (n of r.quality.notes ?? []; track $index) { <p class="small">{{ n }}</p> }
      </section>

      <section class="calibration" aria-labelledby="calibration-title" data-test="calibration">
        <h3 id="calibration-title">The calibrated home</h3>
        <dl class="fitted">
          @for (f of fitted(); track f.key) { <div [attr.data-fitted]="f.key"><dt>{{ f.label }}</dt><dd>{{ f.text }}</dd></div> }
        </dl>
        @for (n of r.notes; track $index) { <p class="small">{{ n }}</p> }
        <h4>How closely it reproduces the history</h4>
        <div class="table" tabindex="0" role="region" aria-label="errors by quantity (scrolls sideways)">
          <table aria-label="errors of the simulated home against the history" data-test="metrics">
            <thead><tr><th>Quantity</th><th>Hourly MAE</th><th>Hourly RMSE</th><th>Hourly bias</th>
              <th>Daily MAE</th><th>Daily bias</th></tr></thead>
            <tbody>
              @for (m of metrics(); track m.q) {
                <tr [attr.data-quantity]="m.q"><th scope="row">{{ m.label }}</th>
                  @for (v of m.values; track $index) { <td class="num">{{ v }}</td> }</tr>
              }
            </tbody>
          </table>
        </div>
        @if (months().length) {
          <h4>Energy by month [kWh], measured → simulated</h4>
          <div class="table" tabindex="0" role="region" aria-label="energy by month (scrolls sideways)">
            <table aria-label="energy by month, measured and simulated">
              <thead><tr><th>Month</th>@for (c of months()[0].cells; track c.name) { <th>{{ energyLabel(c.name) }}</th> }</tr></thead>
              <tbody>
                @for (m of months(); track m.month) {
                  <tr><th scope="row">{{ m.month }}</th>
                    @for (c of m.cells; track c.name) { <td class="num">{{ c.measured }} → {{ c.simulated }} <small>({{ c.diff }})</small></td> }</tr>
                }
              </tbody>
            </table>
          </div>
        }
        <div class="plots">
          @for (p of r.plots; track $index) {
            <figure><img [src]="p.src" [alt]="p.title" data-test="report-plot" /><figcaption>{{ p.title }}</figcaption></figure>
          }
        </div>
        <p class="small">The calibrated home file: <code data-test="home-file">{{ r.home_file }}</code>
          (run it on its own with <code>homesim up {{ r.home_file }}</code>).</p>
        <button type="button" (click)="adopt()" [disabled]="!bus.canChange() || !!busy()" data-test="adopt">
          {{ busy() === 'adopt' ? 'Adopting…' : 'Adopt this home' }}</button>
        <span class="small"> replaces the live home's devices by these.</span>
        @if (adopted(); as a) { <p class="ok" role="status" data-test="adopted">{{ a }}</p> }
      </section>
    }
  `,
  styles: `
    :host { display: block; min-width: 0; }
    h2 { margin: 0 0 4px; font-size: 1.1rem; }
    .hint, .small { font-size: 0.8rem; color: #556; }
    .upload { display: inline-flex; flex-direction: column; gap: 4px; font-size: 0.9rem; }
    fieldset { border: 1px solid #d7dde4; border-radius: 6px; margin: 8px 0; max-width: 560px; }
    .grid { display: grid; grid-template-columns: minmax(9rem, 14rem) minmax(0, 1fr); gap: 4px 8px; align-items: center; }
    select, input { min-width: 0; max-width: 100%; }
    .progress { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0; font-size: 0.85rem; }
    .spinner { width: 14px; height: 14px; border: 2px solid #9fb3c8; border-top-color: #3d5a80; border-radius: 50%;
               animation: spin 0.9s linear infinite; }
    @keyframes spin { to { transform: rotate(360deg); } }
    .table { overflow-x: auto; max-width: 100%; }
    table { border-collapse: collapse; margin: 6px 0; }
    th, td { padding: 2px 8px; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; text-align: left; }
    td.num { text-align: right; white-space: nowrap; }
    .chip { display: inline-block; background: #eef2f6; border-radius: 10px; padding: 0 8px; margin: 2px; font-size: 0.8rem; }
    .fitted { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 6px; margin: 6px 0; }
    .fitted div { background: #f5f7fa; border-radius: 6px; padding: 4px 8px; }
    .fitted dt { font-size: 0.75rem; color: #556; }
    .fitted dd { margin: 0; font-weight: 600; }
    .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 8px; }
    .plots img { width: 100%; height: auto; border: 1px solid #e1e5ea; }
    figure { margin: 0; } figcaption { font-size: 0.8rem; color: #556; }
    code { word-break: break-all; }
    .error { color: #b00020; } .ok { color: #1b6e3a; }
  `,
})
export class HistoryImport {
  readonly bus = inject(Bus);
  readonly busy = signal<'upload' | 'inspect' | 'import' | 'adopt' | null>(null);
  readonly sent = signal<string | null>(null);
  readonly error = signal<string | null>(null);
  readonly errorField = computed(() => (this.error() ? fieldOf(this.error() as string) : null));
  readonly inspection = signal<Inspection | null>(null);
  readonly mapping = signal<Record<string, string | null>>({});
  readonly latitude = signal(0);
  readonly longitude = signal(0);
  readonly timezone = signal('UTC');
  readonly progress = signal<{ done: number; total: number; label: string } | null>(null);
  readonly result = signal<any | null>(null);
  readonly adopted = signal<string | null>(null);

  readonly quantityKeys = computed(() => Object.keys(this.inspection()?.quantities ?? QUANTITY_LABELS));
  readonly coverage = computed(() => Object.entries(this.result()?.quality?.coverage ?? {}).map(([q, v]) =>
    ({ q, label: this.quantityLabel(q), pct: `${Math.round(Number(v) * 100)} %` })));
  readonly fitted = computed(() => Object.entries(this.result()?.fitted ?? {})
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([key, v]) => ({ key, ...describeFitted(key, v) })));
  readonly metrics = computed(() => Object.entries(this.result()?.report?.errors ?? {}).map(([q, e]: [string, any]) => ({
    q, label: this.quantityLabel(q),
    values: [e?.hourly?.mae, e?.hourly?.rmse, e?.hourly?.bias, e?.daily?.mae, e?.daily?.bias].map((v) => formatError(v, q)),
  })));
  readonly months = computed(() => monthRows(this.result()?.report?.months));

  quantityLabel(q: string): string {
    return this.inspection()?.quantities?.[q] ?? QUANTITY_LABELS[q] ?? q.replace(/_/g, ' ');
  }
  energyLabel(name: string): string { return ENERGY_LABELS[name] ?? name.replace(/_/g, ' '); }
  problemLabel(kind: string): string {
    return ({ gap: 'Gaps', duplicate: 'Duplicate rows', out_of_order: 'Rows out of order', reset: 'Counter resets',
      spike: 'Spikes', unit: 'kW written as W (or W as kW)', text: 'Text instead of numbers', dst: 'Clock changes' } as
      Record<string, string>)[kind] ?? kind.replace(/_/g, ' ');
  }

  choose(quantity: string, column: string): void {
    this.mapping.update((m) => ({ ...m, [quantity]: column || null }));
  }

  /** Upload the chosen file in chunks, then ask what it is. */
  async upload(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    this.error.set(null);
    this.inspection.set(null);
    this.result.set(null);
    this.adopted.set(null);
    if (file.size > MAX_FILE_BYTES) {
      this.error.set(`${file.name}: ${formatBytes(file.size)} is more than a history file may have ` +
        `(${formatBytes(MAX_FILE_BYTES)}): split it by months and upload the parts`);
      return;
    }
    this.busy.set('upload');
    try {
      const text = await file.text();
      let upload: string | null = null;
      let offset = 0;
      for (const chunk of chunks(text)) {
        const reply = await this.bus.call('history.upload', [], { name: file.name, text: chunk, upload, offset });
        upload = reply.upload;
        offset = reply.bytes;
        this.sent.set(`Uploaded ${formatBytes(offset)} of ${file.name}`);
      }
      this.busy.set('inspect');
      const inspection = (await this.bus.call('history.inspect', [], { upload })) as Inspection;
      this.inspection.set(inspection);
      this.mapping.set(Object.fromEntries(Object.entries(inspection.mapping ?? {}).map(([q, c]) =>
        [q, typeof c === 'string' ? c : (c?.column ?? c?.entity ?? null)])));
      this.latitude.set(inspection.location.latitude);
      this.longitude.set(inspection.location.longitude);
      this.timezone.set(inspection.location.timezone);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.busy.set(null);
      input.value = '';
    }
  }

  async runImport(event: Event): Promise<void> {
    event.preventDefault();
    const inspection = this.inspection();
    if (!inspection) return;
    this.busy.set('import');
    this.error.set(null);
    this.result.set(null);
    this.adopted.set(null);
    this.progress.set(null);
    try {
      const mapping = Object.fromEntries(Object.entries(this.mapping()).filter(([, c]) => c));
      const result = await this.bus.call('history.import', [], {
        uploads: [inspection.upload], mapping, latitude: this.latitude(), longitude: this.longitude(),
        timezone: this.timezone().trim(),
      }, (done: number, total: number, label?: string) => {
        if (typeof done === 'number' && typeof total === 'number') this.progress.set({ done, total, label: label ?? `${done} of ${total} steps` });
      });
      this.result.set(result);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.busy.set(null);
      this.progress.set(null);
    }
  }

  async adopt(): Promise<void> {
    const r = this.result();
    const version = this.bus.desired()?.version;
    if (!r || version === undefined) return;
    this.busy.set('adopt');
    this.error.set(null);
    this.adopted.set(null);
    try {
      const a = await this.bus.call('history.adopt', [], { job: r.job, version });
      const parts = [a.removed.length ? `removed ${a.removed.join(', ')}` : '', a.added.length ? `added ${a.added.join(', ')}` : '',
        a.changed.length ? `changed ${a.changed.join(', ')}` : ''].filter(Boolean);
      this.adopted.set(`Adopted: ${parts.join('; ') || 'nothing to change'}.`);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.busy.set(null);
    }
  }
}
