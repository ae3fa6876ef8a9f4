// End to end, in headless Debian Chromium, against a live home (started by the caller):
// drag an oven into the house, see it run and consume, switch it off, set an invalid
// property, change the speed. Screenshots of each step go to OUT_DIR.
// Usage: UI_URL=http://127.0.0.1:PORT/#home=...&authid=operator&ticket=... OUT_DIR=dir node e2e/e2e.mjs
import { join } from 'node:path';

import { dragKindInto, start, watts, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('e2e');
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
let step = 0;
const shot = async (name) => {
  step += 1;
  const path = join(out, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
};
const until = (what, fn, timeoutMs = 30000) => waitFor(what, fn, { timeoutMs, onTimeout: (name) => shot(name) });
const text = (selector) => page.locator(selector).first().textContent().then((t) => (t ?? '').trim());
const loadsWatts = async () => watts(await page.locator('[data-node="loads"] .watts').textContent());

try {
  await page.goto(url);
  await until('the home', async () => (await page.locator('[data-device="battery"]').count()) > 0);
  await until('ticks', async () => Number(await text('[data-test="tick"]')) > 2);
  await shot('home');
  const before = await page.locator('[data-device]').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')));

  // 1. Drag an oven from the palette into the house: the controller starts a new process.
  await dragKindInto(page, 'oven', 'non_essential');
  const oven = await until('a new oven', async () => {
    const ids = await page.locator('[data-device]').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')));
    return ids.find((id) => !before.includes(id) && id.startsWith('oven'));
  });
  await until('the oven present', async () =>
    (await page.locator(`[data-device="${oven}"]`).getAttribute('data-status')) === 'present', 60000);
  log(`added ${oven}`);
  await shot('oven-added');

  // Make it cook all day (its property form: a cooking time from 00:00 to 23:59), so its
  // consumption shows in the flows.
  const openForm = async () => {
    await page.locator(`[data-device="${oven}"] .name`).click();
    await page.locator('dialog[open] [data-field]').first().waitFor();
  };
  const closeForm = async () => {
    await page.keyboard.press('Escape');
    await until('the form closed', async () => (await page.locator('dialog[open]').count()) === 0);
  };
  await openForm();
  const loadsBefore = await loadsWatts();
  await until('the cooking times', async () => (await page.locator('[data-field="cooking"] .window-row').count()) > 0);
  const cookingRows = page.locator('[data-field="cooking"] .remove-row');
  for (let n = await cookingRows.count(); n > 0; n -= 1) { // one at a time: wait for each row to go
    await cookingRows.first().click();
    await until('a cooking time removed', async () => (await cookingRows.count()) === n - 1);
  }
  await page.getByRole('button', { name: 'add Cooking times', exact: true }).click();
  await page.getByLabel('Cooking times 1 from', { exact: true }).fill('00:00');
  await page.getByLabel('Cooking times 1 to', { exact: true }).fill('23:59');
  await page.locator('#prop-rated_power_w').fill('3000');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await until('saved', async () => (await page.locator('dialog[open] .ok').count()) > 0);
  await closeForm();
  const ovenWatts = await until('oven consuming', async () => {
    const w = watts(await text(`[data-power="${oven}"]`));
    return w !== null && w >= 1000 ? w : null;
  });
  const loadsWith = await until('loads up by the oven', async () => {
    const w = await loadsWatts();
    return w !== null && w >= 1000 ? w : null;
  });
  log(`oven ${ovenWatts} W; loads ${loadsBefore} -> ${loadsWith} W`);
  await shot('oven-consuming');

  // 2. Switch it off: its process stops, its consumption disappears.
  await page.locator(`[data-device="${oven}"] input[type="checkbox"]`).uncheck();
  await until('oven off', async () =>
    (await page.locator(`[data-device="${oven}"]`).getAttribute('data-status')) === 'off');
  await until('oven power gone', async () => (await text(`[data-power="${oven}"]`)) === 'off');
  await page.waitForTimeout(1500);
  const loadsOff = await loadsWatts();
  if (!(loadsOff < loadsWith - 1000)) throw new Error(`loads did not drop: ${loadsWith} -> ${loadsOff} W`);
  log(`oven off; loads ${loadsOff} W`);
  await shot('oven-off');

  await openForm();
  if (!(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled())) {
    throw new Error('the form of a device that is off still offers Save');
  }
  await closeForm();
  // ... and on again: it runs again, with the properties it had.
  await page.locator(`[data-device="${oven}"] input[type="checkbox"]`).check();
  await until('oven consuming again', async () => (watts(await text(`[data-power="${oven}"]`)) ?? 0) >= 1000, 60000);

  // 3. An invalid property: the field shows the server's error and nothing changes.
  await openForm();
  await until('the form enabled', async () => !(await page.locator('#prop-rated_power_w').isDisabled()));
  await page.locator('#prop-rated_power_w').fill('-5');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const error = await until('the field error', async () => {
    const el = page.locator('[data-error="rated_power_w"]');
    return (await el.count()) ? (await el.textContent()) : null;
  });
  if (!/rated_power_w: -5(\.0)? is not allowed: must be > 0/.test(error)) throw new Error(`unexpected error text: ${error}`);
  log(`field error: ${error}`);
  await shot('invalid-property');
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.locator(`[data-device="${oven}"] .name`).click();
  const kept = await until('the form reloaded', async () => {
    const value = await page.locator('#prop-rated_power_w').inputValue();
    return value !== '' ? value : null;
  });
  if (Number(kept) !== 3000) throw new Error(`rated_power_w changed to ${kept}`);
  await closeForm();

  // Inverter settings as an inverter shows them: change the work mode and a slot, apply.
  await page.locator('#inv-work-mode').selectOption('zero_export');
  await page.getByLabel('slot 2 SoC').fill('40');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await until('inverter saved', async () => (await page.locator('app-inverter-settings .ok').count()) > 0);

  // A what-if with the fast-forward engine: two battery sizes over one day.
  await page.locator('#plan-key').fill('battery.capacity_kwh');
  await page.locator('#plan-values').fill('5, 15');
  await page.locator('#plan-days').fill('1');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const rows = await until('the what-if table', async () => {
    const n = await page.locator('table[aria-label="what-if comparison"] tbody tr').count();
    return n === 2 ? n : null;
  }, 120000);
  log(`what-if rows: ${rows}`);
  await page.getByRole('button', { name: 'refresh the report' }).click();
  const day = await until('the report of the first day', async () =>
    (await page.locator('tr[data-day="2026-01-05"]').count()) > 0);
  log(`report shows the recorded day: ${day}`);
  await page.locator('app-plan').scrollIntoViewIfNeeded();
  await shot('inverter-and-what-if');
  // Bad values: every one named, and the previous table gone (no stale figures under the error).
  await page.locator('#plan-values').fill('-5, 15, abc');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const planError = await until('the what-if error', async () => {
    const el = page.locator('app-plan [role="alert"]');
    return (await el.count()) ? (await el.textContent()).trim() : null;
  }, 60000);
  if (!planError.includes('capacity_kwh=-5') || !planError.includes('capacity_kwh=abc')) {
    throw new Error(`the what-if error does not name every bad value: ${planError}`);
  }
  if (await page.locator('table[aria-label="what-if comparison"]').count()) throw new Error('stale what-if table under the error');
  log(`what-if with bad values: ${planError}`);

  // 4. Change the speed: the simulated clock speeds up.
  await page.getByRole('button', { name: 'speed real time' }).click();
  await page.waitForTimeout(1500);
  const t0 = Number(await text('[data-test="tick"]'));
  await page.waitForTimeout(3000);
  const slow = Number(await text('[data-test="tick"]')) - t0;
  await page.getByRole('button', { name: 'speed 3600×' }).click();
  await page.waitForTimeout(1000);
  const t1 = Number(await text('[data-test="tick"]'));
  await page.waitForTimeout(3000);
  const fast = Number(await text('[data-test="tick"]')) - t1;
  log(`ticks in 3 s: real time ${slow}, 3600x ${fast}`);
  if (!(fast > 20 * Math.max(slow, 1))) throw new Error(`the clock did not speed up: ${slow} -> ${fast} ticks in 3 s`);
  await shot('fast');

  // 5. A viewer watches but can't change anything.
  if (process.env.VIEWER_URL) {
    const viewer = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
    await viewer.goto(process.env.VIEWER_URL);
    await viewer.locator('[data-device="battery"]').first().waitFor();
    if ((await viewer.locator('[data-test="role"]').textContent()).trim() !== 'viewer') throw new Error('not a viewer');
    for (const name of ['pause', 'speed 3600×', 'remove tv']) {
      if (!(await viewer.getByRole('button', { name, exact: true }).isDisabled())) throw new Error(`viewer can ${name}`);
    }
    if (!(await viewer.getByRole('checkbox', { name: 'switch tv' }).isDisabled())) throw new Error('viewer can switch');
    const path = join(out, `${String(++step).padStart(2, '0')}-viewer-phone.png`);
    await viewer.screenshot({ path, fullPage: true });
    log(`screenshot ${path}`);
  }
  log('ok');
} catch (e) {
  console.error(`e2e failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
