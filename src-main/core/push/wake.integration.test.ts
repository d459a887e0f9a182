// Wake-ups in the running core (issue 14; docs/push-in-the-app.md): two cores on real Prosody,
// each with a push account on a real push server (the two-domain stack's federated pair: Alice's
// on push.a, Bob's on push.b), the real keychain. The handshake goes over the real OTR session
// (otr/push-link.ts): both approve → both store a record with the same shared_key; one declines
// → nothing stored; a malformed TLV 0x01A4 is refused with a notice. Then knocks from the send
// path: Bob offline, Alice writes, the knock reaches Bob's desktop channel, his core logs in,
// the message arrives and shared_key is rotated; knocks sealed with a wrong (rotated-out) key and
// a replayed knock change nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PushClient } from '../../../src-shared/node-push/client';
import { createOtrPushLink } from '../otr/push-link';
import { contactIs, forgetOtrSessions, startCore } from '../test-support/harness';
import { pushTestHooks } from './app-wiring';
import { sealKnockFor } from './knock';
import { wakeKit, type User } from './test-support/wake-kit';

const kit = wakeKit();
const { cores, pushEvent, next, privatePair, record, approvedPair, sendKnock } = kit;

describe('the push handshake over real OTR sessions', () => {
  it('both approve: both store a record with the same shared_key, and the seven fields', async () => {
    const [a, b] = await approvedPair();
    const ra = record(a, b.jid)!;
    const rb = record(b, a.jid)!;
    expect(ra.sharedKey).toEqual(rb.sharedKey);
    expect(ra.sharedKey.length).toBe(64); // OTRv4 session
    expect(ra).toMatchObject({ protocol: 'xmpp', accountName: a.jid, buddyName: b.jid, apiEndpoint: a.endpoint, buddyApiEndpoint: b.endpoint, otrVersion: 4 });
    expect(rb).toMatchObject({ accountName: b.jid, buddyName: a.jid, pushName: ra.buddyPushName, buddyPushName: ra.pushName });
    // nothing of it reached the renderer
    const hex = Buffer.from(ra.sharedKey).toString('hex');
    expect(JSON.stringify(a.c.events) + JSON.stringify(b.c.events)).not.toContain(hex);
    expect(await a.c.core.handlers['push.wakeups.list']({ accountId: a.accountId })).toEqual([
      expect.objectContaining({ peer: b.jid, canWake: true, state: 'done' }),
    ]);
  });

  it('one declines: nothing stored on either side; the other side only sees that no wake-up is possible', async () => {
    const [a, b] = await privatePair();
    const theirOffer = b.c.waitFor('push.prompt', (p) => p.peer === a.jid && p.reason === 'their-offer');
    await a.c.core.handlers['push.handshake.approve']({ accountId: a.accountId, peer: b.jid });
    await theirOffer;
    expect(await b.c.core.handlers['push.handshake.decline']({ accountId: b.accountId, peer: a.jid })).toMatchObject({ state: 'declined', canWake: false });
    expect(record(a, b.jid)).toBeUndefined();
    expect(record(b, a.jid)).toBeUndefined();
    expect(await a.c.core.handlers['push.wakeups.list']({ accountId: a.accountId })).toEqual([expect.objectContaining({ peer: b.jid, canWake: false })]);
    // Alice writes while Bob is offline: no record, so no knock; the message still goes privately
    const gone = next(a.c, 'contact.updated', contactIs(b.jid, { presence: 'offline' }));
    // "Go offline" (not asleep): unreachable, so Bob's desktop channel closes too (push/sleep.ts)
    const channelOff = next(b.c, 'push.status', (st) => st.accountId === b.accountId && st.status === 'off');
    expect(await b.c.core.handlers['account.disconnect']({ accountId: b.accountId })).not.toHaveProperty('asleep');
    await gone;
    await channelOff;
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'no knock for this one' });
    expect(sent.encrypted).toBe(true);
    expect(await a.hooks.push.knock(a.accountId, b.jid)).toBe(false);
    expect(a.pushEvents.some((e) => e.type === 'knock-sent')).toBe(false);
  });

  it('a malformed TLV 0x01A4 is refused with a notice; nothing is stored', async () => {
    const [a, b] = await privatePair();
    const link = createOtrPushLink((id) => a.hooks.otr(id));
    const notice = b.c.waitFor('otr.notice', (n) => n.peer === a.jid && n.kind === 'wake-refused');
    const pushNotice = b.c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'handshake-refused');
    await link.sendPushTlv(a.accountId, b.jid, new TextEncoder().encode('{"kind":"offer", not json'), { withKey: true });
    expect(await notice).toMatchObject({ kind: 'wake-refused', reason: 'malformed' });
    await pushNotice;
    expect(record(b, a.jid)).toBeUndefined();
    expect(b.hooks.push.store.handshake(b.accountId, a.jid)?.state).toBe('asking');
  });
});

