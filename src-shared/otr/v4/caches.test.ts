// The caches that make repeated DAKEs with a contact cheaper (docs/performance.md, OTRv4) must never
// change a result: a cached point is the same valid point, a cached profile signature still has
// its expiry and owner tag checked, a ring member with a window table still signs and verifies,
// and nothing invalid is ever cached.
import { describe, expect, it } from 'vitest';
import { OtrError } from '../common/errors';
import { createClientProfile, decodeClientProfile, validateClientProfile } from './client-profile';
import { decodePoint, encodePoint, G, Point } from './ed448';
import { edKeyPairFromSymmetric, generateEdKeyPair } from './keys';
import { ringSign, ringVerify } from './rsig';
import { seededRandom } from './test-support/engines';

const NOW = 1_704_000_000_000;

describe('decoded-point cache', () => {
  it('returns the same validated point for the same bytes, and never caches a refused one', () => {
    const P = G.multiply(424242n);
    const a = decodePoint(encodePoint(P));
    expect(decodePoint(encodePoint(P))).toBe(a);
    expect(a.equals(P)).toBe(true);
    const T2 = Point.fromAffine({ x: 0n, y: Point.Fp.ORDER - 1n }); // order 2
    const dirty = encodePoint(P.add(T2));
    for (let i = 0; i < 3; i++) expect(() => decodePoint(dirty)).toThrow(OtrError);
  });
});

describe('verified-signature cache of client profiles', () => {
  it('still checks expiry and owner tag; other bytes are verified afresh', () => {
    const keyPair = edKeyPairFromSymmetric(new Uint8Array(57).fill(11));
    const p = createClientProfile({ ownerTag: 0x4321, keyPair, forgingKey: G, versions: '4', expires: BigInt(NOW / 1000 + 3600) });
    validateClientProfile(decodeClientProfile(p.encoded), { senderTag: 0x4321, nowMs: NOW });
    expect(() => validateClientProfile(decodeClientProfile(p.encoded), { senderTag: 0x4322, nowMs: NOW })).toThrow(/owner tag/);
    expect(() => validateClientProfile(decodeClientProfile(p.encoded), { senderTag: 0x4321, nowMs: NOW + 7200_000 })).toThrow(/expired/);
    const forged = Uint8Array.from(p.encoded);
    forged[forged.length - 1]! ^= 0x01;
    for (let i = 0; i < 2; i++) expect(() => validateClientProfile(decodeClientProfile(forged), { nowMs: NOW })).toThrow(/signature is invalid/);
  });
});

describe('ring members with window tables', () => {
  it('sign and verify the same before and after the tables are built', () => {
    const rng = seededRandom('tables');
    const [a, b, c] = [generateEdKeyPair(rng), generateEdKeyPair(rng), generateEdKeyPair(rng)];
    const ring = [decodePoint(a.publicBytes), decodePoint(b.publicBytes), decodePoint(c.publicBytes)] as const;
    const m = new TextEncoder().encode('transcript');
    for (let i = 0; i < 5; i++) {
      const sig = ringSign(rng, b.secret, ring, m);
      expect(ringVerify(ring, sig, m)).toBe(true);
      expect(ringVerify(ring, { ...sig, r1: sig.r1 + 1n }, m)).toBe(false);
      expect(ringVerify(ring, sig, new TextEncoder().encode('other'))).toBe(false);
    }
  });
});
