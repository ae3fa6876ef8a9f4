// The homesim UI: build the home by drag and drop, watch its energy flow, control the clock.
import { CdkDrag, CdkDragDrop, CdkDropList } from '@angular/cdk/drag-drop';
import { Component, OnInit, computed, inject, signal } from '@angular/core';

import { Bus, BusError, Credentials, credentialsFromLocation } from './bus';
import { flagged, flows, formatPower, formatSimTime, polyline, powerOf } from './energy';
import { FlowView } from './flow-view';
import { InverterSettings } from './inverter-settings';
import { Plan } from './plan';
import { Reports } from './reports';
import deviceKinds from './generated/device-kinds.json';
import { PropertyForm } from './property-form';

const KINDS = deviceKinds as Record<string, { role: string; description: string }>;

/** The palette, in the order people think of a home. */
export const PALETTE = ['pv_array', 'battery', 'inverter', 'grid', 'oven', 'geyser', 'kettle', 'fridge', 'tv', 'lights',
  'generic_load'].filter((k) => k in KINDS);

/** Speeds offered (ticks per wall second at 60 s ticks: 1/60 is real time). */
export const SPEEDS: { label: string; value: number | 'max' }[] = [
  { label: 'real time', value: 1 / 60 }, { label: '60×', value: 1 }, { label: '3600×', value: 60 },
  { label: 'max', value: 'max' },
];

@Component({
  selector: 'app-root',
  imports: [CdkDropList, CdkDrag, FlowView, PropertyForm, InverterSettings, Plan, Reports],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App implements OnInit {
  readonly bus = inject(Bus);
  readonly palette = PALETTE;
  readonly kinds = KINDS;
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
  readonly inverterId = computed(() => this.devices().find((d) => d.kind === 'inverter')?.id ?? null);
  readonly missing = computed(() => flagged(this.bus.topology()));
  readonly timeZone = computed(() => (this.bus.desired()?.home as any)?.location?.timezone ?? 'UTC');
  readonly currency = computed(() => (this.bus.desired()?.home as any)?.currency ?? '');
  readonly simTime = computed(() => {
    const s = this.bus.settlement();
    return s ? formatSimTime(s.time + s.dtS, this.timeZone()) : '—';
  });
  readonly gridStatus = computed(() => {
    const s = this.bus.settlement();
    if (!s) return '';
    return s.gridOn ? 'on' : 'outage / load-shedding';
  });
  readonly chart = computed(() => {
    const h = this.bus.history();
    const roles = this.roles();
    const series = h.map((s) => flows(s, roles));
    const all = series.flatMap((f) => [f.pvW, f.loadsW, f.gridW, f.batteryW]);
    const max = Math.max(1000, ...all);
    const min = Math.min(0, ...all);
    return {
      pv: polyline(series.map((f) => f.pvW), 600, 160, min, max),
      loads: polyline(series.map((f) => f.loadsW), 600, 160, min, max),
      grid: polyline(series.map((f) => f.gridW), 600, 160, min, max),
      battery: polyline(series.map((f) => f.batteryW), 600, 160, min, max),
      soc: polyline(h.map((s) => s.soc ?? 0), 600, 160, 0, 1),
      max, min, hours: (h.length * (h[0]?.dtS ?? 60)) / 3600,
    };
  });

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
    return formatPower(powerOf(this.bus.settlement(), id));
  }

  async act(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
      this.message.set(null);
    } catch (e) {
      this.message.set(`${what}: ${(e as BusError).message}`);
    }
  }

  /** A kind dropped from the palette onto the home: the controller adds the device. */
  dropped(event: CdkDragDrop<unknown, unknown, string>): void {
    if (event.previousContainer === event.container) return;
    const kind = event.item.data;
    this.act(`add ${kind}`, () => this.bus.addDevice({ kind }));
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

  speedLabel(): string {
    const c = this.bus.clock();
    if (!c) return '—';
    return c.speed === 'max' ? 'max' : `${(Number(c.speed) * c.dtS).toFixed(0)}× real time`;
  }

  /** The home as it is now, as a home file (JSON is valid YAML: homesim reads it). */
  saveHome(): void {
    const home = this.bus.desired()?.home;
    if (!home) return;
    const blob = new Blob([JSON.stringify(home, null, 2) + '\n'], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${this.bus.homeId()}.home.json`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  /** Load a home file: its devices missing from the running home are added. */
  async loadHome(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    let data: any;
    try {
      data = JSON.parse(await file.text());
    } catch {
      this.message.set(`${file.name}: not a JSON home file (save one from this page, or convert YAML to JSON)`);
      return;
    }
    const present = new Set(Object.keys(this.bus.topology()));
    for (const device of data?.devices ?? []) {
      if (!present.has(device.id)) await this.act(`add ${device.id}`, () => this.bus.addDevice(device));
    }
    input.value = '';
  }
}
