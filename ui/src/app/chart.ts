// The power chart: PV, home, grid and battery power [W] on the left axis, SoC [%] on the right,
// simulated local time below, outages shaded, values on hover. SVG by hand.
import { Component, computed, input, signal } from '@angular/core';

import { Settlement } from './generated';
import { flows } from './energy';
import { formatWatts, localParts, niceTicks, outageSpans, scale, segments, timeTicks } from './watch';

const W = 600;
const H = 230;
const M = { left: 46, right: 40, top: 10, bottom: 22 };

export interface ChartPoint { t: number; pv: number; home: number; grid: number; battery: number; soc: number | null }

/** The chart's points from settlements: W per series (+ into the home's bus; home load positive). */
export function chartPoints(history: Settlement[], roles: Record<string, string>): ChartPoint[] {
  return history.map((s) => {
    const f = flows(s, roles);
    return { t: s.time + s.dtS, pv: f.pvW, home: f.loadsW, grid: f.gridW, battery: f.batteryW, soc: s.soc ?? null };
  });
}

/** Axis label of watts: "0", "500 W", "2 kW". */
export function wattsTick(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)} kW` : `${Math.round(v)} W`;
}

const SERIES = [
  { key: 'pv', label: 'PV', cls: 'pv' },
  { key: 'home', label: 'home', cls: 'loads' },
  { key: 'grid', label: 'grid (+ import, − export)', cls: 'grid' },
  { key: 'battery', label: 'battery (+ discharging, − charging)', cls: 'battery' },
] as const;

@Component({
  selector: 'app-chart',
  template: `
    <figure class="chart" aria-label="power and state of charge over the last hours">
      <div class="wrap">
        <svg [attr.viewBox]="'0 0 ' + W + ' ' + H" role="img" (mousemove)="hover($event)" (mouseleave)="at.set(null)"
             [attr.aria-label]="'power and SoC over the last ' + hours().toFixed(1) + ' hours'" data-test="chart"
             [attr.data-points]="points().length">
          @for (o of view().outages; track o.x) {
            <rect class="outage" [attr.x]="o.x" [attr.y]="M.top" [attr.width]="o.w" [attr.height]="H - M.top - M.bottom" />
          }
          @for (t of view().yTicks; track t.v) {
            <line class="gridline" [attr.x1]="M.left" [attr.x2]="W - M.right" [attr.y1]="t.y" [attr.y2]="t.y" [class.zero]="t.v === 0" />
            <text class="axis" [attr.x]="M.left - 4" [attr.y]="t.y + 4" text-anchor="end">{{ t.label }}</text>
          }
          @for (t of view().socTicks; track t.v) {
            <text class="axis soc-axis" [attr.x]="W - M.right + 4" [attr.y]="t.y + 4">{{ t.v }} %</text>
          }
          @for (t of view().xTicks; track t.t) {
            <line class="tick" [attr.x1]="t.x" [attr.x2]="t.x" [attr.y1]="H - M.bottom" [attr.y2]="H - M.bottom + 4" />
            <text class="axis" [attr.x]="t.x" [attr.y]="H - 6" text-anchor="middle">{{ t.label }}</text>
          }
          @for (s of view().lines; track s.cls + $index) {
            <polyline [attr.class]="s.cls" [attr.points]="s.points" />
          }
          @if (view().cursor; as c) {
            <line class="cursor" [attr.x1]="c" [attr.x2]="c" [attr.y1]="M.top" [attr.y2]="H - M.bottom" />
          }
        </svg>
        @if (tip(); as tp) {
          <div class="tip" data-test="chart-tip" [style.left.%]="tp.leftPct" [class.flip]="tp.leftPct > 55">
            <b>{{ tp.time }}</b>
            @for (r of tp.rows; track r.label) { <div><span [class]="r.cls">■</span> {{ r.label }}: {{ r.value }}</div> }
          </div>
        }
      </div>
      <figcaption>
        last {{ hours().toFixed(1) }} h of simulated time ·
        @for (s of series; track s.key) { <span [class]="s.cls">■ {{ s.label }}</span> · }
        <span class="soc">■ SoC (right axis, %)</span> · <span class="outage-key">▨ grid down</span>
      </figcaption>
    </figure>
  `,
  styles: `
    :host { display: block; }
    figure { margin: 0; }
    .wrap { position: relative; }
    svg { width: 100%; height: auto; display: block; background: #fafbfc; border: 1px solid #e1e5ea; }
    polyline { fill: none; stroke-width: 1.6; }
    .gridline { stroke: #e6e9ee; stroke-width: 1; } .gridline.zero { stroke: #9aa3ad; }
    .tick { stroke: #9aa3ad; }
    .axis { font: 11px system-ui, sans-serif; fill: #556; }
    .soc-axis { fill: #7a3fc0; }
    .outage { fill: #b00020; opacity: 0.12; }
    .cursor { stroke: #1b263b; stroke-width: 1; stroke-dasharray: 3 3; }
    .pv { stroke: #f2a900; color: #8a5c00; } .loads { stroke: #3d5a80; color: #3d5a80; }
    .grid { stroke: #7a7a7a; color: #555; } .battery { stroke: #2a9d8f; color: #1d7066; } .soc { stroke: #9b5de5; color: #7a3fc0; }
    .outage-key { color: #b00020; }
    figcaption { font-size: 0.8rem; margin-top: 2px; }
    .tip { position: absolute; top: 8px; transform: translateX(8px); background: #fff; border: 1px solid #c9ced6; border-radius: 4px;
      padding: 4px 6px; font-size: 0.75rem; pointer-events: none; white-space: nowrap; box-shadow: 0 1px 4px #0002; }
    .tip.flip { transform: translateX(calc(-100% - 8px)); }
  `,
})
export class Chart {
  readonly history = input.required<Settlement[]>();
  readonly roles = input.required<Record<string, string>>();
  readonly timeZone = input<string>('UTC');
  readonly W = W;
  readonly H = H;
  readonly M = M;
  readonly series = SERIES;
  /** Index of the point under the pointer. */
  readonly at = signal<number | null>(null);

  readonly points = computed(() => chartPoints(this.history(), this.roles()));
  readonly hours = computed(() => {
    const p = this.points();
    return p.length > 1 ? (p[p.length - 1].t - p[0].t) / 3600 : 0;
  });

  readonly view = computed(() => {
    const p = this.points();
    const t0 = p.length ? p[0].t - (this.history()[0]?.dtS ?? 60) : 0;
    const t1 = p.length ? p[p.length - 1].t : 1;
    const all = p.flatMap((q) => [q.pv, q.home, q.grid, q.battery]);
    const yTickValues = niceTicks(Math.min(0, ...all), Math.max(1000, ...all), 5);
    const lo = Math.min(yTickValues[0], ...all, 0);
    const hi = Math.max(yTickValues[yTickValues.length - 1], ...all);
    const x = scale(t0, t1, M.left, W - M.right);
    const y = scale(lo, hi, H - M.bottom, M.top);
    const ySoc = scale(0, 100, H - M.bottom, M.top);
    const ts = p.map((q) => q.t);
    const lines = [
      ...SERIES.flatMap((s) => segments(ts, p.map((q) => q[s.key]), x, y).map((points) => ({ cls: s.cls, points }))),
      ...segments(ts, p.map((q) => (q.soc === null ? null : q.soc * 100)), x, ySoc).map((points) => ({ cls: 'soc', points })),
    ];
    const i = this.at();
    return {
      lines,
      yTicks: yTickValues.map((v) => ({ v, y: y(v), label: wattsTick(v) })),
      socTicks: [0, 25, 50, 75, 100].map((v) => ({ v, y: ySoc(v) })),
      xTicks: timeTicks(t0, t1, this.timeZone()).map((tk) => ({ ...tk, x: x(tk.t) })),
      outages: outageSpans(this.history()).map((o) => ({ x: x(o.start), w: Math.max(1, x(o.end) - x(o.start)) })),
      cursor: i !== null && p[i] ? x(p[i].t) : null,
    };
  });

  readonly tip = computed(() => {
    const i = this.at();
    const p = this.points();
    if (i === null || !p[i]) return null;
    const q = p[i];
    const c = this.view().cursor ?? 0;
    const signed = (w: number, plus: string, minus: string) => (Math.abs(w) < 1 ? '0 W' : `${formatWatts(w)} ${w > 0 ? plus : minus}`);
    return {
      leftPct: (c / W) * 100,
      time: `${localParts(q.t, this.timeZone()).day} ${localParts(q.t, this.timeZone()).hhmm}`,
      rows: [
        { label: 'PV', cls: 'pv', value: formatWatts(q.pv) },
        { label: 'home', cls: 'loads', value: formatWatts(q.home) },
        { label: 'grid', cls: 'grid', value: signed(q.grid, 'import', 'export') },
        { label: 'battery', cls: 'battery', value: signed(q.battery, 'discharging', 'charging') },
        { label: 'SoC', cls: 'soc', value: q.soc === null ? 'no battery' : `${Math.round(q.soc * 100)} %` },
      ],
    };
  });

  hover(event: MouseEvent): void {
    const svg = event.currentTarget as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    const vx = ((event.clientX - box.left) / box.width) * W;
    const p = this.points();
    if (!p.length) return;
    const t0 = p[0].t - (this.history()[0]?.dtS ?? 60);
    const t = t0 + ((vx - M.left) / (W - M.left - M.right)) * (p[p.length - 1].t - t0);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (Math.abs(p[k].t - t) < Math.abs(p[best].t - t)) best = k;
    this.at.set(best);
  }
}
