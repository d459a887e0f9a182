// Issue 15, daily use, against a real Prosody (scripts/stack): a search result opens its
// conversation around the message with pages before and after it; typing notifications both ways
// (XEP-0085) only with a contact who supports them; a contact's roster name (RFC 6121 §2.3) is the
// server's; blocking (XEP-0191) keeps a contact's messages away and the list is the server's; a
// conversation with an address that is not a contact; own presence and status message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import { MessengerError } from '../../../src-shared/ipc/result';
import { closeAndRemove, contactIs, makeContacts, signedInUser, startCore, type TestCore, type TestUser } from '../test-support/harness';

let stack: Stack;
const cores: TestCore[] = [];
let alice: TestUser & { password: string };
let bob: TestUser & { password: string };

async function user(prefix: string) {
  const u = await signedInUser(stack, prefix);
  cores.push(u.c);
  // plain conversations: no private session starts by itself (OTR opportunistic), so that no
  // message waits for one while a contact is blocked; OTR is not what these tests are about
  await u.c.core.handlers['otr.policy.set']({ accountId: u.accountId, policy: 'manual' });
  return u;
}

async function errorOf(p: Promise<unknown>): Promise<MessengerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MessengerError) return e;
    throw e;
  }
  throw new Error('expected a MessengerError');
}

beforeAll(async () => {
  stack = await startStack();
  alice = await user('alice');
  bob = await user('bob');
  await makeContacts(alice, bob);
}, 120_000);

afterAll(async () => {
  await closeAndRemove(cores);
  await stack?.stop();
});

describe('history around a search result', () => {
  it('opens at the message with pages before and after it that join the whole conversation', async () => {
    const A = alice.c.core.handlers;
    const ids: string[] = [];
    for (let i = 1; i <= 30; i++) {
      const body = i === 15 ? 'the hidden needle is here' : `ordinary line ${i}`;
      ids.push((await A['message.send']({ accountId: alice.accountId, to: bob.jid, body })).id);
    }
    const [hit] = await A['messages.search']({ query: 'needle', limit: 10 });
    expect(hit).toMatchObject({ accountId: alice.accountId, peer: bob.jid, messageId: ids[14] });

    const around = await A['messages.around']({ accountId: alice.accountId, peer: bob.jid, messageId: hit!.messageId, limit: 10 });
    expect(around.messages.map((m) => m.id)).toEqual(ids.slice(10, 20));
    expect(around.messages[4]?.body).toBe('the hidden needle is here');
    expect(around).toMatchObject({ hasEarlier: true, hasLater: true });

    // "load later" until the newest, "load earlier" (messages.page) until the oldest: no gap, no overlap
    let later = around.messages;
    const seen = [...around.messages.map((m) => m.id)];
    for (;;) {
      const next = await A['messages.after']({ accountId: alice.accountId, peer: bob.jid, after: later[later.length - 1]!.id, limit: 4 });
      if (next.length === 0) break;
      seen.push(...next.map((m) => m.id));
      later = next;
    }
    const earlier = await A['messages.page']({ accountId: alice.accountId, peer: bob.jid, before: around.messages[0]!.id, limit: 100 });
    expect([...earlier.map((m) => m.id), ...seen]).toEqual(ids);

    // at the newest message: nothing later; a message of another conversation is not found
    const end = await A['messages.around']({ accountId: alice.accountId, peer: bob.jid, messageId: ids[29]!, limit: 10 });
    expect(end.messages.map((m) => m.id)).toEqual(ids.slice(20, 30));
    expect(end).toMatchObject({ hasEarlier: true, hasLater: false });
    expect((await errorOf(A['messages.around']({ accountId: alice.accountId, peer: `nobody@${stack.domain}`, messageId: ids[0]!, limit: 10 }))).code).toBe(
      'not-found',
    );
  });
});

