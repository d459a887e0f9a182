// Starting a private conversation with an offline contact, end to end through the core's IPC
// handlers (issue 5; otrv4.md §"Non-Interactive DAKE"; docs/otr-in-the-app.md "Offline start"):
// real Prosody (scripts/stack) with its offline storage, the real prekey server (its CLI, a child
// process), two real cores on the real keychain. Run inside a throwaway keyring session.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../scripts/stack/stack';
import { identityVaults, storedIdentity } from '../otr/identity';
import { signedInUser, uniqueName, type TestCore } from '../test-support/harness';
import { DEFAULT_REPLENISH } from './client';
import { type ServerProcess, startServerProcess, tearDownPrekeyTest } from './test-support/harness';
import { listenToPrekeyOutcomes, type PrekeyOutcomes } from './test-support/outcomes';

let stack: Stack;
let dataDir: string;
let server: ServerProcess;
const cores: TestCore[] = [];

let outcomes: PrekeyOutcomes;

beforeAll(async () => {
  outcomes = listenToPrekeyOutcomes();
  stack = await startStack();
  dataDir = mkdtempSync(join(tmpdir(), 'prekey-offline-'));
  server = await startServerProcess(stack, dataDir);
}, 120_000);

afterAll(() => tearDownPrekeyTest({ outcomes, cores, server, stack, dataDir }));

interface User {
  c: TestCore;
  jid: string;
  accountId: string;
}

async function user(prefix: string): Promise<User> {
  const u = await signedInUser(stack, prefix);
  cores.push(u.c);
  return u;
}

describe('a private conversation with an offline contact (prekeys)', () => {
  it('Alice sends privately to offline Bob; Bob reads it when he comes online; his stock is checked again', async () => {
    const [a, b] = await Promise.all([user('alice'), user('bob')]);
    // receipts and presence need the subscription (XEP-0184 §8)
    await a.c.core.handlers['contact.add']({ accountId: a.accountId, jid: b.jid });
    await b.c.waitFor('contact.updated', (x) => x.jid === a.jid && x.pendingIn);
    await b.c.core.handlers['contact.approve']({ accountId: b.accountId, jid: a.jid });
    await a.c.waitFor('contact.updated', (x) => x.jid === b.jid && x.subscription === 'both');
    const published = await outcomes.wait(b.accountId, (o) => o.outcome === 'published');
    expect(published).toMatchObject({ before: 0, published: DEFAULT_REPLENISH.target });
    const bobTag = (await storedIdentity(identityVaults.get(b.c.core)!, b.accountId))!.instanceTag;

    // Bob goes offline; Alice wants a private conversation and writes: the message waits
    await b.c.core.handlers['account.disconnect']({ accountId: b.accountId });
    await a.c.waitFor('contact.updated', (x) => x.jid === b.jid && x.presence === 'offline');
    const A = a.c.core.handlers;
    await A['otr.start']({ accountId: a.accountId, peer: b.jid });
    const m = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'written while you were away' });
    expect(m).toMatchObject({ encrypted: true, delivery: 'pending' });

    // she looks up his devices: one, with a key she has never seen
    const list = await A['otr.offline.devices']({ accountId: a.accountId, peer: b.jid });
    expect(list.unavailable).toBeUndefined();
    expect(list.devices).toEqual([expect.objectContaining({ instanceTag: bobTag, known: false, verified: false })]);
    const st = await A['otr.offline.send']({ accountId: a.accountId, peer: b.jid, instanceTags: [bobTag] });
    expect(st).toMatchObject({ state: 'private-unverified', version: 4, queued: 0, offlineDevices: [bobTag] });
    await a.c.waitFor('message.updated', (x) => x.id === m.id && x.delivery === 'sent');
    expect(a.c.events.some((e) => e.name === 'otr.notice' && (e.payload as { kind: string }).kind === 'offline-sent')).toBe(true);
    // a second look gets the device again (with another one-time prekey), now as a key seen before
    const again = await A['otr.offline.devices']({ accountId: a.accountId, peer: b.jid });
    expect(again.devices).toEqual([expect.objectContaining({ instanceTag: bobTag, known: true, fingerprint: list.devices[0]!.fingerprint })]);

    // Bob comes back: Prosody hands him what waited; he reads it, encrypted, and is told how it started
    await b.c.core.handlers['account.connect']({ accountId: b.accountId });
    const got = await b.c.waitFor('message.added', (x) => x.body === 'written while you were away', 60_000);
    expect(got).toMatchObject({ direction: 'in', encrypted: true });
    await b.c.waitFor('otr.notice', (n) => n.kind === 'offline-start' && n.peer === a.jid);
    await a.c.waitFor('message.updated', (x) => x.id === m.id && x.delivery === 'delivered', 60_000);

    // the used prekey is gone from his stored keys, and his stock was checked again after its use
    const stored = (await storedIdentity(identityVaults.get(b.c.core)!, b.accountId))!;
    expect(stored.v4.prekeys.size).toBe(DEFAULT_REPLENISH.target - 1);
    // two were handed out (one used, one only looked at): 98 left, above the threshold
    const recheck = await outcomes.wait(b.accountId, (o) => o.outcome === 'published' && o.trigger === 'prekey-used');
    expect(recheck).toMatchObject({ before: DEFAULT_REPLENISH.target - 2, published: 0 });

    // he answers; from now on his device is the current one on Alice's side
    await b.c.core.handlers['message.send']({ accountId: b.accountId, to: a.jid, body: 'back now' });
    expect((await a.c.waitFor('message.added', (x) => x.body === 'back now', 60_000)).encrypted).toBe(true);
    const after = await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified' && s.offlineDevices === undefined);
    expect(after.theirInstanceTag).toBe(bobTag);
  });

  it('a contact who never published: the answer says so in plain words; bad requests are refused', async () => {
    const a = await user('carol');
    const never = `${uniqueName('dave')}`;
    await stack.createAccount(never, `pw-${never}`);
    const list = await a.c.core.handlers['otr.offline.devices']({ accountId: a.accountId, peer: `${never}@${stack.domain}` });
    expect(list.devices).toEqual([]);
    expect(list.unavailable).toBe('none');
    await expect(
      a.c.core.handlers['otr.offline.send']({ accountId: a.accountId, peer: `${never}@${stack.domain}`, instanceTags: [0x1234] }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
