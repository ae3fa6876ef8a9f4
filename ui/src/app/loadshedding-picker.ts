// The grid's load-shedding, picked instead of typed: the area's schedule (a list of outages by
// area, the area's rotation, or a response saved from EskomSePush), the national stages over time
// (typed in a small table, or a file), files uploaded from the browser to the controller's
// `loadshedding.upload` (checked by homesim's readers, stored beside the home file), and what it
// gives from `loadshedding.preview`: the area, the stages, hours off each day as bars coloured by
// stage, each outage with its stage, and the average hours off a day at each stage.
import { Component, computed, effect, inject, input, output, signal, untracked } from '@angular/core';

import { Bus, BusError } from './bus';
import { TIME_PATTERN, time24 } from './editors';

export type AreaKind = 'none' | 'events' | 'rotation' | 'esp';
export type StagesKind = 'table' | 'file';
export interface StageRow { stage: number; start: string; end: string }
/** What the picker holds: where the area's schedule and the stages come from. */
export interface Shedding {
  area: AreaKind;
  /** The area's file (relative to the home file's folder), '' before one is chosen. */
  areaFile: string;
  /** The area's name in a list of outages by area. */
  areaName: string;
  stagesKind: StagesKind;
  stages: StageRow[];
  /** A stage timeline file, or a saved EskomSePush status (``stagesField``). */
  stagesFile: string;
  stagesField: 'stage_timeline' | 'esp_status_json';
}
export interface Preview {
  area: string; areas: string[]; source: string; timezone: string; start: string; days: number;
  stages: StageRow[]; outages: StageRow[]; outage_count: number;
  daily: { date: string; hours: number; stage: number }[];
  averages: { stage: number; hours: number }[]; averages_basis: string;
}

export const AREA_KINDS: { kind: AreaKind; label: string; accept: string }[] = [
  { kind: 'none', label: 'No load-shedding', accept: '' },
  { kind: 'events', label: 'A list of outages by area (CSV)', accept: '.csv' },
  { kind: 'rotation', label: "My area's rotation (CSV)", accept: '.csv' },
  { kind: 'esp', label: 'Saved from EskomSePush (area)', accept: '.json' },
];

/** The picker's state from the grid's ``load_shedding`` property (null: none). */
export function sheddingOf(value: unknown): Shedding {
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, any>;
  const area: AreaKind = v['events_csv'] ? 'events' : v['esp_area_json'] ? 'esp' : v['area_schedule_csv'] ? 'rotation'
    : value ? 'rotation' : 'none';
  const stagesFile = v['stage_timeline'] ?? v['esp_status_json'] ?? '';
  return {
    area,
    areaFile: v['events_csv'] ?? v['esp_area_json'] ?? v['area_schedule_csv'] ?? '',
    areaName: v['area'] ?? '',
    stagesKind: stagesFile ? 'file' : 'table',
    stages: (Array.isArray(v['stages']) ? v['stages'] : []).map((s: any) => ({
      stage: Number(s?.stage ?? 0), start: String(s?.start ?? '').slice(0, 16), end: String(s?.end ?? '').slice(0, 16) })),
    stagesFile,
    stagesField: v['esp_status_json'] ? 'esp_status_json' : 'stage_timeline',
  };
}

/** Whether the area's schedule needs the national stages (a list of outages does not). */
export const needsStages = (s: Shedding): boolean => s.area === 'rotation' || s.area === 'esp';

/** The grid's ``load_shedding`` property for a state (null: no load-shedding). */
export function valueOf(s: Shedding): Record<string, unknown> | null {
  if (s.area === 'none') return null;
  const field = { events: 'events_csv', rotation: 'area_schedule_csv', esp: 'esp_area_json' }[s.area];
  const value: Record<string, unknown> = { [field]: s.areaFile || null };
  if (s.area === 'events') value['area'] = s.areaName || null;
  if (needsStages(s)) {
    if (s.stagesKind === 'file' && s.stagesFile) value[s.stagesField] = s.stagesFile;
    if (s.stagesKind === 'table' && s.stages.length) value['stages'] = s.stages.map((r) => ({ ...r }));
  }
  return value;
}

