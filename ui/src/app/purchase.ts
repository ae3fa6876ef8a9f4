// "Plan a purchase": the home's PV, battery and inverter as a purchase over the years (plan.purchase on
// the planner: `homesim plan` on the live home), and which battery size serves best (plan.optimize).
// Headline cards, the cash flow with its payback, the bills with and without, the battery's capacity
// per year. SVG by hand, like the power chart.
import { Component, computed, inject, signal } from '@angular/core';

import { Bus, BusError } from './bus';
import { parseValues } from './plan';
import { formatPercent, niceTicks, scale } from './watch';
import { deviceOfRole } from './kinds';

/** One year of plan.json (year 0: the purchase, its energy fields null). */
export interface PlanYearRow {
  year: number;
  battery_kwh: number | null;
  battery_share: number | null;
  bill: number | null;
  baseline_bill: number | null;
  net: number;
  cumulative: number;
  [key: string]: number | null;
}

/** plan.purchase's result: plan.json (the generated PurchasePlan describes every field). */
export interface PurchasePlanResult {
  home: string;
  currency: string;
  years: number;
  baseline: string;
  finance: Record<string, any>;
  size: { pv_kwp: number; battery_kwh: number; inverter_kw: number };
  capital: { pv: number; battery: number; inverter: number; installation: number; total: number };
  totals: Record<string, any>;
  rows: PlanYearRow[];
}

export interface OptimizeRow { capital: number; npv: number; simple_payback_years: number | null;
  outage_coverage: number; feasible: boolean; [key: string]: any }
export interface OptimizeResultView { objective: string; rows: OptimizeRow[]; best: OptimizeRow | null;
  evaluated: number; currency: string }

/** An amount as the UI writes money: whole units with thousands separators, then the currency ("147,872 ZAR"). */
export function formatMoney(value: number | null | undefined, currency: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const whole = Math.round(value);
  return `${whole < 0 ? '−' : ''}${Math.abs(whole).toLocaleString('en-US')} ${currency}`.trim();
}

/** An axis label of money: "0", "-150k", "12k", "1.2M". */
export function moneyTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const text = a >= 1e6 ? `${+(a / 1e6).toFixed(1)}M` : a >= 1000 ? `${+(a / 1000).toFixed(1)}k` : `${Math.round(a)}`;
  return `${v < 0 ? '−' : ''}${text}`;
}

/** Years as a homeowner reads them: "7.3 years"; none -> "not within N years". */
export function formatYears(years: number | null | undefined, horizon: number): string {
  return typeof years === 'number' && Number.isFinite(years) ? `${years.toFixed(1)} years` : `not within ${horizon} years`;
}

/** A rate: "-64.0 %" (none: "—"). */
export function formatRate(rate: number | null | undefined): string {
  return typeof rate === 'number' && Number.isFinite(rate) ? `${rate < 0 ? '−' : ''}${Math.abs(rate * 100).toFixed(1)} %` : '—';
}

/** An internal rate of return: a rate, or "none" when the cash flows have none (NPV never 0). */
export function formatIrr(rate: number | null | undefined): string {
  return typeof rate === 'number' && Number.isFinite(rate) ? formatRate(rate) : 'none';
}

