// The builder end to end, in headless Debian Chromium, against a live reference home (started
// by the caller): the property form opens in view (laptop and phone), a timer is edited with
// time inputs (no JSON) and the device's demand follows, an oven goes from the palette into the
// non-essential circuit, a palette item is added with the keyboard, the home is saved as YAML
// and loaded back, a bad file is refused naming the field, and no label is clipped.
// Usage: UI_URL=http://127.0.0.1:PORT/#home=...&authid=operator&ticket=... OUT_DIR=dir node e2e/builder.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { assertAccessible } from './axe.mjs';
import { dragKindInto, numberedShots, start, watts, waitFor } from './common.mjs';

const { url, out, browser, log } = await start('builder');
const numbered = numberedShots(out, log);
const shot = (page, name, fullPage = false) => numbered(page, name, { fullPage });
const until = (page, what, fn, timeoutMs = 30000) => waitFor(what, fn, { timeoutMs, onTimeout: (name) => shot(page, name, true) });
const ids = (page) => page.locator('[data-device]').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')));

/** Labels whose text does not fit (scrollWidth > clientWidth). */
const clipped = (page, selector) => page.locator(selector).evaluateAll((els) => els
  .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map((e) => `${e.className || e.tagName}: "${e.textContent.trim().slice(0, 40)}" ${e.scrollWidth}>${e.clientWidth}`));
const LABELS = '.kind, .zone-title, .device .name, .device .kind-label, .device .power, dialog .field .label, dialog h3, .file button, .file label';

/** Open a device's form and check the dialog is in view, modal, labelled and has the focus. */
const openForm = async (page, id, viewport) => {
  await page.locator(`[data-device="${id}"] .name`).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  await until(page, `${id}'s form loaded`, async () => (await page.locator('dialog[open] [data-field]').count()) > 0);
  await page.waitForTimeout(300);
  const box = await dialog.boundingBox();
  if (!(box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height)) {
    throw new Error(`${id}'s form is not within the ${viewport.width}x${viewport.height} viewport: ${JSON.stringify(box)}`);
  }
  const a11y = await dialog.evaluate((d) => ({
    modal: d.getAttribute('aria-modal'), label: document.getElementById(d.getAttribute('aria-labelledby'))?.textContent?.trim(),
    focusInside: d.contains(document.activeElement),
  }));
  if (a11y.modal !== 'true' || !a11y.label?.includes(id) || !a11y.focusInside) {
    throw new Error(`${id}'s dialog: ${JSON.stringify(a11y)}`);
  }
  log(`${id}'s form at ${viewport.width}x${viewport.height}: x ${box.x.toFixed(0)} y ${box.y.toFixed(0)} ` +
      `${box.width.toFixed(0)}x${box.height.toFixed(0)}, labelled "${a11y.label}", focus inside`);
  return dialog;
};
const save = async (page) => {
  await page.locator('dialog[open]').getByRole('button', { name: 'Save', exact: true }).click();
  await until(page, 'saved', async () => (await page.locator('dialog[open] .ok').count()) > 0);
};
const close = async (page) => {
  await page.keyboard.press('Escape');
  await until(page, 'the dialog closed', async () => (await page.locator('dialog[open]').count()) === 0);
};

