// The inverter's settings as hybrid inverters show them: work mode, priority, battery SoC
// limits and reserve, and the six time-of-use program slots.
import { Component, DestroyRef, computed, effect, inject, input, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { TIME_PATTERN, time24 } from './editors';
import { fieldErrors } from './energy';
import deviceKinds from './generated/device-kinds.json';

export interface ProgramSlot {
  start: string;
  power_w: number;
  soc: number;
  grid_charge: boolean;
}

const INVERTER = (deviceKinds as Record<string, any>)['inverter'];
export const WORK_MODES: string[] = INVERTER?.properties?.work_mode?.enum ?? [];
export const PRIORITIES: string[] = INVERTER?.properties?.priority?.enum ?? [];
export const SOC_LIMITS = ['battery_shutdown_soc', 'battery_low_soc', 'battery_restart_soc', 'backup_reserve_soc'];
export const SLOTS = INVERTER?.properties?.programs?.maxItems ?? 6;

/** Six slots, as on the inverter's display: missing ones repeat the last (they do nothing). */
export function sixSlots(programs: ProgramSlot[]): ProgramSlot[] {
  const out = programs.map((p) => ({ ...p, grid_charge: !!p.grid_charge }));
  while (out.length < SLOTS) {
    const last = out[out.length - 1] ?? { start: '00:00', power_w: 0, soc: 0.2, grid_charge: false };
    out.push({ ...last });
  }
  return out;
}

/** Slots as the inverter stores them: sorted by start, duplicates of a start removed. */
export function normalSlots(slots: ProgramSlot[]): ProgramSlot[] {
  const seen = new Set<string>();
  return [...slots].sort((a, b) => a.start.localeCompare(b.start)).filter((s) => !seen.has(s.start) && seen.add(s.start));
}

/** The settings the panel edits, each one property of the inverter. */
export const FIELDS = ['work_mode', 'priority', ...SOC_LIMITS, 'programs'];

/** What the panel shows and what it is based on (no lost updates, issue 24): ``base`` the
 * device's settings as last known (a ``get``, then its ``config`` events), ``revision`` the
 * revision the panel read (what a change is based on: the device refuses it if a field it sends
 * changed since), ``seen`` the newest revision followed, ``edits`` the fields the person changed
 * (only those are sent), ``flagged`` the edited fields that changed elsewhere meanwhile. */
export interface Draft {
  revision: number;
  seen: number;
  base: Record<string, any>;
  edits: Record<string, any>;
  flagged: string[];
}

interface View {
  properties: unknown;
  revision: number;
}

/** The panel's fields of a device's properties (the programs as six slots). */
export function panelValues(properties: unknown): Record<string, any> {
  const p = (properties ?? {}) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const f of FIELDS) out[f] = f === 'programs' ? sixSlots(p['programs'] ?? []) : p[f];
  return out;
}

function same(field: string, a: any, b: any): boolean {
  if (field === 'programs') return JSON.stringify(normalSlots(a ?? [])) === JSON.stringify(normalSlots(b ?? []));
  return a === b;
}

/** A fresh draft of a device's view: nothing edited. */
export function loaded(view: View): Draft {
  return { revision: view.revision, seen: view.revision, base: panelValues(view.properties), edits: {}, flagged: [] };
}

/** The value the panel shows: the person's edit, else the device's. */
export function valueOf(draft: Draft, field: string): any {
  return field in draft.edits ? draft.edits[field] : draft.base[field];
}

/** ``field`` edited to ``value`` (back to the device's value: no longer an edit). */
export function edited(draft: Draft, field: string, value: any): Draft {
  const edits = { ...draft.edits };
  if (same(field, value, draft.base[field])) delete edits[field];
  else edits[field] = value;
  return { ...draft, edits, flagged: draft.flagged.filter((f) => f in edits) };
}

/** A ``config`` event: fields not being edited show the device's new values; an edited field
 * that changed elsewhere is flagged (its Apply would be refused; not while ``flag`` is false:
 * the panel's own Apply in flight). Older events are ignored. */
export function followed(draft: Draft, view: View, flag = true): Draft {
  if (view.revision <= draft.seen) return draft;
  const now = panelValues(view.properties);
  const flagged = new Set(draft.flagged);
  for (const f of FIELDS) {
    if (flag && !same(f, now[f], draft.base[f]) && f in draft.edits) flagged.add(f);
  }
  return { ...draft, seen: view.revision, base: now, flagged: FIELDS.filter((f) => flagged.has(f)) };
}

/** What Apply sends: only the edited fields (the programs as the inverter stores them). */
export function changesOf(draft: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    if (f in draft.edits) out[f] = f === 'programs' ? normalSlots(draft.edits[f]) : draft.edits[f];
  }
  return out;
}

