// Issue 5: a private message to a contact who is offline. The contact's messenger publishes its
// device's prekey ensemble to the prekey server of its XMPP server at sign-in (the real OTRv4
// prekey server, src-server/prekey, attached to the stack's Prosody); later, with the contact's
// messenger closed, the user writes privately, the message waits, and the user picks the
// contact's device in the chooser: the messenger fetches the ensemble and starts the private
// conversation without an answer (OTRv4 §"Non-interactive Deniable Authenticated Key Exchange
// (DAKE)"), sending the waiting message inside it. The contact opens the messenger again, reads
// it encrypted, is told the conversation was started while they were offline, and answers.
// The chooser also says in plain words when a contact has no device to send to.
import { randomBytes } from 'node:crypto';
import type { Stack } from '../scripts/stack/stack';
import { test, expect, skipWithoutElectron, type PrekeyServer } from './fixtures';
import type { Client } from './support/clients';
import { contactsPair, expectState, notice, offlineDevices, offlineDialog, ownV4Fingerprint, waitPublished, privacyAction } from './otr-support';
import { addContact, connection, contact, message, openAccount, send, signIn } from './support/ui';
import { signedInUsers } from './support/users';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a private message to an offline contact goes to the device they published, and they read it when back', async ({ stack, launchClient, prekeyServer }) => {
  // the prekey server runs before anyone signs in (the fixture starts it): Bob's device publishes
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  const bobKey = await ownV4Fingerprint(b.page);
  await waitPublished(prekeyServer, bob.jid);

  // Bob quits his messenger: he is offline, nothing of his runs
  await b.stop();
  await expect(contact(a.page, bob.jid)).toContainText('Offline');

  // Alice wants privacy: her message waits, it is not sent in clear
  await expectState(a.page, 'Not private');
  await privacyAction(a.page, 'Start private conversation');
  const text = 'written privately while bob is away';
  await send(a.page, text);
  await expect(a.page.getByTestId('otr-queued')).toContainText('One message waits');
  await expect(message(a.page, text)).toContainText('Waiting for a private conversation');

  // the chooser: Bob's one device, his real key (new to Alice), and the deniability trade-off
  await a.page.getByRole('button', { name: 'Send privately to their devices' }).click();
  const dialog = offlineDialog(a.page, bob.jid);
  await expect(dialog).toBeVisible();
  await expect(offlineDevices(a.page, bob.jid)).toHaveCount(1, { timeout: 60_000 });
  await expect(dialog.getByTestId('offline-deniability')).toContainText('does not give you online deniability');
  const device = offlineDevices(a.page, bob.jid).first();
  await expect(device).toHaveAccessibleName('Device 1');
  await expect(device).toContainText('New key');
  await expect(device.getByLabel('Fingerprint of device 1')).toHaveAttribute('data-fingerprint', bobKey);
  // one ensemble was handed out to Alice by the real server
  await prekeyServer.waitEvent((e) => e.type === 'retrieval' && e.identity === bob.jid && e.requester === alice.jid && e.ensembles === 1);

  await device.getByRole('button', { name: 'Send to this device' }).click();
  await expect(dialog).toHaveCount(0, { timeout: 60_000 });
  await expect(a.page.getByTestId('otr-queued')).toHaveCount(0);
  await expect(message(a.page, text)).toContainText('Encrypted');
  await expectState(a.page, 'Private (unverified)');
  await expect(a.page.getByTestId('otr-offline-devices')).toContainText(`Sent privately to one device of ${bob.jid} while they are offline`);
  await expect(notice(a.page, 'offline-sent')).toBeVisible();

  // Bob comes back: the message is there, encrypted, and he is told how the conversation started
  await b.start();
  await expect(connection(b.page)).toHaveText(/Online/, { timeout: 60_000 });
  await contact(b.page, alice.jid).click();
  await expect(message(b.page, text)).toContainText('Encrypted', { timeout: 60_000 });
  await expect(message(b.page, text)).toHaveCount(1);
  await expect(notice(b.page, 'offline-start')).toBeVisible();
  await expectState(b.page, 'Private (unverified)');

  // his answer comes back inside the same private conversation; Alice's device choice is over
  const reply = 'back now, and private';
  await send(b.page, reply);
  await expect(message(a.page, reply)).toContainText('Encrypted', { timeout: 60_000 });
  await expect(message(b.page, reply)).toContainText('Encrypted');
  await expect(a.page.getByTestId('otr-offline-devices')).toHaveCount(0);
  await expectState(a.page, 'Private (unverified)');
  await expect(message(a.page, text)).toContainText('Delivered');
});