try {
  const laptop = { width: 1280, height: 800 };
  const page = await browser.newPage({ viewport: laptop, acceptDownloads: true });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
  await page.goto(url);
  await until(page, 'the home', async () => (await page.locator('[data-device="battery"]').count()) > 0);
  await until(page, 'ticks', async () => Number(await page.locator('[data-test="tick"]').textContent()) > 2);
  const zones = await page.locator('[data-device]').evaluateAll((els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-device'), e.getAttribute('data-zone')])));
  for (const [id, zone] of Object.entries({ pv_east: 'roof', battery: 'plant', grid: 'grid', oven: 'non_essential',
    geyser: 'non_essential', fridge: 'essential', lights: 'essential' })) {
    if (zones[id] !== zone) throw new Error(`${id} is drawn in ${zones[id]}, not ${zone}`);
  }
  log(`the house: ${JSON.stringify(zones)}`);
  let bad = await clipped(page, LABELS);
  if (bad.length) throw new Error(`clipped labels at 1280x800: ${bad.join('; ')}`);
  await shot(page, 'house', true);
  await assertAccessible(page, 'the house', log);

  // 1. The reference oven's form opens in view: human labels, units, a cooking-times editor.
  await openForm(page, 'oven', laptop);
  const labels = await page.locator('dialog[open] .field .label').allTextContents();
  if (!labels.some((l) => /Element power\s*\[W\]/.test(l)) || labels.some((l) => /_w\b|_per_k/.test(l))) {
    throw new Error(`labels are not for people: ${labels.join(' | ')}`);
  }
  if (await page.locator('dialog[open] textarea').count()) throw new Error('the oven form still has a JSON box');
  bad = await clipped(page, LABELS);
  if (bad.length) throw new Error(`clipped labels in the oven form: ${bad.join('; ')}`);
  await shot(page, 'oven-form-laptop');
  await assertAccessible(page, "the oven's form", log);
  await close(page);

  // 2. A timer edited without JSON: the lights' "On times". No window: off (0 W); one window
  //    00:00-23:59 every day: on at their 150 W from the next ticks.
  const lightsWatts = () => page.locator('[data-power="lights"]').textContent().then(watts);
  await openForm(page, 'lights', laptop);
  if (await page.locator('dialog[open] textarea').count()) throw new Error('the lights form has a JSON box');
  const rows = page.locator('dialog[open] [data-field="on"] .remove-row');
  for (let n = await rows.count(); n > 0; n -= 1) { // one at a time: wait for each row to go
    await rows.first().click();
    await until(page, 'a row removed', async () => (await rows.count()) === n - 1);
  }
  await save(page);
  await close(page);
  await until(page, 'lights off', async () => (await lightsWatts()) === 0, 60000);
  log('lights with no on-times: 0 W');
  await openForm(page, 'lights', laptop);
  await page.getByRole('button', { name: 'add On times', exact: true }).click();
  await page.getByLabel('On times 1 from', { exact: true }).fill('00:00');
  await page.getByLabel('On times 1 to', { exact: true }).fill('23:59');
  await page.getByRole('button', { name: 'On times 1 on Sun', exact: true }).click(); // off on Sundays...
  await page.getByRole('button', { name: 'On times 1 on Sun', exact: true }).click(); // ...and on again
  await shot(page, 'lights-timer-edited');
  await assertAccessible(page, "the lights' timer editor", log);
  await save(page);
  const view = await page.locator('dialog[open] [data-field="on"] input.hhmm').evaluateAll((els) => els.map((e) => e.value));
  if (view.join('-') !== '00:00-23:59') throw new Error(`the form shows ${view} after saving`);
  await close(page);
  const lightsOn = await until(page, 'lights on', async () => {
    const w = await lightsWatts();
    return w !== null && w >= 140 ? w : null;
  }, 60000);
  log(`lights on all day: ${lightsOn} W`);

  // 3. An oven from the palette into the non-essential circuit (the drop sets its circuit).
  const before = await ids(page);
  await dragKindInto(page, 'oven', 'non_essential');
  const oven = await until(page, 'a new oven', async () => (await ids(page)).find((id) => !before.includes(id) && id.startsWith('oven')));
  await until(page, `${oven} present`, async () =>
    (await page.locator(`[data-device="${oven}"]`).getAttribute('data-status')) === 'present', 60000);
  const ovenZone = await page.locator(`[data-device="${oven}"]`).getAttribute('data-zone');
  await openForm(page, oven, laptop);
  const circuit = await page.locator('dialog[open] #prop-circuit').inputValue();
  if (ovenZone !== 'non_essential' || circuit !== 'non_essential') throw new Error(`${oven}: zone ${ovenZone}, circuit ${circuit}`);
  log(`${oven} dropped into the non-essential circuit: circuit ${circuit}`);
  await close(page);

  // 3b. An EV charger from the palette: its charging sessions edited as rows of inputs (no JSON),
  //     saved and read back from the device.
  const beforeEv = await ids(page);
  await dragKindInto(page, 'ev_charger', 'non_essential');
  const car = await until(page, 'a new EV charger', async () =>
    (await ids(page)).find((id) => !beforeEv.includes(id) && id.startsWith('ev_charger')));
  await until(page, `${car} present`, async () =>
    (await page.locator(`[data-device="${car}"]`).getAttribute('data-status')) === 'present', 60000);
  await openForm(page, car, laptop);
  if (await page.locator('dialog[open] textarea').count()) throw new Error(`${car}'s form has a JSON box`);
  bad = await clipped(page, LABELS);
  if (bad.length) throw new Error(`clipped labels in the EV charger's form: ${bad.join('; ')}`);
  await page.getByLabel('Sessions 1 Leaves', { exact: true }).fill('6:45');
  await page.getByLabel('Sessions 1 Leaves', { exact: true }).dispatchEvent('change');
  await page.getByLabel('Sessions 1 Energy wanted', { exact: true }).fill('15');
  await page.getByLabel('Sessions 1 Energy wanted', { exact: true }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Sessions 1 on Sat', exact: true }).click();
  await shot(page, 'ev-charger-sessions');
  await assertAccessible(page, "the EV charger's sessions", log);
  await save(page);
  await close(page);
  await openForm(page, car, laptop);  // as the device has it now
  const leaves = await until(page, `${car}'s saved session`, async () => {
    const v = await page.getByLabel('Sessions 1 Leaves', { exact: true }).inputValue();
    return v === '06:45' ? v : null;
  });
  const energy = await page.getByLabel('Sessions 1 Energy wanted', { exact: true }).inputValue();
  const saturday = await page.getByRole('button', { name: 'Sessions 1 on Sat', exact: true }).getAttribute('aria-pressed');
  if (energy !== '15' || saturday !== 'true') throw new Error(`${car}'s session read back: ${leaves}, ${energy} kWh, Sat ${saturday}`);
  log(`${car}'s session edited without JSON: leaves ${leaves}, ${energy} kWh, on Saturdays too`);
  await close(page);

  // 4. The keyboard: Tab along the palette to the fridge, Enter adds one on its usual circuit.
  await page.locator('[data-kind="pv_array"]').focus();
  let presses = 0;
  while ((await page.evaluate(() => document.activeElement?.getAttribute('data-kind'))) !== 'fridge') {
    await page.keyboard.press('Tab');
    if (++presses > 25) throw new Error('Tab does not reach the fridge in the palette');
  }
  const beforeKey = await ids(page);
  await page.keyboard.press('Enter');
  const fridge = await until(page, 'a fridge added with Enter', async () =>
    (await ids(page)).find((id) => !beforeKey.includes(id) && id.startsWith('fridge')));
  await until(page, `${fridge} drawn`, async () => (await page.locator(`[data-device="${fridge}"]`).getAttribute('data-zone')) === 'essential');
  await until(page, `${fridge} present`, async () =>
    (await page.locator(`[data-device="${fridge}"]`).getAttribute('data-status')) === 'present', 60000);
  log(`Tab x${presses} + Enter added ${fridge} (essential)`);
  await shot(page, 'oven-and-fridge-added', true);

  // 5. Save the home as YAML, change the TV, load the file back: the TV is as saved.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test="save-yaml"]').click()]);
  const saved = join(out, 'home.yaml');
  await download.saveAs(saved);
  const yaml = readFileSync(saved, 'utf8');
  for (const needle of [`id: ${oven}`, 'circuit: non_essential', 'kind: tv', "start: '00:00'"]) {
    if (!yaml.includes(needle)) throw new Error(`the saved YAML lacks ${needle}`);
  }
  if (yaml.trimStart().startsWith('{')) throw new Error('the saved file is JSON, not YAML');
  log(`saved ${saved} (${yaml.split('\n').length} lines of YAML)`);
  await openForm(page, 'tv', laptop);
  const tvSaved = await page.locator('dialog[open] #prop-power_w').inputValue();
  await page.locator('dialog[open] #prop-power_w').fill('321');
  await save(page);
  await close(page);
  await page.locator('[data-test="load-home"]').setInputFiles(saved);
  const status = await until(page, 'the file loaded', async () => {
    const el = page.locator('[data-test="load-status"]');
    return (await el.count()) ? (await el.textContent()).trim() : null;
  }, 60000);
  if (!/0 added, \d+ updated$/.test(status)) {
    const why = await page.locator('[data-test="message"]').textContent().catch(() => '');
    throw new Error(`loading gave: ${status}: ${why}`);
  }
  await openForm(page, 'tv', laptop);
  const tvLoaded = await page.locator('dialog[open] #prop-power_w').inputValue();
  if (Number(tvLoaded) !== Number(tvSaved)) throw new Error(`tv power_w ${tvLoaded} after loading, saved ${tvSaved}`);
  await close(page);
  log(`loaded back: ${status}; tv power_w 321 -> ${tvLoaded} W as saved`);

  // 6. A bad file is refused with the field named.
  await page.locator('[data-test="load-home"]').setInputFiles({
    name: 'bad.yaml', mimeType: 'application/yaml',
    buffer: Buffer.from('devices:\n  - {id: oven, kind: oven, rated_power: 3000}\n'),
  });
  const message = await until(page, 'the bad file refused', async () => {
    const el = page.locator('[data-test="message"]');
    return (await el.count()) ? (await el.textContent()).trim() : null;
  });
  if (!message.includes('bad.yaml: devices[0] (oven).rated_power: not a property of oven')) {
    throw new Error(`bad file message: ${message}`);
  }
  log(`bad file: ${message}`);
  await shot(page, 'loaded-and-bad-file');
  await assertAccessible(page, 'a bad file refused', log);

  // 7. A phone: the form opens in view there too, nothing clipped.
  const phone = { width: 390, height: 844 };
  const small = await browser.newPage({ viewport: phone, isMobile: true, hasTouch: true });
  await small.goto(url);
  await until(small, 'the home on a phone', async () => (await small.locator('[data-device="oven"]').count()) > 0);
  bad = await clipped(small, LABELS);
  if (bad.length) throw new Error(`clipped labels at 390x844: ${bad.join('; ')}`);
  await shot(small, 'house-phone', true);
  await assertAccessible(small, 'the house (phone)', log);
  await small.locator('[data-device="geyser"]').scrollIntoViewIfNeeded();
  await openForm(small, 'geyser', phone);
  bad = await clipped(small, LABELS);
  if (bad.length) throw new Error(`clipped labels in the phone form: ${bad.join('; ')}`);
  await shot(small, 'geyser-form-phone');
  await assertAccessible(small, "the geyser's form (phone)", log);
  await small.locator('dialog[open] [data-field="switch"]').scrollIntoViewIfNeeded();
  await shot(small, 'geyser-switch-phone');
  log('ok');
} catch (e) {
  console.error(`builder failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
