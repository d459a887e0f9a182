// Issue 15, "Fetch older history from the server" (XEP-0313 message archive management): Alice and
// Bob talk (in the clear, policy "Manual": OTR messages could not be read back from an archive),
// then Alice signs in on a new device. Its store starts empty — a first catch-up begins when the
// account was added there (src-main/core/account/archive.ts) — so the conversation shows only
// what came after; the button fetches the rest from the server's archive: every message appears,
// in order, once (what the device already holds is not repeated), Alice's own as sent by her.
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { contactsPair, privacyAction } from './otr-support';
import { contact, message, messages, send, signIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

/** the open conversation's policy: "Manual", so that nothing starts a private conversation by itself */
async function manual(page: Page, peer: string): Promise<void> {
  await privacyAction(page, 'Privacy settings…');
  const dialog = page.getByRole('dialog', { name: `Privacy settings for ${peer}` });
  await dialog.getByRole('combobox', { name: `Policy for ${peer}` }).selectOption({ label: 'Manual: private only when someone starts it' });
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
}

test('a new device fetches the older history from the server: each message once, in order', async ({ stack, launchClient }) => {
  const { a, b, alice, bob } = await contactsPair(stack, launchClient);
  await manual(a.page, bob.jid);
  await manual(b.page, alice.jid);
  const before = ['archived one', 'archived two', 'archived three'];
  for (const text of before) await send(b.page, text);
  await expect(message(a.page, 'archived three')).toBeVisible();
  await send(a.page, 'archived answer from alice');
  await expect(message(b.page, 'archived answer from alice')).toBeVisible();

  // Alice's new device: the same account on a fresh profile
  const a2 = await launchClient('alice-new-device');
  await signIn(a2.page, alice, 'sign-in');
  await contact(a2.page, bob.jid).click();
  await send(b.page, 'live on both devices');
  await expect(message(a2.page, 'live on both devices')).toBeVisible();
  await expect(message(a2.page, 'archived one')).toHaveCount(0);

  const log = a2.page.getByRole('log', { name: 'Messages' });
  const fetch = log.getByRole('button', { name: 'Fetch older history from the server' });
  await fetch.click();
  await expect(message(a2.page, 'archived one')).toBeVisible();
  // in order, each once: the archive's copy of the live message is not added again
  const want = [...before, 'archived answer from alice', 'live on both devices'];
  await expect(messages(a2.page).locator('p.body')).toHaveText(want);
  // Alice's own message is hers (outgoing), Bob's are his
  await expect(message(a2.page, 'archived answer from alice')).toHaveClass(/\bout\b/);
  await expect(message(a2.page, 'archived one')).toHaveClass(/\bin\b/);
  // the archive holds nothing older: the button goes
  await expect(fetch).toHaveCount(0);

  // kept on the device: after a restart the fetched history is still there, once
  await a2.restart();
  await contact(a2.page, bob.jid).click();
  await expect(messages(a2.page).locator('p.body')).toHaveText(want);
});
