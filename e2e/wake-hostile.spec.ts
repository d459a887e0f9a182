// Wake-ups under hostile knocks, and revoke then ask again (issue 14; docs/push-in-the-app.md): two
// users on the two-domain stack, Alice's push account on push.a and Bob's on push.b (federated),
// a real handshake through the prompts. Then, with Bob asleep:
//   - a knock sealed with a wrong key, the knock that woke him sent again (a replay), and after
//     the rotation a knock sealed with the old shared_key: none of them logs Bob in, shows "woken
//     by" or a desktop notification; only Alice's real knocks do, once each;
//   - Alice revokes, Bob asks again and Alice says yes; Bob revokes, Alice asks again and Bob says
//     yes; a knock then wakes Bob again.
// What the user sees is asserted in the UI; the core's state (records, keys, knock ids seen) is
// read from the profile databases with the messengers stopped (a profile is opened exclusively).
// How knocks reach Bob in order: a second desktop device of Bob's push account (the test's own,
// logged in with his push name and password) receives every knock fanned out to him, so a hostile
// knock is in Bob's queue before Alice's real one is sent, and Bob's channel handles its queue in
// order (src-main/core/push/channel.ts): when the real knock has woken him, the hostile one has
// been handled already.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { startTwoDomains, type TwoDomainStack } from '../scripts/stack/two-domains';
import type { Stack } from '../scripts/stack/stack';
import { PushClient, type DesktopConnection } from '../src-shared/node-push/client';
import type { KnockEnvelope } from '../src-shared/push/wire';
import { DATABASE_KEY_ENTRY, openKeyStore, serviceForProfile } from '../src-main/core/keychain/keychain';
import { sealKnockFor } from '../src-main/core/push/knock';
import { PushStore, type PushRecord } from '../src-main/core/push/push-store';
import { openDatabase } from '../src-main/core/store/store';
import { test, expect } from './fixtures';
import { contactsPair, goPrivate, notice, type Pair } from './otr-support';
import { launchWebClient, type Client } from './support/clients';
import { account, accountConnection, contact, message, openAccount, send } from './support/ui';

let two: TwoDomainStack;
const clients: Client[] = [];
const PUSH_PASSWORD = 'wake-hostile-pw';

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'web clients on the two-domain stack');
});
test.beforeAll(async ({}, testInfo) => {
  if (testInfo.project.name === 'web') two = await startTwoDomains({ push: true });
});
test.afterAll(async () => {
  for (const c of clients) await c.close();
  await two?.stop();
});

interface Users extends Pair {
  alicePush: string;
  bobPush: string;
}

const section = (page: Page, me: string): Locator => account(page, me).locator('details.push-settings');
const entry = (page: Page, me: string, peer: string): Locator =>
  section(page, me).getByRole('list', { name: 'Wake-ups' }).getByRole('listitem').filter({ hasText: peer });
const noticesOf = (page: Page, me: string): Locator => section(page, me).getByRole('list', { name: 'Wake-up notices' });
const askDialog = (page: Page, peer: string): Locator => page.getByRole('dialog', { name: `Wake-ups with ${peer}` }).first();

/** two users with wake-ups on (Alice on push.a, Bob on push.b) in a private conversation */
async function users(browser: Parameters<typeof launchWebClient>[0]): Promise<Users> {
  const pair = await contactsPair(two.a as unknown as Stack, async (name) => {
    const c = await launchWebClient(browser, { name, profileDir: mkdtempSync(join(tmpdir(), `e2e-wake-${name}-`)), caFile: two.caCertPath });
    clients.push(c);
    return c;
  });
  const suffix = randomBytes(4).toString('hex');
  const u: Users = { ...pair, alicePush: `ha-${suffix}`, bobPush: `hb-${suffix}` };
  for (const [page, me, endpoint, pushName] of [
    [u.a.page, u.alice.jid, two.a.push!.endpoint, u.alicePush],
    [u.b.page, u.bob.jid, two.b.push!.endpoint, u.bobPush],
  ] as const) {
    // the account's panel ("Account" in the sidebar) holds the wake-ups; it stays open for the test
    await openAccount(page, me);
    const s = section(page, me);
    await s.locator('summary').click();
    await s.getByLabel('Push server address').fill(endpoint);
    await s.getByLabel('Push name').fill(pushName);
    await s.getByLabel('Push password').fill(PUSH_PASSWORD);
    await s.getByLabel('Create the push account if it does not exist').check();
    await s.getByRole('button', { name: 'Turn wake-ups on' }).click();
    await expect(s.getByRole('status')).toContainText('Ready: contacts you approved can wake this computer');
  }
  await goPrivate(u);
  return u;
}

