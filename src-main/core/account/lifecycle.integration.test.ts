// The lifecycle of a private conversation on real Prosody between two real cores (issue 13):
// receipts only for messages the receiving device read, and the outbox re-checking the policy
// when it flushes. Run inside a throwaway keyring session (docs/otr-in-the-app.md).
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, EventName, EventPayloads } from '../../../src-shared/ipc/contract';
import { createClient } from '../xmpp/client/client';
import { forgetOtrSessions, signedInUser, startCore, type TestCore } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';

const file = stackPerFile();
const { cores } = file;

interface User {
  c: TestCore;
  jid: string;
  accountId: string;
  password: string;
}

async function user(prefix: string): Promise<User> {
  const u = await signedInUser(file.stack, prefix);
  cores.push(u.c);
  return u;
}

/** two users who see each other's presence (receipts need it, XEP-0184 §8) */
async function contacts(): Promise<[User, User]> {
  const [a, b] = await Promise.all([user('alice'), user('bob')]);
  await a.c.core.handlers['contact.add']({ accountId: a.accountId, jid: b.jid });
  await b.c.waitFor('contact.updated', (x) => x.jid === a.jid && x.pendingIn);
  await b.c.core.handlers['contact.approve']({ accountId: b.accountId, jid: a.jid });
  await a.c.waitFor('contact.updated', (x) => x.jid === b.jid && x.subscription === 'both');
  await b.c.waitFor('contact.updated', (x) => x.jid === a.jid && x.subscription === 'both');
  return [a, b];
}