/** The error URI of a write based on a stale read (bus/uris.py CONFLICT). */
export const CONFLICT = 'homesim.error.conflict';

@Component({
  selector: 'app-inverter-settings',
  template: `
    <form (submit)="save($event)" aria-label="inverter settings">
      <h3>Inverter settings <small>{{ deviceId() }}</small></h3>
      <div class="row">
        <label for="inv-work-mode">Work mode</label>
        <select id="inv-work-mode" [disabled]="!bus.canChange()" [value]="mode()" (change)="edit('work_mode', $any($event.target).value)">
          @for (m of modes; track m) { <option [value]="m">{{ m }}</option> }
        </select>
        <label for="inv-priority">Priority</label>
        <select id="inv-priority" [disabled]="!bus.canChange()" [value]="priority()" (change)="edit('priority', $any($event.target).value)">
          @for (p of priorities; track p) { <option [value]="p">{{ p }}</option> }
        </select>
        @for (f of ['work_mode', 'priority']; track f) {
          @if (flag(f); as text) { <span class="flag" role="status">{{ f.replace('_', ' ') }}: {{ text }}</span> }
        }
      </div>
      <fieldset>
        <legend>Battery SoC limits [%]</legend>
        @for (name of socNames; track name) {
          <label [attr.for]="'inv-' + name">{{ name.replace('_soc', '').replaceAll('_', ' ') }}</label>
          <input [id]="'inv-' + name" type="number" min="0" max="100" step="1" [disabled]="!bus.canChange()"
                 [value]="percent(limits()[name])" (input)="setLimit(name, $any($event.target).value)" />
          @if (errors()[name]; as e) { <span class="error" role="alert">{{ e }}</span> }
          @if (flag(name); as text) { <span class="flag" role="status">{{ text }}</span> }
        }
      </fieldset>
      <div class="table"><table aria-label="time-of-use programs">
        <thead><tr><th>slot</th><th>from</th><th>battery power [W]</th><th>SoC [%]</th><th>grid<br />charge</th></tr></thead>
        <tbody>
          @for (slot of slots(); track $index) {
            <tr>
              <td>{{ $index + 1 }}</td>
              <td><input type="text" class="hhmm" inputmode="numeric" maxlength="5" placeholder="hh:mm" [pattern]="timePattern"
                         [attr.aria-label]="'slot ' + ($index + 1) + ' start'" [disabled]="!bus.canChange()"
                         [value]="slot.start" (change)="setSlot($index, 'start', time24($any($event.target).value))" /></td>
              <td><input type="number" min="0" step="100" [attr.aria-label]="'slot ' + ($index + 1) + ' power'"
                         [disabled]="!bus.canChange()" [value]="slot.power_w"
                         (input)="setSlot($index, 'power_w', +$any($event.target).value)" /></td>
              <td><input type="number" class="soc" min="0" max="100" [attr.aria-label]="'slot ' + ($index + 1) + ' SoC'"
                         [disabled]="!bus.canChange()" [value]="percent(slot.soc)"
                         (input)="setSlot($index, 'soc', +$any($event.target).value / 100)" /></td>
              <td><input type="checkbox" [attr.aria-label]="'slot ' + ($index + 1) + ' grid charge'"
                         [disabled]="!bus.canChange()" [checked]="slot.grid_charge"
                         (change)="setSlot($index, 'grid_charge', $any($event.target).checked)" /></td>
            </tr>
          }
        </tbody>
      </table></div>
      @if (flag('programs'); as text) { <p class="flag" role="status">programs: {{ text }}</p> }
      @if (errors()['programs']; as e) { <p class="error" role="alert">{{ e }}</p> }
      @if (errors()['_']; as e) { <p class="error" role="alert">{{ e }}</p> }
      @if (draft().seen > draft().revision) {
        <p class="note" role="status">changed elsewhere since you read it (revision {{ draft().revision }}, now
          {{ draft().seen }}): the settings you have not edited show the new values</p>
      }
      @if (saved()) { <p class="ok" role="status">saved: effective from the next tick</p> }
      <div class="row">
        <button type="submit" class="apply" [disabled]="!bus.canChange()">Apply</button>
        <button type="button" class="reload" (click)="reload()">Reload</button>
      </div>
    </form>
  `,
  styles: `
    .hhmm { width: 4.2em; font-variant-numeric: tabular-nums; }
    .hhmm:invalid { border-color: #b00020; }
    form { display: grid; gap: 8px; }
    .row { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
    fieldset { display: grid; grid-template-columns: 10rem 6rem; gap: 4px 8px; align-items: center; }
    fieldset .error { grid-column: 1 / -1; }
    .table { overflow-x: auto; }
    table { border-collapse: collapse; }
    th, td { padding: 2px 6px; text-align: left; font-size: 0.85rem; }
    td input[type="number"] { width: 6rem; }
    /* a phone: the six slots with their grid-charge boxes in view, no sideways scroll */
    @media (max-width: 480px) {
      th, td { padding: 2px 3px; }
      td input[type="number"] { width: 4.6rem; }
      td input.soc { width: 3.4rem; }
    }
    .error { color: #b00020; font-size: 0.8rem; }
    .flag { color: #8a5a00; font-size: 0.8rem; }
    fieldset .flag { grid-column: 1 / -1; }
    .note { color: #555; font-size: 0.8rem; }
    .ok { color: #1b7f3b; }
    .apply { justify-self: start; }
  `,
})
export class InverterSettings {
  readonly bus = inject(Bus);
  readonly deviceId = input.required<string>();
  readonly modes = WORK_MODES;
  readonly priorities = PRIORITIES;
  readonly socNames = SOC_LIMITS;
  readonly time24 = time24;
  readonly timePattern = TIME_PATTERN;
  /** The device's settings, the person's edits and the revision they are based on. */
  readonly draft = signal<Draft>({ revision: 0, seen: 0, base: {}, edits: {}, flagged: [] });
  readonly mode = computed(() => valueOf(this.draft(), 'work_mode') ?? '');
  readonly priority = computed(() => valueOf(this.draft(), 'priority') ?? '');
  readonly limits = computed<Record<string, number>>(() =>
    Object.fromEntries(SOC_LIMITS.map((n) => [n, valueOf(this.draft(), n)])));
  readonly slots = computed<ProgramSlot[]>(() => valueOf(this.draft(), 'programs') ?? []);
  readonly errors = signal<Record<string, string>>({});
  readonly saved = signal(false);
  private stop: (() => void) | null = null;
  /** An Apply in flight: its own config event (which may come before its answer) flags nothing. */
  private applying = false;