/** `asker` says yes (to the prompt, or with "Ask again"), then `other` answers the prompt that says so */
async function agree(u: Users, asker: 'alice' | 'bob', viaAskAgain: boolean): Promise<void> {
  const [me, them] = asker === 'alice' ? [u.a.page, u.b.page] : [u.b.page, u.a.page];
  const [myJid, theirJid] = asker === 'alice' ? [u.alice.jid, u.bob.jid] : [u.bob.jid, u.alice.jid];
  if (viaAskAgain) await entry(me, myJid, theirJid).getByRole('button', { name: 'Ask again' }).click();
  else await askDialog(me, theirJid).getByRole('button', { name: 'Yes', exact: true }).click();
  await expect(askDialog(them, myJid)).toHaveAttribute('data-reason', 'their-offer');
  await expect(askDialog(them, myJid)).toContainText(`${myJid} already said yes`);
  await askDialog(them, myJid).getByRole('button', { name: 'Yes, and send mine back' }).click();
  await expect(entry(me, myJid, theirJid)).toContainText('You can wake each other');
  await expect(entry(them, theirJid, myJid)).toContainText('You can wake each other');
}

/** Bob's desktop notifications on, each one shown also counted in the page */
async function countNotifications(page: Page): Promise<() => Promise<string[]>> {
  await page.context().grantPermissions(['notifications']);
  await page.evaluate(() => {
    const titles: string[] = [];
    const Original = window.Notification;
    class Counted extends Original {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        titles.push(title);
      }
    }
    Object.assign(window, { Notification: Counted, __wakeTitles: titles });
  });
  await page.getByRole('button', { name: 'Notifications…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Notifications' });
  await dialog.getByRole('checkbox', { name: /Show a desktop notification/ }).check();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return () => page.evaluate(() => [...(window as unknown as { __wakeTitles: string[] }).__wakeTitles]);
}

async function putBobToSleep(u: Users): Promise<void> {
  await (await openAccount(u.b.page, u.bob.jid)).getByRole('button', { name: 'Put to sleep' }).click();
  await expect(accountConnection(u.b.page, u.bob.jid)).toHaveText(/Asleep: offline, but contacts you approved can wake it/);
  await expect(contact(u.a.page, u.bob.jid)).toContainText('Offline');
}

/** a push login of the test's own on a user's push account (the password was typed in the UI) */
async function pushLogin(endpoint: string, pushName: string): Promise<PushClient> {
  const c = new PushClient({ endpoint, ca: two.caPem });
  await c.login(pushName, PUSH_PASSWORD);
  return c;
}

/** a second desktop device on Bob's push account: sees every knock fanned out to him */
async function watchKnocks(pushName: string): Promise<{ next(): Promise<KnockEnvelope>; close(): Promise<void> }> {
  const api = await pushLogin(two.b.push!.endpoint, pushName);
  const device = await api.registerDevice('desktop', { name: 'e2e watcher' });
  const conn: DesktopConnection = await api.connectDesktop(device.registration_id!);
  return {
    async next() {
      const d = await conn.next(60_000);
      await conn.ack(d.delivery);
      if (d.payload.kind !== 'knock') throw new Error(`expected a knock, got ${d.payload.kind}`);
      return d.payload.knock;
    },
    async close() {
      await conn.close();
      api.close();
    },
  };
}

interface PushState {
  record: PushRecord | undefined;
  seen: string[];
}