describe('typing notifications (XEP-0085)', () => {
  it('composing, paused after a while, active when the message is sent; both ways', async () => {
    const A = alice.c.core.handlers;
    const B = bob.c.core.handlers;
    const fromAlice = (state: string) => (p: { accountId: string; peer: string; state: string }) =>
      p.accountId === bob.accountId && p.peer === alice.jid && p.state === state;
    // alice never heard a chat state from bob: his device's disco#info says he supports them
    await A['chatState.set']({ accountId: alice.accountId, peer: bob.jid, state: 'composing' });
    await bob.c.waitFor('chatState.changed', fromAlice('composing'));
    // no new keystroke: paused (the core's timer; waited for as an event)
    await bob.c.waitFor('chatState.changed', fromAlice('paused'));
    await A['chatState.set']({ accountId: alice.accountId, peer: bob.jid, state: 'composing' });
    const n = bob.c.events.filter((e) => e.name === 'chatState.changed').length;
    await A['message.send']({ accountId: alice.accountId, to: bob.jid, body: 'typed it' });
    await bob.c.waitFor('message.added', (m) => m.body === 'typed it');
    await bob.c.waitFor('chatState.changed', (p) => fromAlice('active')(p) && bob.c.events.filter((e) => e.name === 'chatState.changed').length > n);

    // the other way, and 'gone' when bob leaves the conversation
    const fromBob = (state: string) => (p: { accountId: string; peer: string; state: string }) =>
      p.accountId === alice.accountId && p.peer === bob.jid && p.state === state;
    await B['chatState.set']({ accountId: bob.accountId, peer: alice.jid, state: 'composing' });
    await alice.c.waitFor('chatState.changed', fromBob('composing'));
    await B['chatState.set']({ accountId: bob.accountId, peer: alice.jid, state: 'gone' });
    await alice.c.waitFor('chatState.changed', fromBob('gone'));
    // a standalone notification is never a message in the conversation
    expect(
      alice.c.events.filter(
        (e) => e.name === 'message.added' && (e.payload as { peer: string }).peer === bob.jid && (e.payload as { direction: string }).direction === 'in',
      ),
    ).toHaveLength(0);
  });
});

