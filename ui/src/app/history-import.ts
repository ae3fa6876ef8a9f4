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
  pv: 'Solar power (PV)', load: 'Home consumption', grid_import: 'Bought from the grid', grid_export: 'Sold to the grid',
  grid: 'Grid power (+ bought, − sold)', battery: 'Battery power (+ discharging)',
};

/** Fitted values shown, in this order, with their names for people. */
export const FITTED_LABELS: Record<string, string> = {
  kwp: 'Solar panels', tilt_deg: 'Panel tilt', azimuth_deg: 'Panel direction (azimuth, 0 = north)',
  pv_derate: 'Solar output against the weather',
  'battery.capacity_kwh': 'Battery usable capacity', 'battery.round_trip_efficiency': 'Battery round-trip efficiency',
  'battery.max_charge_w': 'Battery charges at up to', 'battery.max_discharge_w': 'Battery discharges at up to',
  'inverter.rated_power_w': 'Inverter', 'inverter.work_mode': 'Inverter work mode',
  'inverter.reserve_soc': 'Battery reserve', 'load.kwh_per_day': 'Home consumption a day',
  'battery.soc_ceiling': 'Battery charged up to', pv_curtailment_suspect_share: 'Solar output curtailed (suspected)',
};

/** A fitted value ``{value, unit, ...}`` (or a bare value) as "label: value"; null if it is not one number or word. */
export function describeFitted(key: string, fitted: unknown): { label: string; text: string } | null {
  const entry = (fitted && typeof fitted === 'object' && !Array.isArray(fitted) ? fitted : { value: fitted }) as { value?: unknown; unit?: string };
  const value = entry.value;
  const label = FITTED_LABELS[key] ?? key.replace(/^[a-z]+\./, '').replace(/_/g, ' ');
  if (typeof value === 'string') return /[/\\]|\.csv$/.test(value) ? null : { label, text: value.replace(/_/g, ' ') };
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  switch (entry.unit) {
    case 'kWp': return { label, text: `${value.toFixed(2)} kWp` };
    case 'kWh': return { label, text: `${value.toFixed(1)} kWh` };
    case 'W': return { label, text: value >= 1000 ? `${(value / 1000).toFixed(2)} kW` : `${Math.round(value)} W` };
    case '0..1': return { label, text: `${Math.round(value * 100)} %` };
    case 'degrees': return { label, text: `${Math.round(value)}°` };
    default: return { label, text: `${Math.round(value * 1000) / 1000}${entry.unit ? ' ' + entry.unit : ''}` };
  }
}

/** A data-quality text with the quantities' code names in words. */
export function inWords(text: string): string {
  return text.replace(/\b(pv_w|load_w|grid_import_w|grid_export_w|battery_w|soc)\b/g, (q) => QUANTITY_LABELS[q].toLowerCase())
    .replace(/\bleft as NaN\b/g, 'left empty');
}

/** A UTC time as read ("2026-01-04T22:00:00Z" -> "2026-01-04 22:00 UTC"). */
export function formatUtc(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/:00(\.\d+)?Z$/, ' UTC') : '—';
}

