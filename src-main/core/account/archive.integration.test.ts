// Issue 15, the server's archive (XEP-0313) against a real Prosody (scripts/stack, mod_mam): a
// new session catches up on what another device of the account took live, once; a message the
// server also delivered from offline storage is not doubled by the catch-up; "load earlier from
// the server" on a fresh profile brings the conversation back in order, and on a profile that
// has it adds nothing twice; archive results from anyone but our own account are dropped.
import xml from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { closeAndRemove, makeContacts, signedInUser, startCore, type TestCore, type TestUser } from '../test-support/harness';

let stack: Stack;
const cores: TestCore[] = [];
const raw: XmppClient[] = [];
let alice: TestUser & { password: string };
let bob: TestUser & { password: string };
/** alice's second device (another profile, another resource) */
let alice2: TestUser;
/** every body of the alice–bob conversation, in the order it was sent */
const sent: Array<{ body: string; direction: 'in' | 'out' }> = [];

/** another device of `u`'s account: a core on a fresh profile */
async function device(u: TestUser & { password: string }): Promise<TestUser> {
  const c = await startCore({ extraCaPem: stack.caPem });
  cores.push(c);
  const info = await c.core.handlers['account.add']({ jid: u.jid, password: u.password, host: stack.host, port: stack.port });
  await c.core.handlers['otr.policy.set']({ accountId: info.id, policy: 'manual' });
  return { c, accountId: info.id, jid: u.jid };
}

async function fromBob(body: string): Promise<void> {
  sent.push({ body, direction: 'in' });
  await bob.c.core.handlers['message.send']({ accountId: bob.accountId, to: alice.jid, body });
}

const bodies = (list: ChatMessage[]) => list.map((m) => m.body);
const count = (list: ChatMessage[], body: string) => list.filter((m) => m.body === body).length;
const added = (u: TestUser, body: string) => u.c.waitFor('message.added', (m) => m.peer === bob.jid && m.body === body);
const page = (u: TestUser) => u.c.core.handlers['messages.page']({ accountId: u.accountId, peer: bob.jid, limit: 500 });

beforeAll(async () => {
  stack = await startStack();
  for (const name of ['alice', 'bob'] as const) {
    const u = await signedInUser(stack, name);
    cores.push(u.c);
    // plain conversations: the archive keeps plaintext (OTR is per device and kept out of archives)
    await u.c.core.handlers['otr.policy.set']({ accountId: u.accountId, policy: 'manual' });
    if (name === 'alice') alice = u;
    else bob = u;
  }
  await makeContacts(alice, bob);
  alice2 = await device(alice);
}, 120_000);

afterAll(async () => {
  for (const r of raw) await r.entity.stop().catch(() => {});
  await closeAndRemove(cores);
  await stack?.stop();
});

describe('catch-up at each new session', () => {
  it('brings once what another device of the account took live while this one was away', async () => {
    for (const body of ['alice one', 'alice two']) {
      sent.push({ body, direction: 'out' });
      await alice.c.core.handlers['message.send']({ accountId: alice.accountId, to: bob.jid, body });
      await bob.c.waitFor('message.added', (m) => m.body === body);
    }
    await fromBob('bob before');
    await added(alice2, 'bob before');

    await alice2.c.core.handlers['account.disconnect']({ accountId: alice2.accountId });
    // the first device is online: the server delivers to it and stores nothing offline
    await fromBob('while the second device was away');
    await added(alice, 'while the second device was away');

    await alice2.c.core.handlers['account.connect']({ accountId: alice2.accountId });
    const missed = await added(alice2, 'while the second device was away');
    expect(missed).toMatchObject({ direction: 'in', delivery: 'delivered' });
    await fromBob('live after the catch-up');
    await added(alice2, 'live after the catch-up');

    const list = await page(alice2);
    expect(count(list, 'while the second device was away')).toBe(1);
    expect(count(list, 'bob before')).toBe(1);
  });

  it('does not double a message the server also delivered from offline storage', async () => {
    await alice.c.core.handlers['account.disconnect']({ accountId: alice.accountId });
    await alice2.c.core.handlers['account.disconnect']({ accountId: alice2.accountId });
    await fromBob('kept offline and archived');

    // offline delivery comes live with the new session's presence; the catch-up brings it again
    await alice2.c.core.handlers['account.connect']({ accountId: alice2.accountId });
    await added(alice2, 'kept offline and archived');
    await fromBob('marker after the offline one');
    await added(alice2, 'marker after the offline one');
    // a second new session: the catch-up starts after the newest entry seen and brings nothing twice
    await alice2.c.core.handlers['account.disconnect']({ accountId: alice2.accountId });
    await alice2.c.core.handlers['account.connect']({ accountId: alice2.accountId });
    await fromBob('second marker');
    await added(alice2, 'second marker');

    const list = await page(alice2);
    for (const body of ['kept offline and archived', 'marker after the offline one', 'while the second device was away']) expect(count(list, body)).toBe(1);
    await alice.c.core.handlers['account.connect']({ accountId: alice.accountId });
    await added(alice, 'kept offline and archived');
  });

  it('gives an archived OTR data message whose keys are gone to OTR, which finds it unreadable: nothing shown, nothing broken', async () => {
    // another device of bob's, a raw client: an OTRv3 data message no session of alice's can
    // read, without the hints that keep OTR out of archives (as libotr clients send them)
    const b = createClient({
      domain: stack.domain,
      host: stack.host,
      port: stack.port,
      extraCaPem: stack.caPem,
      credentials: { username: bob.jid.split('@')[0]!, password: bob.password },
    });
    raw.push(b);
    await b.entity.start();
    await alice2.c.core.handlers['account.disconnect']({ accountId: alice2.accountId });
    await b.entity.send(
      xml('message', { to: alice.jid, type: 'chat', id: 'otr-1' }, xml('body', {}, '?OTR:AAMDAAAAAQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.')),
    );
    await b.entity.stop();
    await fromBob('after the unreadable one');
    await added(alice, 'after the unreadable one');

    await alice2.c.core.handlers['account.connect']({ accountId: alice2.accountId });
    await added(alice2, 'after the unreadable one');
    await fromBob('still fine after the catch-up');
    await added(alice2, 'still fine after the catch-up');
    expect((await page(alice2)).some((m) => m.body.startsWith('?OTR'))).toBe(false);
    expect((await alice2.c.core.handlers['app.snapshot']({})).accounts[0]?.status).toBe('online');
  });
});