describe('knocks and wake-ups', () => {
  it('Bob asleep: Alice writes, the knock wakes Bob, he logs in, the message arrives, shared_key rotates; wrong keys and replays change nothing', async () => {
    const [a, b] = await approvedPair();
    const before = record(a, b.jid)!;

    const gone = next(a.c, 'contact.updated', contactIs(b.jid, { presence: 'offline' }));
    const asleep = await b.c.core.handlers['push.sleep']({ accountId: b.accountId });
    expect(asleep).toMatchObject({ status: 'offline', asleep: true });
    await gone;
    // asleep keeps the desktop channel: still connected
    expect((await b.c.core.handlers['push.settings.get']({ accountId: b.accountId })).status).toBe('connected');

    // a knock sealed with a wrong key: dropped, Bob stays offline
    const wrong = sealKnockFor({ ...before, sharedKey: new Uint8Array(randomBytes(64)) }, Date.now(), (n) => new Uint8Array(randomBytes(n)));
    await sendKnock(a, wrong);
    expect(await pushEvent(b, (e) => e.type === 'knock-dropped')).toEqual({ type: 'knock-dropped', reason: 'wrong-key' });

    const online = next(b.c, 'account.updated', (s) => s.id === b.accountId && s.status === 'online');
    const woken = b.c.waitFor('otr.notice', (n) => n.peer === a.jid && n.kind === 'woken-by');
    const knocked = a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'wake-sent');
    const rotated = Promise.all([
      a.c.waitFor('push.notice', (n) => n.peer === b.jid && n.kind === 'record-rotated'),
      b.c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'record-rotated'),
    ]);
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'wake up, bob' });
    expect(sent.encrypted).toBe(true);
    await knocked;
    await woken;
    expect(b.pushEvents.filter((e) => e.type === 'wake-requested')).toHaveLength(1);
    // woken: online, no longer asleep
    expect(await online).not.toHaveProperty('asleep');
    expect(await b.c.waitFor('message.added', (m) => m.body === 'wake up, bob')).toMatchObject({ direction: 'in', encrypted: true });
    await rotated;
    const after = record(a, b.jid)!;
    expect(after.sharedKey).toEqual(record(b, a.jid)!.sharedKey);
    expect(after.sharedKey).not.toEqual(before.sharedKey);
    // nothing went in clear: the knock carried no content
    expect(JSON.stringify(b.pushEvents)).not.toContain('wake up, bob');

    // the rotated-out key no longer opens a knock
    await sendKnock(
      a,
      sealKnockFor(before, Date.now(), (n) => new Uint8Array(randomBytes(n))),
    );
    expect(await pushEvent(b, (e) => e.type === 'knock-dropped' && b.pushEvents.filter((x) => x.type === 'knock-dropped').length === 2)).toEqual({
      type: 'knock-dropped',
      reason: 'wrong-key',
    });

    // a valid knock opens once; the same knock again is a replay and changes nothing
    const valid = sealKnockFor(after, Date.now(), (n) => new Uint8Array(randomBytes(n)));
    await sendKnock(a, valid);
    await pushEvent(b, (e) => e.type === 'wake-requested' && b.pushEvents.filter((x) => x.type === 'wake-requested').length === 2);
    // Alice's push server refuses the same knock id (the core's own replay check behind it:
    // knock.test.ts); Bob's core sees nothing more
    await expect(sendKnock(a, valid)).rejects.toMatchObject({ status: 409 });
    expect(b.pushEvents.filter((e) => e.type === 'wake-requested')).toHaveLength(2);
  });

  it("Bob's messenger restarted while asleep and lost its OTR session: the knock logs him in, a new private session starts, the message arrives, shared_key rotates", async () => {
    const [a, b0] = await approvedPair();
    const before = record(a, b0.jid)!;
    const gone = next(a.c, 'contact.updated', contactIs(b0.jid, { presence: 'offline' }));
    await b0.c.core.handlers['push.sleep']({ accountId: b0.accountId });
    await gone;
    // Bob's messenger restarts: the account is still asleep (the choice is kept), the desktop channel
    // comes back. Sessions are kept across restarts (otr/session-store.ts); this one is lost, as in
    // a profile written before they were kept, for the path where a new session must start
    await b0.c.close();
    await forgetOtrSessions(b0.c);
    const c = await startCore({ profileDir: b0.c.profileDir, keychainService: b0.c.keychainService, extraCaPem: kit.stack.caPem });
    cores.push(c);
    await c.waitFor('push.status', (s) => s.accountId === b0.accountId && s.status === 'connected');
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([expect.objectContaining({ id: b0.accountId, status: 'offline', asleep: true })]);
    const hooks = pushTestHooks.get(c.core)!;
    const b: User = { ...b0, c, hooks, pushEvents: [] };
    hooks.onPushEvent((e) => b.pushEvents.push(e));
    expect((await c.core.handlers['otr.status']({ accountId: b.accountId, peer: a.jid })).state).toBe('not-private');

    const rotated = Promise.all([
      a.c.waitFor('push.notice', (n) => n.peer === b.jid && n.kind === 'record-rotated'),
      c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'record-rotated'),
    ]);
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'are you there, bob?' });
    expect(sent.encrypted).toBe(true);
    await c.waitFor('otr.notice', (n) => n.peer === a.jid && n.kind === 'woken-by');
    await c.waitFor('otr.status', (s) => s.peer === a.jid && s.state.startsWith('private'));
    expect(await c.waitFor('message.added', (m) => m.body === 'are you there, bob?', 60_000)).toMatchObject({ direction: 'in', encrypted: true });
    await rotated;
    expect(record(a, b.jid)!.sharedKey).toEqual(record(b, a.jid)!.sharedKey);
    expect(record(a, b.jid)!.sharedKey).not.toEqual(before.sharedKey);
    // woken stays online: after another restart the account connects by itself
    await c.close();
    const c2 = await startCore({ profileDir: b0.c.profileDir, keychainService: b0.c.keychainService, extraCaPem: kit.stack.caPem });
    cores.push(c2);
    expect(await c2.waitFor('account.updated', (s) => s.id === b0.accountId && s.status === 'online', 60_000)).not.toHaveProperty('asleep');
  });
});

