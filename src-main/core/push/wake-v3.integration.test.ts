// The push handshake over OTRv3 on real servers (issue 14: "OTRv3 where the contact has only
// that"): two cores on real Prosody and real push servers (two-domain stack), the real keychain.
// Bob's core is asked for version 3 only, as an OTRv3 client (Pidgin, ChatSecure-era) asks: his
// whitespace-less "?OTRv3?" query reaches Alice's core, which then runs the OTRv3 AKE with Bob's
// core over XMPP. The offer carries TLV 8 (use 0x000001A4) and shared_key is the 32-byte extra
// symmetric key of that message (OTRv3 §"Extra symmetric key"). Then a knock sealed with it
// wakes Bob and the message arrives.
import { describe, expect, it } from 'vitest';
import { contactIs } from '../test-support/harness';
import { wakeKit, type User } from './test-support/wake-kit';

const { next, record, approvedPair } = wakeKit();

/** a private session of OTR version 3: Bob's core asks Alice's for version 3 only */
const startV3 = async (a: User, b: User): Promise<void> => {
  await a.hooks.otr(a.accountId)!.run((svc) => svc.receive(b.jid, '?OTRv3?'));
};

describe('the push handshake over OTRv3', () => {
  it('both approve in an OTRv3 session: the same 32-byte shared_key (TLV 8) on both sides; a knock sealed with it wakes Bob', async () => {
    const [a, b] = await approvedPair(startV3);
    expect((await a.c.core.handlers['otr.status']({ accountId: a.accountId, peer: b.jid })).version).toBe(3);
    const ra = record(a, b.jid)!;
    const rb = record(b, a.jid)!;
    expect(ra).toMatchObject({ otrVersion: 3, accountName: a.jid, buddyName: b.jid });
    expect(rb).toMatchObject({ otrVersion: 3, accountName: b.jid, buddyName: a.jid });
    expect(ra.sharedKey).toHaveLength(32);
    expect(ra.sharedKey).toEqual(rb.sharedKey);

    // Bob asleep; Alice writes: the knock (sealed with the OTRv3-derived key) wakes him
    const gone = next(a.c, 'contact.updated', contactIs(b.jid, { presence: 'offline' }));
    await b.c.core.handlers['push.sleep']({ accountId: b.accountId });
    await gone;
    const online = next(b.c, 'account.updated', (s) => s.id === b.accountId && s.status === 'online');
    const rotated = b.c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'record-rotated');
    await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'wake up, v3 bob' });
    await b.c.waitFor('otr.notice', (n) => n.peer === a.jid && n.kind === 'woken-by');
    await online;
    expect(await b.c.waitFor('message.added', (m) => m.body === 'wake up, v3 bob', 60_000)).toMatchObject({ direction: 'in', encrypted: true });
    await rotated;
    expect(record(a, b.jid)!.sharedKey).toEqual(record(b, a.jid)!.sharedKey);
    expect(record(b, a.jid)!.sharedKey).not.toEqual(rb.sharedKey);
  });
});
