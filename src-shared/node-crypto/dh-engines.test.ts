import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nativeDh1536Engine, nativeDh3072Engine, systemRandom } from './dh-engines';
import { bigintDh3072Engine, DH3072_P, DH3072_Q } from '../otr/v4/dh3072';
import { DH1536_P, modPow } from '../otr/v3/group';

describe('native DH engines agree with BigInt arithmetic', () => {
  const native = nativeDh3072Engine();
  const reference = bigintDh3072Engine();

  it('3072-bit group: public keys, shared secrets and the edge exponents', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n, max: DH3072_Q - 1n }), fc.bigInt({ min: 2n, max: DH3072_P - 2n }), (e, x) => {
        expect(native.publicKey(e)).toBe(reference.publicKey(e));
        expect(native.sharedSecret(e, x)).toBe(reference.sharedSecret(e, x));
      }),
      { numRuns: 8 },
    );
    const x = reference.publicKey(12345n);
    // exponent q (the subgroup check), above q (OpenSSL refuses those private keys), trivial bases
    expect(native.modPow(x, DH3072_Q)).toBe(1n);
    expect(native.modPow(DH3072_P - x, DH3072_Q)).toBe(DH3072_P - 1n);
    expect(native.modPow(x, DH3072_Q + 5n)).toBe(reference.sharedSecret(DH3072_Q + 5n, x));
    // exponents far above the group order (the prekey batch proofs use such)
    const big = (1n << 4000n) + 12345n;
    expect(native.modPow(x + 1n, big)).toBe(reference.sharedSecret(big, x + 1n));
    expect(native.modPow(1n, 99n)).toBe(1n);
    expect(native.modPow(DH3072_P - 1n, 3n)).toBe(DH3072_P - 1n);
    expect(native.sharedSecret(5n, 1n)).toBe(0n);
  });

  it('3072-bit group: the public-values path (RSA public-key operation) agrees for any exponent', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: DH3072_P - 1n }), fc.bigInt({ min: 0n, max: DH3072_P + 5n }), (e, x) => {
        expect(native.modPowPublic(x, e)).toBe(modPow(x, e, DH3072_P));
      }),
      { numRuns: 8 },
    );
    const x = reference.publicKey(777n);
    // the proofs' 352-bit coefficients, g^v, even exponents, exponents at and above q and p
    const t = (1n << 351n) + 99n;
    expect(native.modPowPublic(x, t)).toBe(modPow(x, t, DH3072_P));
    expect(native.modPowPublic(2n, DH3072_Q - 1n)).toBe(reference.publicKey(DH3072_Q - 1n));
    expect(native.modPowPublic(x, 2n)).toBe((x * x) % DH3072_P);
    expect(native.modPowPublic(x, DH3072_Q)).toBe(1n);
    expect(native.modPowPublic(x, DH3072_P - 1n)).toBe(1n);
    expect(native.modPowPublic(x, DH3072_P)).toBe(x); // Fermat; OpenSSL refuses e ≥ n, the fallback answers
    expect(native.modPowPublic(x, 0n)).toBe(1n);
    expect(native.modPowPublic(0n, 5n)).toBe(0n);
    expect(native.modPowPublic(1n, t)).toBe(1n);
    expect(native.modPowPublic(DH3072_P - 1n, 3n)).toBe(DH3072_P - 1n);
    expect(native.modPowPublic(x + DH3072_P, 3n)).toBe(modPow(x, 3n, DH3072_P));
    expect(() => native.modPowPublic(x, -1n)).toThrow(RangeError);
  });

  it('1536-bit group and other moduli', () => {
    const v3 = nativeDh1536Engine();
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 1535n }), fc.bigInt({ min: 2n, max: DH1536_P - 2n }), (e, x) => {
        expect(v3.modPow(x, e)).toBe(modPow(x, e, DH1536_P));
      }),
      { numRuns: 8 },
    );
    // exponent q gives 1 for a residue, a result OpenSSL refuses to produce
    const q1536 = (DH1536_P - 1n) / 2n;
    expect(v3.modPow(4n, q1536)).toBe(1n);
    // moduli OpenSSL will not really use (it answers 0 for small or composite ones, as a hostile
    // contact's DSA key may carry) still get the right answer through the BigInt fallback
    for (const mod of [1000003n * 1000033n, (1n << 127n) - 1n]) {
      expect(v3.modPowAny!(7n, 65537n, mod)).toBe(modPow(7n, 65537n, mod));
    }
  });

  it('systemRandom returns the requested number of fresh bytes', () => {
    const a = systemRandom(32);
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(systemRandom(32));
  });
});
