// axe-core on one state of the window, light and dark (as e2e/a11y.spec.ts does for the main
// states): no serious or critical violation. Used by the specs of issue 15's verification, devices
// and certificate screens for the states they open. With MESSENGER_SCREENSHOTS=DIR each state is
// also saved there (800x600, both themes), as e2e/a11y.spec.ts does.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './support/clients';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * axe's violations on the page as it is now, one paragraph each (rule, impact, help, the elements),
 * '' when there are none: of every impact when `all`, else only the serious and critical ones.
 */
export async function axeFindings(page: Page, { all = false }: { all?: boolean } = {}): Promise<string> {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const bad = all ? result.violations : result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  return bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`).join('\n');
}

export async function expectNoSeriousAxeViolations(page: Page, state: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await axeFindings(page), `${state}, ${colorScheme}`).toBe('');
    const dir = process.env.MESSENGER_SCREENSHOTS;
    if (dir) {
      const was = page.viewportSize();
      await page.setViewportSize({ width: 800, height: 600 });
      await page.screenshot({ path: `${dir}/${state.replace(/[^a-z0-9]+/gi, '-')}-${colorScheme}-800x600.png` });
      if (was) await page.setViewportSize(was);
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

const SHOTS = join(repoRoot, 'test-results', 'screens');
const SIZES = [
  [800, 600],
  [1920, 1080],
] as const;

/**
 * One screen as a person sees it (e2e/screens.spec.ts): at 800x600 and 1920x1080, light and dark,
 * `check` run at each size (what must be in view), a PNG of each under test-results/screens/ (not
 * committed), and axe with zero violations of any impact in both themes. The viewport and the
 * colour scheme are given back as they were.
 */
export async function screen(page: Page, name: string, check?: (width: number) => Promise<void>): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const was = page.viewportSize();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      if (check) await check(width);
      await page.screenshot({ path: join(SHOTS, `${name}-${colorScheme}-${width}x${height}.png`) });
    }
    expect(await axeFindings(page, { all: true }), `${name}, ${colorScheme}`).toBe('');
  }
  await page.emulateMedia({ colorScheme: null });
  if (was) await page.setViewportSize(was);
}