/** The text split into chunks of at most ``size`` characters (never an empty one unless the text is empty). */
export function chunks(text: string, size = CHUNK_CHARS): string[] {
  if (!text.length) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The units a quantity may be given in (a power, an energy counter, or a state of charge). */
export function unitChoices(quantity: string): { value: string; label: string }[] {
  if (quantity === 'soc') return [{ value: '%', label: '%' }, { value: 'fraction', label: 'fraction (0–1)' }];
  return [{ value: 'W', label: 'W' }, { value: 'kW', label: 'kW' }, { value: 'Wh', label: 'Wh (a counter)' },
    { value: 'kWh', label: 'kWh (a counter)' }];
}

/** The mapping sent to history.import: each quantity's column, with the unit and sign where they were changed. */
export function mappingOf(columns: Record<string, string | null>, units: Record<string, string>,
                          signs: Record<string, boolean>): Record<string, string | { name: string; unit?: string; sign?: string }> {
  const out: Record<string, string | { name: string; unit?: string; sign?: string }> = {};
  for (const [q, name] of Object.entries(columns)) {
    if (!name) continue;
    const sign = signs[q] ? (q === 'battery' ? 'charge_positive' : 'export_positive') : undefined;
    out[q] = units[q] || sign ? { name, ...(units[q] ? { unit: units[q] } : {}), ...(sign ? { sign } : {}) } : name;
  }
  return out;
}

/** Bytes as people read them: "512 B", "12.3 kB", "45.6 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
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
  mapping: Record<string, string>; units?: Record<string, string>; quantities: Record<string, string>;
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

    @if (inspection(); as i) {
      <form (submit)="runImport($event)" aria-label="map the history's columns" data-test="mapping">
        <p><strong>{{ i.name }}</strong>: {{ i.layout_label }}, {{ i.columns.length }} columns.</p>
        <fieldset>
          <legend>Which column is what</legend>
          <div class="grid">
            @for (q of quantityKeys(); track q) {
              <label [for]="'map-' + q">{{ quantityLabel(q) }} @if (i.units?.[q]; as unit) { <small class="unit">({{ unit }})</small> }</label>
              <span class="pick">
                <select [id]="'map-' + q" [attr.data-quantity]="q" (change)="choose(q, $any($event.target).value)">
                  <option value="" [selected]="!mapping()[q]">not in the file</option>
                  @for (c of i.columns; track c) { <option [value]="c" [selected]="mapping()[q] === c">{{ c }}</option> }
                </select>
                @if (mapping()[q]) {
                  <select [attr.aria-label]="'unit of ' + quantityLabel(q)" [attr.data-unit]="q" (change)="setUnit(q, $any($event.target).value)">
                    <option value="" [selected]="!units()[q]">unit as guessed</option>
                    @for (u of unitChoices(q); track u.value) { <option [value]="u.value" [selected]="units()[q] === u.value">{{ u.label }}</option> }
                  </select>
                  @if (q === 'battery' || q === 'grid') {
                    <label class="sign"><input type="checkbox" [attr.data-sign]="q" [checked]="!!signs()[q]" (change)="setSign(q, $any($event.target).checked)" />
                      {{ q === 'battery' ? 'positive when charging' : 'positive when selling' }}</label>
                  }
                }
              </span>
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
    @if (error(); as e) { <p class="error" role="alert" data-error="history" [attr.data-field]="errorField()">{{ e }}</p> }
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
            <li>{{ baseName(f.path) }}: {{ (f.rows ?? 0).toLocaleString('en-US') }} rows, {{ utc(f.first) }} to {{ utc(f.last) }}</li>
          }
        </ul>
        <p>Share of the time with data:
          @for (c of coverage(); track c.q) { <span class="chip">{{ c.label }} {{ c.pct }}</span> }
        </p>
        @if ((r.quality.problems ?? []).length) {
          <h4>What was found and done</h4>
          <ul class="problems" aria-label="problems found in the data">
            @for (p of r.quality.problems; track $index) {
              <li><strong>{{ problemLabel(p.kind) }}</strong> · {{ p.quantity ? quantityLabel(p.quantity) : 'all' }} ·
                {{ p.count.toLocaleString('en-US') }}× — {{ words(p.detail) }}</li>
            }
          </ul>
        } @else { <p>No problems found.</p> }
        @for (n of r.quality.notes ?? []; track $index) { <p class="small">{{ words(n) }}</p> }
      </section>

      <section class="calibration" aria-labelledby="calibration-title" data-test="calibration">
        <h3 id="calibration-title">The calibrated home</h3>
        <dl class="fitted">
          @for (f of fitted(); track f.key) { <div [attr.data-fitted]="f.key"><dt>{{ f.label }}</dt><dd>{{ f.text }}</dd></div> }
        </dl>
        @for (n of r.notes; track $index) { <p class="small">{{ words(n) }}</p> }
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
    .fitted { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 6px; margin: 6px 0; }
    .fitted div { background: #f5f7fa; border-radius: 6px; padding: 4px 8px; }
    .fitted dt { font-size: 0.75rem; color: #556; }
    .fitted dd { margin: 0; font-weight: 600; }
    .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 8px; }
    .plots img { width: 100%; height: auto; border: 1px solid #e1e5ea; }
    figure { margin: 0; } figcaption { font-size: 0.8rem; color: #556; }
    code { word-break: break-all; }
    .unit { color: #556; font-weight: normal; }
    .problems { padding-left: 18px; font-size: 0.85rem; }
    .problems li { margin: 2px 0; }
    @media (max-width: 600px) { .grid { grid-template-columns: minmax(0, 1fr); gap: 2px; } .grid label { margin-top: 6px; } }
    .pick { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; min-width: 0; }
    .sign { font-size: 0.8rem; white-space: nowrap; }
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
  /** Units chosen where the guess is wrong ('' or absent: as guessed). */
  readonly units = signal<Record<string, string>>({});
  /** Battery positive when charging, grid positive when selling (the guess: the other way). */
  readonly signs = signal<Record<string, boolean>>({});
  readonly latitude = signal(0);
  readonly longitude = signal(0);
  readonly timezone = signal('UTC');
  readonly progress = signal<{ done: number; total: number; label: string } | null>(null);
  readonly result = signal<any | null>(null);
  readonly adopted = signal<string | null>(null);

  readonly quantityKeys = computed(() => Object.keys(this.inspection()?.quantities ?? QUANTITY_LABELS));
  readonly coverage = computed(() => Object.entries(this.result()?.quality?.coverage ?? {}).map(([q, v]) =>
    ({ q, label: this.quantityLabel(q), pct: `${Math.round(Number(v) * 100)} %` })));
  readonly fitted = computed(() => {
    const all = this.result()?.fitted ?? {};
    const keys = [...Object.keys(FITTED_LABELS).filter((k) => k in all), ...Object.keys(all).filter((k) => !(k in FITTED_LABELS))];
    return keys.filter((k) => !['pv_scale_w_per_kw', 'sun_check'].includes(k))
      .map((key) => ({ key, shown: describeFitted(key, all[key]) }))
      .filter((f) => f.shown !== null).map((f) => ({ key: f.key, ...f.shown! }));
  });
  readonly metrics = computed(() => Object.entries(this.result()?.report?.errors ?? {}).map(([q, e]: [string, any]) => ({
    q, label: this.quantityLabel(q),
    values: [e?.hourly?.mae, e?.hourly?.rmse, e?.hourly?.bias, e?.daily?.mae, e?.daily?.bias].map((v) => formatError(v, q)),
  })));
  readonly months = computed(() => monthRows(this.result()?.report?.months));

  baseName(path: string): string { return String(path ?? '').split('/').pop() ?? ''; }
  utc(iso: string | undefined): string { return formatUtc(iso); }
  /** A text from the reader or calibration, its code names in words and upload folders left out. */
  words(text: string): string { return inWords(String(text ?? '').replace(/\/\S*\/file\//g, '')); }

  quantityLabel(q: string): string {
    return this.inspection()?.quantities?.[q] ?? QUANTITY_LABELS[q] ?? q.replace(/_/g, ' ');
  }
  energyLabel(name: string): string { return ENERGY_LABELS[name] ?? name.replace(/_/g, ' '); }
  problemLabel(kind: string): string {
    return ({ gap: 'Gaps', duplicate: 'Duplicate rows', out_of_order: 'Rows out of order', reset: 'Counter resets',
      spike: 'Spikes', unit: 'kW written as W (or W as kW)', text: 'Text instead of numbers', dst: 'Clock changes',
      zero: 'Always zero', unavailable: 'Sensor unavailable', sign: 'Counted the other way', wrap: 'Counter wraps',
      timezone: 'Time zone' } as
      Record<string, string>)[kind] ?? kind.replace(/_/g, ' ');
  }

  choose(quantity: string, column: string): void {
    this.mapping.update((m) => ({ ...m, [quantity]: column || null }));
  }
  setUnit(quantity: string, unit: string): void { this.units.update((u) => ({ ...u, [quantity]: unit })); }
  setSign(quantity: string, flipped: boolean): void { this.signs.update((s) => ({ ...s, [quantity]: flipped })); }
  unitChoices(quantity: string): { value: string; label: string }[] { return unitChoices(quantity); }

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
      this.mapping.set({ ...(inspection.mapping ?? {}) });
      this.units.set({});
      this.signs.set({});
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
      const mapping = mappingOf(this.mapping(), this.units(), this.signs());
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
