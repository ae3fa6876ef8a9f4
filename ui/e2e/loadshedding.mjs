// Load-shedding picked in the grid's form, as a homeowner does it, in headless Debian Chromium
// against a live reference home (a copy, started by the caller): the home's rotation and stage
// timeline shown with what they give (hours off each day, the outages, the average hours at each
// stage); a list of outages by area uploaded from the computer, an area chosen from those it
// offers, its outages shown, saved on the revision read; a bad file refused naming its line and
// column; on a phone, a rotation with stages typed into the table. No JSON box, nothing clipped,
// no page wider than the phone; axe at each state.
// Usage: UI_URL=... OUT_DIR=dir EXAMPLES=examples/loadshedding node e2e/loadshedding.mjs
import { join } from 'node:path';

import { assertAccessible } from './axe.mjs';
import { numberedShots, start, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('loadshedding');
const examples = process.env.EXAMPLES ?? '../examples/loadshedding';
const numbered = numberedShots(out, log);
const shot = (page, name, fullPage = false) => numbered(page, name, { fullPage });
const until = (page, what, fn, timeoutMs = 30000) => waitFor(what, fn, { timeoutMs, onTimeout: (name) => shot(page, name, true) });
const field = (page) => page.locator('dialog[open] [data-field="load_shedding"]');
const text = async (locator) => ((await locator.count()) ? (await locator.first().textContent()).replace(/\s+/g, ' ').trim() : '');
/** Texts whose box is narrower than what they hold. */
const clipped = (page) => page.locator('dialog[open] [data-field="load_shedding"] :is(label, legend, p, li, span, h4, h5, button, option)')
  .evaluateAll((els) => els.filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map((e) => `${e.tagName}: "${e.textContent.trim().slice(0, 40)}" ${e.scrollWidth}>${e.clientWidth}`));
/** What a homeowner should not see: JSON, code names of fields. */
const raw = async (page) => {
  const shown = await field(page).innerText();
  return ['{', '}', '_csv', '_json', 'esp_', 'null', 'undefined', 'NaN'].filter((s) => shown.includes(s));
};

const openGrid = async (page) => {
  await page.locator('[data-device="grid"] .name').click();
  await page.locator('dialog[open]').waitFor();
  await until(page, 'the grid form', async () => (await field(page).count()) > 0);
};
const previewShown = (page, what) => until(page, what, async () => {
  const area = await text(field(page).locator('[data-preview-area]'));
  const error = await text(field(page).locator('[data-preview-error]'));
  if (error) throw new Error(`${what}: the preview says ${error}`);
  return area || null;
}, 60000);

try {
  const laptop = { width: 1280, height: 900 };
  const page = await browser.newPage({ viewport: laptop });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
  await page.goto(url);
  await until(page, 'the home', async () => (await page.locator('[data-device="grid"]').count()) > 0);
  await until(page, 'ticks', async () => Number(await page.locator('[data-test="tick"]').textContent()) > 2);

  // 1. The home's own schedule: its rotation at the stages of its timeline, and what they give.
  await openGrid(page);
  if (await field(page).locator('textarea').count()) throw new Error('load-shedding is still a JSON box');
  const rotation = await previewShown(page, "the home's rotation previewed");
  const bars = await field(page).locator('svg.bars rect').count();
  const averages = await field(page).locator('[data-averages] tr').nth(1).locator('td').allTextContents();
  const firstOutage = await text(field(page).locator('[data-outages] li'));
  log(`the home's schedule: ${rotation}; ${bars} days drawn; first outage ${firstOutage}; hours a day at stages 1-8: ${averages.join(' ')}`);
  await field(page).scrollIntoViewIfNeeded();
  await shot(page, 'rotation-preview');
  await assertAccessible(page, "the grid's load-shedding (rotation)", log);

  // 2. A list of outages by area from the computer; the area picked from those it offers.
  await field(page).getByLabel("Where your area's schedule comes from").selectOption('events');
  await field(page).getByLabel("Upload your area's schedule file").setInputFiles(join(examples, 'events.csv'));
  const note = await until(page, 'the file checked', async () => {
    const t = await text(field(page).locator('[data-area-note]'));
    return t && !t.startsWith('Checking') ? t : null;
  });
  const offered = (await field(page).getByLabel('Your area', { exact: true }).locator('option').allTextContents()).map((o) => o.trim());
  log(`uploaded events.csv: ${note}; areas offered: ${offered.join(', ')}`);
  await field(page).getByLabel('Your area', { exact: true }).selectOption('riverside-block-3');
  const area = await until(page, 'riverside-block-3 previewed', async () => {
    const t = await text(field(page).locator('[data-preview-area]'));
    return t.includes('riverside-block-3') ? t : null;
  });
  const outages = (await field(page).locator('[data-outages] li').allTextContents()).map((o) => o.trim());
  log(`riverside-block-3: ${area}; outages: ${outages.join(' | ')}`);
  const leaks = await raw(page);
  if (leaks.length) throw new Error(`the picker shows ${leaks.join(', ')}`);
  let bad = await clipped(page);
  if (bad.length) throw new Error(`clipped at 1280: ${bad.join('; ')}`);
  await shot(page, 'area-picked');
  await assertAccessible(page, 'an area picked from an uploaded file', log);
  await page.locator('dialog[open]').getByRole('button', { name: 'Save', exact: true }).click();
  await until(page, 'saved', async () => (await page.locator('dialog[open] .ok').count()) > 0);
  log('saved: the grid takes riverside-block-3 from the next tick');

  // 3. A bad file is refused with its line and column, and the saved choice stays.
  await field(page).getByLabel("Upload your area's schedule file").setInputFiles({
    name: 'broken.csv', mimeType: 'text/csv',
    buffer: Buffer.from('area_name,start,finsh,stage,source\nmy-area,2026-01-05T16:00+02:00,later,2,x\n'),
  });
  const refused = await until(page, 'the bad file refused', async () => text(field(page).locator('[data-area-error]')));
  log(`bad file: ${refused}`);
  await shot(page, 'bad-file');
  await assertAccessible(page, 'a bad file refused', log);
  await page.keyboard.press('Escape');

  // 4. A phone: the saved area shown; then a rotation with its stages typed into the table.
  const phone = { width: 390, height: 844 };
  const small = await browser.newPage({ viewport: phone, isMobile: true, hasTouch: true });
  await small.goto(url);
  await until(small, 'the home on a phone', async () => (await small.locator('[data-device="grid"]').count()) > 0);
  await small.locator('[data-device="grid"]').scrollIntoViewIfNeeded();
  await openGrid(small);
  const saved = await previewShown(small, 'the saved area on a phone');
  log(`on a phone, as saved: ${saved}`);
  await field(small).getByLabel("Where your area's schedule comes from").selectOption('rotation');
  await field(small).getByLabel("Upload your area's schedule file").setInputFiles(join(examples, 'area_schedule.csv'));
  await until(small, 'the rotation checked', async () => (await text(field(small).locator('[data-area-note]'))).includes('slots'));
  await field(small).getByRole('button', { name: 'Add a period' }).click();
  await field(small).getByLabel('Stage of row 1').fill('4');
  await field(small).getByLabel('Stage of row 1').dispatchEvent('change');
  await field(small).getByLabel('From date, row 1').fill('2026-01-06');
  await field(small).getByLabel('From date, row 1').dispatchEvent('change');
  await field(small).getByLabel('From time, row 1').fill('0500');
  await field(small).getByLabel('From time, row 1').dispatchEvent('change');
  await field(small).getByLabel('To date, row 1').fill('2026-01-07');
  await field(small).getByLabel('To date, row 1').dispatchEvent('change');
  await field(small).getByLabel('To time, row 1').fill('22:00');
  await field(small).getByLabel('To time, row 1').dispatchEvent('change');
  const typed = await until(small, 'the typed stages previewed', async () => {
    const t = await text(field(small).locator('[data-stages]'));
    return t.includes('Stage 4') ? t : null;
  });
  const phoneOutages = await field(small).locator('[data-outages] li').count();
  log(`typed on a phone: ${typed}; ${phoneOutages} outages listed`);
  const width = await small.evaluate(() => document.documentElement.scrollWidth);
  if (width > phone.width) throw new Error(`the page is ${width} px wide on a ${phone.width} px phone`);
  const inside = await small.evaluate(() => [...document.querySelectorAll('dialog[open], dialog[open] app-loadshedding-picker, dialog[open] fieldset, dialog[open] section.preview')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.tagName} ${e.scrollWidth}>${e.clientWidth}`));
  if (inside.length) throw new Error(`wider than their box on a phone: ${inside.join('; ')}`);
  bad = await clipped(small);
  if (bad.length) throw new Error(`clipped at 390: ${bad.join('; ')}`);
  const leaksPhone = await raw(small);
  if (leaksPhone.length) throw new Error(`the picker shows ${leaksPhone.join(', ')} on a phone`);
  await field(small).locator('fieldset').nth(1).scrollIntoViewIfNeeded();
  await shot(small, 'stages-typed-phone');
  await field(small).locator('section.preview').scrollIntoViewIfNeeded();
  await shot(small, 'preview-phone');
  await assertAccessible(small, 'stages typed on a phone', log);
  log(`no page wider than ${phone.width} px (${width})`);
  log('ok');
} catch (e) {
  console.error(`loadshedding failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