describe("the knocker's messenger restarted", () => {
  it("Alice restarted since the last session (Bob's still says private): the knock wakes Bob, the message arrives, and shared_key still rotates on both sides", async () => {
    const [a0, b] = await approvedPair();
    const before = record(a0, b.jid)!;
    await a0.c.close();
    const c = await startCore({ profileDir: a0.c.profileDir, keychainService: a0.c.keychainService, extraCaPem: kit.stack.caPem });
    cores.push(c);
    const a: User = { ...a0, c, hooks: pushTestHooks.get(c.core)!, pushEvents: [] };
    await c.waitFor('push.status', (s) => s.accountId === a.accountId && s.status === 'connected');
    await c.waitFor('contact.updated', contactIs(b.jid, { presence: 'online' }), 60_000);
    const gone = next(c, 'contact.updated', contactIs(b.jid, { presence: 'offline' }));
    await b.c.core.handlers['push.sleep']({ accountId: b.accountId });
    await gone;
    // Bob's core still holds the session Alice's restart left behind
    expect((await b.c.core.handlers['otr.status']({ accountId: b.accountId, peer: a.jid })).state).toBe('private-unverified');
    const rotated = Promise.all([
      next(c, 'push.notice', (n) => n.peer === b.jid && n.kind === 'record-rotated'),
      next(b.c, 'push.notice', (n) => n.peer === a.jid && n.kind === 'record-rotated'),
    ]);
    await c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'written after a restart' });
    expect(await b.c.waitFor('message.added', (m) => m.body === 'written after a restart', 60_000)).toMatchObject({ direction: 'in', encrypted: true });
    await rotated;
    expect(record(a, b.jid)!.sharedKey).toEqual(record(b, a.jid)!.sharedKey);
    expect(record(a, b.jid)!.sharedKey).not.toEqual(before.sharedKey);
  });
});

describe('revoke', () => {
  it('Alice revokes: both records go, her whitelist token is deleted on push.a, and a knock with the old key is dropped', async () => {
    const [a, b] = await approvedPair();
    const old = record(a, b.jid)!;
    const ourToken = old.ourToken!;
    expect(ourToken).toBeTruthy();
    const told = b.c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'record-revoked-by-contact');
    expect(await a.c.core.handlers['push.wakeups.revoke']({ accountId: a.accountId, peer: b.jid })).toMatchObject({ state: 'revoked', canWake: false });
    await told;
    expect(record(a, b.jid)).toBeUndefined();
    expect(record(b, a.jid)).toBeUndefined();
    expect(await b.c.core.handlers['push.wakeups.list']({ accountId: b.accountId })).toEqual([
      expect.objectContaining({ peer: a.jid, state: 'revoked', canWake: false }),
    ]);
    // a ChatSecure-era client knocking with the revoked whitelist token: the token is gone on push.a
    const chatsecure = new PushClient({ endpoint: a.endpoint, ca: kit.stack.caPem });
    try {
      await expect(chatsecure.sendMessage({ token: ourToken })).rejects.toMatchObject({ status: 404 });
    } finally {
      chatsecure.close();
    }
    // Bob's core knocks no more (no record), and a knock sealed with the old key is dropped by Alice's core
    expect(await b.hooks.push.knock(b.accountId, a.jid)).toBe(false);
    await sendKnock(
      b,
      sealKnockFor(
        {
          ...old,
          accountName: b.jid,
          buddyName: a.jid,
          pushName: old.buddyPushName,
          buddyPushName: old.pushName,
          apiEndpoint: old.buddyApiEndpoint,
          buddyApiEndpoint: old.apiEndpoint,
        },
        Date.now(),
        (n) => new Uint8Array(randomBytes(n)),
      ),
    );
    expect(await pushEvent(a, (e) => e.type === 'knock-dropped')).toEqual({ type: 'knock-dropped', reason: 'unknown-sender' });
    expect(a.pushEvents.some((e) => e.type === 'wake-requested')).toBe(false);
  });
});
