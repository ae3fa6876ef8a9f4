// The homesim UI: build the home by drag and drop, watch its energy flow, control the clock.
import { CdkDrag, CdkDragDrop, CdkDropList } from '@angular/cdk/drag-drop';
import { Component, ElementRef, OnInit, computed, effect, inject, signal, viewChild } from '@angular/core';

import { Bus, BusError, Credentials, HISTORY, credentialsFromLocation } from './bus';
import { Chart } from './chart';
import { describePower, flagged, flows, formatSimTime, powerOf } from './energy';
import { FlowFacts, FlowView } from './flow-view';
import { Today } from './today';
import {
  DayTotals, accumulate, batteryState, curtailReason, formatLocalIso, homeFacts, localParts, paceLabel, pvPower,
} from './watch';
import { InverterSettings } from './inverter-settings';
import { Plan } from './plan';
import { Purchase } from './purchase';
import { Reports } from './reports';
import { HomeFormat, homeToText, parseHomeFile, planLoad } from './home-file';
import { KINDS, KindInfo, PALETTE, Zone, isRemovable, newDevice, zoneOfRole } from './kinds';
import { PropertyForm } from './property-form';
import { HistoryImport } from './history-import';
import { TariffPicker } from './tariff-picker';

/** The house drawing's places, in reading order. */
export const ZONES: { zone: Zone; title: string; hint: string }[] = [
  { zone: 'roof', title: 'Roof', hint: 'solar panels' },
  { zone: 'plant', title: 'Battery and inverter', hint: 'the backup system' },
  { zone: 'grid', title: 'Grid connection', hint: 'the utility' },
  { zone: 'essential', title: 'Essential (backup)', hint: 'powered in outages' },
  { zone: 'non_essential', title: 'Non-essential (grid side)', hint: 'off in outages' },
];

/** Speeds offered (ticks per wall second at 60 s ticks: 1/60 is real time). */
export const SPEEDS: { label: string; value: number | 'max' }[] = [
  { label: 'real time', value: 1 / 60 }, { label: '60×', value: 1 }, { label: '3600×', value: 60 },
  { label: 'max', value: 'max' },
];

