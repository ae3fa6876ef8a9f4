// A device's property form, built from its kind's schema (generated from the pydantic
// models): human labels and units, help as plain text, inputs typed by the schema, editors for
// time windows, times, weekdays and smart switches (no JSON for what people set); the
// server's validation errors next to the field.
import { Component, computed, effect, inject, input, output, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { DaysEditor, NumbersEditor, RecordField, RecordsEditor, SwitchEditor, TIME_PATTERN, TimesEditor, WindowEditor,
  isTimeOfDay, normalizeSwitch, normalizeWindows, recordFields, time24, unitOf } from './editors';
import { fieldErrors } from './energy';
import deviceKinds from './generated/device-kinds.json';
import { KINDS as KIND_INFO, KindInfo } from './kinds';
import { LoadSheddingPicker } from './loadshedding-picker';
import { TariffSummary } from './tariff-summary';

/** How a property is edited. */
export type Editor = 'number' | 'percent' | 'text' | 'enum' | 'boolean' | 'windows' | 'tariff' | 'times' | 'days'
  | 'numbers' | 'records' | 'switch' | 'time' | 'loadshedding' | 'utility-tariff' | 'json';

export interface FieldSpec {
  name: string;
  /** For people: the model's title. */
  label: string;
  type: string;
  unit: string;
  help: string;
  min?: number;
  max?: number;
  step?: string;
  enum?: string[];
  nullable: boolean;
  editor: Editor;
  /** Only properties with no editor of their own (e.g. a grid's outage dates) are JSON. */
  json: boolean;
  /** A list of records: its items' fields, and the rows it must keep. */
  records?: RecordField[];
  minItems?: number;
}

const KINDS = deviceKinds as Record<string, any>;
function editorOf(name: string, p: any, unit: string): Editor {
  if (p.enum) return 'enum';
  if (p.type === 'boolean') return 'boolean';
  if (p.type === 'number' || p.type === 'integer') return unit === '0..1' ? 'percent' : 'number';
  if (p.type === 'string') return isTimeOfDay(p) ? 'time' : 'text';
  if (p.type === 'array') {
    const items = p.items ?? {};
    if (items.properties?.start && items.properties?.end && items.properties?.days) {
      return items.properties.price_per_kwh ? 'json' : 'windows';
    }
    if (items.enum) return 'days';
    if (items.type === 'string') return 'times';
    if (items.type === 'number' && p.minItems && p.minItems === p.maxItems) return 'numbers';
    if (recordFields(items)) return 'records';
  }
  if (p.type === 'object' && p.properties?.timers) return 'switch';
  if (p.type === 'object' && p.properties?.periods && p.properties?.flat_per_kwh) return 'tariff';
  if (p.type === 'object' && p.properties?.events_csv && p.properties?.area_schedule_csv) return 'loadshedding';
  // the full tariff: shown in words, changed in the Tariff panel (tariff-picker.ts)
  if (p.type === 'object' && p.properties?.rates && p.properties?.metering) return 'utility-tariff';
  return 'json';
}

/** The form fields of a device kind in the model's order (``fields`` in the generated kinds:
 * name, circuit, the kind's own properties, the smart switch), the few still edited as JSON last. */
export function fieldsOf(kind: string): FieldSpec[] {
  const schema = KINDS[kind];
  if (!schema) return [];
  const declared: string[] = schema.fields ?? [];
  const rank = (f: FieldSpec) => (f.json ? 1000 : 0) + (declared.includes(f.name) ? declared.indexOf(f.name) : 500);
  return Object.entries<any>(schema.properties ?? {})
    .map(([name, p]) => {
      const description: string = p.description ?? '';
      const unit = unitOf(p);
      const editor = editorOf(name, p, unit);
      return {
        name, label: p.title ?? name, type: p.type ?? 'object', editor,
        unit: editor === 'percent' ? '%' : unit,
        help: description.trim(),
        min: editor === 'percent' ? (p.minimum ?? 0) * 100 : p.minimum,
        max: editor === 'percent' ? (p.maximum ?? 1) * 100 : p.maximum,
        step: p.type === 'integer' ? '1' : 'any',
        enum: p.enum,
        nullable: !!p.nullable,
        json: editor === 'json',
        records: editor === 'records' ? recordFields(p.items) ?? undefined : undefined,
        minItems: p.minItems,
      } as FieldSpec;
    })
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** A number for a percent input (0.1408 -> 14.08). */
export function toPercent(value: unknown): string {
  return typeof value === 'number' ? String(Number((value * 100).toPrecision(10))) : '';
}

@Component({
  selector: 'app-property-form',
  imports: [WindowEditor, TimesEditor, DaysEditor, NumbersEditor, RecordsEditor, SwitchEditor, LoadSheddingPicker, TariffSummary],
  template: `
    <form (submit)="save($event)" novalidate [attr.aria-labelledby]="'props-title'">
      <h3 id="props-title"><span aria-hidden="true">{{ info()?.icon }}</span> {{ deviceId() }}
        <small>{{ info()?.label ?? kind() }}</small></h3>
      @for (f of fields(); track f.name) {
        <div class="field" [class.invalid]="errors()[f.name]" [class.wide]="wide(f)" [attr.data-field]="f.name">
          @if (wide(f)) {
            <span class="label" [id]="'label-' + f.name">{{ f.label }}@if (f.unit) { <span class="unit">[{{ f.unit }}]</span> }</span>
          } @else {
            <label class="label" [attr.for]="'prop-' + f.name">{{ f.label }}@if (f.unit) { <span class="unit">[{{ f.unit }}]</span> }</label>
          }
          <div class="input">
            @switch (f.editor) {
              @case ('enum') {
                <select [id]="'prop-' + f.name" [name]="f.name" [disabled]="!editable()"
                        (change)="edit(f, $any($event.target).value)">
                  @for (option of f.enum; track option) {
                    <option [value]="option" [selected]="option === value(f)">{{ option.replaceAll('_', ' ') }}</option>
                  }
                </select>
              }
              @case ('boolean') {
                <input type="checkbox" [id]="'prop-' + f.name" [name]="f.name" [disabled]="!editable()"
                       [checked]="value(f) === true" (change)="edit(f, $any($event.target).checked)" />
              }
              @case ('windows') {
                <app-window-editor [windows]="windows(f)" [label]="f.label" [disabled]="!editable()"
                                   [attr.id]="'prop-' + f.name" (changed)="edit(f, $event)" />
              }
              @case ('tariff') {
                <div class="tariff" [attr.id]="'prop-' + f.name">
                  <label>flat price <input type="number" min="0" step="any" [disabled]="!editable()"
                         [value]="$any(value(f))?.flat_per_kwh ?? ''" aria-label="flat price per kWh"
                         (change)="edit(f, tariff(f, { flat_per_kwh: $any($event.target).value === '' ? null : +$any($event.target).value }))" /></label>
                  <app-window-editor [windows]="tariffPeriods(f)" label="period" [withPrice]="true" [disabled]="!editable()"
                                     emptyText="no time-of-use periods: the flat price all day"
                                     (changed)="edit(f, tariff(f, { periods: $event }))" />
                </div>
              }
              @case ('times') {
                <app-times-editor [times]="$any(value(f)) ?? []" [label]="f.label" [disabled]="!editable()"
                                  [attr.id]="'prop-' + f.name" (changed)="edit(f, $event)" />
              }
              @case ('days') {
                <app-days-editor [days]="$any(value(f))" [label]="f.label" [disabled]="!editable()"
                                 [attr.id]="'prop-' + f.name" (changed)="edit(f, $event)" />
              }
              @case ('numbers') {
                <app-numbers-editor [values]="$any(value(f)) ?? []" [label]="f.label" [disabled]="!editable()"
                                    [attr.id]="'prop-' + f.name" (changed)="edit(f, $event)" />
              }
              @case ('records') {
                <app-records-editor [records]="$any(value(f)) ?? []" [fields]="f.records ?? []" [label]="f.label"
                                    [minimum]="f.minItems ?? 0" [disabled]="!editable()" [attr.id]="'prop-' + f.name"
                                    (changed)="edit(f, $event)" />
              }
              @case ('switch') {
                <app-switch-editor [value]="switchValue(f)" [label]="f.label" [disabled]="!editable()"
                                   [attr.id]="'prop-' + f.name" (changed)="edit(f, $event)" />
              }
              @case ('loadshedding') {
                <app-loadshedding-picker [value]="value(f)" [disabled]="!editable()" [attr.id]="'prop-' + f.name"
                                         (changed)="edit(f, $event)" />
              }
              @case ('utility-tariff') {
                <app-tariff-summary [value]="value(f)" [currency]="currency()" [attr.id]="'prop-' + f.name"
                                    (openPicker)="openTariffPanel()" />
              }
              @case ('json') {
                <textarea [id]="'prop-' + f.name" [name]="f.name" rows="2" [disabled]="!editable()"
                          [value]="text(f)" (input)="edit(f, $any($event.target).value)"></textarea>
              }
              @case ('time') {
                <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                       [id]="'prop-' + f.name" [name]="f.name" [disabled]="!editable()" [value]="text(f)"
                       [attr.aria-describedby]="'help-' + f.name" (change)="edit(f, time24($any($event.target).value))" />
              }
              @case ('text') {
                <input type="text" [id]="'prop-' + f.name" [name]="f.name" [disabled]="!editable()" [value]="text(f)"
                       (input)="edit(f, $any($event.target).value)" />
              }
              @default {
                <input type="number" [id]="'prop-' + f.name" [name]="f.name" [disabled]="!editable()" [value]="text(f)"
                       [attr.min]="f.min" [attr.max]="f.max" [attr.step]="f.step" [attr.aria-describedby]="'help-' + f.name"
                       (input)="edit(f, $any($event.target).value)" />
              }
            }
          </div>
          <span class="help" [id]="'help-' + f.name">{{ f.help }}@if (f.min !== undefined || f.max !== undefined) { ({{ range(f) }}) }</span>
          @if (errors()[f.name]; as error) { <span class="error" role="alert" [attr.data-error]="f.name">{{ error }}</span> }
        </div>
      }
      @if (errors()['_']; as error) { <p class="error" role="alert">{{ error }}</p> }
      @if (status() !== 'present') {
        <p class="note" role="status">{{ deviceId() }} is {{ status() }}: switch it on to change its properties</p>
      }
      @if (saved()) { <p class="ok" role="status">saved: effective from the next tick</p> }
      <div class="actions">
        <button type="submit" [disabled]="!editable() || !dirty()">Save</button>
        <button type="button" (click)="closed.emit()">Close</button>
      </div>
    </form>
  `,
  styles: `
    form { display: grid; gap: 8px; }
    h3 { margin: 0 0 4px; }
    h3 small { color: #667; font-weight: normal; }
    .field { display: grid; grid-template-columns: minmax(8rem, 13rem) minmax(0, 1fr); gap: 2px 10px; align-items: center; }
    .field.wide { grid-template-columns: minmax(0, 1fr); }
    .field .label { font-weight: 600; font-size: 0.9rem; overflow-wrap: anywhere; }
    .field .help { grid-column: -2; font-size: 0.75rem; color: #556; overflow-wrap: anywhere; }
    .field .error, p.error { grid-column: -2; color: #b00020; font-size: 0.8rem; }
    .invalid input, .invalid select, .invalid textarea { border-color: #b00020; }
    .unit { color: #667; font-size: 0.8rem; font-weight: normal; margin-left: 0.3em; white-space: nowrap; }
    .input input[type="number"], .input select, .input input[type="text"] { width: 100%; max-width: 14rem; box-sizing: border-box; }
    .input input.hhmm { max-width: 5rem; font-variant-numeric: tabular-nums; }
    .input input.hhmm:invalid { border-color: #b00020; }
    .input textarea { width: 100%; box-sizing: border-box; font-family: monospace; font-size: 0.75rem; }
    .tariff { display: grid; gap: 4px; }
    .ok { color: #1b7f3b; }
    .note { color: #8a5a00; }
    .actions { display: flex; gap: 8px; position: sticky; bottom: 0; background: #fff; padding-top: 6px; }
    @media (max-width: 520px) { .field { grid-template-columns: minmax(0, 1fr); } .field .help, .field .error { grid-column: 1; } }
  `,
})
export class PropertyForm {
  readonly bus = inject(Bus);
  readonly deviceId = input.required<string>();
  readonly kind = input.required<string>();
  /** present, missing or off: only a running device takes changes. */
  readonly status = input<string>('present');
  readonly closed = output<void>();

  readonly fields = computed(() => fieldsOf(this.kind()));
  readonly time24 = time24;
  readonly timePattern = TIME_PATTERN;
  readonly info = computed<KindInfo | undefined>(() => KIND_INFO[this.kind()]);
  readonly values = signal<Record<string, unknown>>({});
  readonly edits = signal<Record<string, unknown>>({});
  readonly errors = signal<Record<string, string>>({});
  readonly saved = signal(false);
  /** The revision of the properties read: a save is based on it (refused if a field it sends
   * changed since: issue 24, no lost updates). */
  readonly revision = signal<number | undefined>(undefined);
  readonly dirty = computed(() => Object.keys(this.edits()).length > 0);
  readonly editable = computed(() => this.bus.canChange() && this.status() === 'present');

  constructor() {
    effect(() => {
      const id = this.deviceId();
      this.edits.set({});
      this.errors.set({});
      this.saved.set(false);
      this.load(id, 10);
    });
  }

  /** Its properties (a device just added may need a moment to register: retried). */
  private load(id: string, attempts: number): void {
    this.bus.getDevice(id)
      .then((view) => {
        if (id !== this.deviceId()) return;
        this.values.set(view.properties as unknown as Record<string, unknown>);
        this.revision.set(view.revision);
      })
      .catch((e: BusError) => {
        if (attempts > 1 && id === this.deviceId()) setTimeout(() => this.load(id, attempts - 1), 300);
        else this.errors.set({ _: e.message });
      });
  }

  wide(f: FieldSpec): boolean {
    return ['windows', 'switch', 'numbers', 'tariff', 'times', 'records', 'loadshedding', 'utility-tariff'].includes(f.editor);
  }

  /** The value shown: the edit if any, else the device's. */
  value(f: FieldSpec): unknown {
    return f.name in this.edits() ? this.edits()[f.name] : this.values()[f.name];
  }

  windows(f: FieldSpec) {
    return normalizeWindows(this.value(f));
  }

  switchValue(f: FieldSpec) {
    return normalizeSwitch(this.value(f));
  }

  /** The home's currency, for prices in words. */
  readonly currency = computed(() => ((this.bus.desired()?.home as any)?.currency as string | undefined) ?? 'ZAR');

  /** Closes the form and brings the Tariff panel (where the full tariff is changed) into view. */
  openTariffPanel(): void {
    this.closed.emit();
    // again once the panels it passes (loaded as they come into view) have taken their height
    const show = () => document.querySelector('section.tariff')?.scrollIntoView({ block: 'start' });
    setTimeout(show);
    setTimeout(show, 800);
  }

  tariffPeriods(f: FieldSpec) {
    return normalizeWindows((this.value(f) as any)?.periods);
  }

  tariff(f: FieldSpec, change: Record<string, unknown>): Record<string, unknown> {
    return { ...((this.value(f) as Record<string, unknown>) ?? {}), ...change };
  }

  text(f: FieldSpec): string {
    const edited = this.edits()[f.name];
    if (typeof edited === 'string') return edited;
    const value = this.values()[f.name];
    if (value === null || value === undefined) return '';
    if (f.editor === 'percent') return toPercent(value);
    return f.json ? JSON.stringify(value) : String(value);
  }

  range(f: FieldSpec): string {
    return `${f.min ?? '…'} to ${f.max ?? '…'}${f.unit ? ' ' + f.unit : ''}`;
  }

  edit(f: FieldSpec, value: unknown): void {
    this.edits.update((e) => ({ ...e, [f.name]: value }));
    this.saved.set(false);
  }

  /** The typed value of an edited field (numbers as numbers; the server checks ranges). */
  private typed(f: FieldSpec, raw: unknown): unknown {
    if (typeof raw !== 'string') return raw;
    if (raw.trim() === '' && f.nullable) return null;
    if (f.json) {
      try { return JSON.parse(raw); } catch { return raw; }
    }
    if (f.editor === 'number' || f.editor === 'percent') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) return raw;
      return f.editor === 'percent' ? Number((n / 100).toPrecision(12)) : n;
    }
    return raw;
  }

  async save(event: Event): Promise<void> {
    event.preventDefault();
    const changes: Record<string, unknown> = {};
    for (const f of this.fields()) {
      if (f.name in this.edits()) changes[f.name] = this.typed(f, this.edits()[f.name]);
    }
    try {
      const view = await this.bus.setProperties(this.deviceId(), changes, this.revision());
      this.values.set(view.properties as unknown as Record<string, unknown>);
      this.revision.set(view.revision);
      this.edits.set({});
      this.errors.set({});
      this.saved.set(true);
    } catch (e) {
      const error = e as BusError;
      if (error.uri === 'homesim.error.conflict') {  // changed elsewhere since it was read
        this.edits.set({});
        this.load(this.deviceId(), 1);
        this.errors.set({ _: `${error.message}. Reloaded: these are its properties now; make your change again.` });
      } else {
        this.errors.set(fieldErrors(error.message));
      }
    }
  }
}
