import { TestBed } from '@angular/core/testing';

import { FlowFacts, FlowView } from './flow-view';

function facts(over: Partial<FlowFacts> = {}): FlowFacts {
  return {
    pv: { usedW: 106, availableW: 3906, curtailedW: 3800, reason: 'battery full, no export', present: true },
    battery: { watts: -500, soc: 0.42, words: 'charging', seconds: 3600, towards: 'full' },
    grid: { watts: 0, on: true, present: true, stage: 0, outageEnd: '', nextOutage: '16:00 – 18:30' },
    home: { watts: 1490, essentialW: 490, nonEssentialW: 1000, loads: [
      { id: 'geyser', essential: false, watts: 1000, shed: false, short: false },
      { id: 'tv', essential: true, watts: 490, shed: false, short: false }] },
    lossW: 10,
    ...over,
  };
}

async function render(f: FlowFacts): Promise<HTMLElement> {
  const fixture = TestBed.createComponent(FlowView);
  fixture.componentRef.setInput('facts', f);
  fixture.detectChanges();
  await fixture.whenStable();
  return fixture.nativeElement;
}

describe('FlowView', () => {
  it('draws each flow towards or away from the inverter, and says it in words without signs', async () => {
    const el = await render(facts());
    const line = (id: string) => el.querySelector(`[data-flow="${id}"]`)!;
    expect(line('pv').classList.contains('active')).toBe(true);
    expect(line('pv').classList.contains('reverse')).toBe(false);
    expect(line('battery').classList.contains('reverse')).toBe(true); // charging: away from the inverter
    expect(line('grid').classList.contains('active')).toBe(false);
    expect(el.querySelector('[data-node="battery"] .watts')!.textContent).toBe('500 W');
    expect(el.querySelector('[data-node="battery"]')!.textContent).toContain('SoC 42 %');
    const text = (id: string) => el.querySelector(`[data-line="${id}"]`)!.textContent!.replace(/\s+/g, ' ');
    expect(text('pv')).toContain('PV 106 W of 3.91 kW available — 3.80 kW curtailed: battery full, no export');
    expect(text('battery')).toContain('Battery charging 500 W · SoC 42 % · full in 1 h 00 min at this rate');
    expect(text('grid')).toContain('next outage 16:00 – 18:30');
    expect(text('home')).toContain('essential 490 W, non-essential 1.00 kW');
  });

  it('shows an outage with its stage and end, and shed loads as shed', async () => {
    const f = facts();
    const el = await render({
      ...f, grid: { watts: 0, on: false, present: true, stage: 2, outageEnd: '18:30', nextOutage: 'Tue 01-06 05:00 – 06:30' },
      home: { ...f.home, loads: [{ id: 'geyser', essential: false, watts: 0, shed: true, short: false }] },
    });
    expect(el.querySelector('[data-test="outage"]')!.textContent).toContain('load-shedding stage 2');
    expect(el.querySelector('[data-test="outage-end"]')!.textContent).toBe('18:30');
    expect(el.querySelector('[data-load="geyser"]')!.textContent).toContain('shed');
    expect(el.querySelector('[data-load="geyser"]')!.textContent).not.toContain('0 W');
    expect(el.querySelector('[data-node="grid"]')!.textContent).toContain('stage 2');
  });
});
