// Wake-ups, the approval prompts (issue 14 "The handshake, only after both users say yes"): two
// users, each with a push account on a real push server of the two-domain stack (federated pair),
// a real private conversation, then the prompts: both say yes → each list says they can wake
// each other; one says no → nothing stored, the asker's list says no wake-up is possible; Bob
// puts his account to sleep, Alice writes → Alice's conversation says Bob's devices were woken,
// Bob's messenger signs in by itself and shows the message, and both see the key renewed; Alice
// revokes → both lists say so, and Bob's "Go offline" then pauses his wake-ups. Web
// project only: the clients are launched on the two-domain stack, not the worker's stack.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startTwoDomains, type TwoDomainStack } from '../scripts/stack/two-domains';
import type { Stack } from '../scripts/stack/stack';
import { test, expect } from './fixtures';
import { contactsPair, goPrivate, notice, type Pair } from './otr-support';
import { launchWebClient, type Client } from './support/clients';
import { account, accountConnection, contact, message, openAccount, send } from './support/ui';
import { turnOnNotifications } from './support/notifications';
import { screen } from './axe-states';

let two: TwoDomainStack;
const clients: Client[] = [];

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'launches web clients on the two-domain stack');
});
test.beforeAll(async ({}, testInfo) => {
  if (testInfo.project.name !== 'web') return;
  two = await startTwoDomains({ push: true });
});
test.afterAll(async () => {
  for (const c of clients) await c.close();
  await two?.stop();
});

const wakeUps = (page: Page, jid: string) => account(page, jid).locator('details.push-settings');

/** turns wake-ups on for the account with a new push account on `endpoint` */
async function turnOn(page: Page, jid: string, endpoint: string, pushName: string): Promise<void> {
  // the account's panel ("Account" in the sidebar) holds the wake-ups; it stays open for the test
  await openAccount(page, jid);
  const section = wakeUps(page, jid);
  await section.locator('summary').click();
  await section.getByLabel('Push server address').fill(endpoint);
  await section.getByLabel('Push name').fill(pushName);
  await section.getByLabel('Push password').fill('push-pw-e2e');
  await section.getByLabel('Create the push account if it does not exist').check();
  await section.getByRole('button', { name: 'Turn wake-ups on' }).click();
  await expect(section.getByRole('status')).toContainText('Ready: contacts you approved can wake this computer');
}

/** the prompt about `peer` (the conversation's and the settings' show the same one) */
const prompt = (page: Page, peer: string) => page.getByRole('dialog', { name: `Wake-ups with ${peer}` }).first();

async function pairWithWakeUps(browser: Parameters<typeof launchWebClient>[0]): Promise<Pair> {
  const launch = async (name: string) => {
    const c = await launchWebClient(browser, { name, profileDir: mkdtempSync(join(tmpdir(), `e2e-profile-${name}-`)), caFile: two.caCertPath });
    clients.push(c);
    return c;
  };
  // both on domain a's Prosody; Alice's push account on push.a, Bob's on push.b
  const pair = await contactsPair(two.a as unknown as Stack, launch);
  const run = pair.alice.jid.split('@')[0]!.split('-').at(-1)!;
  await turnOn(pair.a.page, pair.alice.jid, two.a.push!.endpoint, `alice-${run}`);
  await turnOn(pair.b.page, pair.bob.jid, two.b.push!.endpoint, `bob-${run}`);
  await goPrivate(pair);
  return pair;
}

/** Alice says yes, then Bob (from the prompt that says Alice already did) */
async function bothSayYes(p: Pair): Promise<void> {
  await expect(prompt(p.a.page, p.bob.jid)).toContainText(`Let ${p.bob.jid} wake this computer when you are offline?`);
  // the approval prompt as a person sees it (issue 15 screenshots; axe in both themes)
  await screen(p.a.page, 'wake-up-prompt', async () => {
    await expect(prompt(p.a.page, p.bob.jid).getByRole('button', { name: 'Yes', exact: true })).toBeInViewport();
  });
  await expect(prompt(p.b.page, p.alice.jid)).toHaveAttribute('data-reason', 'ask');
  await prompt(p.a.page, p.bob.jid).getByRole('button', { name: 'Yes', exact: true }).click();
  await expect(prompt(p.b.page, p.alice.jid)).toHaveAttribute('data-reason', 'their-offer');
  await expect(prompt(p.b.page, p.alice.jid)).toContainText(`${p.alice.jid} already said yes`);
  await prompt(p.b.page, p.alice.jid).getByRole('button', { name: 'Yes, and send mine back' }).click();
}

test('both say yes: each is asked once, and both can then wake each other', async ({ browser }) => {
  const p = await pairWithWakeUps(browser);
  await bothSayYes(p);

  for (const [page, me, peer] of [
    [p.a.page, p.alice.jid, p.bob.jid],
    [p.b.page, p.bob.jid, p.alice.jid],
  ] as const) {
    const entry = wakeUps(page, me).getByRole('list', { name: 'Wake-ups' }).getByRole('listitem').filter({ hasText: peer });
    await expect(entry).toContainText('You can wake each other');
    await expect(entry.getByRole('button', { name: 'Revoke' })).toBeVisible();
    await expect(prompt(page, peer)).toHaveCount(0);
  }
});

