// Restarts lose nothing (issue 13), on real Prosody with two real cores and the real keychain:
// the private session is stored in the profile (otr/session-store.ts) and comes back at start,
// so a restart of either side, or of both, does not end the conversation. What proves that no
// new key exchange ran: the contact's key is recorded as seen (otr_fingerprints.last_seen, set
// only when a session becomes encrypted, dispatch.ts) exactly as before the restart; and no OTR
// error, no re-sent message, each message shown once, "Delivered" only after the reader's
// device decrypted it. Run inside a throwaway keyring session (docs/otr-in-the-app.md).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { DATABASE_FILE } from '../index';
import { DATABASE_KEY_ENTRY, openKeyStore } from '../keychain/keychain';
import { openDatabase } from '../store/store';
import { makeContacts, signedInUser, startCore, type TestCore } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';

const file = stackPerFile();
const { cores } = file;

interface User {
  c: TestCore;
  jid: string;
  accountId: string;
}

async function privatePair(): Promise<[User, User]> {
  const a = await signedInUser(file.stack, 'alice');
  cores.push(a.c);
  const b = await signedInUser(file.stack, 'bob');
  cores.push(b.c);
  await makeContacts(a, b);
  await a.c.core.handlers['otr.start']({ accountId: a.accountId, peer: b.jid });
  await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified');
  await b.c.waitFor('otr.status', (s) => s.peer === a.jid && s.state === 'private-unverified');
  // a conversation under way: the ratchets have moved on from the key exchange
  await say(a, b, 'hello bob');
  await say(b, a, 'hello alice');
  await say(a, b, 'how are you');
  return [a, b];
}

/** `from` writes privately; `to` shows it; `from` sees it delivered */
async function say(from: User, to: User, body: string): Promise<ChatMessage> {
  const sent = await from.c.core.handlers['message.send']({ accountId: from.accountId, to: to.jid, body });
  expect(sent.encrypted).toBe(true);
  expect(await to.c.waitFor('message.added', (m) => m.body === body, 60_000)).toMatchObject({ encrypted: true });
  await from.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
  return sent;
}

/** the same profile (database and keychain) started again, back online */
async function restart(u: User): Promise<User> {
  await u.c.close();
  const c = await startCore({ profileDir: u.c.profileDir, keychainService: u.c.keychainService, extraCaPem: file.stack.caPem });
  cores.push(c);
  await c.waitFor('account.updated', (x) => x.id === u.accountId && x.status === 'online', 60_000);
  return { ...u, c };
}

/** when each side last saw the other's key in a NEW session (no new DAKE: unchanged) */
async function sessionStarts(a: User, b: User): Promise<number[]> {
  const of = async (u: User, peer: string) => (await u.c.core.handlers['otr.fingerprints']({ accountId: u.accountId, peer })).theirs.map((f) => f.lastSeen);
  return [...(await of(a, b.jid)), ...(await of(b, a.jid))];
}

