// What every end-to-end script shares: its environment (UI_URL, OUT_DIR, CHROME_BIN), Debian's
// headless Chromium launched the same way, a log prefixed with the script's name, and reading a
// power figure ("3.20 kW", "90 W") back as watts, dragging a kind from the palette into a room,
// and waiting for a condition (never a fixed time).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/**
 * Start a script: check UI_URL (exit 2 without it), make OUT_DIR, launch Chromium.
 * @param {string} name the script's name, for the log and the default output folder
 * @returns {Promise<{url: string, out: string, browser: import('playwright-core').Browser, log: (m: string) => void}>}
 */
export async function start(name) {
  const url = process.env.UI_URL;
  const out = process.env.OUT_DIR ?? `e2e-${name}-artifacts`;
  if (!url) {
    console.error('UI_URL is not set');
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_BIN ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { url, out, browser, log: (m) => console.log(`${name}: ${m}`) };
}

/** A power figure as the UI writes it ("3.20 kW", "90 W", "-150 W") in watts; null if none. */
export function watts(text) {
  const m = /(-?[\d.]+)\s*(kW|W)/.exec(text ?? '');
  return m ? Number(m[1]) * (m[2] === 'kW' ? 1000 : 1) : null;
}

/**
 * Drag a kind from the builder's palette into a room of the house, as a mouse does (the drop
 * zone's top part, inside the viewport).
 * @param {import('playwright-core').Page} page
 * @param {string} kind e.g. 'oven'
 * @param {string} zone 'essential' or 'non_essential'
 */
export async function dragKindInto(page, kind, zone) {
  // the palette at the top of the view, the room's top part below it
  await page.evaluate(() => window.scrollTo(0, document.querySelector('.palette').getBoundingClientRect().top + window.scrollY - 8));
  const source = await page.locator(`[data-kind="${kind}"]`).boundingBox();
  const target = await page.locator(`[data-zone="${zone}"].zone`).boundingBox();
  const dropY = Math.min(target.y + 40, page.viewportSize().height - 10);
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(source.x + 20, source.y + 20, { steps: 10 });
  await page.mouse.move(target.x + target.width / 2, dropY, { steps: 20 });
  await page.mouse.up();
}

/**
 * Poll ``fn`` until it returns something truthy (returned), every ``everyMs``; past ``timeoutMs``
 * call ``onTimeout(name)`` (screenshots named after what was awaited) and throw.
 * @param {string} what what is awaited, for the error and the screenshots' name
 * @param {() => Promise<any>} fn
 * @param {{timeoutMs?: number, everyMs?: number, onTimeout?: (name: string) => Promise<void>}} options
 */
export async function waitFor(what, fn, { timeoutMs = 30000, everyMs = 100, onTimeout = async () => {} } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) {
      await onTimeout(`failed-${what.replace(/\W+/g, '-')}`);
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Numbered screenshots into `out` (01-name.png, 02-...), each one logged.
 * @param {string} out the output folder
 * @param {(m: string) => void} log the script's log
 * @returns {(target: {screenshot: Function}, name: string, options?: object) => Promise<void>} a page or an
 *   element, the name, and Playwright's screenshot options (e.g. {fullPage: true})
 */
export function numberedShots(out, log) {
  let step = 0;
  return async (target, name, options = {}) => {
    step += 1;
    const path = join(out, `${String(step).padStart(2, '0')}-${name}.png`);
    await target.screenshot({ path, ...options });
    log(`screenshot ${path}`);
  };
}

/**
 * The first matching element's text, spaces collapsed, or null when none matches: all texts read at
 * once, without waiting (an element counted and gone before its text is read, such as the progress
 * line when a job ends, would otherwise wait 30 s for it).
 */
export async function firstText(locator) {
  const texts = await locator.allTextContents();
  return texts.length ? texts[0].replace(/\s+/g, ' ').trim() : null;
}
