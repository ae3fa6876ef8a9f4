import { TestBed } from '@angular/core/testing';

import { FlowView } from './flow-view';

describe('FlowView', () => {
  it('draws each flow towards or away from the inverter by its sign, with its power', async () => {
    const fixture = TestBed.createComponent(FlowView);
    fixture.componentRef.setInput('flows', { pvW: 2000, batteryW: -500, gridW: 0, loadsW: 1490, lossW: 10 });
    fixture.componentRef.setInput('soc', 0.42);
    fixture.detectChanges();
    await fixture.whenStable();
    const svg: SVGElement = fixture.nativeElement.querySelector('svg');
    const line = (id: string) => svg.querySelector(`[data-flow="${id}"]`)!;
    expect(line('pv').classList.contains('active')).toBe(true);
    expect(line('pv').classList.contains('reverse')).toBe(false);
    expect(line('battery').classList.contains('reverse')).toBe(true); // charging: away from the inverter
    expect(line('grid').classList.contains('active')).toBe(false);
    expect(svg.querySelector('[data-node="pv"] .watts')!.textContent).toBe('2.00 kW');
    expect(svg.querySelector('[data-node="battery"]')!.textContent).toContain('SoC 42 %');
    expect(svg.getAttribute('aria-label')).toContain('PV 2.00 kW');
  });
});