test('one says no: nothing is stored, and the asker only sees that no wake-up is possible; "Ask again" then answers', async ({ browser }) => {
  const p = await pairWithWakeUps(browser);
  await prompt(p.a.page, p.bob.jid).getByRole('button', { name: 'Yes', exact: true }).click();
  await expect(prompt(p.b.page, p.alice.jid)).toHaveAttribute('data-reason', 'their-offer');
  await prompt(p.b.page, p.alice.jid).getByRole('button', { name: 'No', exact: true }).click();

  const bobsEntry = wakeUps(p.b.page, p.bob.jid).getByRole('listitem').filter({ hasText: p.alice.jid });
  await expect(bobsEntry).toContainText('No wake-ups (you said no)');
  await expect(bobsEntry.getByRole('button', { name: 'Ask again' })).toBeVisible();
  const alicesEntry = wakeUps(p.a.page, p.alice.jid).getByRole('listitem').filter({ hasText: p.bob.jid });
  await expect(alicesEntry).toContainText('No wake-up possible yet: waiting for their answer');
  await expect(alicesEntry.getByRole('button', { name: 'Revoke' })).toHaveCount(0);

  // Bob changes his mind: "Ask again" sends his offer; Alice said yes before, so hers comes back by itself
  await bobsEntry.getByRole('button', { name: 'Ask again' }).click();
  await expect(bobsEntry).toContainText('You can wake each other');
  await expect(alicesEntry).toContainText('You can wake each other');
});

test("Bob puts his account to sleep; Alice writes: Bob's devices are woken, his messenger signs in and shows the message, the key is renewed", async ({
  browser,
}) => {
  const p = await pairWithWakeUps(browser);
  await bothSayYes(p);
  await expect(wakeUps(p.a.page, p.alice.jid).getByRole('listitem').filter({ hasText: p.bob.jid })).toContainText('You can wake each other');

  // Bob's desktop notifications on (granted, and recorded: the real API still shows them)
  const shown = await turnOnNotifications(p.b.page);

  await account(p.b.page, p.bob.jid).getByRole('button', { name: 'Put to sleep' }).click();
  await expect(accountConnection(p.b.page, p.bob.jid)).toHaveText(/Asleep: offline, but contacts you approved can wake it/);
  await expect(account(p.b.page, p.bob.jid).getByRole('button', { name: 'Put to sleep' })).toHaveCount(0);
  await expect(contact(p.a.page, p.bob.jid)).toContainText('Offline');

  await send(p.a.page, 'wake up, bob');
  await expect(notice(p.a.page, 'wake-sent')).toContainText(`Woke ${p.bob.jid}'s devices`);
  await expect(notice(p.b.page, 'woken-by')).toContainText(`${p.alice.jid} woke this computer`);
  await expect(accountConnection(p.b.page, p.bob.jid)).toHaveText(/Online/);
  await expect(message(p.b.page, 'wake up, bob')).toBeVisible();
  // "woken by alice" as a desktop notification too
  await expect.poll(async () => (await shown()).map((n) => n.title)).toContain(`Woken by ${p.alice.jid}`);
  for (const [page, me] of [
    [p.a.page, p.alice.jid],
    [p.b.page, p.bob.jid],
  ] as const) {
    await expect(wakeUps(page, me).getByRole('list', { name: 'Wake-up notices' })).toContainText('The wake-up key with this contact was renewed.');
  }
});

test('Alice revokes: both lists say so; Bob\'s "Go offline" pauses his wake-ups', async ({ browser }) => {
  const p = await pairWithWakeUps(browser);
  await bothSayYes(p);
  const alicesEntry = wakeUps(p.a.page, p.alice.jid).getByRole('listitem').filter({ hasText: p.bob.jid });
  const bobsEntry = wakeUps(p.b.page, p.bob.jid).getByRole('listitem').filter({ hasText: p.alice.jid });
  await expect(bobsEntry).toContainText('You can wake each other');

  await alicesEntry.getByRole('button', { name: 'Revoke' }).click();
  await expect(alicesEntry).toContainText('No wake-ups (revoked)');
  await expect(alicesEntry.getByRole('button', { name: 'Ask again' })).toBeVisible();
  await expect(bobsEntry).toContainText('No wake-ups (revoked)');
  await expect(bobsEntry.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(wakeUps(p.b.page, p.bob.jid).getByRole('list', { name: 'Wake-up notices' })).toContainText(
    'This contact revoked wake-ups: no wake-up is possible.',
  );

  // plain "Go offline" is unreachable: the desktop channel closes too (docs/push-in-the-app.md)
  await account(p.b.page, p.bob.jid).getByRole('button', { name: 'Go offline' }).click();
  await expect(accountConnection(p.b.page, p.bob.jid)).toHaveText(/Offline/);
  await expect(wakeUps(p.b.page, p.bob.jid).getByRole('status')).toContainText('Paused while the account is offline');
});
