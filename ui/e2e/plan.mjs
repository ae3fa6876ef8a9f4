// "Plan a purchase" end to end, in headless Debian Chromium, against a live home (started by the
// caller): a bad horizon is refused naming `years` beside the field; a 2-year plan runs with its
// progress shown, then its cards, cash-flow, bill and battery charts; a bad budget for the size
// search is refused naming `budget`. Prints the cards (text and value) for the caller to compare with
// `homesim plan --years 2`. Screenshots (laptop 1280x900, phone 390x844) and axe checks of each state.
// Usage: UI_URL=http://127.0.0.1:PORT/#...&authid=operator&ticket=... OUT_DIR=dir node e2e/plan.mjs

import { assertAccessible } from './axe.mjs';
import { firstText, numberedShots, start, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('plan');
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
const numbered = numberedShots(out, log);
const shot = (name, target = page.locator('app-purchase')) => numbered(target, name);
const until = (what, fn, timeoutMs = 30000) => waitFor(what, fn, { timeoutMs, onTimeout: (name) => shot(name, page) });
const textOf = firstText;

try {
  await page.goto(url);
  await until('the home', async () => (await page.locator('[data-device="battery"]').count()) > 0);
  await page.locator('app-purchase').scrollIntoViewIfNeeded();
  const years = page.getByLabel('years', { exact: true });
  if ((await years.inputValue()) !== '20') throw new Error(`years starts at ${await years.inputValue()}, not 20`);

  // 1. A horizon the planner refuses: its message beside the field, the field marked invalid.
  await years.fill('0');
  await page.getByRole('button', { name: 'Plan the purchase', exact: true }).click();
  const yearsError = await until('the years error', () => textOf(page.locator('[data-error="years"]')));
  if (!yearsError.startsWith('years: 0 is not allowed')) throw new Error(`unexpected years error: ${yearsError}`);
  if ((await years.getAttribute('aria-invalid')) !== 'true') throw new Error('the years field is not marked invalid');
  log(`years 0: ${yearsError}`);
  await assertAccessible(page, 'plan: years refused', log);

  // 2. Two years: progress while it runs, then the figures.
  await years.fill('2');
  await page.getByRole('button', { name: 'Plan the purchase', exact: true }).click();
  await until('the progress', async () => (await page.locator('[data-test="purchase-progress"]').count()) > 0, 10000);
  let counted = null;
  const card = page.locator('[data-card="capital"] dd.value');
  await until('the plan', async () => {
    const p = await textOf(page.locator('[data-test="purchase-progress"]'));
    if (p && /\d+ of \d+ years/.test(p)) counted = p;
    return (await card.count()) > 0;
  }, 300000);
  if (!counted || !/ of 2 years simulated/.test(counted)) throw new Error(`no progress in years seen: ${counted}`);
  log(`progress seen: ${counted}`);
  if (await page.locator('[data-error="years"]').count()) throw new Error('the years error stayed after a good plan');

  const cards = {};
  for (const name of ['capital', 'payback', 'npv', 'irr', 'savings', 'battery', 'outages']) {
    const dd = page.locator(`[data-card="${name}"] dd.value`);
    const value = await dd.getAttribute('data-value');
    cards[name] = { text: await textOf(dd), value: value === null || value === '' ? null : Number(value) };
  }
  log(`cards ${JSON.stringify(cards)}`);
  log(`summary: ${await textOf(page.locator('[data-test="purchase-summary"]'))}`);
  const counts = {};
  for (const chart of ['cash-flow-chart', 'bill-chart', 'battery-chart']) {
    counts[chart] = await page.locator(`[data-test="${chart}"] rect`).count();
  }
  if (counts['cash-flow-chart'] !== 3 || counts['bill-chart'] !== 4 || counts['battery-chart'] !== 2) {
    throw new Error(`bars: ${JSON.stringify(counts)} (want 3 net bars, 2 x 2 bills, 2 battery years)`);
  }
  log(`payback marker: ${await textOf(page.locator('[data-test="payback-marker"]'))}`);
  await shot('plan-2-years');
  await assertAccessible(page, 'plan: 2 years', log);

  // 3. The size search: a negative budget is refused beside the budget field.
  await page.getByLabel('battery capacities [kWh]').fill('5, 10');
  await page.getByLabel(/^budget/).fill('-5');
  await page.getByRole('button', { name: 'Find the best size', exact: true }).click();
  const budgetError = await until('the budget error', () => textOf(page.locator('[data-error="budget"]')), 30000);
  if (!budgetError.startsWith('budget: -5')) throw new Error(`unexpected budget error: ${budgetError}`);
  log(`budget -5: ${budgetError}`);
  await assertAccessible(page, 'plan: budget refused', log);

  // 3b. The size search itself: two sizes over the plan's two years, the recommendation shown.
  await page.getByLabel(/^budget/).fill('');
  await page.getByRole('button', { name: 'Find the best size', exact: true }).click();
  const recommended = await until('the recommended size',
    () => textOf(page.locator('[data-test="recommended"]')), 600000);
  log(`recommended: ${recommended}`);
  const ranked = await page.locator('table[aria-label="the best sizes"] tbody tr').count();
  if (ranked !== 2) throw new Error(`${ranked} sizes listed, want 2`);
  await assertAccessible(page, 'plan: sizes ranked', log);

  // 4. The same panel (the plan still shown) on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('app-purchase').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error(`the page scrolls sideways on a phone by ${overflow} px`);
  await shot('plan-2-years-phone');
  await assertAccessible(page, 'plan: phone', log);

  // 5. Only for the README's screenshot (PLAN_SCREENSHOT_YEARS=20): a whole plan on a laptop.
  const long = Number(process.env.PLAN_SCREENSHOT_YEARS ?? 0);
  if (long > 0) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByLabel(/^budget/).fill('');
    await years.fill(String(long));
    await page.getByRole('button', { name: 'Plan the purchase', exact: true }).click();
    await until('the progress', async () => (await page.locator('[data-test="purchase-progress"]').count()) > 0, 10000);
    await until(`the ${long}-year plan`, async () => (await card.count()) > 0, 1200000);
    log(`${long} years: cards ${await textOf(page.locator('.cards'))}`);
    await shot(`plan-${long}-years`);
  }
  log('ok');
} catch (e) {
  console.error(`plan failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
