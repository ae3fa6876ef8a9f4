// A device's property form, built from its kind's schema (generated from the pydantic
// models): units, ranges and defaults; the server's validation errors next to the field.
import { Component, computed, effect, inject, input, output, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { fieldErrors } from './energy';
import deviceKinds from './generated/device-kinds.json';

export interface FieldSpec {
  name: string;
  type: string;
  unit: string;
  help: string;
  min?: number;
  max?: number;
  enum?: string[];
  nullable: boolean;
  /** Objects and lists are edited as JSON (timers, programs, switches). */
  json: boolean;
}

const KINDS = deviceKinds as Record<string, any>;

/** The form fields of a device kind, simple ones first. */
export function fieldsOf(kind: string): FieldSpec[] {
  const schema = KINDS[kind];
  if (!schema) return [];
  return Object.entries<any>(schema.properties ?? {})
    .map(([name, p]) => {
      const description: string = p.description ?? '';
      const unit = /\[([^\]]+)\]/.exec(description)?.[1] ?? '';
      const type = p.type ?? 'object';
      return {
        name, type, unit,
        help: description.replace(/\s*\[[^\]]+\]/, ''),
        min: p.minimum, max: p.maximum, enum: p.enum,
        nullable: !!p.nullable,
        json: type === 'object' || type === 'array' || (!p.type && !p.enum),
      } as FieldSpec;
    })
    .sort((a, b) => Number(a.json) - Number(b.json) || a.name.localeCompare(b.name));
}

@Component({
  selector: 'app-property-form',
  template: `
    <form (submit)="save($event)" [attr.aria-label]="'properties of ' + deviceId()">
      <h3>{{ deviceId() }} <small>{{ kind() }}</small></h3>
      @for (f of fields(); track f.name) {
        <div class="field" [class.invalid]="errors()[f.name]">
          <label [attr.for]="'prop-' + f.name">{{ f.name }}@if (f.unit) { <span class="unit">[{{ f.unit }}]</span> }</label>
          @if (f.enum) {
            <select [id]="'prop-' + f.name" [name]="f.name" [disabled]="!bus.canChange()"
                    [value]="text(f)" (change)="edit(f, $any($event.target).value)">
              @for (option of f.enum; track option) { <option [value]="option">{{ option }}</option> }
            </select>
          } @else if (f.type === 'boolean') {
            <input type="checkbox" [id]="'prop-' + f.name" [name]="f.name" [disabled]="!bus.canChange()"
                   [checked]="values()[f.name] === true" (change)="edit(f, $any($event.target).checked)" />
          } @else if (f.json) {
            <textarea [id]="'prop-' + f.name" [name]="f.name" rows="3" [disabled]="!bus.canChange()"
                      [value]="text(f)" (input)="edit(f, $any($event.target).value)"></textarea>
          } @else {
            <input [type]="f.type === 'string' ? 'text' : 'text'" inputmode="decimal" [id]="'prop-' + f.name"
                   [name]="f.name" [disabled]="!bus.canChange()" [value]="text(f)"
                   (input)="edit(f, $any($event.target).value)" />
          }
          <span class="help">{{ f.help }}@if (f.min !== undefined || f.max !== undefined) { ({{ range(f) }}) }</span>
          @if (errors()[f.name]; as error) { <span class="error" role="alert" [attr.data-error]="f.name">{{ error }}</span> }
        </div>
      }
      @if (errors()['_']; as error) { <p class="error" role="alert">{{ error }}</p> }
      @if (status() !== 'present') {
        <p class="note" role="status">{{ deviceId() }} is {{ status() }}: switch it on to change its properties</p>
      }
      @if (saved()) { <p class="ok" role="status">saved: effective from the next tick</p> }
      <div class="actions">
        <button type="submit" [disabled]="!bus.canChange() || !dirty() || status() !== 'present'">Save</button>
        <button type="button" (click)="closed.emit()">Close</button>
      </div>
    </form>
  `,
  styles: `
    form { display: grid; gap: 6px; }
    .field { display: grid; grid-template-columns: 10rem 1fr; gap: 2px 8px; align-items: center; }
    .field .help { grid-column: 2; font-size: 0.75rem; color: #667; }
    .field .error, p.error { grid-column: 2; color: #b00020; font-size: 0.8rem; }
    .invalid input, .invalid select, .invalid textarea { border-color: #b00020; }
    .unit { color: #667; font-size: 0.8rem; }
    .ok { color: #1b7f3b; }
    .note { color: #8a5a00; }
    textarea { font-family: monospace; font-size: 0.75rem; }
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
  readonly values = signal<Record<string, unknown>>({});
  readonly edits = signal<Record<string, string | boolean>>({});
  readonly errors = signal<Record<string, string>>({});
  readonly saved = signal(false);
  readonly dirty = computed(() => Object.keys(this.edits()).length > 0);

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
      .then((view) => { if (id === this.deviceId()) this.values.set(view.properties as Record<string, unknown>); })
      .catch((e: BusError) => {
        if (attempts > 1 && id === this.deviceId()) setTimeout(() => this.load(id, attempts - 1), 300);
        else this.errors.set({ _: e.message });
      });
  }

  text(f: FieldSpec): string {
    const edited = this.edits()[f.name];
    if (typeof edited === 'string') return edited;
    const value = this.values()[f.name];
    if (value === null || value === undefined) return '';
    return f.json ? JSON.stringify(value) : String(value);
  }

  range(f: FieldSpec): string {
    return `${f.min ?? '…'} to ${f.max ?? '…'}${f.unit ? ' ' + f.unit : ''}`;
  }

  edit(f: FieldSpec, value: string | boolean): void {
    this.edits.update((e) => ({ ...e, [f.name]: value }));
    this.saved.set(false);
  }

  /** The typed value of an edited field (numbers as numbers; the server checks ranges). */
  private typed(f: FieldSpec, raw: string | boolean): unknown {
    if (typeof raw === 'boolean') return raw;
    if (raw.trim() === '' && f.nullable) return null;
    if (f.json) {
      try { return JSON.parse(raw); } catch { return raw; }
    }
    if (f.type === 'number' || f.type === 'integer') {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    return raw;
  }

  async save(event: Event): Promise<void> {
    event.preventDefault();
    const changes: Record<string, unknown> = {};
    for (const f of this.fields()) {
      const raw = this.edits()[f.name];
      if (raw !== undefined) changes[f.name] = this.typed(f, raw);
    }
    try {
      const view = await this.bus.setProperties(this.deviceId(), changes);
      this.values.set(view.properties as Record<string, unknown>);
      this.edits.set({});
      this.errors.set({});
      this.saved.set(true);
    } catch (e) {
      this.errors.set(fieldErrors((e as BusError).message));
    }
  }
}
