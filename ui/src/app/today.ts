// Today: the simulated day so far, accumulated from settlements since local midnight (read back
// from the recorder after a reload, so a reload keeps them).
import { Component, computed, input } from '@angular/core';

import { DayTotals, formatKWh, formatPercent, selfSufficiency } from './watch';

@Component({
  selector: 'app-today',
  template: `
    <h3>Today <small>{{ totals()?.day ?? '—' }} (simulated, since local midnight)</small></h3>
    @if (totals(); as t) {
      <dl class="tiles" aria-label="today's energy">
        <div data-today="pv"><dt>☀ PV used</dt><dd>{{ kwh(t.pvKWh) }}</dd>
          <dd class="sub">of {{ kwh(t.pvAvailableKWh) }} available</dd></div>
        <div data-today="load"><dt>⌂ home</dt><dd>{{ kwh(t.loadKWh) }}</dd></div>
        <div data-today="import"><dt>⚡ bought</dt><dd>{{ kwh(t.importKWh) }}</dd></div>
        <div data-today="export"><dt>⚡ sold</dt><dd>{{ kwh(t.exportKWh) }}</dd></div>
        <div data-today="battery"><dt>▮ battery charged</dt><dd>{{ kwh(t.batteryInKWh) }}</dd>
          <dd class="sub">{{ kwh(t.batteryOutKWh) }} discharged</dd></div>
        <div data-today="cost"><dt>cost</dt><dd>{{ t.cost.toFixed(2) }} {{ currency() }}</dd></div>
        <div data-today="self-sufficiency"><dt>self-sufficiency</dt><dd>{{ pct(self()) }}</dd>
          <dd class="sub">of the home's use not bought</dd></div>
      </dl>
      <p class="data" hidden data-test="today-values" [attr.data-pv]="t.pvKWh" [attr.data-load]="t.loadKWh"
         [attr.data-import]="t.importKWh" [attr.data-export]="t.exportKWh" [attr.data-cost]="t.cost"
         [attr.data-ticks]="t.ticks" [attr.data-day]="t.day"></p>
    } @else { <p>No settlement yet.</p> }
  `,
  styles: `
    h3 { margin: 0 0 6px; } h3 small { font-weight: normal; color: #667; font-size: 0.8rem; }
    .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 6px; margin: 0; }
    .tiles div { border: 1px solid #e1e5ea; border-radius: 6px; padding: 4px 8px; background: #fff; }
    dt { font-size: 0.75rem; color: #556; }
    dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
    dd.sub { font-weight: normal; font-size: 0.75rem; color: #667; }
  `,
})
export class Today {
  readonly totals = input<DayTotals | null>(null);
  readonly currency = input<string>('');
  readonly self = computed(() => {
    const t = this.totals();
    return t ? selfSufficiency(t) : null;
  });

  kwh(v: number): string {
    return formatKWh(v);
  }

  pct(v: number | null): string {
    return formatPercent(v);
  }
}
