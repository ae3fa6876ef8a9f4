// The energy-flow view: PV, battery, grid and the home around the inverter. Arrows and words
// give each flow's direction (no signs); below the diagram each flow in a sentence, as a
// homeowner reads a hybrid inverter's app: PV used of available and why the rest is curtailed,
// the battery charging or discharging with the time to full or empty, the grid with its outage,
// stage and next outage, and the home split into essential and non-essential loads.
import { Component, computed, input } from '@angular/core';

import { formatDuration, formatWatts } from './watch';

export interface LoadLine {
  id: string;
  essential: boolean;
  watts: number;
  /** Asked for energy and got none or less (non-essential loads in an outage: shed). */
  shed: boolean;
  short: boolean;
}

/** Everything the flow view shows, worked out by the app from the settlement and the home. */
export interface FlowFacts {
  pv: { usedW: number; availableW: number; curtailedW: number; reason: string; present: boolean };
  /** + discharging into the home's bus, - charging. */
  battery: { watts: number; soc: number | null; words: string; seconds: number | null; towards: 'full' | 'empty' | null };
  /** + importing, - exporting. */
  grid: { watts: number; on: boolean; present: boolean; stage: number | null; outageEnd: string; nextOutage: string };
  home: { watts: number; essentialW: number; nonEssentialW: number; loads: LoadLine[] };
  lossW: number;
}

interface Node {
  id: string;
  icon: string;
  label: string;
  x: number;
  y: number;
  watts: number;
  /** The flow's direction: into the inverter (true) or out of it (false). */
  towardsInverter: boolean;
  sub: string;
  alert: boolean;
}

const CX = 180;
const CY = 118;

@Component({
  selector: 'app-flow-view',
  template: `
    <svg viewBox="0 0 360 236" role="img" [attr.aria-label]="summary()" class="flow">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="head" />
        </marker>
      </defs>
      @for (n of nodes(); track n.id) {
        <line [attr.x1]="seg(n)[0]" [attr.y1]="seg(n)[1]" [attr.x2]="seg(n)[2]" [attr.y2]="seg(n)[3]"
              [class.active]="active(n)" [class.reverse]="!n.towardsInverter" [attr.data-flow]="n.id"
              [attr.marker-end]="active(n) ? 'url(#arrow)' : null" />
      }
      <g class="node inverter">
        <rect [attr.x]="CX - 32" [attr.y]="CY - 22" width="64" height="44" rx="8" />
        <text [attr.x]="CX" [attr.y]="CY - 4" text-anchor="middle">inverter</text>
        <text [attr.x]="CX" [attr.y]="CY + 12" text-anchor="middle" class="small">loss {{ w(facts().lossW) }}</text>
      </g>
      @for (n of nodes(); track n.id) {
        <g class="node" [attr.data-node]="n.id" [class.alert]="n.alert">
          <circle [attr.cx]="n.x" [attr.cy]="n.y" r="34" />
          <text [attr.x]="n.x" [attr.y]="n.y - 12" text-anchor="middle" class="icon" aria-hidden="true">{{ n.icon }}</text>
          <text [attr.x]="n.x" [attr.y]="n.y + 4" text-anchor="middle">{{ n.label }}</text>
          <text [attr.x]="n.x" [attr.y]="n.y + 18" text-anchor="middle" class="watts">{{ w(n.watts) }}</text>
          <text [attr.x]="n.x" [attr.y]="n.y + 29" text-anchor="middle" class="small">{{ n.sub }}</text>
        </g>
      }
    </svg>
    <ul class="lines" aria-label="the flows in words">
      <li data-line="pv"><span class="icon" aria-hidden="true">☀</span>
        @if (!facts().pv.present) { No PV. }
        @else if (facts().pv.availableW < 1) { PV: no sun (0 W available). }
        @else {
          PV {{ w(facts().pv.usedW) }} of {{ w(facts().pv.availableW) }} available
          @if (facts().pv.curtailedW >= 1) {
            — <strong data-test="curtailed">{{ w(facts().pv.curtailedW) }} curtailed</strong>: {{ facts().pv.reason }}
          } @else { (all of it used) }
        }
      </li>
      <li data-line="battery"><span class="icon" aria-hidden="true">▮</span>
        @if (facts().battery.soc === null) { No battery. }
        @else {
          Battery {{ facts().battery.words }}
          @if (facts().battery.words === 'charging' || facts().battery.words === 'discharging') { {{ w(facts().battery.watts) }} }
          · SoC {{ pct(facts().battery.soc) }}
          @if (facts().battery.towards) { · {{ facts().battery.towards }} in {{ dur(facts().battery.seconds) }} at this rate }
        }
      </li>
      <li data-line="grid" [class.alert]="!facts().grid.on"><span class="icon" aria-hidden="true">⚡</span>
        @if (!facts().grid.present) { No grid. }
        @else if (facts().grid.on) {
          Grid on, {{ facts().grid.watts > 1 ? 'importing ' + w(facts().grid.watts) : facts().grid.watts < -1 ? 'exporting ' + w(facts().grid.watts) : 'idle' }}
          @if (facts().grid.nextOutage) { · next outage <span data-test="next-outage">{{ facts().grid.nextOutage }}</span> }
        } @else {
          <strong data-test="outage">Grid down{{ facts().grid.stage ? ' — load-shedding stage ' + facts().grid.stage : ' (outage)' }}</strong>
          @if (facts().grid.outageEnd) { until <strong data-test="outage-end">{{ facts().grid.outageEnd }}</strong> }
          @if (facts().grid.nextOutage) { · next outage <span data-test="next-outage">{{ facts().grid.nextOutage }}</span> }
        }
      </li>
      <li data-line="home"><span class="icon" aria-hidden="true">⌂</span>
        Home {{ w(facts().home.watts) }}: essential {{ w(facts().home.essentialW) }}, non-essential {{ w(facts().home.nonEssentialW) }}
      </li>
    </ul>
    <table class="loads" aria-label="loads">
      <tbody>
        @for (l of facts().home.loads; track l.id) {
          <tr [attr.data-load]="l.id" [class.shed]="l.shed">
            <td>{{ l.id }}</td><td class="circuit">{{ l.essential ? 'essential' : 'non-essential' }}</td>
            <td class="num">{{ l.shed ? 'shed' : l.short ? w(l.watts) + ' (short)' : w(l.watts) }}</td>
          </tr>
        }
      </tbody>
    </table>
    <p class="note">Arrows show which way power flows; figures are shown without signs.</p>
  `,
  styles: `
    :host { display: block; }
    .flow { width: 100%; max-width: 480px; height: auto; display: block; }
    line { stroke: #c9ced6; stroke-width: 4; }
    line.active { stroke: #f2a900; stroke-dasharray: 8 6; animation: flow 0.8s linear infinite; }
    .head { fill: #f2a900; }
    @keyframes flow { to { stroke-dashoffset: -14; } }
    circle { fill: #fff; stroke: #3d5a80; stroke-width: 2; }
    .alert circle { stroke: #b00020; fill: #fde7ea; }
    rect { fill: #3d5a80; }
    .inverter text { fill: #fff; }
    text { font: 11px system-ui, sans-serif; fill: #1b263b; }
    .icon { font-size: 14px; }
    .watts { font-weight: 600; }
    .small { font-size: 9px; }
    .lines { list-style: none; padding: 0; margin: 4px 0; display: grid; gap: 4px; }
    .lines li { line-height: 1.35; }
    .lines li.alert { color: #8a0019; }
    .lines .icon { display: inline-block; width: 1.4em; }
    table.loads { border-collapse: collapse; font-size: 0.8rem; }
    .loads td { padding: 1px 8px 1px 0; }
    .loads .num { text-align: right; font-variant-numeric: tabular-nums; }
    .loads .circuit { color: #667; }
    .loads tr.shed td { color: #8a0019; font-style: italic; }
    .note { font-size: 0.75rem; color: #667; margin: 4px 0 0; }
  `,
})
export class FlowView {
  readonly facts = input.required<FlowFacts>();
  readonly CX = CX;
  readonly CY = CY;

