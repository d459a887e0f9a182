// Issue 15, the window as a person sees it: two users on the local stack, a private conversation
// with messages and notices, then each main screen — sign-in, the conversation list with the conversation,
// the privacy settings, the devices page, search (Ctrl+K), the verify dialog — at 800x600 and
// 1920x1080, light and dark, saved as PNGs under test-results/screens/ (not committed) to be
// looked at. What matters is asserted on each: axe (WCAG 2.x A/AA, best practices) finds nothing,
// in both themes; at 800x600 the composer and the last message are in the viewport, and the
// sidebar, once shown, keeps the conversation list dominant (every contact row visible without
// scrolling, and the account's own controls folded into one compact header).
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { screen } from './axe-states';
import { contactsPair, goPrivate, privacyAction, verifyDialog } from './otr-support';
import { addContact, contact, message, openAccount, send } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
  test.skip(testInfo.project.name !== 'web', 'the look is the same in both projects; the web project takes the pictures');
});

const composer = (page: Page) => page.getByRole('form', { name: 'Write a message' }).getByRole('textbox', { name: 'Message' });

test('the main screens at 800x600 and 1920x1080, light and dark: readable, nothing out of reach', async ({ stack, launchClient }) => {
  test.setTimeout(600_000);
  // the first screen anyone sees: the sign-in form, its buttons in view, with the server settings open
  const first = (await launchClient('first')).page;
  await first.getByText('Server settings (optional)').click();
  await screen(first, 'sign-in', async () => {
    await expect(first.getByRole('button', { name: 'Create account' })).toBeInViewport();
  });
  const pair = await contactsPair(stack, launchClient);
  const { a, b, bob } = pair;
  const page = a.page;
  // a list of several conversations, as a person has
  const others = ['carol', 'dave', 'erin', 'frank', 'grace'].map((n) => `${n}-${bob.jid.split('@')[0]!.split('-').at(-1)}@${stack.domain}`);
  for (const jid of others) await addContact(page, jid);
  await contact(page, bob.jid).click();
  // a private conversation with notices (started, and a message both ways)
  await goPrivate(pair);
  for (let i = 1; i <= 14; i++) await send(b.page, i === 14 ? 'The last one: see you at the station at six.' : `Message number ${i} from Bob`);
  await send(a.page, 'Fine, I will be there.');
  await expect(message(a.page, 'The last one')).toContainText('Encrypted');
  await expect(message(b.page, 'Fine, I will be there.')).toContainText('Encrypted');
  const last = message(page, 'Fine, I will be there.');

  await screen(page, 'conversation', async (w) => {
    await expect(composer(page)).toBeInViewport();
    await expect(last).toBeInViewport();
    if (w >= 900) {
      // the sidebar shows every contact row without scrolling: the list is the dominant element
      const rows = page.getByRole('navigation', { name: 'Contacts' }).getByRole('button');
      await expect(rows).toHaveCount(others.length + 1);
      for (const r of await rows.all()) await expect(r).toBeInViewport();
    }
  });

  // 800x600 with the sidebar shown: the list still shows its rows, the conversation stays usable
  await page.setViewportSize({ width: 800, height: 600 });
  const show = page.getByRole('button', { name: 'Show contacts' });
  if (await show.isVisible()) await show.click();
  await screen(page, 'sidebar', async (w) => {
    if (w !== 800) return;
    const rows = page.getByRole('navigation', { name: 'Contacts' }).getByRole('button');
    for (const r of (await rows.all()).slice(0, 5)) await expect(r).toBeInViewport();
    await expect(composer(page)).toBeInViewport();
  });

  // the account's own controls, opened: all of them reachable without scrolling the window
  const panel = await openAccount(page);
  await screen(page, 'account-panel', async () => {
    await expect(panel.getByRole('button', { name: 'Remove account' })).toBeInViewport();
    await expect(panel.getByRole('combobox', { name: 'Your status' })).toBeInViewport();
  });
  await page.getByRole('button', { name: 'Account', exact: true }).click();
  await expect(panel).toBeHidden();

  await privacyAction(page, 'Privacy settings…');
  const settings = page.getByRole('dialog', { name: `Privacy settings for ${bob.jid}` });
  await expect(settings).toBeVisible();
  await screen(page, 'privacy-settings', async () => {
    await expect(settings.getByRole('heading').first()).toBeInViewport();
  });
  await page.keyboard.press('Escape');

  await privacyAction(page, 'Devices…');
  const devices = page.getByRole('dialog', { name: `Devices of ${bob.jid}` });
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  await screen(page, 'devices');
  await page.keyboard.press('Escape');

  await privacyAction(page, 'Verify contact');
  const verify = verifyDialog(page, bob.jid);
  await expect(verify).toBeVisible();
  await screen(page, 'verify');
  await page.keyboard.press('Escape');
  await expect(verify).toHaveCount(0);

  await page.keyboard.press('Control+K');
  const search = page.getByRole('dialog', { name: 'Search messages' });
  await page.keyboard.type('station');
  await expect(search.getByRole('status')).toHaveText('1 message found.');
  await screen(page, 'search');
  await page.keyboard.press('Escape');
});
