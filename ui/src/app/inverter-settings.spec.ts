import { TestBed } from '@angular/core/testing';

import { Bus, BusError } from './bus';
import {
  CONFLICT, InverterSettings, changesOf, edited, followed, loaded, sixSlots, valueOf,
} from './inverter-settings';

const PROGRAMS = [
  { start: '00:00', power_w: 3000, soc: 0.35, grid_charge: true },
  { start: '05:00', power_w: 5000, soc: 0.3, grid_charge: false },
];

function properties(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'inverter', kind: 'inverter', rated_power_w: 5000, work_mode: 'limited_to_home', priority: 'load_first',
    battery_shutdown_soc: 0.1, battery_low_soc: 0.2, battery_restart_soc: 0.3, backup_reserve_soc: 0.3,
    programs: PROGRAMS, ...over,
  };
}

function view(revision: number, over: Record<string, unknown> = {}) {
  return { id: 'inverter', kind: 'inverter', role: 'inverter', state: {}, revision, properties: properties(over) };
}

describe('the inverter panel draft: only what the person changed, on the revision read', () => {
  it('sends only the edited fields, and nothing once an edit is undone', () => {
    let d = loaded(view(4));
    expect(changesOf(d)).toEqual({});
    d = edited(d, 'priority', 'battery_first');
    d = edited(d, 'battery_low_soc', 0.25);
    d = edited(d, 'battery_low_soc', 0.2); // back to the device's value: no longer an edit
    expect(changesOf(d)).toEqual({ priority: 'battery_first' });
    expect(d.revision).toBe(4);
    const slots = sixSlots(PROGRAMS);
    d = edited(d, 'programs', slots.map((s, i) => (i === 1 ? { ...s, soc: 0.5 } : s)));
    expect((changesOf(d)['programs'] as any[])[1].soc).toBe(0.5);
    expect((changesOf(d)['programs'] as any[]).length).toBe(2); // as the inverter stores them
    d = edited(d, 'programs', slots); // the same six slots: not a change
    expect(Object.keys(changesOf(d))).toEqual(['priority']);
  });

  it('follows changes made elsewhere: fields not edited show them, an edited one that changed is flagged', () => {
    let d = edited(loaded(view(4)), 'priority', 'battery_first');
    d = followed(d, view(5, { backup_reserve_soc: 0.5 })); // a WAMP client set the reserve
    expect(valueOf(d, 'backup_reserve_soc')).toBe(0.5);
    expect(valueOf(d, 'priority')).toBe('battery_first');
    expect(d.flagged).toEqual([]);
    expect(changesOf(d)).toEqual({ priority: 'battery_first' }); // the reserve is not sent back
    expect([d.revision, d.seen]).toEqual([4, 5]); // still based on what was read
    d = followed(d, view(6, { backup_reserve_soc: 0.5, priority: 'battery_first', work_mode: 'zero_export' }));
    expect(d.flagged).toEqual(['priority']); // edited here, changed there (even to the same value)
    expect(followed(d, view(5, { backup_reserve_soc: 0.1 }))).toBe(d); // an older event: ignored
    // the panel's own Apply in flight: its config event flags nothing
    const own = followed(edited(loaded(view(7)), 'battery_low_soc', 0.25), view(8, { battery_low_soc: 0.25 }), false);
    expect([own.flagged, own.seen, valueOf(own, 'battery_low_soc')]).toEqual([[], 8, 0.25]);
  });
});

class FakeBus {
  device = view(4);
  followers: ((v: any) => void)[] = [];
  sets: [string, Record<string, unknown>, number | undefined][] = [];
  reads = 0;
  refuse: BusError | null = null;
  canChange = () => true;
  async getDevice(): Promise<any> {
    this.reads += 1;
    return this.device;
  }
  async followDevice(_id: string, onView: (v: any) => void): Promise<() => void> {
    this.followers.push(onView);
    return () => undefined;
  }
  async setProperties(id: string, changes: Record<string, unknown>, revision?: number): Promise<any> {
    this.sets.push([id, changes, revision]);
    if (this.refuse) throw this.refuse;
    this.device = view(this.device.revision + 1, { ...this.device.properties, ...changes });
    return this.device;
  }
  /** Someone else changed the device (a WAMP client, another tab): its config event. */
  elsewhere(over: Record<string, unknown>): void {
    this.device = view(this.device.revision + 1, { ...this.device.properties, ...over });
    this.followers.forEach((f) => f(this.device));
  }
}

async function render(bus: FakeBus) {
  TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
  const fixture = TestBed.createComponent(InverterSettings);
  fixture.componentRef.setInput('deviceId', 'inverter');
  fixture.detectChanges();
  await fixture.whenStable();
  for (let i = 0; i < 20 && bus.reads === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await fixture.whenStable();
  fixture.detectChanges();
  return fixture;
}

async function settle(fixture: any): Promise<void> {
  fixture.detectChanges();
  await fixture.whenStable();
  fixture.detectChanges();
}

describe('InverterSettings with a second writer', () => {
  it('a reserve set from a WAMP client is shown, and changing only Priority does not put it back', async () => {
    const bus = new FakeBus();
    const fixture = await render(bus);
    const el: HTMLElement = fixture.nativeElement;
    const reserve = () => (el.querySelector('#inv-backup_reserve_soc') as HTMLInputElement).value;
    expect(reserve()).toBe('30');
    bus.elsewhere({ backup_reserve_soc: 0.5 });
    await settle(fixture);
    expect(reserve()).toBe('50');
    expect(el.textContent).toContain('changed elsewhere since you read it (revision 4, now 5)');
    const priority = el.querySelector('#inv-priority') as HTMLSelectElement;
    priority.value = 'battery_first';
    priority.dispatchEvent(new Event('change'));
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    await settle(fixture);
    expect(bus.sets).toEqual([['inverter', { priority: 'battery_first' }, 4]]);
    expect(bus.device.properties['backup_reserve_soc']).toBe(0.5);
    expect(el.querySelector('.ok')?.textContent).toContain('saved');
  });

  it('flags a field being edited that changed elsewhere; a refused Apply says why and reloads', async () => {
    const bus = new FakeBus();
    const fixture = await render(bus);
    const el: HTMLElement = fixture.nativeElement;
    const input = el.querySelector('#inv-backup_reserve_soc') as HTMLInputElement;
    input.value = '40';
    input.dispatchEvent(new Event('input'));
    bus.elsewhere({ backup_reserve_soc: 0.6 }); // another tab
    await settle(fixture);
    expect(input.value).toBe('40'); // the person's edit stays in the field
    expect(el.querySelector('.flag')?.textContent).toContain('changed elsewhere (now 60 %) while you edit it');
    const message = 'backup_reserve_soc: changed elsewhere since revision 4 (now 5): reload';
    bus.refuse = new BusError(CONFLICT, message);
    const reads = bus.reads;
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    for (let i = 0; i < 20 && bus.reads === reads; i++) await new Promise((r) => setTimeout(r, 10));
    await settle(fixture);
    expect(bus.sets).toEqual([['inverter', { backup_reserve_soc: 0.4 }, 4]]);
    expect(bus.reads).toBe(reads + 1);
    expect(el.querySelector('[role="alert"]')?.textContent).toContain(message);
    expect((el.querySelector('#inv-backup_reserve_soc') as HTMLInputElement).value).toBe('60');
    expect(el.querySelector('.flag')).toBeNull();
  });
});
