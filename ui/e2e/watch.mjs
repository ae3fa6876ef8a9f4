// The WATCH side end to end, in headless Debian Chromium, against a live reference home
// (examples/home.yaml, started by the caller): at noon with a full battery the flow shows PV
// curtailed; in the first load-shedding outage (2026-01-05 16:00-18:30, stage 2) it shows the
// stage and the end; today's totals match the recorder's report.daily; after a reload the
// chart has its history again. Only conditions, no fixed sleeps; the clock runs at max and is
// paused where the checks are made. Screenshots at 1280x900 and 390x844 go to OUT_DIR.
// Usage: UI_URL=http://127.0.0.1:PORT/#home=...&authid=operator&ticket=... OUT_DIR=dir node e2e/watch.mjs
import { join } from 'node:path';

import { assertAccessible } from './axe.mjs';
import { start, watts, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('watch');
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
const shot = async (name, p = page) => {
  const path = join(out, `${name}.png`);
  await p.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
};
const until = (what, fn, timeoutMs = 60000, p = page) => waitFor(what, fn, { timeoutMs, everyMs: 50, onTimeout: (name) => shot(name, p) });
const text = (selector, p = page) => p.locator(selector).first().textContent().then((t) => (t ?? '').replace(/\s+/g, ' ').trim());
const count = (selector, p = page) => p.locator(selector).count();
const simTime = () => text('[data-test="sim-time"]');
const paused = async () => (await text('[data-test="held"]')) === 'paused';
const pause = async () => {
  await page.getByRole('button', { name: 'pause', exact: true }).click({ force: true });
  await until('paused', paused);
};
// force: the figures in the header change every tick; the buttons need not wait for a still frame
const max = () => page.getByRole('button', { name: 'speed max', exact: true }).click({ force: true });

try {
  await page.goto(url);
  await until('ticks', async () => Number(await text('[data-test="tick"]')) > 2);

  // 1. Noon with a full battery: PV curtailed (the reference home never exports).
  await max();
  await until('max held', async () => /max requested/.test(await text('[data-test="speed"]')));
  const noon = await until('PV curtailed around noon', async () => {
    const t = await simTime();
    const hour = Number(t.slice(11, 13));
    if (hour >= 16) throw new Error(`no curtailment seen by ${t}`);
    return hour >= 11 && (await count('[data-test="curtailed"]')) > 0 ? t : null;
  }, 120000);
  await pause();
  const speedText = await text('[data-test="speed"]');
  await until('curtailed after the pause', async () => (await count('[data-test="curtailed"]')) > 0);
  const pvLine = await text('[data-line="pv"]');
  const curtailedW = watts(await text('[data-test="curtailed"]'));
  if (!(curtailedW > 0)) throw new Error(`curtailed PV not > 0: ${pvLine}`);
  log(`noon ${noon}: ${pvLine}`);
  const nextOutage = await text('[data-test="next-outage"]');
  log(`next outage: ${nextOutage}`);
  if (nextOutage !== '16:00 – 18:30 (stage 2)') throw new Error(`next outage at noon: ${nextOutage}`);
  log(`battery: ${await text('[data-line="battery"]')}`);
  log(`speed while paused: ${speedText}`);
  await shot('01-noon-curtailed');
  await assertAccessible(page, 'noon, curtailed (laptop)', log);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('02-noon-curtailed-phone');
  await assertAccessible(page, 'noon, curtailed (phone)', log);
  await page.setViewportSize({ width: 1280, height: 900 });

  // 2. The first outage: load-shedding stage 2 from 16:00 to 18:30 on 2026-01-05. At 3600x (60
  //    ticks a second) to 15:00, then at 60x (a tick a second) into it, so the pause lands inside
  //    the outage. (Not at max: the home settles hundreds of ticks a second, past the outage
  //    before a click could slow it.)
  await page.getByRole('button', { name: 'speed 3600×', exact: true }).click({ force: true });
  await until('3600x requested', async () => /3,600× requested/.test(await text('[data-test="speed"]')));
  await page.getByRole('button', { name: 'resume', exact: true }).click({ force: true });
  await until('15:00', async () => (await simTime()).slice(11, 16) >= '15:00', 120000);
  await page.getByRole('button', { name: 'speed 60×', exact: true }).click({ force: true });
  await until('the outage', async () => (await count('[data-test="outage"]')) > 0, 180000);
  await pause();
  const outage = await text('[data-line="grid"]');
  const end = await text('[data-test="outage-end"]');
  log(`outage at ${await simTime()}: ${outage}`);
  if (!/load-shedding stage 2/.test(outage)) throw new Error(`no stage in: ${outage}`);
  if (end !== '18:30') throw new Error(`outage end ${end}, expected 18:30`);
  const shed = await page.locator('[data-load].shed').evaluateAll((els) => els.map((e) => e.getAttribute('data-load')));
  log(`shed loads: ${shed.join(', ') || 'none'}`);
  if (!shed.includes('geyser') || !shed.includes('oven')) throw new Error(`non-essential loads not shown as shed: ${shed}`);
  log(`home: ${await text('[data-line="home"]')}`);
  // values on hover: the tooltip names the time and every series
  const chart = page.locator('[data-test="chart"]');
  await chart.scrollIntoViewIfNeeded();
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width * 0.85, box.y + box.height / 2);
  const tip = await until('the chart tooltip', async () => (await count('[data-test="chart-tip"]')) ? text('[data-test="chart-tip"]') : null);
  if (!/\d\d:\d\d/.test(tip) || !/PV/.test(tip) || !/SoC/.test(tip)) throw new Error(`tooltip: ${tip}`);
  log(`tooltip: ${tip}`);
  await shot('03-outage');
  await assertAccessible(page, 'outage with the chart tooltip', log);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('04-outage-phone');
  await assertAccessible(page, 'outage (phone)', log);
  await page.setViewportSize({ width: 1280, height: 900 });

  // 3. Today's totals against the recorder's report.daily for the same day (same ticks).
  const today = async () => page.locator('[data-test="today-values"]').evaluate((e) => ({ ...e.dataset }));
  const compare = async (when) => {
    const t = await today();
    const row = await until(`the report row with today's ticks (${when})`, async () => {
      await page.getByRole('button', { name: 'refresh the report' }).click({ force: true });
      const r = page.locator(`tr[data-day="${t.day}"]`);
      if (!(await r.count()) || (await r.getAttribute('data-ticks')) !== t.ticks) return null;
      return r.locator('td').allTextContents();
    });
    const [, pv, load, imp, exp, cost] = row.map((c) => Number(c));
    const pairs = { pv: [Number(t.pv), pv], load: [Number(t.load), load], import: [Number(t.import), imp],
      export: [Number(t.export), exp] };
    for (const [k, [a, b]] of Object.entries(pairs)) {
      if (!(Math.abs(a - b) <= 0.1)) throw new Error(`${when}: today ${k} ${a} kWh vs report.daily ${b} kWh`);
    }
    if (!(Math.abs(Number(t.cost) - cost) <= 0.1)) throw new Error(`${when}: cost ${t.cost} vs ${cost}`);
    log(`today ${t.day} (${when}, ${t.ticks} ticks): pv ${(+t.pv).toFixed(2)}/${pv}, load ${(+t.load).toFixed(2)}/${load}, ` +
      `import ${(+t.import).toFixed(2)}/${imp}, export ${(+t.export).toFixed(2)}/${exp} kWh, cost ${(+t.cost).toFixed(2)}/${cost}: match`);
    return t;
  };
  const before = await compare('live');
  await page.locator('app-reports').scrollIntoViewIfNeeded();
  await shot('05-today-and-days');

  // 4. Reload: the chart and today's totals come back from the recorder.
  const pointsBefore = Number(await chart.getAttribute('data-points'));
  await page.reload();
  await until('the chart history after the reload', async () =>
    Number(await page.locator('[data-test="chart"]').getAttribute('data-points').catch(() => '0')) >= pointsBefore);
  const pointsAfter = Number(await page.locator('[data-test="chart"]').getAttribute('data-points'));
  log(`chart points: ${pointsBefore} before the reload, ${pointsAfter} after`);
  const after = await compare('after the reload');
  if (after.ticks !== before.ticks) throw new Error(`today's ticks ${before.ticks} -> ${after.ticks} over a paused reload`);
  await shot('06-after-reload');
  await assertAccessible(page, 'after a reload', log);

  // 5. Day-by-day bars navigate by day.
  await page.getByRole('button', { name: 'previous day' }).isDisabled();
  log(`selected day: ${await text('[data-test="selected-day"]')}`);
  log('ok');
} catch (e) {
  console.error(`watch failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