/** the wake-up record with `peer` and the knock ids seen, from a stopped messenger's profile */
async function pushState(client: Client, me: string, peer: string): Promise<PushState> {
  const key = await openKeyStore(serviceForProfile(client.profileDir)).get(DATABASE_KEY_ENTRY);
  const store = openDatabase(join(client.profileDir, 'messenger.db'), key!);
  try {
    const accountId = store.accountByJid(me)!.id;
    const seen = store.database.prepare('SELECT knock_id FROM push_seen WHERE account_id = ?').all([accountId]) as Array<{ knock_id: string }>;
    return { record: new PushStore(store.database).record(accountId, peer), seen: seen.map((r) => r.knock_id) };
  } finally {
    store.close();
  }
}

/** reads the profile with the messenger stopped, then starts it again on the conversation */
async function whileStopped<T>(client: Client, me: string, peer: string, read: () => Promise<T>): Promise<T> {
  await client.stop();
  const value = await read();
  await client.start();
  await expect(accountConnection(client.page, me)).toHaveText(/Online|Asleep/, { timeout: 60_000 });
  await contact(client.page, peer).click();
  // the account's panel and its Wake-ups section open again (its notices are shown only when open)
  await openAccount(client.page, me);
  const s = section(client.page, me);
  if ((await s.getAttribute('open')) === null) await s.locator('summary').click();
  return value;
}

/** both sides show "The wake-up key with this contact was renewed." `times` times (since their last start) */
async function renewedTimes(u: Users, times: number): Promise<void> {
  for (const [page, me] of [
    [u.a.page, u.alice.jid],
    [u.b.page, u.bob.jid],
  ] as const) {
    const renewed = noticesOf(page, me).locator('li[data-kind="record-rotated"]');
    await expect(renewed).toHaveCount(times);
    await expect(renewed.first()).toHaveText('The wake-up key with this contact was renewed.');
  }
}

const random = (n: number) => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');

test('wrong-key, replayed and rotated-out knocks change nothing for sleeping Bob; only real knocks wake him', async ({ browser }) => {
  const u = await users(browser);
  await agree(u, 'alice', false);
  await putBobToSleep(u);
  // the key both agreed on, as Bob's core stored it (his messenger restarts asleep: the choice is kept)
  const first = await whileStopped(u.b, u.bob.jid, u.alice.jid, () => pushState(u.b, u.bob.jid, u.alice.jid));
  await expect(accountConnection(u.b.page, u.bob.jid)).toHaveText(/Asleep/);
  expect(first.record).toBeDefined();
  // Alice's record seen from her side: names swapped
  const record0: PushRecord = {
    ...first.record!,
    accountName: first.record!.buddyName,
    buddyName: first.record!.accountName,
    pushName: first.record!.buddyPushName,
    buddyPushName: first.record!.pushName,
    apiEndpoint: first.record!.buddyApiEndpoint,
    buddyApiEndpoint: first.record!.apiEndpoint,
  };
  expect(record0.pushName).toBe(u.alicePush);
  const titles = await countNotifications(u.b.page);
  const wokenNotices = notice(u.b.page, 'woken-by');
  const watcher = await watchKnocks(u.bobPush);
  const alicePush = await pushLogin(two.a.push!.endpoint, u.alicePush);
  try {
    // (b) sealed with a wrong key: addressed exactly as Alice's real knocks, but not openable
    const wrong = sealKnockFor({ ...record0, sharedKey: random(64) }, Date.now(), random);
    await alicePush.sendKnock(wrong);
    expect((await watcher.next()).id).toBe(wrong.id);
    // Alice writes: her real knock is queued behind the wrong one and wakes Bob, once
    await send(u.a.page, 'first knock');
    await expect(notice(u.a.page, 'wake-sent')).toContainText(`Woke ${u.bob.jid}'s devices`);
    const real1 = await watcher.next();
    await expect(accountConnection(u.b.page, u.bob.jid)).toHaveText(/Online/);
    await expect(message(u.b.page, 'first knock')).toBeVisible();
    await expect(wokenNotices).toHaveCount(1);
    await renewedTimes(u, 1);
    await expect.poll(titles).toEqual([`Woken by ${u.alice.jid}`]);

    await putBobToSleep(u);
    // (a) the real knock that woke him, sent again: Alice's push server refuses the id it saw
    await expect(alicePush.sendKnock(real1)).rejects.toMatchObject({ status: 409 });
    // (c) after the rotation, a knock sealed with the old shared_key: it travels, and opens nothing
    const old = sealKnockFor(record0, Date.now(), random);
    await alicePush.sendKnock(old);
    expect((await watcher.next()).id).toBe(old.id);
    await send(u.a.page, 'second knock');
    const real2 = await watcher.next();
    await expect(accountConnection(u.b.page, u.bob.jid)).toHaveText(/Online/);
    await expect(message(u.b.page, 'second knock')).toBeVisible();
    // exactly one more "woken by" and one more notification: the real knock's
    await expect(wokenNotices).toHaveCount(2);
    await expect.poll(titles).toEqual([`Woken by ${u.alice.jid}`, `Woken by ${u.alice.jid}`]);
    // the second rotation is through on both sides before the profiles are read
    await renewedTimes(u, 2);

    // the cores: the same renewed key on both sides, not the first one; Bob's core saw (opened)
    // only Alice's two real knocks
    const bob = await whileStopped(u.b, u.bob.jid, u.alice.jid, () => pushState(u.b, u.bob.jid, u.alice.jid));
    const alice = await whileStopped(u.a, u.alice.jid, u.bob.jid, () => pushState(u.a, u.alice.jid, u.bob.jid));
    expect(hex(bob.record?.sharedKey)).toBe(hex(alice.record?.sharedKey));
    expect(hex(alice.record?.sharedKey)).not.toBe(hex(record0.sharedKey));
    expect(bob.seen.sort()).toEqual([real1.id, real2.id].sort());
  } finally {
    alicePush.close();
    await watcher.close();
  }
});

