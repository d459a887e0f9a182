// Issue 15, accessibility: @axe-core/playwright (WCAG 2.0/2.1 A and AA, 2.2 AA, best practices) on
// every main state of the window — sign-in, the contacts list, a plain conversation, a private
// conversation, a dialog open — in the light AND the dark theme (prefers-color-scheme): no serious
// or critical violation. With MESSENGER_SCREENSHOTS=DIR each state is also saved as a PNG there
// (800x600 and 1920x1080, both themes), to be looked at as a person would.
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { axeFindings } from './axe-states';
import { contactsPair, goPrivate } from './otr-support';
import { send, message } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
  test.skip(testInfo.project.name !== 'web', 'the themes and axe run the same in both projects; the web project checks them');
});

const SHOTS = process.env.MESSENGER_SCREENSHOTS;

async function check(page: Page, state: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await axeFindings(page), `${state}, ${colorScheme}`).toBe('');
    if (SHOTS) {
      for (const [w, h] of [
        [800, 600],
        [1920, 1080],
      ] as const) {
        const was = page.viewportSize();
        await page.setViewportSize({ width: w, height: h });
        await page.screenshot({ path: `${SHOTS}/${state}-${colorScheme}-${w}x${h}.png` });
        if (was) await page.setViewportSize(was);
      }
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

test('every main state has no serious or critical axe violation, light and dark', async ({ stack, launchClient }) => {
  // five states, two themes, axe on each (and screenshots when asked): longer than one conversation test
  test.setTimeout(600_000);
  const early = await launchClient('early');
  // the page loads without a console error (e.g. a CSP directive a meta element cannot carry)
  const consoleErrors: string[] = [];
  early.page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await early.page.reload();
  await expect(early.page.getByRole('form', { name: 'Sign in to Messenger' })).toBeVisible();
  expect(consoleErrors.filter((t) => /Content Security Policy|frame-ancestors/i.test(t))).toEqual([]);
  await check(early.page, 'sign-in');

  const pair = await contactsPair(stack, launchClient);
  const { a, b, bob } = pair;
  // before anything is sent: not private yet (a message would start it under the default policy)
  await expect(a.page.getByRole('status', { name: 'Encryption: Not private' })).toBeVisible();
  await check(a.page, 'conversation-plain');

  await goPrivate(pair);
  await send(b.page, 'Hello Alice, this is private.');
  await expect(message(a.page, 'Hello Alice, this is private.')).toContainText('Encrypted');
  await send(a.page, 'Now privately.');
  await expect(message(b.page, 'Now privately.')).toContainText('Encrypted');
  await check(b.page, 'conversation-private');

  await a.page.getByRole('button', { name: 'Privacy' }).click();
  await a.page.getByRole('menuitem', { name: 'Privacy settings…' }).click();
  await expect(a.page.getByRole('dialog', { name: `Privacy settings for ${bob.jid}` })).toBeVisible();
  await check(a.page, 'dialog-privacy-settings');
  await a.page.keyboard.press('Escape');

  // the contacts list with no conversation open: a fresh window of Alice's profile
  await a.page.reload();
  await expect(a.page.getByRole('navigation', { name: 'Contacts' })).toContainText(bob.jid);
  await check(a.page, 'contacts');
});
