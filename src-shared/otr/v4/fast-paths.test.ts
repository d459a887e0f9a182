// The DAKE's fast paths (docs/performance.md, "OTRv4 DAKE", round three) must give the same answers
// as the plain computations they replace.
import { describe, expect, it } from 'vitest';
import { OtrError } from '../common/errors';
import { decodePoint, ecdh, encodePoint, Fn, G, isInPrimeOrderSubgroup, isInPrimeOrderSubgroupByMultiplication, noteRecurringUse, Point } from './ed448';
import { generateEcdhKeyPair, generateEdKeyPair } from './keys';
import { createPrekeyProfile, decodePrekeyProfile, validatePrekeyProfile } from './prekey-profile';
import { type MemberKind, ringSign, ringVerify } from './rsig';
import { seededRandom } from './test-support/engines';
import { isInPrimeOrderSubgroupFast } from './subgroup';

describe('prime-order subgroup check without the multiplication by q', () => {
  // E(F_p) = Z/4 ⊕ Z/q: T4 = (1, 0) has order 4, so X + k·T4 (k = 0..3) visits all four cosets
  const T4 = Point.fromAffine({ x: 1n, y: 0n });
  const torsion = [Point.ZERO, T4, T4.double(), T4.double().add(T4)];

  it('has order 4 for T4 (the premise of the cosets below)', () => {
    expect(T4.is0()).toBe(false);
    expect(T4.double().is0()).toBe(false);
    expect(T4.double().double().is0()).toBe(true);
  });

  it('agrees with q·X = I on points of every coset of E[q]', () => {
    const rng = seededRandom('subgroup');
    for (let i = 0; i < 48; i++) {
      const k = Fn.create(BigInt('0x' + Buffer.from(rng(57)).toString('hex'))) || 1n;
      const x = G.multiply(k);
      torsion.forEach((t, j) => {
        const p = Point.fromBytes(x.add(t).toBytes()); // as a received point: affine, Z = 1
        const expected = isInPrimeOrderSubgroupByMultiplication(p);
        expect(expected).toBe(j === 0);
        expect(isInPrimeOrderSubgroupFast(p)).toBe(expected);
        expect(isInPrimeOrderSubgroupFast(x.add(t))).toBe(expected); // projective, Z ≠ 1
      });
    }
  });

  it('refuses the identity and the small-order points, accepts G and small multiples', () => {
    for (const t of torsion) expect(isInPrimeOrderSubgroup(t)).toBe(false);
    for (const k of [1n, 2n, 3n, 4n, 5n, Fn.ORDER - 1n]) {
      expect(isInPrimeOrderSubgroup(G.multiply(k))).toBe(true);
      for (const t of torsion.slice(1)) expect(isInPrimeOrderSubgroup(G.multiply(k).add(t))).toBe(false);
    }
  });

  it('makes decodePoint refuse a point with a torsion component', () => {
    const x = G.multiply(987654321n);
    for (const t of torsion.slice(1)) expect(() => decodePoint(encodePoint(x.add(t)))).toThrow(OtrError);
    expect(decodePoint(encodePoint(x)).equals(x)).toBe(true);
  });
});

describe('RVrf with a ring member whose secret the verifier holds', () => {
  it('accepts and refuses exactly what the plain verification does', () => {
    const rng = seededRandom('known-secret');
    const [a, b] = [generateEdKeyPair(rng), generateEdKeyPair(rng)];
    const own = generateEcdhKeyPair(rng);
    const ring = [decodePoint(a.publicBytes), decodePoint(b.publicBytes), own.public] as const;
    const m = new TextEncoder().encode('transcript');
    for (let i = 0; i < 3; i++) {
      const sig = ringSign(rng, b.secret, ring, m);
      const variants = [sig, { ...sig, r3: sig.r3 + 1n }, { ...sig, c3: sig.c3 + 1n }, { ...sig, r2: sig.r2 + 1n }];
      const expected = [true, false, false, false];
      variants.forEach((v, k) => {
        expect(ringVerify(ring, v, m)).toBe(expected[k]);
        expect(ringVerify(ring, v, m, { knownSecrets: [own] })).toBe(expected[k]);
      });
    }
    // signed by the member whose secret is known (the verifier's own key): still verifies
    const mine = ringSign(rng, own.secret, ring, m, { signerPublic: own.public });
    expect(ringVerify(ring, mine, m, { knownSecrets: [own] })).toBe(true);
    expect(ringVerify(ring, mine, m)).toBe(true);
  });

  it('is used only for the very member object given', () => {
    const rng = seededRandom('known-secret-2');
    const [a, b] = [generateEdKeyPair(rng), generateEdKeyPair(rng)];
    const own = generateEcdhKeyPair(rng);
    const ring = [a.public, b.public, own.public] as const;
    const m = new TextEncoder().encode('t');
    const sig = ringSign(rng, a.secret, ring, m, { signerPublic: a.public });
    // a wrong secret for another object is ignored, not applied
    expect(ringVerify(ring, sig, m, { knownSecrets: [{ public: G.multiply(5n), secret: 5n }] })).toBe(true);
  });
});

