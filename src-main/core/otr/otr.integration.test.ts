// Private conversations between two cores (createCore: keychain, SQLCipher, XMPP) on a real
// Prosody (scripts/stack), through the IPC handlers the renderer uses. Run inside a throwaway
// keyring session (docs/otr-in-the-app.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import type { OtrNotice } from '../../../src-shared/ipc/otr-contract';
import { closeAndRemove, makeContacts, signedInUser, startCore, type TestCore } from '../test-support/harness';

let stack: Stack;
const cores: TestCore[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await closeAndRemove(cores);
  await stack?.stop();
});

interface User {
  c: TestCore;
  jid: string;
  accountId: string;
  password: string;
}

async function user(prefix: string): Promise<User> {
  const u = await signedInUser(stack, prefix);
  cores.push(u.c);
  return u;
}

/** two users who see each other's presence (receipts need it, XEP-0184 §8) */
async function contacts(): Promise<[User, User]> {
  const [a, b] = await Promise.all([user('alice'), user('bob')]);
  await makeContacts(a, b);
  return [a, b];
}

const isState = (peer: string, state: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state === state;

describe('OTR between two cores', () => {
  it('private conversation: start, encrypted messages with receipts, SMP, end, waiting message', async () => {
    const [a, b] = await contacts();
    const A = a.c.core.handlers;
    const B = b.c.core.handlers;
    expect((await A['otr.status']({ accountId: a.accountId, peer: b.jid })).state).toBe('not-private');

    await A['otr.start']({ accountId: a.accountId, peer: b.jid });
    await a.c.waitFor('otr.status', isState(b.jid, 'private-unverified'));
    await b.c.waitFor('otr.status', isState(a.jid, 'private-unverified'));

    const sent = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'first private message' });
    expect(sent.encrypted).toBe(true);
    const got = await b.c.waitFor('message.added', (m) => m.body === 'first private message');
    expect(got).toMatchObject({ direction: 'in', encrypted: true });
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered');

    // SMP with a question, from the UI's requests
    await A['otr.smp.start']({ accountId: a.accountId, peer: b.jid, question: 'Our street?', secret: 'Elm' });
    const asked = await b.c.waitFor('otr.status', (s) => s.peer === a.jid && s.smp.phase === 'asked');
    expect(asked.smp.question).toBe('Our street?');
    await B['otr.smp.answer']({ accountId: b.accountId, peer: a.jid, secret: 'Elm' });
    await a.c.waitFor('otr.status', isState(b.jid, 'private-verified'));
    await b.c.waitFor('otr.notice', (n) => n.kind === 'smp-succeeded');
    const fps = await A['otr.fingerprints']({ accountId: a.accountId, peer: b.jid });
    expect(fps.theirs).toEqual([expect.objectContaining({ verified: true, version: 4 })]);

    // end from Alice: Bob's side is finished; what he writes waits (stored pending, encrypted)
    await A['otr.end']({ accountId: a.accountId, peer: b.jid });
    await b.c.waitFor('otr.status', isState(a.jid, 'finished'));
    const waiting = await B['message.send']({ accountId: b.accountId, to: a.jid, body: 'written after the end' });
    expect(waiting).toMatchObject({ encrypted: true, delivery: 'pending' });
    await b.c.waitFor('otr.notice', (n) => n.kind === 'queued');
    expect((await B['otr.status']({ accountId: b.accountId, peer: a.jid })).queued).toBe(1);

    // Bob starts again: the message goes out inside the new session
    await B['otr.start']({ accountId: b.accountId, peer: a.jid });
    const late = await a.c.waitFor('message.added', (m) => m.body === 'written after the end');
    expect(late.encrypted).toBe(true);
    await b.c.waitFor('message.updated', (m) => m.id === waiting.id && m.delivery !== 'pending');
    expect((await B['otr.status']({ accountId: b.accountId, peer: a.jid })).queued).toBe(0);
    // verified before: the same key is still verified in the new session
    await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-verified');
  });

  it('after a restart the conversation stays private: the message waits, a new session comes up', async () => {
    const [a, b] = await contacts();
    await a.c.core.handlers['otr.start']({ accountId: a.accountId, peer: b.jid });
    await b.c.waitFor('otr.status', isState(a.jid, 'private-unverified'));
    const fpBefore = (await a.c.waitFor('otr.status', isState(b.jid, 'private-unverified'))).theirFingerprint;
    expect(fpBefore).toMatch(/^[0-9a-f]{112}$/);

    // Bob's messenger restarts on the same profile (and keychain)
    await b.c.close();
    const b2 = await startCore({ profileDir: b.c.profileDir, keychainService: b.c.keychainService, extraCaPem: stack.caPem });
    cores.push(b2);
    await b2.waitFor('account.updated', (x) => x.status === 'online', 60_000);
    const st = await b2.core.handlers['otr.status']({ accountId: b.accountId, peer: a.jid });
    expect(st).toMatchObject({ state: 'not-private', privateIntent: true });
    // the same long-term key after the restart (kept in the keychain)
    expect(st.ourFingerprints.v4).toBe(fpBefore);

    const m = await b2.core.handlers['message.send']({ accountId: b.accountId, to: a.jid, body: 'after my restart' });
    expect(m.encrypted).toBe(true);
    const got = await a.c.waitFor('message.added', (x) => x.body === 'after my restart');
    expect(got.encrypted).toBe(true);
    await b2.waitFor('otr.status', isState(a.jid, 'private-unverified'));
    await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'welcome back' });
    expect((await b2.waitFor('message.added', (x) => x.body === 'welcome back')).encrypted).toBe(true);
    // no fingerprint warning: same key
    expect(a.c.events.some((e) => e.name === 'otr.notice' && (e.payload as OtrNotice).kind === 'fingerprint-changed')).toBe(false);
  });
});
