// The inverter's settings as hybrid inverters show them: work mode, priority, battery SoC
// limits and reserve, and the six time-of-use program slots.
import { Component, effect, inject, input, signal } from '@angular/core';

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

@Component({
  selector: 'app-inverter-settings',
  template: `
    <form (submit)="save($event)" aria-label="inverter settings">
      <h3>Inverter settings <small>{{ deviceId() }}</small></h3>
      <div class="row">
        <label for="inv-work-mode">Work mode</label>
        <select id="inv-work-mode" [disabled]="!bus.canChange()" [value]="mode()" (change)="mode.set($any($event.target).value)">
          @for (m of modes; track m) { <option [value]="m">{{ m }}</option> }
        </select>
        <label for="inv-priority">Priority</label>
        <select id="inv-priority" [disabled]="!bus.canChange()" [value]="priority()" (change)="priority.set($any($event.target).value)">
          @for (p of priorities; track p) { <option [value]="p">{{ p }}</option> }
        </select>
      </div>
      <fieldset>
        <legend>Battery SoC limits [%]</legend>
        @for (name of socNames; track name) {
          <label [attr.for]="'inv-' + name">{{ name.replace('_soc', '').replaceAll('_', ' ') }}</label>
          <input [id]="'inv-' + name" type="number" min="0" max="100" step="1" [disabled]="!bus.canChange()"
                 [value]="percent(limits()[name])" (input)="setLimit(name, $any($event.target).value)" />
          @if (errors()[name]; as e) { <span class="error" role="alert">{{ e }}</span> }
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
      @if (errors()['programs']; as e) { <p class="error" role="alert">{{ e }}</p> }
      @if (errors()['_']; as e) { <p class="error" role="alert">{{ e }}</p> }
      @if (saved()) { <p class="ok" role="status">saved: effective from the next tick</p> }
      <button type="submit" class="apply" [disabled]="!bus.canChange()">Apply</button>
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
  readonly mode = signal('');
  readonly priority = signal('');
  readonly limits = signal<Record<string, number>>({});
  readonly slots = signal<ProgramSlot[]>([]);
  readonly errors = signal<Record<string, string>>({});
  readonly saved = signal(false);

  constructor() {
    effect(() => {
      const id = this.deviceId();
      this.bus.getDevice(id).then((view) => {
        const p = view.properties as Record<string, any>;
        this.mode.set(p['work_mode']);
        this.priority.set(p['priority']);
        this.limits.set(Object.fromEntries(SOC_LIMITS.map((n) => [n, p[n]])));
        this.slots.set(sixSlots(p['programs'] ?? []));
      }).catch((e: BusError) => this.errors.set({ _: e.message }));
    });
  }

  percent(ratio: number | undefined): string {
    return ratio === undefined || ratio === null ? '' : String(Math.round(ratio * 1000) / 10);
  }

  setLimit(name: string, value: string): void {
    this.limits.update((l) => ({ ...l, [name]: Number(value) / 100 }));
    this.saved.set(false);
  }

  setSlot(index: number, field: keyof ProgramSlot, value: string | number | boolean): void {
    this.slots.update((s) => s.map((slot, i) => (i === index ? { ...slot, [field]: value } : slot)));
    this.saved.set(false);
  }

  async save(event: Event): Promise<void> {
    event.preventDefault();
    const changes = {
      work_mode: this.mode(), priority: this.priority(), ...this.limits(), programs: normalSlots(this.slots()),
    };
    try {
      await this.bus.setProperties(this.deviceId(), changes);
      this.errors.set({});
      this.saved.set(true);
    } catch (e) {
      this.errors.set(fieldErrors((e as BusError).message));
    }
  }
}
