// axe-core on one state of the window, light and dark (as e2e/a11y.spec.ts does for the main
// states): no serious or critical violation. Used by the specs of issue 15's verification, devices
// and certificate screens for the states they open.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export async function expectNoSeriousAxeViolations(page: Page, state: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const said = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`).join('\n');
    expect(said, `${state}, ${colorScheme}`).toBe('');
  }
  await page.emulateMedia({ colorScheme: null });
}