test('the chooser says in plain words that a contact who never published has no device to send to', async ({ stack, launchClient, prekeyServer }) => {
  const run = randomBytes(4).toString('hex');
  const alice = { jid: `alice-${run}@${stack.domain}`, password: `pw-a-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  // Carol's account exists, but her messenger never signed in: nothing of hers is on the prekey server
  const carol = `carol-${run}@${stack.domain}`;
  await stack.createAccount(`alice-${run}`, alice.password);
  await stack.createAccount(`carol-${run}`, `pw-c-${randomBytes(8).toString('hex')}`);
  const a = await launchClient('alice');
  await signIn(a.page, alice, 'sign-in');
  await addContact(a.page, carol);
  await expect(contact(a.page, carol)).toContainText('Offline');
  await contact(a.page, carol).click();

  await privacyAction(a.page, 'Start private conversation');
  const text = 'for carol, privately';
  await send(a.page, text);
  await expect(a.page.getByTestId('otr-queued')).toContainText('One message waits');

  await a.page.getByRole('button', { name: 'Send privately to their devices' }).click();
  const dialog = offlineDialog(a.page, carol);
  await expect(dialog.getByTestId('offline-unavailable')).toHaveText(/\S/, { timeout: 60_000 });
  await expect(dialog.getByRole('button', { name: 'Send to this device' })).toHaveCount(0);
  // the words come from the server's real (empty) answer, not from a missing prekey server
  await prekeyServer.waitEvent((e) => e.type === 'retrieval' && e.identity === carol && e.requester === alice.jid && e.ensembles === 0);

  // nothing was sent: the message keeps waiting
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(a.page.getByTestId('otr-queued')).toContainText('One message waits');
  await expect(message(a.page, text)).toContainText('Waiting for a private conversation');
});

/**
 * A user signed in whose device published to the prekey server; then the server is reinstalled
 * with a new key and the user's messenger signs in again (Go offline, Connect). Returns the page
 * and the account-level warning that should follow.
 */
async function afterServerKeyChange(stack: Stack, launchClient: (name: string) => Promise<Client>, prekeyServer: PrekeyServer, name: string) {
  const [
    {
      who: user,
      client: { page },
    },
  ] = await signedInUsers(stack, launchClient, name);
  // the device pins the server's key on first use, then publishes
  await waitPublished(prekeyServer, user.jid);
  const warning = page.getByRole('complementary').getByRole('alert', { name: 'Offline messages warning' });
  await expect(warning).toHaveCount(0);
  const before = prekeyServer.fingerprint;
  await prekeyServer.restart({ newKey: true });
  expect(prekeyServer.fingerprint).not.toBe(before);
  await (await openAccount(page)).getByRole('button', { name: 'Go offline' }).click();
  await expect(connection(page)).toHaveText('Offline');
  await (await openAccount(page)).getByRole('button', { name: 'Connect' }).click();
  await expect(connection(page)).toHaveText('Online');
  return { jid: user.jid, page, warning };
}

test("a changed key of the account's own prekey server is an account-level warning; the new key can be accepted", async ({
  stack,
  launchClient,
  prekeyServer,
}) => {
  const { jid, warning } = await afterServerKeyChange(stack, launchClient, prekeyServer, 'dora');
  // under the account, not in a conversation: it concerns every contact
  await expect(warning).toBeVisible({ timeout: 60_000 });
  await expect(warning).toContainText('different key');
  await expect(warning).toContainText('your contacts cannot start a private conversation with you while you are offline');
  // and nothing was published to the server with the unknown key
  expect(prekeyServer.events.filter((e) => e.type === 'published' && e.identity === jid)).toEqual([]);
  // the warning shows the key the server presents now: the one the administrator would confirm
  await expect(warning.getByLabel(/^New key of /)).toHaveAttribute('data-fingerprint', prekeyServer.fingerprint.toLowerCase());
  // she accepts it: the warning goes and her device publishes to the server again
  await warning.getByRole('button', { name: 'Accept the new key' }).click();
  await expect(warning).toHaveCount(0);
  await waitPublished(prekeyServer, jid);
});

test('a changed prekey server key can be dismissed without accepting it', async ({ stack, launchClient, prekeyServer }) => {
  const { jid, warning } = await afterServerKeyChange(stack, launchClient, prekeyServer, 'eli');
  await expect(warning).toBeVisible({ timeout: 60_000 });
  await warning.getByRole('button', { name: 'Dismiss' }).click();
  await expect(warning).toHaveCount(0);
  // dismissing accepts nothing: nothing is published to the server with the unknown key
  expect(prekeyServer.events.filter((x) => x.type === 'published' && x.identity === jid)).toEqual([]);
});