test('Alice revokes, Bob asks again and Alice says yes; Bob revokes, Alice asks again and Bob says yes; a knock wakes Bob again', async ({ browser }) => {
  const u = await users(browser);
  await agree(u, 'alice', false);

  // Alice revokes: Bob is told in the same private conversation, his record goes too
  await entry(u.a.page, u.alice.jid, u.bob.jid).getByRole('button', { name: 'Revoke' }).click();
  await expect(entry(u.a.page, u.alice.jid, u.bob.jid)).toContainText('No wake-ups (revoked)');
  await expect(entry(u.b.page, u.bob.jid, u.alice.jid)).toContainText('No wake-ups (revoked)');
  await expect(noticesOf(u.b.page, u.bob.jid)).toContainText('This contact revoked wake-ups: no wake-up is possible.');
  // Bob, who was revoked, asks again; Alice is asked and says yes
  await agree(u, 'bob', true);

  // now Bob revokes, and Alice asks again
  await entry(u.b.page, u.bob.jid, u.alice.jid).getByRole('button', { name: 'Revoke' }).click();
  await expect(entry(u.a.page, u.alice.jid, u.bob.jid)).toContainText('No wake-ups (revoked)');
  await expect(noticesOf(u.a.page, u.alice.jid)).toContainText('This contact revoked wake-ups: no wake-up is possible.');
  await agree(u, 'alice', true);

  // and the agreement wakes: Bob asleep, Alice writes
  await putBobToSleep(u);
  await send(u.a.page, 'after asking again');
  await expect(notice(u.a.page, 'wake-sent')).toContainText(`Woke ${u.bob.jid}'s devices`);
  await expect(notice(u.b.page, 'woken-by')).toContainText(`${u.alice.jid} woke this computer`);
  await expect(accountConnection(u.b.page, u.bob.jid)).toHaveText(/Online/);
  await expect(message(u.b.page, 'after asking again')).toBeVisible();
  await renewedTimes(u, 1);

  // the cores: one record each, the same key
  const bob = await whileStopped(u.b, u.bob.jid, u.alice.jid, () => pushState(u.b, u.bob.jid, u.alice.jid));
  const alice = await whileStopped(u.a, u.alice.jid, u.bob.jid, () => pushState(u.a, u.alice.jid, u.bob.jid));
  expect(alice.record).toBeDefined();
  expect(hex(bob.record?.sharedKey)).toBe(hex(alice.record?.sharedKey));
});
