// The push handshake's link over OTR (otr/push-link.ts): TLV 0x01A4 travels in the private
// session with its TLV 7 (v4) / TLV 8 (v3) in the same data message, both sides get the same
// shared_key (push/shared-key.ts), nothing reaches the user, and without a private session
// nothing is sent. Real libraries and databases between two services (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import { PUSH_HANDSHAKE_TLV } from '../../../src-shared/otr/common/tlv';
import { PushHandshakeError } from '../push/errors';
import { deriveSharedKey, PUSH_KEY_USE } from '../push/shared-key';
import type { OtrAccount } from './account';
import { createOtrPushLink, isPushTlv, PUSH_KEY_USE_NUMBER, pushKeyInput } from './push-link';
import type { InboundTlv } from './wire';
import { A, B, ids, openDb, pump, side, useOtrFixtures, write, type Side } from './test-support/otr-pair';

useOtrFixtures();

const payload = new TextEncoder().encode('{"kind":"offer"}');

function sides(): { a: Side; b: Side; got: InboundTlv[] } {
  const got: InboundTlv[] = [];
  const a = side(A, ids.A, openDb());
  const b = side(B, ids.B, openDb(), 'opportunistic', { onTlv: (t) => got.push(t) });
  return { a, b, got };
}

/** an OtrPushLink over one side's service (OtrAccount.run without the account around it) */
const linkOf = (s: Side) => createOtrPushLink(() => ({ run: async <T>(f: (svc: Side['svc']) => T) => f(s.svc) }) as unknown as OtrAccount);

describe('OTR push link', () => {
  it('v4: the offer and its TLV 7 go in one message; both sides derive the same shared_key', async () => {
    const { a, b, got } = sides();
    a.svc.start(B);
    pump(a, b);
    const sent = await linkOf(a).sendPushTlv('acct', B, payload, { withKey: true });
    expect(a.out).toHaveLength(1); // ONE data message
    expect(a.out[0]!.body).not.toContain('offer');
    pump(a, b);
    expect(got).toHaveLength(1);
    const tlv = got[0]!;
    expect(isPushTlv(tlv)).toBe(true);
    expect(tlv.tlv).toEqual({ type: PUSH_HANDSHAKE_TLV, value: payload });
    expect(tlv.extraKey).toMatchObject({ version: 4, use: PUSH_KEY_USE_NUMBER });
    const theirs = pushKeyInput(tlv)!;
    expect(theirs.context).toEqual(PUSH_KEY_USE);
    const mine = deriveSharedKey(sent.key!);
    expect(mine).toHaveLength(64);
    expect(deriveSharedKey(theirs)).toEqual(mine);
    // nothing for the user; the conversation goes on
    expect(b.received).toEqual([]);
    expect(write(a, B, 'after the handshake')).toBe('sent');
    pump(a, b);
    expect(b.received.map((m) => m.text)).toEqual(['after the handshake']);
  });

  it('v3: TLV 8 with use 0x000001A4 in the same message; the same 32-byte key on both sides', async () => {
    const seen: InboundTlv[] = [];
    const a = side(A, ids.A, openDb(), 'opportunistic', { onTlv: (t) => seen.push(t) });
    const b = side(B, ids.B, openDb());
    // Alice's client asks for version 3 only (an OTRv3 client such as Pidgin)
    b.svc.receive(a.full, '?OTRv3?');
    pump(b, a);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', version: 3 });
    const sent = await linkOf(b).sendPushTlv('acct', A, payload, { withKey: true });
    expect(sent.key).toMatchObject({ version: 3 });
    expect(b.out).toHaveLength(1);
    pump(b, a);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.extraKey).toMatchObject({ version: 3, use: PUSH_KEY_USE_NUMBER });
    const mine = deriveSharedKey(sent.key!);
    expect(mine).toHaveLength(32);
    expect(deriveSharedKey(pushKeyInput(seen[0]!)!)).toEqual(mine);
    expect(a.received).toEqual([]);
  });

  it('an answer goes without a key TLV; the receiver gets no key with it', async () => {
    const { a, b, got } = sides();
    a.svc.start(B);
    pump(a, b);
    expect(await linkOf(a).sendPushTlv('acct', B, payload, { withKey: false })).toEqual({});
    pump(a, b);
    expect(got).toHaveLength(1);
    expect(got[0]!.extraKey).toBeUndefined();
    expect(pushKeyInput(got[0]!)).toBeUndefined();
  });

  it('a key TLV for another use reaches the push module as such, and is refused there', () => {
    const input = pushKeyInput({
      peer: A,
      from: A,
      tlv: { type: PUSH_HANDSHAKE_TLV, value: payload },
      extraKey: { version: 4, key: new Uint8Array(64), use: 0x42 },
    })!;
    expect(() => deriveSharedKey(input)).toThrow(PushHandshakeError);
  });

  it('without a private session nothing is sent: a typed error', async () => {
    const { a } = sides();
    await expect(linkOf(a).sendPushTlv('acct', B, payload, { withKey: true })).rejects.toMatchObject({ code: 'no-private-session' });
    expect(a.out).toEqual([]);
    await expect(createOtrPushLink(() => undefined).sendPushTlv('acct', B, payload, { withKey: false })).rejects.toBeInstanceOf(PushHandshakeError);
  });
});
