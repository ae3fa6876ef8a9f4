// The energy-flow view: PV, battery, grid and the loads around the inverter, with animated
// flows whose direction follows the sign of each power.
import { Component, computed, input } from '@angular/core';

import { Flows, formatPower } from './energy';

interface Edge {
  id: string;
  label: string;
  x: number;
  y: number;
  watts: number;
  /** + means towards the inverter. */
  towardsInverter: boolean;
  detail: string;
}

@Component({
  selector: 'app-flow-view',
  template: `
    <svg viewBox="0 0 360 260" role="img" [attr.aria-label]="summary()" class="flow">
      @for (edge of edges(); track edge.id) {
        <line [attr.x1]="edge.x" [attr.y1]="edge.y" x2="180" y2="130"
              [class.active]="active(edge)" [class.reverse]="!edge.towardsInverter"
              [attr.data-flow]="edge.id" />
      }
      <g class="node inverter">
        <rect x="150" y="105" width="60" height="50" rx="8" />
        <text x="180" y="127" text-anchor="middle">inverter</text>
        <text x="180" y="143" text-anchor="middle" class="small">loss {{ fmt(flows().lossW) }}</text>
      </g>
      @for (edge of edges(); track edge.id) {
        <g class="node" [attr.data-node]="edge.id">
          <circle [attr.cx]="edge.x" [attr.cy]="edge.y" r="30" />
          <text [attr.x]="edge.x" [attr.y]="edge.y - 4" text-anchor="middle">{{ edge.label }}</text>
          <text [attr.x]="edge.x" [attr.y]="edge.y + 12" text-anchor="middle" class="watts">{{ fmt(edge.watts) }}</text>
          @if (edge.detail) {
            <text [attr.x]="edge.x" [attr.y]="edge.y + 46" text-anchor="middle" class="small">{{ edge.detail }}</text>
          }
        </g>
      }
    </svg>
  `,
  styles: `
    .flow { width: 100%; max-width: 520px; height: auto; }
    line { stroke: #c9ced6; stroke-width: 4; }
    line.active { stroke: #f2a900; stroke-dasharray: 8 6; animation: flow 0.8s linear infinite; }
    line.active.reverse { animation-direction: reverse; }
    @keyframes flow { to { stroke-dashoffset: -14; } }
    circle { fill: #fff; stroke: #3d5a80; stroke-width: 2; }
    rect { fill: #3d5a80; }
    .inverter text { fill: #fff; }
    text { font: 11px system-ui, sans-serif; fill: #1b263b; }
    .watts { font-weight: 600; }
    .small { font-size: 9px; }
  `,
})
export class FlowView {
  readonly flows = input.required<Flows>();
  readonly soc = input<number | null>(null);
  readonly gridOn = input<boolean>(true);
  readonly gridStatus = input<string>('');

  readonly edges = computed<Edge[]>(() => {
    const f = this.flows();
    const soc = this.soc();
    return [
      { id: 'pv', label: 'PV', x: 60, y: 45, watts: f.pvW, towardsInverter: true, detail: '' },
      {
        id: 'battery', label: 'battery', x: 60, y: 215, watts: f.batteryW, towardsInverter: f.batteryW >= 0,
        detail: soc === null ? 'no battery' : `SoC ${(soc * 100).toFixed(0)} %`,
      },
      {
        id: 'grid', label: 'grid', x: 300, y: 45, watts: f.gridW, towardsInverter: f.gridW >= 0,
        detail: this.gridStatus() || (this.gridOn() ? 'on' : 'off'),
      },
      { id: 'loads', label: 'home', x: 300, y: 215, watts: f.loadsW, towardsInverter: false, detail: 'loads' },
    ];
  });

  readonly summary = computed(() => {
    const f = this.flows();
    return `PV ${formatPower(f.pvW)}, battery ${formatPower(f.batteryW)}, grid ${formatPower(f.gridW)}, ` +
      `loads ${formatPower(f.loadsW)}`;
  });

  active(edge: Edge): boolean {
    return Math.abs(edge.watts) >= 1;
  }

  fmt(w: number): string {
    return formatPower(w);
  }
}