describe('load earlier from the server', () => {
  it('brings the conversation back on a fresh profile, oldest first, paging backwards', async () => {
    const fresh = await device(alice);
    // (its first catch-up may have brought what arrived in the second it signed in: the archive's
    // times are whole seconds)
    const initial = await page(fresh);
    const got: ChatMessage[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await fresh.c.core.handlers['messages.earlierFromServer']({ accountId: fresh.accountId, peer: bob.jid, limit: 3 });
      got.unshift(...r.messages);
      if (r.complete) break;
    }
    expect([...got, ...initial].map((m) => ({ body: m.body, direction: m.direction }))).toEqual(sent);
    // stored: the local history now holds the same, in the same order, and nothing is unread
    expect(bodies(await page(fresh))).toEqual(sent.map((s) => s.body));
    // history is not news: only what the catch-up brought may be unread
    const snapshot = await fresh.c.core.handlers['app.snapshot']({});
    expect(snapshot.contacts.find((c) => c.jid === bob.jid)?.unread).toBe(initial.filter((m) => m.direction === 'in').length);
  });

  it('adds nothing the profile already has', async () => {
    const before = await page(alice);
    const r = await alice.c.core.handlers['messages.earlierFromServer']({ accountId: alice.accountId, peer: bob.jid, limit: 50 });
    expect(r.messages).toEqual([]);
    expect(await page(alice)).toEqual(before);
  });
});

describe('hostile archive results', () => {
  it('drops results from anyone but our own account, malformed ones included, and keeps working', async () => {
    const name = `mallory${Date.now()}`;
    await stack.createAccount(name, 'mallory-pw');
    const m = createClient({
      domain: stack.domain,
      host: stack.host,
      port: stack.port,
      extraCaPem: stack.caPem,
      credentials: { username: name, password: 'mallory-pw' },
    });
    raw.push(m);
    await m.entity.start();
    const fake = (inner: ReturnType<typeof xml>[]) =>
      xml('message', { to: alice.jid, type: 'chat' }, xml('result', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1', id: 'forged' }, ...inner));
    const forwarded = xml(
      'forwarded',
      { xmlns: 'urn:xmpp:forward:0' },
      xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-01T00:00:00Z' }),
      xml('message', { from: `${bob.jid}/x`, to: alice.jid, type: 'chat' }, xml('body', {}, 'forged by mallory')),
    );
    await m.entity.send(fake([forwarded]));
    await m.entity.send(fake([xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, xml('message', {}, xml('body', {}, 'forged, no delay')))]));
    await m.entity.send(fake([]));
    // one sender's stanzas arrive in order: once this plain one is held as a request, the others were handled
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'plain' }, xml('body', {}, 'mallory in plain')));
    await alice.c.waitFor('request.updated', (r) => r.peer === `${name}@${stack.domain}`);
    expect(alice.c.events.some((e) => e.name === 'message.added' && (e.payload as ChatMessage).body.startsWith('forged'))).toBe(false);
    const [request] = await alice.c.core.handlers['request.list']({ accountId: alice.accountId });
    expect(request?.messages.map((x) => x.body)).toEqual(['mallory in plain']);
    await fromBob('still working');
    await added(alice, 'still working');
  });
});