  constructor() {
    effect(() => {
      const id = this.deviceId();
      this.unfollow();
      // follow the device's config events first, then read it: no change falls in between
      this.bus.followDevice(id, (view) => this.draft.update((d) => followed(d, view, !this.applying)))
        .then((stop) => { if (this.deviceId() === id) this.stop = stop; else stop(); })
        .catch(() => undefined)  // not connected yet: the read below says so
        .finally(() => this.reload());
    });
    inject(DestroyRef).onDestroy(() => this.unfollow());
  }

  private unfollow(): void {
    this.stop?.();
    this.stop = null;
  }

  /** Read the device afresh: its settings now, nothing edited. */
  reload(): Promise<void> {
    return this.bus.getDevice(this.deviceId()).then((view) => {
      this.draft.set(loaded(view));
    }).catch((e: BusError) => this.errors.set({ _: e.message }));
  }

  /** Why ``field`` is flagged: it changed elsewhere while the person edits it. */
  flag(field: string): string {
    if (!this.draft().flagged.includes(field)) return '';
    const now = this.draft().base[field];
    const shown = field === 'programs' ? 'new programs' : SOC_LIMITS.includes(field) ? `${this.percent(now)} %` : now;
    return `changed elsewhere (now ${shown}) while you edit it: Apply will be refused; reload to see it`;
  }

  edit(field: string, value: unknown): void {
    this.draft.update((d) => edited(d, field, value));
    this.saved.set(false);
  }

  percent(ratio: number | undefined): string {
    return ratio === undefined || ratio === null ? '' : String(Math.round(ratio * 1000) / 10);
  }

  setLimit(name: string, value: string): void {
    this.edit(name, Number(value) / 100);
  }

  setSlot(index: number, field: keyof ProgramSlot, value: string | number | boolean): void {
    this.edit('programs', this.slots().map((slot, i) => (i === index ? { ...slot, [field]: value } : slot)));
  }

  async save(event: Event): Promise<void> {
    event.preventDefault();
    const changes = changesOf(this.draft());
    if (!Object.keys(changes).length) {
      this.errors.set({});
      this.saved.set(true);
      return;
    }
    this.applying = true;
    try {
      const view = await this.bus.setProperties(this.deviceId(), changes, this.draft().revision);
      // (a change made elsewhere after this one, already followed, stays shown)
      this.draft.update((d) => (view.revision >= d.seen ? loaded(view) : { ...d, revision: d.seen, edits: {}, flagged: [] }));
      this.errors.set({});
      this.saved.set(true);
    } catch (e) {
      const error = e as BusError;
      if (error.uri === CONFLICT) {
        await this.reload();
        this.errors.set({ _: `${error.message}. Reloaded: these are the settings now; make your change again.` });
      } else {
        this.errors.set(fieldErrors(error.message));
      }
    } finally {
      this.applying = false;
    }
  }
}