  readonly nodes = computed<Node[]>(() => {
    const f = this.facts();
    const soc = f.battery.soc;
    return [
      { id: 'pv', icon: '☀', label: 'PV', x: 52, y: 44, watts: f.pv.usedW, towardsInverter: true,
        sub: f.pv.curtailedW >= 1 ? `of ${formatWatts(f.pv.availableW)}` : '', alert: false },
      { id: 'battery', icon: '▮', label: 'battery', x: 52, y: 192, watts: f.battery.watts, towardsInverter: f.battery.watts >= 0,
        sub: soc === null ? 'none' : `SoC ${Math.round(soc * 100)} %`, alert: false },
      { id: 'grid', icon: '⚡', label: 'grid', x: 308, y: 44, watts: f.grid.watts, towardsInverter: f.grid.watts >= 0,
        sub: !f.grid.on ? (f.grid.stage ? `DOWN · stage ${f.grid.stage}` : 'DOWN') : f.grid.watts > 1 ? 'import' : f.grid.watts < -1 ? 'export' : 'on',
        alert: !f.grid.on },
      { id: 'loads', icon: '⌂', label: 'home', x: 308, y: 192, watts: f.home.watts, towardsInverter: false,
        sub: f.home.loads.some((l) => l.shed) ? 'loads shed' : 'loads', alert: false },
    ];
  });

  readonly summary = computed(() => {
    const f = this.facts();
    return `PV ${formatWatts(f.pv.usedW)} of ${formatWatts(f.pv.availableW)} available, battery ${f.battery.words} ` +
      `${formatWatts(f.battery.watts)}, grid ${f.grid.on ? 'on' : 'down'} ${formatWatts(f.grid.watts)}, home ${formatWatts(f.home.watts)}`;
  });

  /** The flow's line from its source's edge to its sink's edge (the arrowhead stays visible). */
  seg(n: Node): [number, number, number, number] {
    const dx = CX - n.x;
    const dy = CY - n.y;
    const len = Math.hypot(dx, dy);
    const a: [number, number] = [n.x + (dx / len) * 36, n.y + (dy / len) * 36]; // node edge
    const b: [number, number] = [CX - (dx / len) * 40, CY - (dy / len) * 40]; // inverter edge
    return n.towardsInverter ? [...a, ...b] : [...b, ...a];
  }

  active(n: Node): boolean {
    return Math.abs(n.watts) >= 1;
  }

  w(watts: number): string {
    return formatWatts(watts);
  }

  pct(share: number | null): string {
    return share === null ? '—' : `${Math.round(share * 100)} %`;
  }

  dur(seconds: number | null): string {
    return formatDuration(seconds);
  }
}
