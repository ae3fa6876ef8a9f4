// "Your home from its history" and the tariff picker end to end, in headless Debian Chromium,
// against a live home (started by the caller): upload a history file (HISTORY_FILE), see its
// layout and the guessed mapping, import it (progress while it runs), read the data-quality and
// calibration reports (metrics table, plots), adopt the calibrated home (the oven leaves the
// house, the calibrated devices are in it); then a tariff from the form, refused with a bad time
// window, shown as prices by hour, applied to the grid; a URDB file (URDB_FILE) read and shown.
// Screenshots at 1280x900 and 390x844, axe at each state. Prints what it saw for the caller.
// Usage: UI_URL=... OUT_DIR=dir HISTORY_FILE=path URDB_FILE=path node e2e/history.mjs

import { assertAccessible } from './axe.mjs';
import { firstText, numberedShots, start, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('history');
const historyFile = process.env.HISTORY_FILE;
const urdbFile = process.env.URDB_FILE;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
const numbered = numberedShots(out, log);
const shot = (name, target = page.locator('app-history-import')) => numbered(target, name);
const until = (what, fn, timeoutMs = 30000) => waitFor(what, fn, { timeoutMs, onTimeout: (name) => shot(name, page) });
const textOf = firstText;
/** No code names or raw JSON shown to a homeowner in ``locator``'s text. */
const plainWords = async (locator, where) => {
  const text = (await locator.innerText()).replace(/\/\S+/g, ''); // (file paths may have underscores)
  const code = /\b(pv_w|load_w|grid_import_w|grid_export_w|battery_w|price_per_kwh|up_to_kwh)\b|[{}[\]]"/.exec(text);
  if (code) throw new Error(`${where} shows code: ${code[0]}`);
};
/** The page does not scroll sideways (a phone). */
const noOverflow = async (where) => {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error(`${where}: the page scrolls sideways by ${overflow} px`);
};

try {
  await page.goto(url);
  await until('the home', async () => (await page.locator('[data-device="oven"]').count()) > 0);
  const panel = page.locator('app-history-import');
  await page.locator('section.history').scrollIntoViewIfNeeded();
  await until('the history panel', async () => (await panel.count()) > 0);

  // 0. A file with a column of text: refused at import, the file, row and column named.
  if (process.env.BAD_FILE) {
    await page.locator('[data-test="history-file"]').setInputFiles(process.env.BAD_FILE);
    await until('the bad file mapped', async () => (await page.locator('[data-test="mapping"]').count()) > 0, 60000);
    await page.getByRole('button', { name: 'Import and calibrate', exact: true }).click();
    const bad = await until('the bad file refused', () => textOf(page.locator('[data-error="history"]')), 120000);
    log(`refused: ${bad}`);
    if (!/^text\.csv row \d+ column 'Load \(W\)': a column of text/.test(bad)) throw new Error(`unexpected refusal: ${bad}`);
    await shot('refused');
    await assertAccessible(page, 'history: refused', log);
  }

  // 1. Upload: the layout and the guessed mapping.
  await page.locator('[data-test="history-file"]').setInputFiles(historyFile);
  await until('the mapping', async () => (await page.locator('[data-test="mapping"]').count()) > 0, 60000);
  log(`upload: ${await textOf(page.locator('[data-test="upload-status"]'))}`);
  log(`layout: ${await textOf(page.locator('[data-test="mapping"] p').first())}`);
  const mapped = {};
  for (const select of await page.locator('[data-test="mapping"] select[data-quantity]').all()) {
    mapped[await select.getAttribute('data-quantity')] = await select.inputValue();
  }
  log(`mapping ${JSON.stringify(mapped)}`);
  if (!mapped.pv || !mapped.load) throw new Error(`PV or load not guessed: ${JSON.stringify(mapped)}`);
  // What the guess can't know from an export without units: the PV sensor is in kW, the battery's
  // sensor counts charging as positive (HISTORY_FIXES: "pv=kW,battery=charge").
  for (const fix of (process.env.HISTORY_FIXES ?? '').split(',').filter(Boolean)) {
    const [q, what] = fix.split('=');
    if (what === 'charge' || what === 'sell') await page.locator(`[data-sign="${q}"]`).check();
    else await page.locator(`select[data-unit="${q}"]`).selectOption(what);
  }
  await shot('mapping');
  await assertAccessible(page, 'history: mapping', log);

  // 2. Import: progress, then the reports.
  await page.getByRole('button', { name: 'Import and calibrate', exact: true }).click();
  let progressSeen = null;
  await until('the reports', async () => {
    const p = await textOf(page.locator('[data-test="import-progress"]'));
    if (p) progressSeen = p;
    const failed = await textOf(page.locator('[data-error="history"]'));
    if (failed) throw new Error(`import refused: ${failed}`);
    return (await page.locator('[data-test="calibration"]').count()) > 0;
  }, 600000);
  log(`progress seen: ${progressSeen}`);
  if (!progressSeen) throw new Error('no progress shown while importing');
  const metrics = await page.locator('[data-test="metrics"] tbody tr').count();
  const plots = await page.locator('[data-test="report-plot"]').count();
  const fitted = {};
  for (const item of await page.locator('[data-fitted]').all()) {
    fitted[await item.getAttribute('data-fitted')] = (await item.innerText()).replace(/\s+/g, ' ').trim();
  }
  log(`quality: ${await textOf(page.locator('[data-test="quality"]'))}`);
  log(`fitted ${JSON.stringify(fitted)}`);
  log(`metrics rows ${metrics}, plots ${plots}`);
  if (metrics < 3 || plots < 1) throw new Error(`metrics rows ${metrics}, plots ${plots}`);
  await until('the plots loaded', () => page.locator('[data-test="report-plot"]').first().evaluate((img) => img.complete && img.naturalWidth > 0));
  await plainWords(panel, 'the reports');
  await page.locator('[data-test="quality"]').scrollIntoViewIfNeeded();
  await shot('reports');
  await shot('calibration', page.locator('[data-test="calibration"]'));
  await assertAccessible(page, 'history: reports', log);

  // 3. Adopt: the live home's devices replaced (the oven goes).
  await page.locator('[data-test="adopt"]').click();
  const adopted = await until('adopted', () => textOf(page.locator('[data-test="adopted"]')), 120000);
  log(`adopted: ${adopted}`);
  await until('the oven gone from the house', async () => (await page.locator('[data-device="oven"]').count()) === 0, 60000);
  await shot('adopted');

  // 4. The same reports on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('[data-test="calibration"]').scrollIntoViewIfNeeded();
  await noOverflow('history on a phone');
  await shot('reports-phone');
  await assertAccessible(page, 'history: phone', log);
  await page.setViewportSize({ width: 1280, height: 900 });

  // 5. The tariff picker: a bad window refused, then the form's tariff shown and applied.
  const tariff = page.locator('app-tariff-picker');
  await page.locator('section.tariff').scrollIntoViewIfNeeded();
  await until('the tariff picker', async () => (await tariff.count()) > 0);
  await page.getByRole('button', { name: 'Add a season' }).click();
  await page.getByRole('button', { name: 'Add a season' }).click();
  await page.getByLabel('season 1 name').fill('high');
  await page.getByLabel('season 2 name').fill('low');
  for (const [season, months] of [[1, ['Jun', 'Jul', 'Aug']], [2, ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Sep', 'Oct', 'Nov', 'Dec']]]) {
    const group = page.getByRole('group', { name: `months of season ${season}` });
    for (const m of months) await group.getByLabel(m, { exact: true }).check();
  }
  await page.getByRole('group', { name: 'seasons of rate peak' }).getByLabel('high', { exact: true }).check();
  await page.getByLabel('Fixed per day', { exact: false }).fill('12.5');
  await page.locator('#r-times-0').fill('6-9');
  await page.getByRole('button', { name: 'Check the tariff' }).click();
  const refusal = await until('the bad window refused', () => textOf(page.locator('[data-error="tariff"]')));
  log(`refused: ${refusal}`);
  if (!/rates\[0\]\.times/.test(refusal) || !refusal.includes("'6-9'")) throw new Error(`unexpected refusal: ${refusal}`);
  await page.locator('#r-times-0').fill('06:00-09:00, 17:00-20:00');
  await page.getByRole('button', { name: 'Check the tariff' }).click();
  await until('the tariff shown', async () => (await page.locator('[data-test="tariff-shown"]').count()) > 0);
  const highWeekday = await page.locator('[data-season="high"] svg[data-day="weekday"]').getAttribute('aria-label');
  log(`high weekday: ${highWeekday}`);
  if (!highWeekday.includes('06:00–09:00 peak 4.50') || !highWeekday.includes('09:00–17:00 standard 2.50')) {
    throw new Error(`the high season's weekday is not as typed: ${highWeekday}`);
  }
  const lowWeekday = await page.locator('[data-season="low"] svg[data-day="weekday"]').getAttribute('aria-label');
  if (lowWeekday.includes('peak')) throw new Error(`the low season has the peak rate: ${lowWeekday}`);
  await plainWords(tariff, 'the tariff');
  await page.locator('[data-test="tariff-shown"]').scrollIntoViewIfNeeded();
  await shot('tariff-form', tariff);
  await shot('tariff-shown', page.locator('[data-test="tariff-shown"]'));
  await assertAccessible(page, 'tariff: shown', log);
  await page.locator('[data-test="apply-tariff"]').click();
  const applied = await until('the tariff applied', async () => {
    const e = await textOf(page.locator('[data-error="tariff"]'));
    if (e) throw new Error(`apply refused: ${e}`);
    return textOf(page.locator('[data-test="tariff-applied"]'));
  });
  log(`applied: ${applied}`);

  // 6. A URDB file, on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel('URDB file').check();
  await page.locator('[data-test="urdb-file"]').setInputFiles(urdbFile);
  await until('the URDB tariff shown', async () => {
    const e = await textOf(page.locator('[data-error="tariff"]'));
    if (e) throw new Error(`URDB refused: ${e}`);
    return (await page.locator('[data-test="tariff-shown"] h3').count()) > 0 &&
      (await textOf(page.locator('[data-test="tariff-shown"] h3'))) !== 'My tariff';
  });
  log(`urdb: ${await textOf(page.locator('[data-test="tariff-shown"] h3'))}`);
  await noOverflow('tariff on a phone');
  await plainWords(tariff, 'the URDB tariff');
  await shot('tariff-urdb-phone', tariff);
  await assertAccessible(page, 'tariff: phone', log);
  log('ok');
} catch (e) {
  console.error(`history failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
