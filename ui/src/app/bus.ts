// The home's WAMP bus, as Angular signals. The only way the UI talks to the home.
import { Injectable, computed, signal } from '@angular/core';
import autobahn from 'autobahn-browser';

import {
  ClockState,
  DesiredHome,
  DeviceView,
  Settlement,
  Topology,
  TopologyEntry,
} from './generated';

/** Where and who: from the URL fragment `#ticket=...&authid=operator` (or the login form). */
export interface Credentials {
  url: string;
  authid: string;
  ticket: string;
}

/** A bus error with the server's message (e.g. `power_w: -5 is not allowed: must be >= 0`). */
export class BusError extends Error {
  constructor(
    readonly uri: string,
    message: string,
  ) {
    super(message);
  }
}

/** How many settlements the charts show (the last hours at 60 s ticks). */
export const HISTORY = 720;

/** How many settlements the bus keeps: the chart's and at least one simulated day (today's totals). */
export function keepTicks(dtS: number): number {
  return Math.min(5000, Math.max(HISTORY, Math.ceil(86400 / dtS) + 1));
}

/** Settlements merged by tick (a newer copy of a tick wins), in tick order, the last ``keep``. */
export function mergeHistory(a: Settlement[], b: Settlement[], keep: number): Settlement[] {
  const byTick = new Map<number, Settlement>();
  for (const s of [...a, ...b]) byTick.set(s.tick, s);
  return [...byTick.values()].sort((x, y) => x.tick - y.tick).slice(-keep);
}

/** How often the view takes in the settlements that arrived [ms]: at max speed hundreds arrive
 * a wall second, and taking each alone (a copy of the history, every view recomputed) fell
 * behind them, minutes behind the home. */
export const FLUSH_MS = 100;

/** What a batch of settlements does to the history: those newer than ``lastTick``, in order
 * (``fresh``), and the history with them, the last ``keep`` (merged by tick where the history
 * already reaches them: read back from the recorder). */
export function takeSettlements(history: Settlement[], lastTick: number, batch: Settlement[], keep: number):
    { fresh: Settlement[]; history: Settlement[] } {
  const fresh: Settlement[] = [];
  for (const s of batch) {
    if (s.tick > lastTick) {
      fresh.push(s);
      lastTick = s.tick;
    }
  }
  if (!fresh.length) return { fresh, history };
  const overlaps = history.length > 0 && history[history.length - 1].tick >= fresh[0].tick;
  return { fresh, history: overlaps ? mergeHistory(history, fresh, keep) : [...history, ...fresh].slice(-keep) };
}

/** Settlements per second over the arrival times [ms] of the last ``windowMs`` before ``now``
 * (drops the older ones from ``arrivals``, in place). */
export function arrivalRate(arrivals: number[], now: number, windowMs = 3000): number {
  let old = 0;
  while (old < arrivals.length && now - arrivals[old] >= windowMs) old++;
  arrivals.splice(0, old);
  const span = arrivals.length ? (now - arrivals[0]) / 1000 : 0;
  return span > 0 ? (arrivals.length - 1) / span : 0;
}

export function credentialsFromLocation(location: Location): Credentials | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const ticket = params.get('ticket');
  if (!ticket) return null;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return {
    url: params.get('url') ?? `${scheme}://${location.host}/ws`,
    authid: params.get('authid') ?? 'viewer',
    ticket,
  };
}

/** The home id is the prefix of every URI: `home.<id>.`. */
export function homeIdOf(topic: string): string {
  return topic.split('.')[1];
}