/** Whether a state is complete enough to ask what it gives. */
export function complete(s: Shedding): boolean {
  if (s.area === 'none' || !s.areaFile) return false;
  if (s.area === 'events') return !!s.areaName;
  if (s.area === 'esp') return true;  // its own events, with or without stages
  return s.stagesKind === 'file' ? !!s.stagesFile : s.stages.length > 0 && s.stages.every(rowComplete);
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/;
const rowComplete = (r: StageRow) => DATE_TIME.test(r.start) && DATE_TIME.test(r.end) && r.start < r.end;

/** A file name the controller stores: letters, digits, '.', '_' and '-' (others become '-'). */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/\.\.+/g, '.') || 'schedule.csv';
}

/** A number of hours for people: 2.5 -> "2 h 30 min", 0 -> "none". */
export function hoursText(h: number): string {
  if (h <= 0) return 'none';
  const minutes = Math.round(h * 60);
  const [whole, rest] = [Math.floor(minutes / 60), minutes % 60];
  return whole && rest ? `${whole} h ${rest} min` : whole ? `${whole} h` : `${rest} min`;
}

/** A stage's colour, light (stage 1) to dark red (stage 8). */
export function stageColor(stage: number): string {
  const colors = ['#9aa5b1', '#f2c94c', '#f2994a', '#eb5757', '#c0392b', '#a93226', '#8e2a20', '#6e1f18', '#4a130f'];
  return colors[Math.max(0, Math.min(8, stage))];
}

/** "2026-01-05T16:00" -> "Mon 5 Jan 16:00" (the times are local already: no time zone). */
export function whenText(iso: string): string {
  const [date, time] = iso.split('T');
  const d = new Date(`${date}T00:00:00Z`);
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  return `${day.replace(',', '')} ${time ?? ''}`.trim();
}

/** An outage's span: "Mon 5 Jan 16:00 – 18:30", the end's day named when it is another. */
export function spanText(start: string, end: string): string {
  return start.slice(0, 10) === end.slice(0, 10) ? `${whenText(start)} – ${end.slice(11, 16)}`
    : `${whenText(start)} – ${whenText(end)}`;
}