@Component({
  selector: 'app-root',
  imports: [CdkDropList, CdkDrag, FlowView, Chart, Today, PropertyForm, InverterSettings, Plan, Purchase, Reports,
            HistoryImport, TariffPicker],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App implements OnInit {
  readonly bus = inject(Bus);
  readonly palette = PALETTE;
  readonly kinds: Record<string, KindInfo | undefined> = KINDS;
  readonly zones = ZONES;
  readonly zoneIds = ZONES.map((z) => `zone-${z.zone}`);
  readonly dialog = viewChild<ElementRef<HTMLDialogElement>>('propsDialog');
  readonly speeds = SPEEDS;
  readonly message = signal<string | null>(null);
  readonly selected = signal<string | null>(null);
  readonly needLogin = signal(false);
  readonly login = signal<Credentials & { home: string }>({ url: '', authid: 'viewer', ticket: '', home: 'home' });

  readonly roles = computed<Record<string, string>>(() => {
    const out: Record<string, string> = {};
    for (const [id, t] of Object.entries(this.bus.topology())) out[id] = (t as any).role;
    return out;
  });
  readonly flows = computed(() => flows(this.bus.settlement(), this.roles()));
  readonly devices = computed(() =>
    Object.entries(this.bus.topology())
      .map(([id, t]) => ({ id, kind: (t as any).kind as string, role: (t as any).role as string, status: (t as any).status as string }))
      .filter((d) => d.role !== 'environment')
      .sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id)),
  );
  /** Each device's place in the house (a load's by its circuit). */
  readonly zoned = computed(() => {
    const circuits: Record<string, string | undefined> = {};
    for (const d of ((this.bus.desired()?.home as any)?.devices ?? []) as any[]) circuits[d.id] = d.circuit;
    const out: Record<string, { id: string; kind: string; role: string; status: string }[] | undefined> = {};
    for (const d of this.devices()) {
      const zone = zoneOfRole(d.role, circuits[d.id]) ?? 'plant';
      (out[zone] ??= []).push(d);
    }
    return out;
  });
  readonly inverterId = computed(() => this.devices().find((d) => d.role === 'inverter')?.id ?? null);
  readonly isRemovable = isRemovable;
  readonly missing = computed(() => flagged(this.bus.topology()));
  readonly timeZone = computed(() => (this.bus.desired()?.home as any)?.location?.timezone ?? 'UTC');
  readonly currency = computed(() => (this.bus.desired()?.home as any)?.currency ?? '');
  readonly simTime = computed(() => {
    const s = this.bus.settlement();
    return s ? formatSimTime(s.time + s.dtS, this.timeZone()) : '—';
  });
  readonly facts = computed(() => homeFacts(this.bus.desired()?.home));
  /** The power flow as the flow view shows it (see FlowFacts). */
  readonly flowFacts = computed<FlowFacts>(() => {
    const s = this.bus.settlement();
    const roles = this.roles();
    const f = this.flows();
    const home = this.facts();
    const pv = pvPower(s, roles);
    const soc = s?.soc ?? null;
    const gridOn = s?.gridOn ?? true;
    const ids = Object.keys(roles);
    const tz = this.timeZone();
    const today = s ? localParts(s.time + s.dtS, tz).day : '';
    const nextStart = s?.nextOutageStart ? localParts(Date.parse(s.nextOutageStart) / 1000, tz).day : '';
    const next = s?.nextOutageStart
      ? `${formatLocalIso(s.nextOutageStart, tz, today)} – ${formatLocalIso(s.nextOutageEnd, tz, nextStart)}` +
        (s.nextOutageStage ? ` (stage ${s.nextOutageStage})` : '') : '';
    const loads = ids.filter((id) => roles[id] === 'load').sort().map((id) => {
      const served = s && s.e[id] !== undefined ? -s.e[id] : 0;
      const demand = s?.demand[id] ?? 0;
      const essential = home.circuit[id] !== 'non_essential';
      const unserved = demand - served > 0 && demand > 0;
      return {
        id, essential, watts: s ? served / s.dtS : 0,
        // non-essential loads are on the grid side of the inverter: off in an outage by design
        shed: !essential && !gridOn,
        short: unserved && (essential || gridOn),
      };
    });
    return {
      pv: { ...pv, present: ids.some((id) => roles[id] === 'source'),
        reason: curtailReason(pv.curtailedW, soc, gridOn, home.exportAllowed, f.batteryW) },
      battery: { watts: f.batteryW, soc, ...batteryState(f.batteryW, soc, home.batteryJ, home.socFloor) },
      grid: { watts: f.gridW, on: gridOn, present: ids.some((id) => roles[id] === 'grid'), stage: s?.stage ?? null,
        outageEnd: gridOn ? '' : formatLocalIso(s?.outageEnd, tz, today), nextOutage: next },
      home: {
        watts: f.loadsW,
        essentialW: loads.filter((l) => l.essential).reduce((a, l) => a + l.watts, 0),
        nonEssentialW: loads.filter((l) => !l.essential).reduce((a, l) => a + l.watts, 0),
        loads,
      },
      lossW: f.lossW,
    };
  });
  /** Today's totals: every settlement of the simulated local day the newest one is in. */
  readonly today = computed<DayTotals | null>(() => {
    const roles = this.roles();
    const tz = this.timeZone();
    let t: DayTotals | null = null;
    for (const s of this.bus.history()) t = accumulate(t, s, roles, tz);
    return t;
  });
  readonly chartHistory = computed(() => this.bus.history().slice(-HISTORY));

  constructor() {
    // The property form is a modal dialog where the person is looking: opened with the
    // selection, focus moved into it; Esc (the dialog's cancel) or Close clears the selection.
    effect(() => {
      const dialog = this.dialog()?.nativeElement;
      if (!dialog) return;
      if (this.selected() && !dialog.open) {
        dialog.showModal();
        setTimeout(() => (dialog.querySelector('input:not([disabled]), select:not([disabled]), button') as HTMLElement | null)?.focus());
      } else if (!this.selected() && dialog.open) {
        dialog.close();
      }
    });
  }

  async ngOnInit(): Promise<void> {
    const credentials = credentialsFromLocation(window.location);
    const home = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('home') ?? 'home';
    if (!credentials) {
      this.needLogin.set(true);
      this.login.update((l) => ({ ...l, url: `ws://${window.location.host}/ws`, home }));
      return;
    }
    await this.connect({ ...credentials, home });
  }

  async connect(c: Credentials & { home: string }): Promise<void> {
    try {
      await this.bus.connect(c, c.home);
      this.needLogin.set(false);
    } catch (e) {
      this.message.set((e as Error).message);
      this.needLogin.set(true);
    }
  }

  submitLogin(event: Event, form: HTMLFormElement): void {
    event.preventDefault();
    const data = new FormData(form);
    this.connect({
      url: String(data.get('url')), authid: String(data.get('authid')), ticket: String(data.get('ticket')),
      home: String(data.get('home')),
    });
  }

  power(id: string): string {
    return describePower(powerOf(this.bus.settlement(), id), this.roles()[id]);
  }

  async act(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
      this.message.set(null);
    } catch (e) {
      this.message.set(`${what}: ${(e as BusError).message}`);
    }
  }

  /** A kind dropped from the palette into a place of the house: the controller adds the device
   * (a load dropped into a circuit goes on that circuit). */
  dropped(event: CdkDragDrop<unknown, unknown, string>, zone: Zone): void {
    if (event.previousContainer === event.container) return;
    this.add(event.item.data, zone);
  }

  /** Add a kind (from the keyboard: on its usual circuit). */
  add(kind: string, zone?: Zone): void {
    this.act(`add ${kind}`, () => this.bus.addDevice(newDevice(kind, zone)));
  }

  zoneTitle(zone: string): string {
    return ZONES.find((z) => z.zone === zone)?.title ?? zone;
  }

  toggle(id: string, on: boolean): void {
    this.act(`switch ${id}`, () => this.bus.switchDevice(id, on));
  }

  remove(id: string): void {
    if (this.selected() === id) this.selected.set(null);
    this.act(`remove ${id}`, () => this.bus.removeDevice(id));
  }

  speed(value: number | 'max'): void {
    this.act('speed', () => this.bus.setSpeed(value));
  }

  clock(command: 'pause' | 'resume' | 'step'): void {
    this.act(command, () => this.bus.clockCommand(command));
  }

  statusOf(id: string): string {
    return this.devices().find((d) => d.id === id)?.status ?? 'missing';
  }

  kindOf(id: string): string {
    return this.devices().find((d) => d.id === id)?.kind ?? '';
  }

  /** The pace the home actually holds, in simulated seconds per wall second ("1,800×"). */
  heldLabel(): string {
    const c = this.bus.clock();
    if (!c || c.paused) return 'paused';
    return `${paceLabel(this.bus.tickRate(), c.dtS)} held`;
  }

  /** Whether a speed button is the one requested. */
  isSpeed(value: number | 'max'): boolean {
    const c = this.bus.clock();
    return !!c && (c.speed === value || (typeof value === 'number' && Math.abs(Number(c.speed) - value) < 1e-9));
  }

  speedLabel(): string {
    const c = this.bus.clock();
    if (!c) return '—';
    return c.speed === 'max' ? 'max requested' : `${(Number(c.speed) * c.dtS).toLocaleString('en-US', { maximumFractionDigits: 0 })}× requested`;
  }

  /** The home as it is now, as a home file (YAML or JSON). */
  saveHome(format: HomeFormat): void {
    const home = this.bus.desired()?.home;
    if (!home) return;
    const type = format === 'yaml' ? 'application/yaml' : 'application/json';
    const blob = new Blob([homeToText(home as Record<string, unknown>, format)], { type });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${this.bus.homeId()}.home.${format === 'yaml' ? 'yaml' : 'json'}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  readonly loadStatus = signal<string | null>(null);

  /** Load a home file (.yaml, .yml, .json): devices the running home lacks are added, the
   * others get the file's properties; every problem names the device and the field. */
  async loadHome(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    input.value = '';
    this.loadStatus.set(null);
    const parsed = parseHomeFile(file.name, await file.text());
    if (!parsed.home) {
      this.message.set(parsed.errors.join('; '));
      return;
    }
    const plan = planLoad(parsed.home, new Set(Object.keys(this.bus.topology())));
    const problems: string[] = [];
    for (const device of plan.add) {
      try { await this.bus.addDevice(device); } catch (e) { problems.push(`${device['id']}: ${(e as BusError).message}`); }
    }
    for (const { id, changes } of plan.set) {
      try { await this.bus.setProperties(id, changes); } catch (e) {
        const error = e as BusError; // a field's problem names the field; "not running" names the device
        problems.push(error.uri === 'wamp.error.no_such_procedure' ? error.message : `${id}.${error.message}`);
      }
    }
    this.message.set(problems.length ? `${file.name}: ${problems.join('; ')}` : null);
    this.loadStatus.set(`${file.name}: ${plan.add.length} added, ${plan.set.length} updated`
      + (problems.length ? `, ${problems.length} refused` : ''));
  }
}
