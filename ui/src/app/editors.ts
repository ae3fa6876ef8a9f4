// Editors for the structured properties people set: time windows (timers, cooking, lights,
// watching), times of day (kettle uses), weekdays, smart switches and per-hour/per-month
// values. No JSON: rows with time inputs, weekday toggles, checkboxes and numbers.
import { Component, computed, input, linkedSignal, output } from '@angular/core';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const DAY_NAMES: Record<string, string> = {
  mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun',
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface TimeWindow {
  start: string;
  end: string;
  days: string[];
  /** Only in a time-of-use tariff period. */
  price_per_kwh?: number;
}

export interface SwitchValue {
  timers: TimeWindow[];
  only_when_grid_on: boolean;
  min_battery_soc: number | null;
  min_pv_surplus_w: number | null;
}

/** Windows as the editor keeps them (days default to every day, as in the model). */
export function normalizeWindows(value: unknown): TimeWindow[] {
  if (!Array.isArray(value)) return [];
  return value.map((w: any) => ({
    ...w, start: String(w?.start ?? '00:00'), end: String(w?.end ?? '00:00'),
    days: Array.isArray(w?.days) && w.days.length ? [...w.days] : [...WEEKDAYS],
  }));
}

/** A time of day as typed: "7:05", "0705", "7" or "07:05" -> "07:05" (24-hour clock, as the
 * home file and every other time in the app); anything else comes back as typed, for the
 * form to name. */
export function time24(typed: string): string {
  const text = typed.trim();
  const m = /^(\d{1,2})(?::?(\d{2}))?$/.exec(text);
  if (!m) return text;
  const [h, min] = [Number(m[1]), Number(m[2] ?? '0')];
  if (h > 23 || min > 59) return text;
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

/** A schema property's unit: its `x-unit` (services/homesim/units.py), never read out of its
 * description ('' when it has none: a time, a choice, text). */
export function unitOf(p: any): string {
  const unit = p?.['x-unit'];
  return typeof unit === 'string' ? unit : '';
}

/** Whether a schema property is a local time of day "HH:MM" (its `format`: it has no unit). */
export const isTimeOfDay = (p: any): boolean => p?.format === 'time-of-day';

/** Whether a time is "HH:MM" on the 24-hour clock. */
export const isTime24 = (t: string): boolean => /^([01]\d|2[0-3]):[0-5]\d$/.test(t);

/** Attributes of every time-of-day input: text on the 24-hour clock (Chromium's time input
 * follows the browser's locale and shows AM/PM in en-US). */
export const TIME_PATTERN = '([01][0-9]|2[0-3]):[0-5][0-9]';

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function hhmm(total: number): string {
  const t = Math.max(0, Math.min(total, 23 * 60 + 59));
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}

/** A new window after the last one (an hour long), every day. */
export function addWindow(list: TimeWindow[], withPrice = false): TimeWindow[] {
  const last = list[list.length - 1];
  const start = last ? Math.min(minutes(last.end === '24:00' ? '23:00' : last.end), 22 * 60) : 18 * 60;
  const added: TimeWindow = { start: hhmm(start), end: hhmm(start + 60), days: [...WEEKDAYS] };
  if (withPrice) added.price_per_kwh = last?.price_per_kwh ?? 0;
  return [...list, added];
}

export function removeAt<T>(list: T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

export function updateAt<T>(list: T[], index: number, change: Partial<T>): T[] {
  return list.map((item, i) => (i === index ? { ...item, ...change } : item));
}

/** Switch a weekday on or off in a window (the days stay in weekday order). */
export function toggleDay(window: TimeWindow, day: string): TimeWindow {
  const on = window.days.includes(day);
  const days = WEEKDAYS.filter((d) => (d === day ? !on : window.days.includes(d)));
  return { ...window, days };
}

/** What is wrong with windows before they go to the server (it checks them again). */
export function windowProblems(list: TimeWindow[]): string[] {
  const out: string[] = [];
  list.forEach((w, i) => {
    if (!isTime24(w.start) || !isTime24(w.end)) {
      out.push(`time ${i + 1}: give a start and an end as hh:mm on the 24-hour clock (00:00 to 23:59)`);
    }
    else if (w.start === w.end) out.push(`time ${i + 1}: the end equals the start`);
    if (!w.days.length) out.push(`time ${i + 1}: pick at least one day`);
  });
  return out;
}

/** "Mon–Fri 17:30–18:30" style summary of a window. */
export function describeWindow(w: TimeWindow): string {
  const days = w.days.length === 7 ? 'every day'
    : w.days.join(',') === 'mon,tue,wed,thu,fri' ? 'Mon–Fri'
      : w.days.join(',') === 'sat,sun' ? 'weekends' : w.days.map((d) => DAY_NAMES[d]).join(' ');
  const wraps = minutes(w.end) < minutes(w.start) ? ' (past midnight)' : '';
  return `${w.start}–${w.end} ${days}${wraps}`;
}

/** Rows of daily time windows: start, end, weekday toggles, remove; and add. */
@Component({
  selector: 'app-window-editor',
  template: `
    <div class="windows" role="group" [attr.aria-label]="label()">
      @for (w of list(); track $index; let i = $index) {
        <div class="window-row" [attr.data-window]="i">
          <label class="time">from
            <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                   [value]="w.start" [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' from'"
                   (change)="set(i, { start: time24($any($event.target).value) })" /></label>
          <label class="time">to
            <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                   [value]="w.end" [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' to'"
                   (change)="set(i, { end: time24($any($event.target).value) })" /></label>
          @if (withPrice()) {
            <label class="time">price
              <input type="number" min="0" step="any" [value]="w.price_per_kwh ?? 0" [disabled]="disabled()"
                     [attr.aria-label]="label() + ' ' + (i + 1) + ' price per kWh'"
                     (change)="set(i, { price_per_kwh: +$any($event.target).value })" /></label>
          }
          <span class="days">
            @for (d of weekdays; track d) {
              <button type="button" class="day" [attr.data-day]="d" [attr.aria-pressed]="w.days.includes(d)"
                      [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' on ' + dayNames[d]"
                      (click)="day(i, d)">{{ dayNames[d] }}</button>
            }
          </span>
          <button type="button" class="remove-row" [disabled]="disabled()" (click)="emit(removeAt(list(), i))"
                  [attr.aria-label]="'remove ' + label() + ' ' + (i + 1)">✕</button>
        </div>
      } @empty {
        <p class="empty">{{ emptyText() }}</p>
      }
      @for (p of problems(); track p) { <p class="problem" role="alert">{{ p }}</p> }
      <button type="button" class="add-row" [disabled]="disabled()" (click)="emit(addWindow(list(), withPrice()))"
              [attr.aria-label]="'add ' + label()">+ add</button>
    </div>
  `,
  styles: `
    .windows { display: grid; gap: 4px; }
    .window-row { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; padding: 4px; background: #f4f6f9; border-radius: 4px; }
    .hhmm { width: 4.2em; font-variant-numeric: tabular-nums; }
    .hhmm:invalid { border-color: #b00020; }
    .time { display: inline-flex; gap: 4px; align-items: center; font-size: 0.8rem; color: #445; }
    .days { display: inline-flex; gap: 2px; flex-wrap: wrap; }
    .day { padding: 2px 5px; font-size: 0.75rem; border-radius: 10px; border: 1px solid #9aa5b4; background: #fff; color: #445; }
    .day[aria-pressed="true"] { background: #3d5a80; border-color: #3d5a80; color: #fff; }
    .remove-row { border: none; color: #b00020; background: none; }
    .add-row { justify-self: start; font-size: 0.8rem; }
    .empty { margin: 0; color: #667; font-size: 0.8rem; }
    .problem { margin: 0; color: #b00020; font-size: 0.8rem; }
  `,
})
export class WindowEditor {
  readonly windows = input.required<TimeWindow[]>();
  readonly label = input('time');
  readonly disabled = input(false);
  readonly withPrice = input(false);
  readonly emptyText = input('none');
  readonly changed = output<TimeWindow[]>();
  readonly weekdays = WEEKDAYS;
  readonly dayNames = DAY_NAMES;
  readonly removeAt = removeAt;
  readonly addWindow = addWindow;
  readonly time24 = time24;
  readonly timePattern = TIME_PATTERN;
  /** The windows with the edits made here, until the parent gives new ones: a time typed and
   * then a weekday clicked at once (before the parent passes the first change back) keep both. */
  readonly list = linkedSignal(() => this.windows());
  readonly problems = computed(() => windowProblems(this.list()));

  emit(next: TimeWindow[]): void {
    this.list.set(next);
    this.changed.emit(next);
  }

  set(i: number, change: Partial<TimeWindow>): void {
    this.emit(updateAt(this.list(), i, change));
  }

  day(i: number, d: string): void {
    this.emit(this.list().map((w, j) => (j === i ? toggleDay(w, d) : w)));
  }
}

/** A list of times of day (a kettle's uses). */
@Component({
  selector: 'app-times-editor',
  template: `
    <div class="times" role="group" [attr.aria-label]="label()">
      @for (t of list(); track $index; let i = $index) {
        <span class="time-item">
          <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                 [value]="t" [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1)"
                 (change)="emit(replace(i, time24($any($event.target).value)))" />
          <button type="button" class="remove-row" [disabled]="disabled()" (click)="emit(removeAt(list(), i))"
                  [attr.aria-label]="'remove ' + label() + ' ' + (i + 1)">✕</button>
        </span>
      }
      <button type="button" class="add-row" [disabled]="disabled()" (click)="emit(add())"
              [attr.aria-label]="'add ' + label()">+ add</button>
    </div>
  `,
  styles: `
    .times { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; }
    .time-item { display: inline-flex; align-items: center; gap: 2px; }
    .hhmm { width: 4.2em; font-variant-numeric: tabular-nums; }
    .hhmm:invalid { border-color: #b00020; }
    .remove-row { border: none; color: #b00020; background: none; padding: 0 4px; }
    .add-row { font-size: 0.8rem; }
  `,
})
export class TimesEditor {
  readonly times = input.required<string[]>();
  readonly label = input('time');
  readonly disabled = input(false);
  readonly changed = output<string[]>();
  readonly removeAt = removeAt;
  readonly time24 = time24;
  readonly timePattern = TIME_PATTERN;

  /** The times with the edits made here, until the parent gives new ones. */
  readonly list = linkedSignal(() => this.times());

  emit(next: string[]): void {
    this.list.set(next);
    this.changed.emit(next);
  }

  replace(i: number, value: string): string[] {
    return this.list().map((t, j) => (j === i ? value : t));
  }

  add(): string[] {
    const last = this.list()[this.list().length - 1];
    return [...this.list(), last ? hhmm(Math.min(minutes(last) + 60, 23 * 60)) : '07:00'];
  }
}

/** Weekday toggles; none picked means every day (null). */
@Component({
  selector: 'app-days-editor',
  template: `
    <span class="days" role="group" [attr.aria-label]="label()">
      @for (d of weekdays; track d) {
        <button type="button" class="day" [attr.data-day]="d" [attr.aria-pressed]="(days() ?? []).includes(d)"
                [disabled]="disabled()" [attr.aria-label]="label() + ' ' + dayNames[d]" (click)="toggle(d)">{{ dayNames[d] }}</button>
      }
      @if (!days()?.length) { <small>every day</small> }
    </span>
  `,
  styles: `
    .days { display: inline-flex; gap: 2px; flex-wrap: wrap; align-items: center; }
    .day { padding: 2px 5px; font-size: 0.75rem; border-radius: 10px; border: 1px solid #9aa5b4; background: #fff; color: #445; }
    .day[aria-pressed="true"] { background: #3d5a80; border-color: #3d5a80; color: #fff; }
    small { color: #667; margin-left: 6px; }
  `,
})
export class DaysEditor {
  readonly days = input<string[] | null>(null);
  readonly label = input('days');
  readonly disabled = input(false);
  readonly changed = output<string[] | null>();
  readonly weekdays = WEEKDAYS;
  readonly dayNames = DAY_NAMES;

  toggle(d: string): void {
    const now = this.days() ?? [];
    const next = WEEKDAYS.filter((x) => (x === d ? !now.includes(d) : now.includes(x)));
    this.changed.emit(next.length ? next : null);
  }
}

/** A fixed number of values: 24 (one per hour) or 12 (one per month). */
@Component({
  selector: 'app-numbers-editor',
  template: `
    <div class="numbers" role="group" [attr.aria-label]="label()">
      @for (v of values(); track $index; let i = $index) {
        <label><span>{{ names()[i] }}</span>
          <input type="number" step="any" [attr.min]="min()" [attr.max]="max()" [value]="v" [disabled]="disabled()"
                 [attr.aria-label]="label() + ' ' + names()[i]"
                 (change)="changed.emit(replace(i, $any($event.target).value))" /></label>
      }
    </div>
  `,
  styles: `
    .numbers { display: grid; grid-template-columns: repeat(auto-fill, minmax(4.5rem, 1fr)); gap: 4px; }
    label { display: grid; font-size: 0.7rem; color: #667; }
    input { width: 100%; box-sizing: border-box; }
  `,
})
export class NumbersEditor {
  readonly values = input.required<number[]>();
  readonly label = input('values');
  readonly disabled = input(false);
  readonly min = input<number | undefined>(undefined);
  readonly max = input<number | undefined>(undefined);
  readonly changed = output<number[]>();
  readonly names = computed(() => this.values().length === 12 ? MONTHS
    : this.values().map((_, i) => this.values().length === 24 ? `${String(i).padStart(2, '0')}:00` : `${i + 1}`));

  replace(i: number, raw: string): number[] {
    return this.values().map((v, j) => (j === i ? Number(raw) : v));
  }
}

/** A load's smart switch: grid condition, battery and PV conditions, timers. */
@Component({
  selector: 'app-switch-editor',
  imports: [WindowEditor],
  template: `
    <div class="switch-editor" role="group" [attr.aria-label]="label()">
      <label class="row"><input type="checkbox" [checked]="current().only_when_grid_on" [disabled]="disabled()"
             (change)="set({ only_when_grid_on: $any($event.target).checked })" data-switch="only_when_grid_on" />
        only when the grid is on</label>
      <label class="row">runs only while the battery is at least
        <input type="number" min="0" max="100" step="1" [value]="soc()" [disabled]="disabled()" placeholder="any"
               aria-label="minimum battery charge [%]" data-switch="min_battery_soc"
               (change)="set({ min_battery_soc: percent($any($event.target).value) })" /> %</label>
      <label class="row">runs only while solar exceeds the other loads by
        <input type="number" min="0" step="10" [value]="current().min_pv_surplus_w ?? ''" [disabled]="disabled()"
               placeholder="any" aria-label="minimum solar surplus [W]" data-switch="min_pv_surplus_w"
               (change)="set({ min_pv_surplus_w: watts($any($event.target).value) })" /> W</label>
      <span class="row">timers (none: any time of day)</span>
      <app-window-editor [windows]="current().timers" label="timer" [disabled]="disabled()"
                         emptyText="no timers: the load may run at any time" (changed)="set({ timers: $event })" />
    </div>
  `,
  styles: `
    .switch-editor { display: grid; gap: 4px; }
    .row { font-size: 0.85rem; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
    input[type="number"] { width: 5.5rem; }
  `,
})
export class SwitchEditor {
  readonly value = input.required<SwitchValue>();
  readonly label = input('smart switch');
  readonly disabled = input(false);
  readonly changed = output<SwitchValue>();
  readonly soc = computed(() => {
    const s = this.current().min_battery_soc;
    return s === null || s === undefined ? '' : String(Math.round(s * 1000) / 10);
  });

  /** The switch with the edits made here, until the parent gives a new one. */
  readonly current = linkedSignal(() => this.value());

  set(change: Partial<SwitchValue>): void {
    const next = { ...this.current(), ...change };
    this.current.set(next);
    this.changed.emit(next);
  }

  percent(raw: string): number | null {
    return raw.trim() === '' ? null : Number(raw) / 100;
  }

  watts(raw: string): number | null {
    return raw.trim() === '' ? null : Number(raw);
  }
}

export function normalizeSwitch(value: unknown): SwitchValue {
  const v = (value ?? {}) as any;
  return {
    timers: normalizeWindows(v.timers), only_when_grid_on: !!v.only_when_grid_on,
    min_battery_soc: v.min_battery_soc ?? null, min_pv_surplus_w: v.min_pv_surplus_w ?? null,
  };
}

/** One field of a record in a list (a charging session's arrival, its energy...). */
export interface RecordField {
  name: string;
  label: string;
  kind: 'time' | 'number' | 'percent' | 'days' | 'enum' | 'text';
  unit: string;
  help: string;
  nullable: boolean;
  required: boolean;
  min?: number;
  max?: number;
  options?: string[];
}

/** The fields of a list's items when every one is simple (a time, a number, weekdays, a
 * choice, text), in the model's order; null when the items need another editor. */
export function recordFields(items: any): RecordField[] | null {
  if (!items || items.type !== 'object' || !items.properties) return null;
  const order: string[] = items.fields ?? Object.keys(items.properties);
  const required: string[] = items.required ?? [];
  const out: RecordField[] = [];
  for (const name of order) {
    const p = items.properties[name];
    const description: string = p?.description ?? '';
    const unit = unitOf(p);
    let kind: RecordField['kind'];
    if (p.type === 'array' && p.items?.enum?.every((d: string) => (WEEKDAYS as readonly string[]).includes(d))) kind = 'days';
    else if (p.enum) kind = 'enum';
    else if (p.type === 'number' || p.type === 'integer') kind = unit === '0..1' ? 'percent' : 'number';
    else if (p.type === 'string') kind = isTimeOfDay(p) ? 'time' : 'text';
    else return null;
    out.push({
      name, label: p.title ?? name, kind, unit: kind === 'percent' ? '%' : kind === 'time' ? '' : unit,
      help: description.trim(), nullable: !!p.nullable, required: required.includes(name),
      min: kind === 'percent' ? (p.minimum ?? 0) * 100 : p.minimum, max: kind === 'percent' ? (p.maximum ?? 1) * 100 : p.maximum,
      options: p.enum,
    });
  }
  return out;
}

/** A new record after the others: the last one's values on the weekdays none of them uses
 * yet (every day if all are taken), so that, say, a second charging session starts out on
 * other days than the first. */
export function addRecord(list: Record<string, unknown>[], fields: RecordField[]): Record<string, unknown>[] {
  const last = list[list.length - 1];
  const added: Record<string, unknown> = {};
  for (const f of fields) {
    if (last && f.name in last) added[f.name] = Array.isArray(last[f.name]) ? [...(last[f.name] as unknown[])] : last[f.name];
    else if (f.kind === 'time') added[f.name] = f.required ? '08:00' : null;
    else if (f.kind === 'days') added[f.name] = [...WEEKDAYS];
    else if (f.kind === 'enum') added[f.name] = f.options?.[0];
    else added[f.name] = f.nullable ? null : (f.min ?? 0);
  }
  for (const f of fields.filter((x) => x.kind === 'days')) {
    const used = new Set(list.flatMap((r) => (Array.isArray(r[f.name]) ? (r[f.name] as string[]) : [...WEEKDAYS])));
    const free = WEEKDAYS.filter((d) => !used.has(d));
    added[f.name] = free.length ? free : [...WEEKDAYS];
  }
  return [...list, added];
}

/** Rows of records: each field its own labelled input, weekday toggles, remove; and add. */
@Component({
  selector: 'app-records-editor',
  template: `
    <div class="records" role="group" [attr.aria-label]="label()">
      @for (r of list(); track $index; let i = $index) {
        <div class="record" [attr.data-record]="i" role="group" [attr.aria-label]="label() + ' ' + (i + 1)">
          @for (f of fields(); track f.name) {
            @switch (f.kind) {
              @case ('days') {
                <span class="days" [attr.data-field]="f.name">
                  @for (d of weekdays; track d) {
                    <button type="button" class="day" [attr.data-day]="d" [attr.aria-pressed]="days(r, f).includes(d)"
                            [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' on ' + dayNames[d]"
                            (click)="set(i, f, toggled(days(r, f), d))">{{ dayNames[d] }}</button>
                  }
                </span>
              }
              @case ('enum') {
                <label [attr.data-field]="f.name">{{ f.label }}
                  <select [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' ' + f.label"
                          (change)="set(i, f, $any($event.target).value)">
                    @for (o of f.options; track o) { <option [value]="o" [selected]="o === r[f.name]">{{ o.replaceAll('_', ' ') }}</option> }
                  </select></label>
              }
              @case ('time') {
                <label [attr.data-field]="f.name" [title]="f.help">{{ f.label }}
                  <input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                         [value]="r[f.name] ?? ''" [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' ' + f.label"
                         (change)="set(i, f, time24($any($event.target).value))" /></label>
              }
              @default {
                <label [attr.data-field]="f.name" [title]="f.help">{{ f.label }}@if (f.unit) { <span class="unit">[{{ f.unit }}]</span> }
                  <input [type]="f.kind === 'text' ? 'text' : 'number'" step="any" [attr.min]="f.min" [attr.max]="f.max"
                         [value]="shown(r, f)" [disabled]="disabled()" [attr.aria-label]="label() + ' ' + (i + 1) + ' ' + f.label"
                         (change)="set(i, f, parsed(f, $any($event.target).value))" /></label>
              }
            }
          }
          <button type="button" class="remove-row" [disabled]="disabled() || list().length <= minimum()"
                  (click)="emit(removeAt(list(), i))" [attr.aria-label]="'remove ' + label() + ' ' + (i + 1)">✕</button>
        </div>
      }
      <button type="button" class="add-row" [disabled]="disabled()" (click)="emit(addRecord(list(), fields()))"
              [attr.aria-label]="'add ' + label()">+ add</button>
    </div>
  `,
  styles: `
    .records { display: grid; gap: 4px; }
    .record { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; padding: 4px; background: #f4f6f9; border-radius: 4px; }
    label { display: inline-flex; gap: 4px; align-items: center; font-size: 0.8rem; color: #445; }
    input[type="number"] { width: 5.5em; }
    .hhmm { width: 4.2em; font-variant-numeric: tabular-nums; }
    .hhmm:invalid { border-color: #b00020; }
    .unit { color: #667; }
    .days { display: inline-flex; gap: 2px; flex-wrap: wrap; }
    .day { padding: 2px 5px; font-size: 0.75rem; border-radius: 10px; border: 1px solid #9aa5b4; background: #fff; color: #445; }
    .day[aria-pressed="true"] { background: #3d5a80; border-color: #3d5a80; color: #fff; }
    .remove-row { border: none; color: #b00020; background: none; }
    .add-row { justify-self: start; font-size: 0.8rem; }
  `,
})
export class RecordsEditor {
  readonly records = input.required<Record<string, unknown>[]>();
  readonly fields = input.required<RecordField[]>();
  readonly label = input('row');
  readonly disabled = input(false);
  /** Rows that must stay (the model's minItems). */
  readonly minimum = input(0);
  readonly changed = output<Record<string, unknown>[]>();
  readonly weekdays = WEEKDAYS;
  readonly dayNames = DAY_NAMES;
  readonly removeAt = removeAt;
  readonly addRecord = addRecord;
  readonly time24 = time24;
  readonly timePattern = TIME_PATTERN;
  readonly list = linkedSignal(() => this.records());

  emit(next: Record<string, unknown>[]): void {
    this.list.set(next);
    this.changed.emit(next);
  }

  set(i: number, f: RecordField, value: unknown): void {
    this.emit(updateAt(this.list(), i, { [f.name]: value }));
  }

  days(r: Record<string, unknown>, f: RecordField): string[] {
    return Array.isArray(r[f.name]) ? (r[f.name] as string[]) : [...WEEKDAYS];
  }

  toggled(days: string[], d: string): string[] {
    return WEEKDAYS.filter((x) => (x === d ? !days.includes(d) : days.includes(x)));
  }

  shown(r: Record<string, unknown>, f: RecordField): string {
    const v = r[f.name];
    if (v === null || v === undefined) return '';
    return f.kind === 'percent' && typeof v === 'number' ? toPercentText(v) : String(v);
  }

  /** What was typed, as the model takes it: blank is "none" where the field may be empty. */
  parsed(f: RecordField, raw: string): unknown {
    if (f.kind === 'text') return raw;
    if (raw.trim() === '') return f.nullable ? null : raw;
    const n = Number(raw);
    if (!Number.isFinite(n)) return raw;
    return f.kind === 'percent' ? Number((n / 100).toPrecision(12)) : n;
  }
}

function toPercentText(value: number): string {
  return String(Number((value * 100).toPrecision(10)));
}
