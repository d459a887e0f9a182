// Revoke and ask again in the running core (issue 14 "revoke … and re-ask"; docs/push-in-the-app.md
// "Revoke and ask again"): two cores on real Prosody, Alice's push account on push.a and Bob's on
// push.b (the two-domain stack's federated pair), the real keychain, the real OTR session.
// Revoke deletes the record and our whitelist token and tells the contact over OTR (now, or with
// the next private session); afterwards either side may ask again, the other user is asked once,
// and when both say yes a fresh shared_key is stored on both sides and a knock wakes again.
import { describe, expect, it } from 'vitest';
import { contactIs } from '../test-support/harness';
import { wakeKit, type User } from './test-support/wake-kit';

const { next, record, approvedPair, privateWith } = wakeKit();
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

/** `asker` asks again (the list's "Ask again"); the other user is asked once and says yes */
async function askAgain(asker: User, other: User): Promise<void> {
  const prompted = next(other.c, 'push.prompt', (p) => p.peer === asker.jid && p.reason === 'their-offer');
  const stored = Promise.all([
    next(asker.c, 'push.notice', (n) => n.peer === other.jid && n.kind === 'record-stored'),
    next(other.c, 'push.notice', (n) => n.peer === asker.jid && n.kind === 'record-stored'),
  ]);
  expect(await asker.c.core.handlers['push.handshake.approve']({ accountId: asker.accountId, peer: other.jid })).toMatchObject({ state: 'offered' });
  await prompted;
  expect(await other.c.core.handlers['push.wakeups.list']({ accountId: other.accountId })).toEqual([
    expect.objectContaining({ peer: asker.jid, state: 'their-offer', canWake: false }),
  ]);
  expect(await other.c.core.handlers['push.handshake.approve']({ accountId: other.accountId, peer: asker.jid })).toMatchObject({
    state: 'done',
    canWake: true,
  });
  await stored;
}

/** `by` revokes; the contact is told over the private session and drops its record */
async function revoke(by: User, contact: User): Promise<void> {
  const told = next(contact.c, 'push.notice', (n) => n.peer === by.jid && n.kind === 'record-revoked-by-contact');
  expect(await by.c.core.handlers['push.wakeups.revoke']({ accountId: by.accountId, peer: contact.jid })).toMatchObject({ state: 'revoked', canWake: false });
  await told;
  expect(record(by, contact.jid)).toBeUndefined();
  expect(record(contact, by.jid)).toBeUndefined();
}

describe('revoke, then ask again', () => {
  it('Alice revokes, Bob asks again and Alice says yes: a knock wakes Bob again; then Bob revokes and Alice asks again', async () => {
    const [a, b] = await approvedPair();
    const first = hex(record(a, b.jid)!.sharedKey);

    await revoke(a, b);
    // Bob's core knocks no more
    expect(await b.hooks.push.knock(b.accountId, a.jid)).toBe(false);

    // the contact who was revoked asks again
    await askAgain(b, a);
    const second = hex(record(a, b.jid)!.sharedKey);
    expect(second).toBe(hex(record(b, a.jid)!.sharedKey));
    expect(second).not.toBe(first);

    // the new record wakes: Bob asleep, Alice writes, Bob's core logs in and reads it
    const gone = next(a.c, 'contact.updated', contactIs(b.jid, { presence: 'offline' }));
    await b.c.core.handlers['push.sleep']({ accountId: b.accountId });
    await gone;
    const online = next(b.c, 'account.updated', (s) => s.id === b.accountId && s.status === 'online');
    const woken = next(b.c, 'otr.notice', (n) => n.peer === a.jid && n.kind === 'woken-by');
    const rotated = Promise.all([
      next(a.c, 'push.notice', (n) => n.peer === b.jid && n.kind === 'record-rotated'),
      next(b.c, 'push.notice', (n) => n.peer === a.jid && n.kind === 'record-rotated'),
    ]);
    expect((await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'woken after asking again' })).encrypted).toBe(true);
    await woken;
    await online;
    expect(await b.c.waitFor('message.added', (m) => m.body === 'woken after asking again', 60_000)).toMatchObject({ direction: 'in', encrypted: true });
    await rotated;
    expect(hex(record(a, b.jid)!.sharedKey)).toBe(hex(record(b, a.jid)!.sharedKey));

    // the other way round: Bob revokes, Alice asks again, Bob says yes
    await revoke(b, a);
    await askAgain(a, b);
    expect(hex(record(a, b.jid)!.sharedKey)).toBe(hex(record(b, a.jid)!.sharedKey));
    expect(await a.c.core.handlers['push.wakeups.list']({ accountId: a.accountId })).toEqual([
      expect.objectContaining({ peer: b.jid, state: 'done', canWake: true }),
    ]);
  });

  it('a revoke made without a private session reaches the contact with the next one', async () => {
    const [a, b] = await approvedPair();
    const ended = next(a.c, 'otr.status', (s) => s.peer === b.jid && !s.state.startsWith('private'));
    await a.c.core.handlers['otr.end']({ accountId: a.accountId, peer: b.jid });
    await ended;
    expect(await a.c.core.handlers['push.wakeups.revoke']({ accountId: a.accountId, peer: b.jid })).toMatchObject({ state: 'revoked', canWake: false });
    expect(record(a, b.jid)).toBeUndefined();
    // not told yet: nothing private to tell it in
    expect(record(b, a.jid)).toBeDefined();

    const told = next(b.c, 'push.notice', (n) => n.peer === a.jid && n.kind === 'record-revoked-by-contact');
    const back = Promise.all([next(a.c, 'otr.status', privateWith(b.jid)), next(b.c, 'otr.status', privateWith(a.jid))]);
    await a.c.core.handlers['otr.start']({ accountId: a.accountId, peer: b.jid });
    await back;
    await told;
    expect(record(b, a.jid)).toBeUndefined();
    expect(await b.c.core.handlers['push.wakeups.list']({ accountId: b.accountId })).toEqual([
      expect.objectContaining({ peer: a.jid, state: 'revoked', canWake: false }),
    ]);
    // nobody was asked: a revoke is not a new question
    expect(a.c.events.filter((e) => e.name === 'push.prompt' && (e.payload as { reason: string }).reason === 'their-offer')).toHaveLength(0);
  });
});
