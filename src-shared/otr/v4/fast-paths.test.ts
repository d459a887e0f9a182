// The DAKE's fast paths (docs/performance.md, "OTRv4 DAKE", round three) must give the same answers
// as the plain computations they replace.
import { describe, expect, it } from 'vitest';
import { OtrError } from '../common/errors';
import { decodePoint, encodePoint, Fn, G, isInPrimeOrderSubgroup, isInPrimeOrderSubgroupByMultiplication, Point } from './ed448';
import { generateEcdhKeyPair, generateEdKeyPair } from './keys';
import { ringSign, ringVerify } from './rsig';
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
        expect(ringVerify(ring, v, m, { knownSecret: own })).toBe(expected[k]);
      });
    }
    // signed by the member whose secret is known (the verifier's own key): still verifies
    const mine = ringSign(rng, own.secret, ring, m, { signerPublic: own.public });
    expect(ringVerify(ring, mine, m, { knownSecret: own })).toBe(true);
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
    expect(ringVerify(ring, sig, m, { knownSecret: { public: G.multiply(5n), secret: 5n } })).toBe(true);
  });
});
