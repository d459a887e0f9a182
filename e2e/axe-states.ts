// axe-core on one state of the window, light and dark (as e2e/a11y.spec.ts does for the main
// states): no serious or critical violation. Used by the specs of issue 15's verification, devices
// and certificate screens for the states they open. With MESSENGER_SCREENSHOTS=DIR each state is
// also saved there (800x600, both themes), as e2e/a11y.spec.ts does.
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