describe('window tables for recurring points', () => {
  it('ECDH gives the same shared secret before and after the point has a table', () => {
    const rng = seededRandom('tables-ecdh');
    const theirs = decodePoint(generateEdKeyPair(rng).publicBytes);
    const ours = generateEcdhKeyPair(rng);
    const plain = theirs.multiply(ours.secret).toBytes();
    for (let i = 0; i < 5; i++) expect(ecdh(ours.secret, theirs, true)).toEqual(plain);
    expect(noteRecurringUse(theirs)).toBe(true);
    const ephemeral = generateEcdhKeyPair(rng).public;
    for (let i = 0; i < 3; i++) ecdh(ours.secret, ephemeral);
    expect(noteRecurringUse(ephemeral)).toBe(false); // not counted: no table for an ephemeral key
  });

  it("ring signatures count a member towards a table only if it is 'recurring'", () => {
    const rng = seededRandom('tables-recurring');
    const [a, b] = [generateEdKeyPair(rng), generateEdKeyPair(rng)];
    const eph = generateEcdhKeyPair(rng);
    const ring = [decodePoint(a.publicBytes), b.public, eph.public] as const;
    const m = new TextEncoder().encode('t');
    const kinds = (p: Point): MemberKind => (p === b.public ? 'recurring' : p === ring[0] ? 'key' : 'ephemeral');
    for (let i = 0; i < 4; i++) {
      const sig = ringSign(rng, b.secret, ring, m, { signerPublic: b.public, memberKind: kinds });
      expect(ringVerify(ring, sig, m, { memberKind: kinds })).toBe(true);
      expect(ringVerify(ring, sig, m, { memberKind: () => 'ephemeral' })).toBe(true);
      expect(ringVerify(ring, { ...sig, c1: sig.c1 + 1n }, m, { memberKind: kinds })).toBe(false);
    }
    // b was used (verifier side) often enough for a table; the 'key' and the 'ephemeral' member
    // were not counted
    expect(noteRecurringUse(b.public)).toBe(true);
    expect(noteRecurringUse(ring[0])).toBe(false);
    expect(noteRecurringUse(eph.public)).toBe(false);
  });

  it('keeps at most 32 tables, dropping the least recently used, and results stay right', () => {
    const rng = seededRandom('tables-lru');
    const points = Array.from({ length: 34 }, () => generateEcdhKeyPair(rng).public);
    for (const p of points) for (let i = 0; i < 3; i++) noteRecurringUse(p);
    // the first two were evicted: their count starts again
    expect(noteRecurringUse(points[0]!)).toBe(false);
    expect(noteRecurringUse(points[33]!)).toBe(true);
    const k = generateEcdhKeyPair(rng).secret;
    expect(ecdh(k, points[0]!)).toEqual(points[0]!.multiplyUnsafe(k).toBytes());
  });
});

describe('verified-signature cache of prekey profiles', () => {
  it('still refuses the profile under another H, a changed signature, an expired one', () => {
    const rng = seededRandom('prekey-cache');
    const [h, other, d] = [generateEdKeyPair(rng), generateEdKeyPair(rng), generateEdKeyPair(rng)];
    const now = 1_704_000_000_000;
    const p = decodePrekeyProfile(createPrekeyProfile({ ownerTag: 0x1234, expires: BigInt(now / 1000 + 3600), keyPair: h, sharedPrekey: d }).encoded);
    for (let i = 0; i < 2; i++) validatePrekeyProfile(p, { longTermPublicKey: h.public, nowMs: now });
    expect(() => validatePrekeyProfile(p, { longTermPublicKey: other.public, nowMs: now })).toThrow(/signature is invalid/);
    expect(() => validatePrekeyProfile(p, { longTermPublicKey: h.public, nowMs: now + 7200_000 })).toThrow(/expired/);
    const forged = Uint8Array.from(p.encoded);
    forged[forged.length - 1]! ^= 0x01;
    for (let i = 0; i < 2; i++)
      expect(() => validatePrekeyProfile(decodePrekeyProfile(forged), { longTermPublicKey: h.public, nowMs: now })).toThrow(/signature is invalid/);
  });
});