const isState = (peer: string, state: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state === state;
/** the first matching event from index `mark` of the core's event log on */
function after<K extends EventName>(c: TestCore, mark: number, name: K, match: (p: EventPayloads[K]) => boolean): Promise<EventPayloads[K]> {
  return c.waitFor(name, (p) => match(p) && c.events.findIndex((e) => e.payload === p) >= mark);
}
const updatesOf = (c: TestCore, id: string): ChatMessage[] =>
  c.events.filter((e) => e.name === 'message.updated' && (e.payload as ChatMessage).id === id).map((e) => e.payload as ChatMessage);

describe('private conversation lifecycle', () => {
  it('bob restarts mid-conversation without his session: the unread message gets the OTR error, no receipt, and is re-sent in a new session', async () => {
    const [a, b] = await contacts();
    await a.c.core.handlers['otr.start']({ accountId: a.accountId, peer: b.jid });
    await a.c.waitFor('otr.status', isState(b.jid, 'private-unverified'));
    await b.c.waitFor('otr.status', isState(a.jid, 'private-unverified'));

    // Bob's messenger restarts without the session: sessions are kept across restarts
    // (otr/session-store.ts, tested in otr/persist.integration.test.ts), so its stored record is
    // removed here, as in a profile written before they were kept
    const mark = a.c.events.length;
    await b.c.close();
    await forgetOtrSessions(b.c);
    const b2 = await startCore({ profileDir: b.c.profileDir, keychainService: b.c.keychainService, extraCaPem: file.stack.caPem });
    cores.push(b2);
    await b2.waitFor('account.updated', (x) => x.status === 'online', 60_000);
    await after(a.c, mark, 'contact.updated', (x) => x.jid === b.jid && x.presence === 'online');

    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'into the old session' });
    expect(sent.encrypted).toBe(true);
    // Bob's device answers with the OTR error message of its version (OTRv4 §"Receiving an
    // Encrypted Data Message"); a receipt, had one been sent, would have come before it
    await a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'peer-error');
    const beforeResend = updatesOf(a.c, sent.id);
    expect(beforeResend.some((m) => m.delivery === 'delivered')).toBe(false);

    // recovery: a new session by itself, the message re-sent inside it, once, marked re-sent
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.resent === true);
    const got = await b2.waitFor('message.added', (m) => m.body === 'into the old session', 60_000);
    expect(got.encrypted).toBe(true);
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered');
    // "Delivered" only after bob's device showed it
    const deliveredAt = a.c.events.findIndex(
      (e) => e.name === 'message.updated' && (e.payload as ChatMessage).id === sent.id && (e.payload as ChatMessage).delivery === 'delivered',
    );
    const resentAt = a.c.events.findIndex(
      (e) => e.name === 'message.updated' && (e.payload as ChatMessage).id === sent.id && (e.payload as ChatMessage).resent === true,
    );
    expect(deliveredAt).toBeGreaterThan(resentAt);
    expect(b2.events.filter((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === 'into the old session')).toHaveLength(1);
    // the "re-sent" mark is in alice's history, not only on the event (it survives her restart)
    const stored = await a.c.core.handlers['messages.page']({ accountId: a.accountId, peer: b.jid, limit: 10 });
    expect(stored.find((m) => m.id === sent.id)).toMatchObject({ resent: true, delivery: 'delivered' });
    await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified' && s.queued === 0);
    // never in clear: everything bob's device got from alice was encrypted
    expect(b2.events.some((e) => e.name === 'message.added' && !(e.payload as ChatMessage).encrypted)).toBe(false);
  });

  it('a message written offline waits for a private session after the contact was switched to "always"', async () => {
    const [a, b] = await contacts();
    await a.c.core.handlers['account.disconnect']({ accountId: a.accountId });
    const written = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'written while offline' });
    expect(written).toMatchObject({ encrypted: false, delivery: 'pending' });
    await a.c.core.handlers['otr.policy.set']({ accountId: a.accountId, peer: b.jid, policy: 'always' });
    await a.c.core.handlers['account.connect']({ accountId: a.accountId });

    // it arrives, encrypted, and never in clear before that
    const got = await b.c.waitFor('message.added', (m) => m.body === 'written while offline', 60_000);
    expect(got.encrypted).toBe(true);
    expect(b.c.events.filter((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === 'written while offline')).toHaveLength(1);
    const mine = await a.c.waitFor('message.updated', (m) => m.id === written.id && m.delivery === 'delivered');
    expect(mine.encrypted).toBe(true);
  });

  it("a stranger's message is a message request: no contact, no key exchange until accepted", async () => {
    // one after the other: three sign-ins at once time out on a loaded machine
    const alice = await user('alice');
    const carol = await user('carol');
    const dave = await user('dave');
    await carol.c.core.handlers['message.send']({ accountId: carol.accountId, to: alice.jid, body: 'hello, we met at the fair' });
    const req = await alice.c.waitFor('request.updated', (r) => r.peer === carol.jid && r.messages.length === 1);
    // the opportunistic policy tags carol's plaintext (OTRv3 §"Tagged plaintext messages"): seen, not acted on
    expect(req).toMatchObject({ accountId: alice.accountId, messages: [{ body: 'hello, we met at the fair' }], askedPrivate: true });
    const A = alice.c.core.handlers;
    expect((await A['app.snapshot']({})).contacts.map((x) => x.jid)).not.toContain(carol.jid);
    expect(alice.c.events.some((e) => e.name === 'message.added' || (e.name === 'otr.status' && (e.payload as { peer: string }).peer === carol.jid))).toBe(
      false,
    );
    expect(await A['request.list']({ accountId: alice.accountId })).toHaveLength(1);

    // accepted: carol becomes a contact (roster, subscription asked) and the message joins the conversation
    const contact = await A['request.accept']({ accountId: alice.accountId, peer: carol.jid });
    expect(contact).toMatchObject({ jid: carol.jid, pendingOut: true });
    expect(await alice.c.waitFor('message.added', (m) => m.peer === carol.jid)).toMatchObject({
      body: 'hello, we met at the fair',
      encrypted: false,
      direction: 'in',
    });
    await alice.c.waitFor('request.removed', (r) => r.peer === carol.jid);
    expect(await A['request.list']({ accountId: alice.accountId })).toEqual([]);

    // blocked: the request goes, nothing of dave's is kept
    await dave.c.core.handlers['message.send']({ accountId: dave.accountId, to: alice.jid, body: 'buy now' });
    await alice.c.waitFor('request.updated', (r) => r.peer === dave.jid);
    await A['request.block']({ accountId: alice.accountId, peer: dave.jid });
    await alice.c.waitFor('request.removed', (r) => r.peer === dave.jid);
    expect((await A['app.snapshot']({})).contacts.map((x) => x.jid)).not.toContain(dave.jid);
    expect(alice.c.events.some((e) => e.name === 'message.added' && (e.payload as ChatMessage).peer === dave.jid)).toBe(false);
    await expect(A['request.ignore']({ accountId: alice.accountId, peer: dave.jid })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a new device of the contact sees who is online at once: presence waits for the roster, none is dropped', async () => {
    const [a, b] = await contacts();
    // bob signs in on a second device: a fresh profile, its roster not fetched yet
    const b2 = await startCore({ extraCaPem: file.stack.caPem });
    cores.push(b2);
    await b2.core.handlers['account.add']({ jid: b.jid, password: b.password, host: file.stack.host, port: file.stack.port });
    const seen = await b2.waitFor('contact.updated', (x) => x.jid === a.jid && x.presence === 'online');
    expect(seen).toMatchObject({ subscription: 'both' });
    // and alice sees bob's new device, a second resource (bob stays online when the first goes)
    await b.c.close();
    const snapshot = await a.c.core.handlers['app.snapshot']({});
    expect(snapshot.contacts.find((x) => x.jid === b.jid)?.presence).toBe('online');
  });

  it('no plaintext surprises: a contact known to speak OTR gets no clear text; clear text inside a private conversation is flagged', async () => {
    const [a, b] = await contacts();
    const A = a.c.core.handlers;
    // nothing known about bob yet: the composer is told that what alice writes goes in clear
    expect((await A['otr.status']({ accountId: a.accountId, peer: b.jid })).sendsInClear).toBe(true);

    // bob writes (his opportunistic policy tags the plaintext, OTRv3 §"Tagged plaintext messages")
    await b.c.core.handlers['message.send']({ accountId: b.accountId, to: a.jid, body: 'hi there' });
    await a.c.waitFor('message.added', (m) => m.body === 'hi there');
    // bob speaks OTR: alice's first message waits for the private session instead of going in clear
    expect((await A['otr.status']({ accountId: a.accountId, peer: b.jid })).sendsInClear).toBe(false);
    const reply = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'answered privately' });
    expect(reply.encrypted).toBe(true);
    const got = await b.c.waitFor('message.added', (m) => m.body === 'answered privately', 60_000);
    expect(got.encrypted).toBe(true);
    expect(b.c.events.filter((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === 'answered privately')).toHaveLength(1);
    await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified');

    // another device of bob's writes in clear while the conversation is private: a warning, and the status says so
    const raw = createClient({
      domain: file.stack.domain,
      host: file.stack.host,
      port: file.stack.port,
      extraCaPem: file.stack.caPem,
      credentials: { username: b.jid.split('@')[0] as string, password: b.password },
      resource: 'old-phone',
    });
    try {
      await raw.entity.start();
      await raw.entity.send(xml('message', { to: a.jid, type: 'chat', id: 'clear-1' }, xml('body', {}, 'sent without OTR')));
      await a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'plaintext-while-private');
      await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.receivedInClear === true && s.state === 'private-unverified');
      expect(await a.c.waitFor('message.added', (m) => m.body === 'sent without OTR')).toMatchObject({ encrypted: false });
    } finally {
      await raw.entity.stop().catch(() => {});
    }
  });
});