@Injectable({ providedIn: 'root' })
export class Bus {
  private session: any = null;
  private connection: any = null;
  readonly connected = signal(false);
  readonly error = signal<string | null>(null);
  readonly role = signal<string>('viewer');
  readonly homeId = signal<string>('home');
  readonly settlement = signal<Settlement | null>(null);
  readonly history = signal<Settlement[]>([]);
  /** Whether the history was read back from the recorder (after a load or reload). */
  readonly historyLoaded = signal(false);
  readonly topology = signal<Record<string, TopologyEntry>>({});
  readonly clock = signal<ClockState | null>(null);
  readonly desired = signal<DesiredHome | null>(null);
  readonly costSoFar = signal(0);
  /** Settled ticks per wall second, over the last few seconds. */
  readonly tickRate = signal(0);
  private arrivals: number[] = [];
  /** Settlements received and not yet taken in (see FLUSH_MS). */
  private pending: Settlement[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  readonly canChange = computed(() => this.role() === 'operator');

  uri(rest: string): string {
    return `home.${this.homeId()}.${rest}`;
  }

  /** Connect and follow the home; resolves once joined. */
  connect(credentials: Credentials, homeId: string): Promise<void> {
    this.homeId.set(homeId);
    return new Promise((resolve, reject) => {
      const connection = new autobahn.Connection({
        url: credentials.url,
        realm: 'home',
        authmethods: ['ticket'],
        authid: credentials.authid,
        onchallenge: () => credentials.ticket,
        max_retries: -1,
        max_retry_delay: 5,
      });
      connection.onopen = async (session: any, details: any) => {
        this.session = session;
        this.role.set(details.authrole);
        this.connected.set(true);
        this.error.set(null);
        try {
          await this.follow();
          resolve();
        } catch (e) {
          reject(e);
        }
      };
      connection.onclose = (reason: string, details: any) => {
        this.connected.set(false);
        this.session = null;
        if (reason !== 'lost' && reason !== 'closed') {
          const message = details?.message ?? reason;
          this.error.set(`cannot join: ${message}`);
          reject(new BusError('connect', message));
        }
        return false;
      };
      this.connection = connection;
      connection.open();
    });
  }

  private async follow(): Promise<void> {
    const s = this.session;
    const retained = { get_retained: true };
    await s.subscribe(this.uri('settlement'), ([p]: any[]) => this.onSettlement(Settlement.unmarshal(p)), retained);
    await s.subscribe(this.uri('topology'), ([p]: any[]) => this.topology.set(Topology.unmarshal(p).devices), retained);
    await s.subscribe(this.uri('clock'), ([p]: any[]) => this.clock.set(ClockState.unmarshal(p)), retained);
    await s.subscribe(this.uri('devices'), ([p]: any[]) => this.desired.set(DesiredHome.unmarshal(p)), retained);
    const clock = await this.call('clock.get');
    this.clock.set(ClockState.unmarshal(clock));
    this.topology.set(Topology.unmarshal(await this.call('topology.get')).devices);
    void this.loadHistory();
  }

  /** The last recorded settlements (at least the simulated day so far) from the recorder: a
   * reload keeps the chart's history and today's totals. */
  async loadHistory(): Promise<void> {
    const dtS = this.settlement()?.dtS ?? this.clock()?.dtS ?? 60;
    try {
      const recent: any[] = await this.call('report.recent', [keepTicks(dtS)]);
      const loaded = recent.map((p) => Settlement.unmarshal(p));
      this.history.update((h) => mergeHistory(loaded, h, keepTicks(dtS)));
      this.historyLoaded.set(true);
    } catch (e) {
      this.error.set(`history: ${(e as Error).message}`);
    }
  }

  private onSettlement(settlement: Settlement): void {
    this.pending.push(settlement);
    this.arrivals.push(performance.now());
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Take in what arrived since the last flush: each signal updated once. */
  private flush(): void {
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    this.tickRate.set(arrivalRate(this.arrivals, performance.now()));
    const last = this.settlement()?.tick ?? -1;
    const { fresh, history } = takeSettlements(this.history(), last, batch, keepTicks(batch[batch.length - 1].dtS));
    if (!fresh.length) return;
    this.settlement.set(fresh[fresh.length - 1]);
    this.costSoFar.update((c) => fresh.reduce((sum, s) => sum + s.cost, c));
    this.history.set(history);
  }

  /** Call a procedure under the home; a WAMP error becomes a BusError with its message.
   * ``onProgress`` asks for progressive results (a plan's ``[done, total]``) and gets each one's args. */
  async call(rest: string, args: unknown[] = [], kwargs: Record<string, unknown> = {},
             onProgress?: (...args: any[]) => void): Promise<any> {
    if (!this.session) throw new BusError(rest, 'not connected');
    try {
      if (onProgress) {
        // autobahn's promise (when.js) notifies progress to then's third callback
        return await this.session.call(this.uri(rest), args, kwargs, { receive_progress: true })
          .then(undefined, undefined, (r: any) => onProgress(...(Array.isArray(r?.args) ? r.args : [r])));
      }
      return await this.session.call(this.uri(rest), args, kwargs);
    } catch (e: any) {
      if (e?.error === 'wamp.error.no_such_procedure' && rest.startsWith('device.')) {
        // a device's own procedures are there only while its process runs
        throw new BusError(e.error, `${rest.split('.')[1]} is not running now (starting, stopped or off): try again once it shows present`);
      }
      const message = e?.args?.[0] ?? e?.error ?? String(e);
      throw new BusError(e?.error ?? rest, String(message));
    }
  }

  getDevice(id: string): Promise<DeviceView> {
    return this.call(`device.${id}.get`).then((v) => DeviceView.unmarshal(v));
  }

  /** Change a device's properties: only ``changes``, and, given the revision they were read
   * at, refused with ``homesim.error.conflict`` if one of them changed since (without one the
   * last writer wins). */
  setProperties(id: string, changes: Record<string, unknown>, revision?: number): Promise<DeviceView> {
    const kwargs = revision === undefined ? {} : { revision };
    return this.call(`device.${id}.set`, [changes], kwargs).then((v) => DeviceView.unmarshal(v));
  }

  /** Follow a device's properties (its ``config`` events, each with its revision); the
   * returned function stops following. */
  async followDevice(id: string, onView: (view: DeviceView) => void): Promise<() => void> {
    const session = this.session;
    if (!session) throw new BusError(`device.${id}.config`, 'not connected');
    const subscription = await session.subscribe(this.uri(`device.${id}.config`),
      ([p]: any[]) => onView(DeviceView.unmarshal(p)));
    return () => {
      if (this.session === session) session.unsubscribe(subscription).catch(() => undefined);
    };
  }

  addDevice(device: Record<string, unknown>): Promise<any> {
    return this.call('controller.add', [device]);
  }

  removeDevice(id: string): Promise<any> {
    return this.call('controller.remove', [id]);
  }

  switchDevice(id: string, on: boolean): Promise<any> {
    return this.call('controller.switch', [id, on]);
  }

  setSpeed(speed: number | 'max'): Promise<any> {
    return this.call('clock.set_speed', [speed]);
  }

  clockCommand(command: 'pause' | 'resume' | 'step'): Promise<any> {
    return this.call(`clock.${command}`);
  }

  close(): void {
    this.connection?.close();
  }
}