/** The request field an error names ("years: 0 is not allowed" -> "years"; "vary.battery..." -> "vary"). */
export function fieldOf(message: string): string | null {
  const m = /^([a-z_]+)[.:\s(]/.exec(message);
  return m ? m[1] : null;
}

/** Ticks and domain covering [min, max] at nice steps (the domain ends on ticks). */
export function axis(min: number, max: number, count = 5): { lo: number; hi: number; ticks: number[] } {
  if (!(max > min)) { max = min + 1; }
  let ticks = niceTicks(min, max, count);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(max - min) || 1;
  const lo = ticks[0] > min ? ticks[0] - step : ticks[0];
  const hi = ticks[ticks.length - 1] < max ? ticks[ticks.length - 1] + step : ticks[ticks.length - 1];
  ticks = niceTicks(lo, hi, count);
  return { lo, hi, ticks };
}

const W = 600;
const H = 220;
const M = { left: 56, right: 12, top: 14, bottom: 26 };

export interface BarGeom { x: number; y: number; w: number; h: number; value: number; year: number; cls: string; title: string }
export interface YearChart {
  yTicks: { y: number; label: string; v: number }[];
  xTicks: { x: number; label: string }[];
  bars: BarGeom[];
  line: string;
  points: { x: number; y: number; year: number; title: string }[];
  zeroY: number;
  marker: { x: number; y: number; label: string; anchor: string } | null;
  refLine: { y: number; label: string } | null;
}

/** Which years get an axis label: every k-th counted back from the last, so that at most ~12 show. */
export function yearLabels(first: number, last: number, x: (t: number) => number): { x: number; label: string }[] {
  const k = Math.max(1, Math.ceil((last - first + 1) / 12));
  const out = [];
  for (let t = last; t >= first; t -= k) out.unshift({ x: x(t), label: String(t) });
  return out;
}

/** The cash flow: each year's net as a bar, the cumulative as a line, the payback marked. */
export function cashFlowChart(rows: PlanYearRow[], payback: number | null, currency: string): YearChart {
  const n = rows.length;
  const values = rows.flatMap((r) => [r.net, r.cumulative]);
  const { lo, hi, ticks } = axis(Math.min(0, ...values), Math.max(0, ...values));
  const slot = (W - M.left - M.right) / Math.max(n, 1);
  const x = (t: number) => M.left + slot * (t + 0.5);
  const y = scale(lo, hi, H - M.bottom, M.top);
  const bw = Math.min(28, slot * 0.6);
  const bars = rows.map((r) => ({
    x: x(r.year) - bw / 2, y: Math.min(y(0), y(r.net)), w: bw, h: Math.abs(y(r.net) - y(0)), value: r.net, year: r.year,
    cls: r.net >= 0 ? 'gain' : 'spend', title: `year ${r.year}: net ${formatMoney(r.net, currency)}`,
  }));
  const points = rows.map((r) => ({ x: x(r.year), y: y(r.cumulative), year: r.year,
    title: `year ${r.year}: cumulative ${formatMoney(r.cumulative, currency)}` }));
  let marker = null;
  if (typeof payback === 'number' && Number.isFinite(payback)) {
    const px = x(payback);
    marker = { x: px, y: y(0), label: `pays back in ${payback.toFixed(1)} years`, anchor: px > W * 0.7 ? 'end' : 'start' };
  }
  return {
    yTicks: ticks.map((v) => ({ v, y: y(v), label: moneyTick(v) })),
    xTicks: yearLabels(0, n - 1, x),
    bars, points, line: points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '),
    zeroY: y(0), marker, refLine: null,
  };
}

/** The bill each year, without the purchase (grey) and with it (blue), side by side. */
export function billChart(rows: PlanYearRow[], currency: string): YearChart {
  const years = rows.filter((r) => r.year > 0 && r.bill !== null && r.baseline_bill !== null);
  const values = years.flatMap((r) => [r.bill as number, r.baseline_bill as number]);
  const { lo, hi, ticks } = axis(Math.min(0, ...values), Math.max(0, ...values));
  const first = years[0]?.year ?? 1;
  const slot = (W - M.left - M.right) / Math.max(years.length, 1);
  const x = (t: number) => M.left + slot * (t - first + 0.5);
  const y = scale(lo, hi, H - M.bottom, M.top);
  const bw = Math.min(24, slot * 0.36);
  const bars: BarGeom[] = [];
  for (const r of years) {
    for (const [value, dx, cls, what] of [[r.baseline_bill as number, -bw, 'without', 'without'],
      [r.bill as number, 0, 'with', 'with']] as const) {
      bars.push({ x: x(r.year) + dx, y: Math.min(y(0), y(value)), w: bw, h: Math.abs(y(value) - y(0)), value, year: r.year,
        cls, title: `year ${r.year}: bill ${what} the purchase ${formatMoney(value, currency)}` });
    }
  }
  return { yTicks: ticks.map((v) => ({ v, y: y(v), label: moneyTick(v) })),
    xTicks: years.length ? yearLabels(first, years[years.length - 1].year, x) : [],
    bars, points: [], line: '', zeroY: y(0), marker: null, refLine: null };
}

/** The battery's capacity in each year [kWh], with its end-of-life line (70 % of the original). */
export function batteryChart(rows: PlanYearRow[], original: number, endOfLifeShare = 0.7): YearChart {
  const years = rows.filter((r) => r.year > 0 && r.battery_kwh !== null);
  const { lo, hi, ticks } = axis(0, Math.max(original, ...years.map((r) => r.battery_kwh as number)));
  const first = years[0]?.year ?? 1;
  const slot = (W - M.left - M.right) / Math.max(years.length, 1);
  const x = (t: number) => M.left + slot * (t - first + 0.5);
  const y = scale(lo, hi, H - M.bottom, M.top);
  const bw = Math.min(28, slot * 0.6);
  const bars = years.map((r) => {
    const v = r.battery_kwh as number;
    return { x: x(r.year) - bw / 2, y: y(v), w: bw, h: y(0) - y(v), value: v, year: r.year, cls: 'capacity',
      title: `year ${r.year}: ${v.toFixed(2)} kWh (${formatPercent(r.battery_share)} of new)` };
  });
  const eol = original * endOfLifeShare;
  return { yTicks: ticks.map((v) => ({ v, y: y(v), label: `${+v.toFixed(1)}` })),
    xTicks: years.length ? yearLabels(first, years[years.length - 1].year, x) : [],
    bars, points: [], line: '', zeroY: y(0), marker: null,
    refLine: original > 0 ? { y: y(eol), label: `end of life ${+eol.toFixed(1)} kWh (${Math.round(endOfLifeShare * 100)} %)` } : null };
}

const OBJECTIVES = [
  { value: 'npv', label: 'highest NPV' },
  { value: 'payback', label: 'shortest payback' },
  { value: 'outage_coverage', label: 'most outage hours covered' },
];

@Component({
  selector: 'app-purchase',
  template: `
    <h2 id="purchase-title">Plan a purchase</h2>
    <p class="hint">The home as it is now, bought and run year by year against the grid alone: each year simulated
      with the battery ageing and the PV wearing, priced by the home's finance section.</p>
    <form (submit)="run($event)" aria-label="plan a purchase" class="run" novalidate>
      <label for="purchase-years">years</label>
      <input id="purchase-years" type="number" min="1" max="40" step="1" [value]="years()"
             (input)="years.set($any($event.target).value)"
             [attr.aria-invalid]="errorField() === 'years'"
             [attr.aria-describedby]="errorField() === 'years' ? 'purchase-error' : null" />
      <button type="submit" [disabled]="!bus.canChange() || running()">{{ running() === 'plan' ? 'Planning…' : 'Plan the purchase' }}</button>
      @if (errorField() === 'years') { <p class="error field-error" id="purchase-error" role="alert" data-error="years">{{ error() }}</p> }
    </form>
    @if (running(); as what) {
      <div class="progress" role="status" data-test="purchase-progress">
        <span class="spinner" aria-hidden="true"></span>
        @if (progress(); as p) {
          <progress [value]="p.done" [max]="p.total" [attr.aria-label]="what === 'plan' ? 'years simulated' : 'candidates planned'"></progress>
          {{ p.done }} of {{ p.total }} {{ what === 'plan' ? 'years simulated (the home and the grid alone, side by side)' : 'candidates planned' }}
        } @else { {{ what === 'plan' ? 'simulating the first years…' : 'planning the candidates…' }} }
      </div>
    }
    @if (error() && errorField() !== 'years' && errorField() !== 'vary' && errorField() !== 'budget') {
      <p class="error" role="alert" data-error="purchase" [attr.data-field]="errorField()">{{ error() }}</p>
    }
    @if (result(); as r) {
      <p class="summary" data-test="purchase-summary">{{ r.home }}: {{ r.size.pv_kwp.toFixed(2) }} kWp PV,
        {{ r.size.battery_kwh.toFixed(2) }} kWh battery, {{ r.size.inverter_kw.toFixed(1) }} kW inverter,
        over {{ r.years }} {{ r.years === 1 ? 'year' : 'years' }} against the grid alone{{ tookLabel() }}.</p>
      <dl class="cards" aria-label="the plan's headline figures">
        <div data-card="capital"><dt>Capital</dt><dd class="value" [attr.data-value]="r.totals['capital']">{{ money(r.totals['capital']) }}</dd>
          <dd class="note">PV {{ money(r.capital.pv) }} · battery {{ money(r.capital.battery) }} · inverter {{ money(r.capital.inverter) }}
            · installation {{ money(r.capital.installation) }}</dd></div>
        <div data-card="payback"><dt>Payback</dt>
          <dd class="value" [attr.data-value]="r.totals['simple_payback_years']">{{ years_(r.totals['simple_payback_years'], r.years) }}</dd>
          <dd class="note">discounted: {{ years_(r.totals['discounted_payback_years'], r.years) }}</dd></div>
        <div data-card="npv"><dt>Net present value</dt><dd class="value" [attr.data-value]="r.totals['npv']" [class.negative]="r.totals['npv'] < 0">{{ money(r.totals['npv']) }}</dd>
          <dd class="note">at {{ rate(r.finance['discount_rate']) }} a year</dd></div>
        <div data-card="irr"><dt>Return (IRR)</dt><dd class="value" [attr.data-value]="r.totals['irr']">{{ irr(r.totals['irr']) }}</dd>
          <dd class="note">a year, over {{ r.years }} {{ r.years === 1 ? 'year' : 'years' }}</dd></div>
        <div data-card="savings"><dt>Bills saved</dt><dd class="value" [attr.data-value]="r.totals['savings']">{{ money(r.totals['savings']) }}</dd>
          <dd class="note">{{ money(r.totals['bill_without']) }} → {{ money(r.totals['bill_with']) }}</dd></div>
        <div data-card="battery"><dt>Battery left, year {{ r.years }}</dt>
          <dd class="value" [attr.data-value]="r.totals['battery_share_last_year']">{{ r.size.battery_kwh > 0 ? pct(r.totals['battery_share_last_year']) : 'no battery' }}</dd>
          <dd class="note">{{ batteryNote() }}</dd></div>
        <div data-card="outages"><dt>Outage hours avoided</dt>
          <dd class="value" [attr.data-value]="r.totals['outage_hours_avoided']">{{ hours(r.totals['outage_hours_avoided']) }}</dd>
          <dd class="note">of {{ hours(r.totals['outage_hours']) }} without grid · {{ pct(r.totals['outage_coverage']) }} covered</dd></div>
      </dl>

      <p class="small assumptions" data-test="purchase-assumptions">{{ assumptions() }}</p>
      <div class="charts">
      <figure class="year-chart">
        <figcaption id="cash-title"><b>Cash flow</b> [{{ r.currency }}] · <span class="key spend">■</span><span class="key gain">■</span> net each year
          · <span class="key line">━</span> cumulative, by year (0: the purchase)</figcaption>
        <svg [attr.viewBox]="'0 0 ' + W + ' ' + H" role="img" data-test="cash-flow-chart" [attr.aria-label]="cashLabel()">
          @for (t of cash().yTicks; track t.v) {
            <line class="gridline" [class.zero]="t.v === 0" [attr.x1]="M.left" [attr.x2]="W - M.right" [attr.y1]="t.y" [attr.y2]="t.y" />
            <text class="axis" [attr.x]="M.left - 4" [attr.y]="t.y + 4" text-anchor="end">{{ t.label }}</text>
          }
          @for (t of cash().xTicks; track t.x) { <text class="axis" [attr.x]="t.x" [attr.y]="H - 8" text-anchor="middle">{{ t.label }}</text> }
          @for (b of cash().bars; track b.year) { <rect [attr.class]="b.cls" [attr.x]="b.x" [attr.y]="b.y" [attr.width]="b.w" [attr.height]="b.h"><title>{{ b.title }}</title></rect> }
          <polyline class="cumulative" [attr.points]="cash().line" />
          @for (p of cash().points; track p.year) { <circle class="cumulative-dot" [attr.cx]="p.x" [attr.cy]="p.y" r="3"><title>{{ p.title }}</title></circle> }
          @if (cash().marker; as m) {
            <line class="payback" [attr.x1]="m.x" [attr.x2]="m.x" [attr.y1]="M.top" [attr.y2]="H - M.bottom" />
            <circle class="payback-dot" [attr.cx]="m.x" [attr.cy]="m.y" r="5" />
            <text class="payback-label" [attr.x]="m.anchor === 'end' ? m.x - 6 : m.x + 6" [attr.y]="M.top + 10" [attr.text-anchor]="m.anchor" data-test="payback-marker">{{ m.label }}</text>
          } @else {
            <text class="payback-label" [attr.x]="W - M.right - 4" [attr.y]="M.top + 10" text-anchor="end" data-test="payback-marker">no payback within {{ r.years }} {{ r.years === 1 ? 'year' : 'years' }}</text>
          }
        </svg>
      </figure>
        <figure class="year-chart">
          <figcaption><b>Bill each year</b> [{{ r.currency }}] by year · <span class="key without">■</span> without · <span class="key with">■</span> with the purchase</figcaption>
          <svg [attr.viewBox]="'0 0 ' + W + ' ' + H" role="img" data-test="bill-chart" [attr.aria-label]="billLabel()">
            @for (t of bills().yTicks; track t.v) {
              <line class="gridline" [class.zero]="t.v === 0" [attr.x1]="M.left" [attr.x2]="W - M.right" [attr.y1]="t.y" [attr.y2]="t.y" />
              <text class="axis" [attr.x]="M.left - 4" [attr.y]="t.y + 4" text-anchor="end">{{ t.label }}</text>
            }
            @for (t of bills().xTicks; track t.x) { <text class="axis" [attr.x]="t.x" [attr.y]="H - 8" text-anchor="middle">{{ t.label }}</text> }
            @for (b of bills().bars; track b.cls + b.year) { <rect [attr.class]="b.cls" [attr.x]="b.x" [attr.y]="b.y" [attr.width]="b.w" [attr.height]="b.h"><title>{{ b.title }}</title></rect> }
          </svg>
        </figure>
        <figure class="year-chart">
          <figcaption><b>Battery capacity</b> [kWh] by year · <span class="key eol">┅</span> end of life</figcaption>
          @if (r.size.battery_kwh > 0) {
            <svg [attr.viewBox]="'0 0 ' + W + ' ' + H" role="img" data-test="battery-chart" [attr.aria-label]="batteryLabel()">
              @for (t of battery().yTicks; track t.v) {
                <line class="gridline" [class.zero]="t.v === 0" [attr.x1]="M.left" [attr.x2]="W - M.right" [attr.y1]="t.y" [attr.y2]="t.y" />
                <text class="axis" [attr.x]="M.left - 4" [attr.y]="t.y + 4" text-anchor="end">{{ t.label }}</text>
              }
              @for (t of battery().xTicks; track t.x) { <text class="axis" [attr.x]="t.x" [attr.y]="H - 8" text-anchor="middle">{{ t.label }}</text> }
              @for (b of battery().bars; track b.year) { <rect [attr.class]="b.cls" [attr.x]="b.x" [attr.y]="b.y" [attr.width]="b.w" [attr.height]="b.h"><title>{{ b.title }}</title></rect> }
              @if (battery().refLine; as l) {
                <line class="eol" [attr.x1]="M.left" [attr.x2]="W - M.right" [attr.y1]="l.y" [attr.y2]="l.y" />
                <text class="eol-label" [attr.x]="M.left + 4" [attr.y]="l.y - 5">{{ l.label }}</text>
              }
            </svg>
          } @else { <p class="small">The home has no battery.</p> }
        </figure>
      </div>
    }

    <form (submit)="optimize($event)" aria-label="find the best battery size" class="optimize" novalidate>
      <h3>Which battery size?</h3>
      <label for="opt-values">battery capacities [kWh]</label>
      <input id="opt-values" [value]="values()" (input)="values.set($any($event.target).value)" placeholder="5, 10, 15"
             [attr.aria-invalid]="errorField() === 'vary'" [attr.aria-describedby]="errorField() === 'vary' ? 'opt-values-error' : 'opt-values-hint'" />
      <small id="opt-values-hint" class="hint-row">each one planned over the years above ({{ years() || 'the finance section\\'s' }})</small>
      <label for="opt-objective">best for</label>
      <select id="opt-objective" [value]="objective()" (change)="objective.set($any($event.target).value)">
        @for (o of objectives; track o.value) { <option [value]="o.value">{{ o.label }}</option> }
      </select>
      <label for="opt-budget">budget [{{ currency() }}]</label>
      <input id="opt-budget" type="number" min="0" step="any" [value]="budget()" (input)="budget.set($any($event.target).value)"
             placeholder="no limit" [attr.aria-invalid]="errorField() === 'budget'"
             [attr.aria-describedby]="errorField() === 'budget' ? 'opt-budget-error' : null" />
      @if (errorField() === 'budget') { <p class="error field-error" id="opt-budget-error" role="alert" data-error="budget">{{ error() }}</p> }
      <button type="submit" [disabled]="!bus.canChange() || running() || !batteryId()">{{ running() === 'optimize' ? 'Planning…' : 'Find the best size' }}</button>
      @if (errorField() === 'vary') { <p class="error field-error" id="opt-values-error" role="alert" data-error="vary">{{ error() }}</p> }
    </form>
    @if (optimized(); as o) {
      @if (o.best; as b) {
        <p class="recommended" data-test="recommended">Recommended: a <b>{{ capacityOf(b) }} kWh</b> battery — capital {{ money(b.capital, o.currency) }},
          NPV {{ money(b.npv, o.currency) }}, payback {{ years_(b.simple_payback_years, optimizedYears()) }}, {{ pct(b.outage_coverage) }} of outage hours covered.</p>
      } @else { <p class="recommended" data-test="recommended">No size keeps the budget and the coverage asked for.</p> }
      <div class="table" tabindex="0" role="region" aria-label="the best sizes (scrolls sideways)">
        <table aria-label="the best sizes">
          <thead><tr><th>#</th><th>battery [kWh]</th><th>capital</th><th>NPV</th><th>payback</th><th>outages covered</th><th>within limits</th></tr></thead>
          <tbody>
            @for (row of o.rows.slice(0, 5); track $index) {
              <tr [class.best]="row === o.best"><td>{{ $index + 1 }}</td><td>{{ capacityOf(row) }}</td><td>{{ money(row.capital, o.currency) }}</td>
                <td>{{ money(row.npv, o.currency) }}</td><td>{{ years_(row.simple_payback_years, optimizedYears()) }}</td>
                <td>{{ pct(row.outage_coverage) }}</td><td>{{ row.feasible ? 'yes' : 'no' }}</td></tr>
            }
          </tbody>
        </table>
      </div>
      <p class="small">{{ o.evaluated }} sizes planned, best {{ objectiveLabel(o.objective) }} first.</p>
    }
  `,
  styles: `
    :host { display: block; min-width: 0; }
    h2 { margin: 0 0 4px; font-size: 1.1rem; }
    h3 { grid-column: 1 / -1; margin: 12px 0 4px; font-size: 1rem; }
    .hint { margin: 0 0 8px; color: #556; font-size: 0.85rem; }
    form.run { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; }
    form.run input { width: 5rem; }
    .field-error { flex-basis: 100%; grid-column: 1 / -1; margin: 2px 0; }
    form.optimize { display: grid; grid-template-columns: 11rem minmax(0, 1fr); gap: 4px 8px; align-items: center; max-width: 560px; }
    form.optimize button { grid-column: 2; justify-self: start; }
    .hint-row { grid-column: 2; color: #556; font-size: 0.75rem; }
    .progress { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0; font-size: 0.85rem; }
    .spinner { width: 14px; height: 14px; border: 2px solid #c9ced6; border-top-color: #3d5a80; border-radius: 50%; animation: spin 0.9s linear infinite; }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
    .summary { margin: 10px 0 6px; font-size: 0.9rem; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 8px; margin: 0 0 10px; }
    .cards div { border: 1px solid #c9ced6; border-radius: 6px; padding: 6px 8px; background: #fbfcfd; display: flex; flex-direction: column; gap: 2px; }
    .cards dt { font-size: 0.75rem; color: #556; }
    .cards dd { margin: 0; }
    .cards dd.value { font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; }
    .cards dd.negative { color: #b00020; }
    .cards dd.note { font-size: 0.72rem; color: #556; }
    figure { margin: 6px 0; min-width: 0; }
    figcaption { font-size: 0.8rem; margin-bottom: 2px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: 4px 16px; }
    @media (max-width: 500px) {
      .charts { grid-template-columns: minmax(0, 1fr); }
      .axis, .eol-label { font-size: 19px; } .payback-label { font-size: 21px; } /* the chart is drawn at about half size */
    }
    svg { width: 100%; height: auto; display: block; background: #fafbfc; border: 1px solid #e1e5ea; }
    .gridline { stroke: #e6e9ee; } .gridline.zero { stroke: #7a828c; }
    .axis { font: 12px system-ui, sans-serif; fill: #556; }
    rect.gain { fill: #2a9d8f; } rect.spend { fill: #c8553d; }
    rect.without { fill: #8d99ae; } rect.with { fill: #3d5a80; } rect.capacity { fill: #2a9d8f; }
    .cumulative { fill: none; stroke: #1b263b; stroke-width: 2; } .cumulative-dot { fill: #1b263b; }
    .payback { stroke: #8a5c00; stroke-width: 1.5; stroke-dasharray: 4 3; } .payback-dot { fill: #f2a900; stroke: #8a5c00; }
    .payback-label { font: 600 13px system-ui, sans-serif; fill: #6b4700; }
    .payback-label, .eol-label { paint-order: stroke; stroke: #fafbfc; stroke-width: 4px; stroke-linejoin: round; }
    .eol { stroke: #b00020; stroke-dasharray: 5 4; } .eol-label { font: 12px system-ui, sans-serif; fill: #b00020; }
    .key { font-weight: 600; } .key.gain, .key.capacity { color: #1d7066; } .key.spend { color: #a63f2b; }
    .key.line { color: #1b263b; } .key.without { color: #6b7486; } .key.with { color: #3d5a80; } .key.eol { color: #b00020; }
    .recommended { margin: 8px 0 4px; }
    .table { overflow-x: auto; max-width: 100%; }
    table { border-collapse: collapse; }
    th, td { padding: 2px 8px; text-align: right; font-size: 0.85rem; border-bottom: 1px solid #e1e5ea; white-space: nowrap; }
    tr.best td { font-weight: 600; background: #eef8f1; }
    .error { color: #b00020; }
    .small { font-size: 0.75rem; color: #556; }
  `,
})
export class Purchase {
  readonly bus = inject(Bus);
  readonly W = W;
  readonly H = H;
  readonly M = M;
  readonly objectives = OBJECTIVES;
  readonly years = signal<string | number>(20);
  readonly values = signal('5, 10, 15');
  readonly objective = signal('npv');
  readonly budget = signal<string>('');
  readonly running = signal<'plan' | 'optimize' | null>(null);
  readonly progress = signal<{ done: number; total: number } | null>(null);
  readonly error = signal<string | null>(null);
  readonly result = signal<PurchasePlanResult | null>(null);
  readonly took = signal<number | null>(null);
  readonly optimized = signal<OptimizeResultView | null>(null);
  readonly optimizedYears = signal(20);

  readonly currency = computed(() => this.result()?.currency ?? (this.bus.desired()?.home as any)?.currency ?? '');
  readonly batteryId = computed(() =>
    deviceOfRole(((this.bus.desired()?.home as any)?.devices ?? []) as any[], 'storage')?.id as string | undefined);
  readonly errorField = computed(() => (this.error() ? fieldOf(this.error() as string) : null));
  readonly cash = computed(() => {
    const r = this.result();
    return cashFlowChart(r?.rows ?? [], r?.totals['simple_payback_years'] ?? null, r?.currency ?? '');
  });
  readonly bills = computed(() => billChart(this.result()?.rows ?? [], this.result()?.currency ?? ''));
  readonly battery = computed(() => batteryChart(this.result()?.rows ?? [], this.result()?.size.battery_kwh ?? 0));
  readonly tookLabel = computed(() => {
    const s = this.took();
    return s === null ? '' : ` (planned in ${s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`})`;
  });
  readonly batteryNote = computed(() => {
    const r = this.result();
    if (!r || !(r.size.battery_kwh > 0)) return '';
    const left = r.size.battery_kwh * (r.totals['battery_share_last_year'] ?? 1);
    const eol = r.totals['battery_end_of_life_year'];
    return `${left.toFixed(1)} of ${r.size.battery_kwh.toFixed(1)} kWh · ` +
      (typeof eol === 'number' ? `end of life in year ${eol}` : `end of life (70 %) not reached`);
  });
  readonly assumptions = computed(() => {
    const r = this.result();
    if (!r) return '';
    const f = r.finance;
    const replaced = typeof f['inverter_replacement_year'] === 'number' ? `, the inverter replaced every ${f['inverter_replacement_year']} years` : '';
    return `Assumes import tariffs rising ${formatRate(f['import_escalation'])} a year and export credit ${formatRate(f['export_escalation'])}, ` +
      `maintenance ${formatMoney(f['maintenance_per_year'], r.currency)} a year${replaced}, money valued at ${formatRate(f['discount_rate'])} a year` +
      `${f['loan'] ? ', bought with a loan' : ', paid in cash'}; from the home's finance section.`;
  });
  readonly cashLabel = computed(() => {
    const r = this.result();
    if (!r) return '';
    const last = r.rows[r.rows.length - 1];
    return `cash flow over ${r.years} years: ${formatMoney(r.rows[0].net, r.currency)} in year 0, cumulative ` +
      `${formatMoney(last.cumulative, r.currency)} after year ${last.year}; payback ${formatYears(r.totals['simple_payback_years'], r.years)}`;
  });
  readonly billLabel = computed(() => {
    const r = this.result();
    return r ? `bill each year without and with the purchase: ${formatMoney(r.totals['bill_without'], r.currency)} and ` +
      `${formatMoney(r.totals['bill_with'], r.currency)} over ${r.years} years` : '';
  });
  readonly batteryLabel = computed(() => {
    const r = this.result();
    return r ? `battery capacity each year: ${r.size.battery_kwh.toFixed(1)} kWh new, ${formatPercent(r.totals['battery_share_last_year'])} left in year ${r.years}` : '';
  });

  money(v: number | null | undefined, currency = this.currency()): string { return formatMoney(v, currency); }
  pct(v: number | null | undefined): string { return formatPercent(v); }
  hours(v: number): string { return `${Math.round(v).toLocaleString('en-US')} h`; }
  rate(v: number | null | undefined): string { return formatRate(v); }
  irr(v: number | null | undefined): string { return formatIrr(v); }
  years_(v: number | null | undefined, horizon: number): string { return formatYears(v, horizon); }
  objectiveLabel(o: string): string { return OBJECTIVES.find((x) => x.value === o)?.label ?? o; }
  capacityOf(row: Record<string, any>): string {
    const key = Object.keys(row).find((k) => k.endsWith('.capacity_kwh'));
    return key ? String(row[key]) : '—';
  }

  /** The years typed: a whole number, empty (the finance section's) or as typed (the planner names it). */
  private yearsArg(): number | string | null {
    const text = String(this.years()).trim();
    if (text === '') return null;
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }

  private onProgress = (done: number, total: number) => {
    if (typeof done === 'number' && typeof total === 'number') this.progress.set({ done, total });
  };

  async run(event: Event): Promise<void> {
    event.preventDefault();
    this.running.set('plan');
    this.progress.set(null);
    this.error.set(null);
    this.result.set(null); // never an error above the previous run's figures
    this.took.set(null);
    const started = performance.now();
    try {
      const result = await this.bus.call('plan.purchase', [], { years: this.yearsArg() }, this.onProgress);
      this.result.set(result as PurchasePlanResult);
      this.took.set((performance.now() - started) / 1000);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.running.set(null);
      this.progress.set(null);
    }
  }

  async optimize(event: Event): Promise<void> {
    event.preventDefault();
    const id = this.batteryId();
    if (!id) return;
    this.running.set('optimize');
    this.progress.set(null);
    this.error.set(null);
    this.optimized.set(null);
    try {
      const budget = String(this.budget()).trim();
      const kwargs: Record<string, unknown> = {
        vary: { [`${id}.capacity_kwh`]: parseValues(this.values()) }, objective: this.objective(), years: this.yearsArg(),
      };
      if (budget !== '') kwargs['budget'] = Number.isFinite(Number(budget)) ? Number(budget) : budget;
      const result = await this.bus.call('plan.optimize', [], kwargs, this.onProgress);
      const years = this.yearsArg();
      this.optimizedYears.set(typeof years === 'number' ? years : 20);
      this.optimized.set(result as OptimizeResultView);
    } catch (e) {
      this.error.set((e as BusError).message);
    } finally {
      this.running.set(null);
      this.progress.set(null);
    }
  }
}