/** The local date (YYYY-MM-DD) of an instant [s since 1970 UTC] in a time zone. */
export function localDate(unixS: number, timeZone: string): string {
  return new Date(unixS * 1000).toLocaleDateString('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
}

/** Bars of hours off per day: x, width, height in a ``width`` x ``height`` box (24 h high). */
export function dayBars(daily: Preview['daily'], width: number, height: number) {
  const step = width / Math.max(1, daily.length);
  return daily.map((d, i) => ({
    ...d, x: i * step + step * 0.1, w: step * 0.8, h: (Math.min(24, d.hours) / 24) * height,
    y: height - (Math.min(24, d.hours) / 24) * height,
  }));
}

@Component({
  selector: 'app-loadshedding-picker',
  template: `
    <div class="picker" role="group" aria-label="Load-shedding">
      <fieldset>
        <legend>Your area's schedule</legend>
        <label class="row">Where it comes from
          <select aria-label="Where your area's schedule comes from" [disabled]="disabled()"
                  (change)="setArea($any($event.target).value)">
            @for (k of kinds; track k.kind) { <option [value]="k.kind" [selected]="k.kind === state().area">{{ k.label }}</option> }
          </select>
        </label>
        @if (state().area !== 'none') {
          <div class="file">
            <span class="name" data-area-file>{{ state().areaFile ? 'File: ' + fileName(state().areaFile) : 'No file chosen yet' }}</span>
            <label class="upload">Upload a file
              <input type="file" [attr.accept]="accept()" [disabled]="disabled() || busy()"
                     aria-label="Upload your area's schedule file" (change)="upload($event, 'area')" /></label>
          </div>
          @if (areaNote(); as note) { <p class="note" role="status" data-area-note>{{ note }}</p> }
          @if (state().area === 'events') {
            <label class="row">Your area
              <select aria-label="Your area" [disabled]="disabled() || !areas().length" (change)="setAreaName($any($event.target).value)">
                @if (!state().areaName) { <option value="" selected>choose your area</option> }
                @for (a of areas(); track a) { <option [value]="a" [selected]="a === state().areaName">{{ a }}</option> }
              </select>
            </label>
          }
        }
        @if (areaError(); as e) { <p class="error" role="alert" data-area-error>{{ e }}</p> }
      </fieldset>

      @if (needsStages(state())) {
        <fieldset>
          <legend>Load-shedding stages over time</legend>
          <div class="choice">
            <label><input type="radio" name="stages-kind" [checked]="state().stagesKind === 'table'" [disabled]="disabled()"
                          (change)="update({ stagesKind: 'table' })" /> Type them in</label>
            <label><input type="radio" name="stages-kind" [checked]="state().stagesKind === 'file'" [disabled]="disabled()"
                          (change)="update({ stagesKind: 'file' })" /> From a file</label>
          </div>
          @if (state().stagesKind === 'table') {
            @for (r of state().stages; track $index; let i = $index) {
              <div class="stage-row" [attr.data-stage-row]="i">
                <label>Stage <input type="number" min="0" max="8" step="1" class="stage" [value]="r.stage" [disabled]="disabled()"
                       [attr.aria-label]="'Stage of row ' + (i + 1)" (change)="setRow(i, { stage: +$any($event.target).value })" /></label>
                <span class="when">from
                  <input type="date" [value]="r.start.slice(0, 10)" [disabled]="disabled()" [attr.aria-label]="'From date, row ' + (i + 1)"
                         (change)="setRow(i, { start: joined($any($event.target).value, r.start.slice(11)) })" />
                  <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                         [value]="r.start.slice(11, 16)" [disabled]="disabled()" [attr.aria-label]="'From time, row ' + (i + 1)"
                         (change)="setRow(i, { start: joined(r.start.slice(0, 10), time24($any($event.target).value)) })" /></span>
                <span class="when">to
                  <input type="date" [value]="r.end.slice(0, 10)" [disabled]="disabled()" [attr.aria-label]="'To date, row ' + (i + 1)"
                         (change)="setRow(i, { end: joined($any($event.target).value, r.end.slice(11)) })" />
                  <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                         [value]="r.end.slice(11, 16)" [disabled]="disabled()" [attr.aria-label]="'To time, row ' + (i + 1)"
                         (change)="setRow(i, { end: joined(r.end.slice(0, 10), time24($any($event.target).value)) })" /></span>
                <button type="button" [disabled]="disabled()" [attr.aria-label]="'Remove row ' + (i + 1)" (click)="removeRow(i)">✕</button>
              </div>
            } @empty { <p class="note">No stages yet: add a period with its stage.</p> }
            <button type="button" [disabled]="disabled()" (click)="addRow()">Add a period</button>
          } @else {
            <div class="file">
              <span class="name" data-stages-file>{{ state().stagesFile ? 'File: ' + fileName(state().stagesFile) : 'No file chosen yet' }}</span>
              <label class="upload">Upload a file
                <input type="file" accept=".csv,.json" [disabled]="disabled() || busy()"
                       aria-label="Upload a stages file" (change)="upload($event, 'stages')" /></label>
            </div>
            @if (stagesNote(); as note) { <p class="note" role="status" data-stages-note>{{ note }}</p> }
          }
          @if (stagesError(); as e) { <p class="error" role="alert" data-stages-error>{{ e }}</p> }
        </fieldset>
      }

      @if (state().area !== 'none') {
        <section class="preview" aria-label="What this schedule gives" aria-live="polite">
          <h4>What it gives
            <select aria-label="Days shown" [value]="days()" (change)="days.set(+$any($event.target).value)">
              @for (d of dayChoices; track d) { <option [value]="d" [selected]="d === days()">{{ d }} days</option> }
            </select>
          </h4>
          @if (previewError(); as e) {
            <p class="error" role="alert" data-preview-error>{{ e }}</p>
          } @else if (!bus.canChange()) {
            <p class="note">What it gives is worked out for the home's operator (you are watching).</p>
          } @else if (!complete(state())) {
            <p class="note">{{ missing() }}</p>
          } @else if (preview(); as p) {
            <p class="summary" data-preview-area><strong>{{ p.area }}</strong>: {{ total(p) }} off in {{ p.outage_count }} outages
              over {{ p.days }} days from {{ whenText(p.start) }}.</p>
            <svg class="bars" viewBox="0 0 320 110" role="img" [attr.aria-label]="'Hours off each day: ' + barsText(p)">
              @for (y of [0, 6, 12, 18, 24]; track y) {
                <line x1="28" x2="320" [attr.y1]="94 - y * 3.5" [attr.y2]="94 - y * 3.5" class="grid" />
                <text x="25" [attr.y]="97 - y * 3.5" text-anchor="end">{{ y }} h</text>
              }
              <g transform="translate(30 10)">
                @for (b of bars(p); track b.date; let i = $index) {
                  <rect [attr.x]="b.x" [attr.y]="b.y" [attr.width]="b.w" [attr.height]="b.h" [attr.fill]="stageColor(b.stage)">
                    <title>{{ whenText(b.date + 'T') }}: {{ hoursText(b.hours) }} off{{ b.stage ? ', stage ' + b.stage : '' }}</title>
                  </rect>
                  @if (i % labelEvery(p) === 0) { <text [attr.x]="b.x + b.w / 2" y="98" text-anchor="middle">{{ dayLabel(b.date) }}</text> }
                }
              </g>
            </svg>
            <p class="legend">@for (s of legend(p); track s) {<span><i [style.background]="stageColor(s)"></i>stage {{ s }}</span>}</p>
            @if (p.averages.length) {
              <h5>Average hours off a day at each stage</h5>
              <div class="scroll" tabindex="0" role="region" aria-label="Average hours off a day at each stage"><table class="averages" data-averages>
                <tr><th scope="row">Stage</th>@for (a of p.averages; track a.stage) { <td>{{ a.stage }}</td> }</tr>
                <tr><th scope="row">Hours</th>@for (a of p.averages; track a.stage) { <td>{{ a.hours.toFixed(1) }}</td> }</tr>
              </table></div>
              <p class="basis">From {{ p.averages_basis }}.</p>
            }
            @if (p.stages.length) {
              <h5>Stages</h5>
              <ul class="stages" data-stages>
                @for (s of p.stages.slice(0, 12); track $index) { <li>{{ s.stage ? 'Stage ' + s.stage : 'No load-shedding' }}: {{ spanText(s.start, s.end) }}</li> }
                @if (p.stages.length > 12) { <li>and {{ p.stages.length - 12 }} more</li> }
              </ul>
            }
            <h5>Outages</h5>
            <ul class="outages" data-outages>
              @for (o of p.outages.slice(0, shownOutages); track $index) {
                <li><i [style.background]="stageColor(o.stage)"></i>{{ spanText(o.start, o.end) }}{{ o.stage ? ' · stage ' + o.stage : '' }}</li>
              } @empty { <li>none in these days</li> }
              @if (p.outage_count > shownOutages) { <li>and {{ p.outage_count - shownOutages }} more</li> }
            </ul>
            <p class="from">{{ sourceText(p) }}</p>
          } @else { <p class="note">Working it out…</p> }
        </section>
      }
    </div>
  `,
  styles: `
    :host { display: block; min-width: 0; }
    .picker { display: grid; grid-template-columns: minmax(0, 1fr); gap: 10px; }
    .picker > * { min-width: 0; }
    .scroll { overflow-x: auto; max-width: 100%; }
    fieldset { border: 1px solid #d5d9e0; border-radius: 6px; padding: 8px 10px; display: grid; gap: 6px; min-width: 0; }
    legend { font-weight: 600; font-size: 0.9rem; }
    .row { display: grid; gap: 2px; font-size: 0.85rem; }
    .row select { max-width: 100%; }
    .file { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; font-size: 0.85rem; }
    .file .name { overflow-wrap: anywhere; }
    .upload input { font-size: 0.8rem; max-width: 100%; }
    .upload { display: grid; gap: 2px; }
    .choice { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.85rem; }
    .stage-row { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; font-size: 0.85rem;
      border-bottom: 1px dashed #e3e6ea; padding-bottom: 4px; }
    .stage-row .stage { width: 3.2rem; }
    .stage-row .hhmm { width: 3.6rem; font-variant-numeric: tabular-nums; }
    .stage-row .hhmm:invalid { border-color: #b00020; }
    .when { white-space: nowrap; }
    .preview { border-top: 1px solid #e3e6ea; padding-top: 6px; }
    h4 { margin: 0 0 4px; display: flex; gap: 10px; align-items: center; justify-content: space-between; font-size: 0.95rem; }
    h5 { margin: 8px 0 2px; font-size: 0.85rem; }
    .summary, .basis, .from, .legend { font-size: 0.82rem; margin: 2px 0; }
    .basis, .from { color: #556; }
    .bars { width: 100%; max-width: 560px; height: auto; display: block; }
    .bars text { font-size: 9px; fill: #334; }
    .bars line.grid { stroke: #e3e6ea; stroke-width: 0.5; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; }
    i { display: inline-block; width: 0.75em; height: 0.75em; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
    ul { margin: 0; padding-left: 0; list-style: none; font-size: 0.82rem; columns: 2 16rem; }
    table.averages { border-collapse: collapse; font-size: 0.8rem; }
    table.averages td, table.averages th { border: 1px solid #e3e6ea; padding: 1px 4px; text-align: right; }
    .note { color: #8a5a00; font-size: 0.82rem; margin: 0; }
    .error { color: #b00020; font-size: 0.82rem; margin: 0; overflow-wrap: anywhere; }
  `,
})
export class LoadSheddingPicker {
  readonly bus = inject(Bus);
  /** The grid's ``load_shedding`` as the form holds it. */
  readonly value = input<unknown>(null);
  readonly disabled = input(false);
  readonly changed = output<Record<string, unknown> | null>();

  readonly kinds = AREA_KINDS;
  readonly dayChoices = [7, 14, 28, 56];
  readonly shownOutages = 40;
  readonly timePattern = TIME_PATTERN;
  readonly time24 = time24;
  readonly needsStages = needsStages;
  readonly complete = complete;
  readonly stageColor = stageColor;
  readonly hoursText = hoursText;
  readonly whenText = whenText;
  readonly spanText = spanText;

  readonly state = signal<Shedding>(sheddingOf(null));
  readonly areas = signal<string[]>([]);
  readonly areaNote = signal('');
  readonly stagesNote = signal('');
  readonly areaError = signal('');
  readonly stagesError = signal('');
  readonly preview = signal<Preview | null>(null);
  readonly previewError = signal('');
  readonly busy = signal(false);
  readonly days = signal(28);
  /** The simulated day (YYYY-MM-DD, the home's local date) the preview starts at; null before
   * the first settlement (the preview then starts at the first outage). */
  readonly today = computed(() => {
    const s = this.bus.settlement();
    const zone = (this.bus.desired()?.home as any)?.location?.timezone ?? 'UTC';
    return s ? localDate(s.time, zone) : null;
  });
  readonly accept = computed(() => AREA_KINDS.find((k) => k.kind === this.state().area)?.accept ?? '');
  /** The value this picker last sent (a value from outside replaces the state; its own does not). */
  private sent = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private asked = 0;

  constructor() {
    effect(() => {
      const text = JSON.stringify(this.value() ?? null);
      if (text !== this.sent) untracked(() => this.state.set(sheddingOf(this.value())));
    });
    effect(() => {
      const state = this.state();
      const days = this.days();
      const today = this.today();
      untracked(() => this.schedule(state, days, today));
    });
  }

  fileName(path: string): string {
    return path.split('/').pop() ?? path;
  }

  missing(): string {
    const s = this.state();
    if (!s.areaFile) return 'Upload your area\'s file to see its outages.';
    if (s.area === 'events' && !s.areaName) return 'Choose your area to see its outages.';
    return 'Add the stages over time (each period complete, its end after its start) to see the outages.';
  }

  update(change: Partial<Shedding>): void {
    this.state.update((s) => ({ ...s, ...change }));
    const value = valueOf(this.state());
    this.sent = JSON.stringify(value);
    this.changed.emit(value);
  }

  setArea(kind: AreaKind): void {
    const keep = kind === this.state().area;
    this.areaNote.set('');
    this.areaError.set('');
    if (!keep) this.areas.set([]);
    this.update({ area: kind, areaFile: keep ? this.state().areaFile : '', areaName: keep ? this.state().areaName : '' });
  }

  setAreaName(name: string): void {
    this.update({ areaName: name });
  }

  joined(date: string, time: string): string {
    return `${date}T${time || '00:00'}`;
  }

  setRow(index: number, change: Partial<StageRow>): void {
    this.update({ stages: this.state().stages.map((r, i) => (i === index ? { ...r, ...change } : r)) });
  }

  addRow(): void {
    const rows = this.state().stages;
    const last = rows[rows.length - 1];
    const start = last?.end || `${this.today() ?? new Date().toISOString().slice(0, 10)}T16:00`;
    const end = `${start.slice(0, 10)}T22:00` > start ? `${start.slice(0, 10)}T22:00` : `${start.slice(0, 10)}T23:59`;
    this.update({ stages: [...rows, { stage: last ? last.stage : 2, start, end }] });
  }

  removeRow(index: number): void {
    this.update({ stages: this.state().stages.filter((_, i) => i !== index) });
  }

  /** Send a chosen file's text to the controller, which checks it and stores it. */
  async upload(event: Event, role: 'area' | 'stages'): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const [error, note] = role === 'area' ? [this.areaError, this.areaNote] : [this.stagesError, this.stagesNote];
    error.set('');
    note.set(`Checking ${file.name}…`);
    this.busy.set(true);
    try {
      const text = await file.text();
      const stored = await this.bus.call('loadshedding.upload', [], { name: safeName(file.name), text, role });
      note.set(`${this.fileName(stored.path)}: ${stored.summary}`);
      if (role === 'area') {
        const kind: AreaKind = stored.field === 'events_csv' ? 'events' : stored.field === 'esp_area_json' ? 'esp' : 'rotation';
        this.areas.set(stored.areas ?? []);
        const name = stored.areas?.includes(this.state().areaName) ? this.state().areaName : '';
        this.update({ area: kind, areaFile: stored.path, areaName: name });
      } else {
        this.update({ stagesKind: 'file', stagesFile: stored.path, stagesField: stored.field });
      }
    } catch (e) {
      note.set('');
      error.set((e as BusError).message);
    } finally {
      this.busy.set(false);
      input.value = '';
    }
  }

  /** Ask what the state gives, a moment after the last change. */
  private schedule(state: Shedding, days: number, today: string | null): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.previewError.set('');
    if (!complete(state) || !this.bus.canChange()) {
      this.preview.set(null);
      return;
    }
    const asked = ++this.asked;
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        const p: Preview = await this.bus.call('loadshedding.preview', [],
          { load_shedding: valueOf(state), start: today, days });
        if (asked !== this.asked) return;
        this.preview.set(p);
        if (state.area === 'events' && p.areas.length) this.areas.set(p.areas);
      } catch (e) {
        if (asked === this.asked) { this.preview.set(null); this.previewError.set((e as BusError).message); }
      }
    }, 300);
  }

  bars(p: Preview) {
    return dayBars(p.daily, 288, 84);
  }

  labelEvery(p: Preview): number {
    return p.daily.length <= 7 ? 1 : p.daily.length <= 14 ? 2 : 7;
  }

  dayLabel(date: string): string {
    return whenText(`${date}T`).replace(/^\w+ /, '');
  }

  legend(p: Preview): number[] {
    return [...new Set(p.daily.map((d) => d.stage).filter((s) => s > 0))].sort((a, b) => a - b);
  }

  total(p: Preview): string {
    return hoursText(p.daily.reduce((sum, d) => sum + d.hours, 0));
  }

  barsText(p: Preview): string {
    return p.daily.map((d) => `${d.date} ${hoursText(d.hours)}`).join('; ');
  }

  sourceText(p: Preview): string {
    return `From ${p.source}; times in ${p.timezone.replace('_', ' ')}.`;
  }
}
