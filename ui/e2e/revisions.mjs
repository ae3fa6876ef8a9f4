// No lost updates (issue 24), end to end in headless Debian Chromium against a live home
// (started by the caller): two tabs on the inverter's settings. Tab B sets the backup reserve
// to 50 %; tab A, open all along, shows it without a reload; tab A changes only Priority and
// applies: the reserve stays 50 %. Then both edit the reserve: B applies first, A's field is
// flagged, A's Apply is refused as changed elsewhere and A reloads to B's value.
// Usage: UI_URL=... OUT_DIR=dir node e2e/revisions.mjs
import { join } from 'node:path';

import { start, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('revisions');
const tabs = { a: await browser.newPage({ viewport: { width: 1280, height: 900 } }),
  b: await browser.newPage({ viewport: { width: 1280, height: 900 } }) };
for (const [name, page] of Object.entries(tabs)) {
  page.on('console', (m) => { if (m.type() === 'error') console.log(`browser ${name}: ${m.text()}`); });
}
const shot = async (page, name) => {
  const path = join(out, `${name}.png`);
  await page.locator('app-inverter-settings').screenshot({ path });
  log(`screenshot ${path}`);
};
const until = (what, fn, timeoutMs = 30000) => waitFor(what, fn, {
  timeoutMs, onTimeout: async (name) => { await shot(tabs.a, `${name}-a`); await shot(tabs.b, `${name}-b`); } });
const panel = (page) => page.locator('app-inverter-settings');
const reserve = (page) => page.locator('#inv-backup_reserve_soc');
const apply = async (page) => panel(page).getByRole('button', { name: 'Apply', exact: true }).click();
const saved = async (page) => (await panel(page).locator('.ok').count()) > 0;

try {
  for (const page of Object.values(tabs)) {
    await page.goto(url);
    await until('the inverter settings', async () => (await reserve(page).inputValue()) !== '');
  }
  const first = await reserve(tabs.a).inputValue();
  log(`both tabs read the reserve at ${first} %`);

  // B sets the reserve to 50 %; A follows it live (no reload).
  await reserve(tabs.b).fill('50');
  await apply(tabs.b);
  await until('B saved', () => saved(tabs.b));
  await until('A shows 50 %', async () => (await reserve(tabs.a).inputValue()) === '50');
  log(`tab A shows the reserve B set: ${await reserve(tabs.a).inputValue()} %`);
  await shot(tabs.a, '01-a-follows-b');

  // A changes only Priority: the reserve is not put back.
  const priority = await tabs.a.locator('#inv-priority').inputValue();
  const other = priority === 'battery_first' ? 'load_first' : 'battery_first';
  await tabs.a.locator('#inv-priority').selectOption(other);
  await apply(tabs.a);
  await until('A saved', () => saved(tabs.a));
  await until('B shows the priority', async () => (await tabs.b.locator('#inv-priority').inputValue()) === other);
  await tabs.a.reload();
  await until('A reloaded', async () => (await reserve(tabs.a).inputValue()) !== '');
  log(`after A's Apply of priority ${other}: reserve ${await reserve(tabs.a).inputValue()} %, priority ` +
      `${await tabs.a.locator('#inv-priority').inputValue()}`);

  // Both edit the reserve; B applies first: A's field is flagged, its Apply refused, A reloads.
  await reserve(tabs.a).fill('40');
  await reserve(tabs.b).fill('60');
  await apply(tabs.b);
  await until('B saved again', () => saved(tabs.b));
  const flag = await until('A flagged', async () => {
    const flags = panel(tabs.a).locator('.flag');
    return (await flags.count()) > 0 ? (await flags.first().textContent()).trim() : null;
  });
  log(`tab A flags: ${flag}`);
  await shot(tabs.a, '02-a-flagged');
  await apply(tabs.a);
  const refused = await until('A refused', async () => {
    const alert = panel(tabs.a).locator('[role="alert"]');
    return (await alert.count()) > 0 ? (await alert.first().textContent()).trim() : null;
  });
  log(`tab A refused: ${refused}`);
  await until('A reloaded to 60 %', async () => (await reserve(tabs.a).inputValue()) === '60');
  log(`tab A now shows ${await reserve(tabs.a).inputValue()} %`);
  await shot(tabs.a, '03-a-refused-reloaded');
  log('ok');
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
