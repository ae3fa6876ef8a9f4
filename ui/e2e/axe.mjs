// Accessibility checks with axe-core (Deque's rules engine, the one Lighthouse uses) in the page
// under test: every page state the end-to-end scripts reach is checked, and a serious or critical
// violation fails the script with the rule, what it means and the elements it found.
import { createRequire } from 'node:module';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** Impacts that fail a run (axe's scale: minor, moderate, serious, critical). */
export const FAILING = ['serious', 'critical'];

/**
 * Run axe-core on the page as it is now.
 * @param {import('playwright-core').Page} page
 * @param {string} state what the page shows (named in the error)
 * @returns {Promise<{checked: number, failing: string[]}>} rules run, and one line per failing violation
 */
export async function axe(page, state) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const failing = result.violations
    .filter((v) => FAILING.includes(v.impact))
    .map((v) => `${state}: ${v.id} (${v.impact}): ${v.help}: ` +
      v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.split('\n').slice(1).join(' ').trim()}]` : ''}`).join('; '));
  return { checked: result.passes.length + result.violations.length + result.incomplete.length, failing };
}

/** Run axe and throw if anything serious or critical is found; log how many rules passed. */
export async function assertAccessible(page, state, log) {
  const { checked, failing } = await axe(page, state);
  if (failing.length) throw new Error(`accessibility:\n${failing.join('\n')}`);
  log(`axe ${state}: no serious or critical violation (${checked} rules applied)`);
}
