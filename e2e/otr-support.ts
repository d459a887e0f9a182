// How a user drives private conversations (OTR) in the messenger: by role and label only, as in
// e2e/support/ui.ts. Used by e2e/otr.spec.ts and e2e/offline-otr.spec.ts.
import { expect, type Locator, type Page } from '@playwright/test';
import type { Stack } from '../scripts/stack/stack';
import type { PrekeyServer } from './fixtures';
import type { Client } from './support/clients';
import { becomeContacts, contact, type Credentials } from './support/ui';
import { signedInUsers } from './support/users';

export type OtrStateWords = 'Not private' | 'Private (unverified)' | 'Private (verified)' | 'Private conversation ended';

export const badge = (page: Page): Locator => page.getByRole('status', { name: /^Encryption: / });

export async function expectState(page: Page, words: OtrStateWords): Promise<void> {
  await expect(badge(page)).toHaveAccessibleName(`Encryption: ${words}`, { timeout: 60_000 });
}

/** runs an item of the conversation's one privacy control, the "Privacy" menu in its header */
export async function privacyAction(page: Page, item: string): Promise<void> {
  await page.getByRole('button', { name: 'Privacy' }).click();
  await page.getByRole('menu', { name: 'Privacy' }).getByRole('menuitem', { name: item }).click();
}

export const verifyDialog = (page: Page, peer: string): Locator => page.getByRole('dialog', { name: `Verify ${peer}` });

/** Asks `peer` a question (SMP with question and answer) from the open conversation. */
export async function askQuestion(page: Page, peer: string, question: string, answer: string): Promise<void> {
  await privacyAction(page, 'Verify contact');
  const d = verifyDialog(page, peer);
  await d.getByRole('radio', { name: 'Ask a question only they can answer' }).check();
  await d.getByRole('textbox', { name: 'Question', exact: true }).fill(question);
  await d.getByRole('textbox', { name: 'Answer', exact: true }).fill(answer);
  await d.getByRole('button', { name: 'Ask' }).click();
}

/** Answers the question `asker` asked (the dialog opens by itself). */
export async function answerQuestion(page: Page, asker: string, question: string, answer: string): Promise<void> {
  const d = verifyDialog(page, asker);
  await expect(d).toBeVisible({ timeout: 60_000 });
  await expect(d.getByTestId('smp-question')).toHaveText(question, { timeout: 60_000 });
  await d.getByRole('textbox', { name: 'Your answer' }).fill(answer);
  await d.getByRole('button', { name: 'Answer' }).click();
}

export interface Pair {
  alice: Credentials;
  bob: Credentials;
  a: Client;
  b: Client;
}

/** Two users on their own clients, signed in, contacts of each other, each with the other's conversation open. */
export async function contactsPair(stack: Stack, launchClient: (name: string) => Promise<Client>): Promise<Pair> {
  const [{ who: alice, client: a }, { who: bob, client: b }] = await signedInUsers(stack, launchClient, 'alice', 'bob');
  await becomeContacts(a.page, alice.jid, b.page, bob.jid);
  await contact(a.page, bob.jid).click();
  await contact(b.page, alice.jid).click();
  return { alice, bob, a, b };
}

/** Alice starts a private conversation with Bob; both see it private. */
export async function goPrivate({ a, b }: Pair): Promise<void> {
  await expectState(a.page, 'Not private');
  await privacyAction(a.page, 'Start private conversation');
  await expectState(a.page, 'Private (unverified)');
  await expectState(b.page, 'Private (unverified)');
}

// ---- offline contacts (issue 5: OTRv4 non-interactive start from prekey ensembles) ------------

/** the chooser of an offline contact's devices */
export const offlineDialog = (page: Page, peer: string): Locator => page.getByRole('dialog', { name: `Send privately to ${peer}'s devices` });

/** the devices listed in the chooser, one listitem each ("Device 1", …) */
export const offlineDevices = (page: Page, peer: string): Locator => offlineDialog(page, peer).getByRole('listitem');

/** a notice of the open conversation, by kind (data-notice) */
export const notice = (page: Page, kind: string): Locator => page.locator(`[data-notice="${kind}"]`);

/** the user's own OTRv4 fingerprint (lowercase hex) as the privacy settings show it */
export async function ownV4Fingerprint(page: Page): Promise<string> {
  // the privacy settings are a dialog of the conversation's Privacy menu
  await privacyAction(page, 'Privacy settings…');
  const fp = await page.getByRole('dialog').getByLabel('Your OTRv4 fingerprint').getAttribute('data-fingerprint');
  expect(fp, 'own OTRv4 fingerprint shown').toMatch(/^[0-9a-f]{112}$/);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  return fp!;
}

/**
 * Waits until `jid`'s device has published to the prekey server what an offline start needs: its
 * client profile, its prekey profile and prekey messages (each a 'published' event of the
 * server; they may come in one publication or several).
 */
export async function waitPublished(server: PrekeyServer, jid: string): Promise<void> {
  const mine = (e: Record<string, unknown>) => e.type === 'published' && e.identity === jid.toLowerCase();
  await server.waitEvent((e) => mine(e) && e.clientProfile === true, 90_000);
  await server.waitEvent((e) => mine(e) && e.prekeyProfile === true, 90_000);
  await server.waitEvent((e) => mine(e) && Number(e.prekeyMessages) > 0, 90_000);
}