/** how often a message arrived and was shown (the writer's own copy is direction 'out') */
const shown = (u: User, body: string) =>
  u.c.events.filter((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === body && (e.payload as ChatMessage).direction === 'in').length;
const otrTrouble = (u: User) =>
  u.c.events.filter((e) => e.name === 'otr.notice' && ['peer-error', 'unreadable', 'ended-by-peer'].includes((e.payload as { kind: string }).kind));
const resent = (u: User) => u.c.events.some((e) => e.name === 'message.updated' && (e.payload as ChatMessage).resent === true);

function expectUndisturbed(a: User, b: User, bodies: string[]): void {
  for (const u of [a, b]) {
    expect(otrTrouble(u)).toEqual([]);
    expect(resent(u)).toBe(false);
  }
  for (const body of bodies) expect(shown(a, body) + shown(b, body)).toBe(1);
}

describe('restarts lose nothing', () => {
  it('bob restarts mid-conversation; alice writes while he is down; he reads it in the restored session', async () => {
    const [a, b0] = await privatePair();
    const starts = await sessionStarts(a, b0);
    await b0.c.close();
    await a.c.waitFor('contact.updated', (x) => x.jid === b0.jid && x.presence === 'offline');

    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b0.jid, body: 'written while bob was away' });
    expect(sent.encrypted).toBe(true);
    const b = await restart(b0);
    // bob's header is private again from the start, without a key exchange
    await b.c.waitFor('otr.status', (s) => s.peer === a.jid && s.state === 'private-unverified');
    expect(await b.c.waitFor('message.added', (m) => m.body === 'written while bob was away', 60_000)).toMatchObject({ encrypted: true });
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
    // nothing could confirm it while bob was down: the receipt came from the restored session
    await say(b, a, 'back again');
    await say(a, b, 'welcome back');
    expectUndisturbed(a, b, ['written while bob was away', 'back again', 'welcome back']);
    expect(await sessionStarts(a, b)).toEqual(starts);
  });

  it('alice (the sender) restarts and keeps writing in the restored session', async () => {
    const [a0, b] = await privatePair();
    const starts = await sessionStarts(a0, b);
    const a = await restart(a0);
    await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified');
    await say(a, b, 'alice after her restart');
    await say(a, b, 'and once more');
    await say(b, a, 'bob answers');
    expectUndisturbed(a, b, ['alice after her restart', 'and once more', 'bob answers']);
    expect(await sessionStarts(a, b)).toEqual(starts);
  });

  it('both restart, and the conversation goes on both ways', async () => {
    const [a0, b0] = await privatePair();
    const starts = await sessionStarts(a0, b0);
    const a = await restart(a0);
    const b = await restart(b0);
    await say(b, a, 'bob first after both restarted');
    await say(a, b, 'alice answers');
    expectUndisturbed(a, b, ['bob first after both restarted', 'alice answers']);
    expect(await sessionStarts(a, b)).toEqual(starts);
  });

  it('a damaged stored session is refused: the conversation starts afresh and the message is re-sent once', async () => {
    const [a, b0] = await privatePair();
    await b0.c.close();
    // the record in bob's profile is cut short (as by a torn write)
    const keyHex = await openKeyStore(b0.c.keychainService).get(DATABASE_KEY_ENTRY);
    const db = openDatabase(join(b0.c.profileDir, DATABASE_FILE), keyHex!);
    expect(db.database.prepare('UPDATE otr_sessions SET state = substr(state, 1, 40)').run().changes).toBe(1);
    db.close();
    const b = await restart(b0);
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'into a session bob lost' });
    // bob's device cannot read it and says so; alice recovers (otr/recovery.ts): re-sent once, in a new session
    await a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'peer-error', 60_000);
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.resent === true, 60_000);
    expect(await b.c.waitFor('message.added', (m) => m.body === 'into a session bob lost', 60_000)).toMatchObject({ encrypted: true });
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
    expect(shown(b, 'into a session bob lost')).toBe(1);
  });
});

describe('a server that dies with a private message unread', () => {
  it('the message stays pending until the server acknowledged it, and goes again, once, when the server is back', async () => {
    const [a, b] = await privatePair();
    const { stack } = file;
    if (!stack.freeze || !stack.crashAndRestart) throw new Error('the Prosody stack can freeze and crash');
    // the server stops reading: alice's stanza is written into the socket, and nobody reads it
    stack.freeze();
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'written as the server froze' });
    expect(sent).toMatchObject({ encrypted: true, delivery: 'pending' });
    // ... then the server dies with it unread (XEP-0198: never acknowledged)
    await stack.crashAndRestart();
    expect(await b.c.waitFor('message.added', (m) => m.body === 'written as the server froze', 90_000)).toMatchObject({ encrypted: true });
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
    // 'sent' only ever came from the restarted server's acknowledgement, never from the dead write
    const states = a.c.events
      .filter((e) => e.name === 'message.updated' && (e.payload as ChatMessage).id === sent.id)
      .map((e) => (e.payload as ChatMessage).delivery);
    expect(states.at(-1)).toBe('delivered');
    expect(states).not.toContain('failed');
    // the conversation goes on in the same session, and the message was shown once
    await say(b, a, 'got it after the crash');
    expect(shown(b, 'written as the server froze')).toBe(1);
    expect(otrTrouble(a).concat(otrTrouble(b))).toEqual([]);
  });
});