describe('contacts', () => {
  it("a new name is the roster's: another device of the account sees it", async () => {
    const A = alice.c.core.handlers;
    const renamed = await A['contact.rename']({ accountId: alice.accountId, jid: bob.jid, name: 'Bobby Tables' });
    expect(renamed.name).toBe('Bobby Tables');
    const second = await startCore({ extraCaPem: stack.caPem });
    cores.push(second);
    await second.core.handlers['account.add']({ jid: alice.jid, password: alice.password, host: stack.host, port: stack.port });
    await second.waitFor('contact.updated', contactIs(bob.jid, { name: 'Bobby Tables' }));
    // an empty name removes it
    const cleared = await A['contact.rename']({ accountId: alice.accountId, jid: bob.jid, name: '' });
    expect(cleared.name).toBeUndefined();
    await second.waitFor('contact.updated', (c) => c.jid === bob.jid && c.name === undefined);
    // its presence would hide alice's own presence from bob later (the most available device wins)
    await second.close();
  });

  it("blocking keeps a contact's messages away; the list is the server's", async () => {
    const A = alice.c.core.handlers;
    const B = bob.c.core.handlers;
    await A['contact.block']({ accountId: alice.accountId, jid: bob.jid });
    expect(await A['contact.blocklist']({ accountId: alice.accountId })).toEqual([bob.jid]);
    await alice.c.waitFor('blocklist.updated', (p) => p.accountId === alice.accountId && p.blocked.includes(bob.jid));
    // the server stops routing his presence: he shows offline, not the last thing he said
    await alice.c.waitFor('contact.updated', contactIs(bob.jid, { presence: 'offline' }));
    // bob's message reaches the server (acked or refused) while alice blocks him
    const blockedMsg = await B['message.send']({ accountId: bob.accountId, to: alice.jid, body: 'while you blocked me' });
    await bob.c.waitFor('message.updated', (m) => m.id === blockedMsg.id && (m.delivery === 'sent' || m.delivery === 'failed'));

    // the block list survives: a new device of alice's account gets it from the server
    const third = await startCore({ extraCaPem: stack.caPem });
    cores.push(third);
    const info = await third.core.handlers['account.add']({ jid: alice.jid, password: alice.password, host: stack.host, port: stack.port });
    await third.waitFor('blocklist.updated', (p) => p.blocked.includes(bob.jid));
    expect(await third.core.handlers['contact.blocklist']({ accountId: info.id })).toEqual([bob.jid]);
    await third.close();

    const seen = alice.c.events.length;
    await A['contact.unblock']({ accountId: alice.accountId, jid: bob.jid });
    expect(await A['contact.blocklist']({ accountId: alice.accountId })).toEqual([]);
    // unblocked, his presence flows again
    await alice.c.waitFor('contact.updated', (c) => contactIs(bob.jid, { presence: 'online' })(c) && alice.c.events.findIndex((e) => e.payload === c) >= seen);
    await B['message.send']({ accountId: bob.accountId, to: alice.jid, body: 'after the unblock' });
    await alice.c.waitFor('message.added', (m) => m.body === 'after the unblock');
    // messages from one sender arrive in order: the one sent while blocked never came
    expect(alice.c.events.some((e) => e.name === 'message.added' && (e.payload as { body: string }).body === 'while you blocked me')).toBe(false);
  });

  it('a conversation with an address that is not a contact: their answer is not a stranger’s request', async () => {
    const dave = await user('dave');
    const A = alice.c.core.handlers;
    const c = await A['conversation.start']({ accountId: alice.accountId, jid: dave.jid });
    expect(c).toMatchObject({ jid: dave.jid, subscription: 'none', pendingOut: false });
    await A['message.send']({ accountId: alice.accountId, to: dave.jid, body: 'hello stranger' });
    // dave has no contact entry for alice: a message request on his side
    await dave.c.waitFor('request.updated', (r) => r.peer === alice.jid);
    await dave.c.core.handlers['request.accept']({ accountId: dave.accountId, peer: alice.jid });
    await dave.c.core.handlers['message.send']({ accountId: dave.accountId, to: alice.jid, body: 'hello to you' });
    await alice.c.waitFor('message.added', (m) => m.peer === dave.jid && m.body === 'hello to you');
    expect(alice.c.events.some((e) => e.name === 'request.updated')).toBe(false);
  });

  it("blocking a stranger's message request blocks them on the server", async () => {
    const eve = await user('eve');
    await eve.c.core.handlers['message.send']({ accountId: eve.accountId, to: alice.jid, body: 'buy my stuff' });
    await alice.c.waitFor('request.updated', (r) => r.peer === eve.jid);
    await alice.c.core.handlers['request.block']({ accountId: alice.accountId, peer: eve.jid });
    await alice.c.waitFor('blocklist.updated', (p) => p.blocked.includes(eve.jid));
    expect(await alice.c.core.handlers['contact.blocklist']({ accountId: alice.accountId })).toEqual([eve.jid]);
    await alice.c.core.handlers['contact.unblock']({ accountId: alice.accountId, jid: eve.jid });
  });

  it('own presence and status message reach the contacts', async () => {
    const own = await alice.c.core.handlers['presence.set']({ accountId: alice.accountId, show: 'dnd', status: 'in a meeting' });
    expect(own).toEqual({ accountId: alice.accountId, show: 'dnd', status: 'in a meeting' });
    expect(await alice.c.core.handlers['presence.get']({ accountId: alice.accountId })).toEqual(own);
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { presence: 'dnd', status: 'in a meeting' }));
    await alice.c.core.handlers['presence.set']({ accountId: alice.accountId, show: 'online', status: '' });
    await bob.c.waitFor('contact.updated', (c) => c.jid === alice.jid && c.presence === 'online' && c.status === undefined);
  });
});
