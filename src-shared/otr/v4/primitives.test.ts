import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bigintDh3072Engine, DH3072_P, DH3072_Q, isValidDhPublic } from './dh3072';
import { decodePoint, decodeScalar, ecdh, encodePoint, encodeScalar, G, hashAndPruneScalar, Point, Q } from './ed448';
import { kdf, Usage } from './kdf';
import { OtrError } from '../common/errors';
import { shake256 } from '@noble/hashes/sha3.js';

describe('DH-3072 group', () => {
  it('is RFC 3526 group 15 (the same prime Node ships)', () => {
    expect(DH3072_P).toBe(BigInt('0x' + getDiffieHellman('modp15').getPrime('hex')));
  });
  it('accepts a real public value and refuses values outside the subgroup', () => {
    const e = bigintDh3072Engine();
    const pub = e.publicKey(123456789n);
    expect(isValidDhPublic(pub)).toBe(true);
    expect(isValidDhPublic(1n)).toBe(false);
    expect(isValidDhPublic(DH3072_P - 1n)).toBe(false);
  });
  it('agrees with the definition x^q mod p = 1 (Euler) on random values', () => {
    const e = bigintDh3072Engine();
    for (const x of [2n, 3n, 5n, e.publicKey(987654321n), DH3072_P - e.publicKey(42n), DH3072_P - 2n]) {
      expect(isValidDhPublic(x)).toBe(e.sharedSecret(DH3072_Q, x) === 1n);
    }
  });
});

describe('Ed448 helpers', () => {
  it('round-trips points and scalars', () => {
    const s = hashAndPruneScalar((n) => new Uint8Array(n).fill(7));
    const p = G.multiply(s);
    expect(decodePoint(encodePoint(p)).equals(p)).toBe(true);
    expect(decodeScalar(encodeScalar(s))).toBe(s);
  });
  it('refuses the identity and malformed encodings with typed errors', () => {
    expect(() => decodePoint(Point.ZERO.toBytes())).toThrow(OtrError);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 57, maxLength: 57 }), (b) => {
        try {
          decodePoint(b);
        } catch (e) {
          expect(e).toBeInstanceOf(OtrError);
        }
      }),
      { numRuns: 200 },
    );
  });
  it('ECDH agrees on both sides', () => {
    const a = hashAndPruneScalar((n) => new Uint8Array(n).fill(1));
    const b = hashAndPruneScalar((n) => new Uint8Array(n).fill(2));
    expect(ecdh(a, G.multiply(b))).toEqual(ecdh(b, G.multiply(a)));
    expect(a < Q && b < Q).toBe(true);
  });
});

describe('KDF', () => {
  it('is SHAKE-256("OTRv4" || usage || value)', () => {
    const v = Uint8Array.of(1, 2, 3);
    const expected = shake256(Uint8Array.of(...new TextEncoder().encode('OTRv4'), Usage.ssid, 1, 2, 3), { dkLen: 8 });
    expect(kdf(Usage.ssid, v, 8)).toEqual(expected);
  });
});
