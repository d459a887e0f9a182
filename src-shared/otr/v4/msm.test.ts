// msm.ts and eddsa.ts (docs/performance.md, "OTRv4 DAKE", round four) must give the same answers
// as noble's mulAddUnsafe and ed448.verify (zip215: false), which they replace.
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { ed448 } from '@noble/curves/ed448.js';
import { describe, expect, it } from 'vitest';
import { verifyEd448Signature } from './eddsa';
import { Fn, G, leBytesToBigint, Point, Q } from './ed448';
import { mulAddByQuarters, multiScalarUnsafe, wnafDigits } from './msm';
import { seededRandom } from './test-support/engines';

const rng = seededRandom('msm');
const scalar = (): bigint => Fn.create(leBytesToBigint(rng(57)));

describe('multiScalarUnsafe', () => {
  it('wNAF digits add up to the scalar, are odd and below 2^(w-1)', () => {
    for (const w of [5, 7]) {
      for (const k of [1n, 2n, 63n, 64n, 127n, (1n << 446n) - 1n, Q - 1n, scalar(), scalar()]) {
        const d = wnafDigits(k, w);
        let sum = 0n;
        d.forEach((x, i) => {
          if (x === 0) return;
          expect(Math.abs(x) % 2).toBe(1);
          expect(Math.abs(x)).toBeLessThan(1 << (w - 1));
          sum += BigInt(x) << BigInt(i);
        });
        expect(sum).toBe(k);
      }
    }
  });

  it("agrees with noble's mulAddUnsafe for r·G + c·A, edge scalars included", () => {
    const edges = [0n, 1n, 2n, Q - 1n, Q - 2n, (1n << 445n) + 1n];
    for (let i = 0; i < 12; i++) {
      const a = G.multiply(scalar());
      const r = i < edges.length ? edges[i]! : scalar();
      const c = i < edges.length ? edges[edges.length - 1 - i]! : scalar();
      const got = multiScalarUnsafe([G, a], [r, c]);
      expect(got.equals(mulAddUnsafe(Point, [G, a], [r, c]))).toBe(true);
      expect(got.toBytes()).toEqual(mulAddUnsafe(Point, [G, a], [r, c]).toBytes());
    }
  });

  it('gives the identity for zero scalars and handles a point of small order', () => {
    expect(multiScalarUnsafe([G, G.double()], [0n, 0n]).is0()).toBe(true);
    const t4 = Point.fromAffine({ x: 1n, y: 0n });
    const a = Point.fromBytes(G.multiply(7n).add(t4).toBytes());
    expect(multiScalarUnsafe([a, t4], [5n, 3n]).equals(a.multiply(5n).add(t4.multiply(3n)))).toBe(true);
  });
});

describe('verifyEd448Signature', () => {
  const noble = (sig: Uint8Array, m: Uint8Array, a: Point): boolean => {
    try {
      return ed448.verify(sig, m, a.toBytes(), { zip215: false });
    } catch {
      return false;
    }
  };

  it('accepts what noble accepts and refuses tampered signatures, messages and keys', () => {
    for (let i = 0; i < 6; i++) {
      const sk = rng(57);
      const a = Point.fromBytes(ed448.getPublicKey(sk));
      const m = rng(40 + i);
      const sig = ed448.sign(m, sk);
      expect(verifyEd448Signature(sig, m, a)).toBe(true);
      const cases: Array<[Uint8Array, Uint8Array, Point]> = [
        [Uint8Array.from(sig, (b, j) => (j === 3 ? b ^ 1 : b)), m, a], // R changed
        [Uint8Array.from(sig, (b, j) => (j === 60 ? b ^ 1 : b)), m, a], // S changed
        [sig, Uint8Array.from(m, (b, j) => (j === 0 ? b ^ 0x80 : b)), a], // message changed
        [sig, m, a.add(G)], // another key
        [sig.subarray(0, 113), m, a], // short
      ];
      for (const [s, mm, aa] of cases) expect(verifyEd448Signature(s, mm, aa)).toBe(noble(s, mm, aa));
      for (const [s, mm, aa] of cases) expect(verifyEd448Signature(s, mm, aa)).toBe(false);
    }
  });

  it('refuses S ≥ q (S + q would pass the equation), as RFC 8032 §5.2.7 and noble do', () => {
    const sk = rng(57);
    const a = Point.fromBytes(ed448.getPublicKey(sk));
    const m = rng(10);
    const sig = ed448.sign(m, sk);
    const s = leBytesToBigint(sig.subarray(57)) + Q;
    const big = Uint8Array.from(sig);
    for (let j = 0; j < 57; j++) big[57 + j] = Number((s >> BigInt(8 * j)) & 0xffn);
    expect(verifyEd448Signature(big, m, a)).toBe(false);
    expect(noble(big, m, a)).toBe(false);
  });

  it('refuses a non-canonical R (y ≥ p) and a key of small order', () => {
    const sk = rng(57);
    const a = Point.fromBytes(ed448.getPublicKey(sk));
    const m = rng(10);
    const sig = Uint8Array.from(ed448.sign(m, sk));
    sig.fill(0xff, 0, 56); // y = 2^448 − 1 > p
    sig[56] = 0;
    expect(verifyEd448Signature(sig, m, a)).toBe(false);
    const t4 = Point.fromAffine({ x: 1n, y: 0n });
    expect(verifyEd448Signature(ed448.sign(m, sk), m, t4)).toBe(false);
  });
});

describe('mulAddByQuarters', () => {
  it("agrees with noble's mulAddUnsafe for r·G + c·A, edge scalars and repeated points included", () => {
    const edges = [0n, 1n, 2n, Q - 1n, (1n << 112n) - 1n, 1n << 112n, (1n << 336n) + 1n, (1n << 445n) + 1n];
    const keys = [G.multiply(scalar()), G.multiply(scalar())];
    for (let i = 0; i < 16; i++) {
      const a = i < 12 ? keys[i % 2]! : G.multiply(scalar()); // the same objects come back: cached quarters
      const r = i < edges.length ? edges[i]! : scalar();
      const c = i < edges.length ? edges[edges.length - 1 - i]! : scalar();
      const want = mulAddUnsafe(Point, [G, a], [r, c]);
      const got = mulAddByQuarters(r, a, c);
      expect(got.equals(want)).toBe(true);
      expect(got.toBytes()).toEqual(want.toBytes());
    }
    expect(mulAddByQuarters(0n, keys[0]!, 0n).is0()).toBe(true);
    expect(() => mulAddByQuarters(1n << 448n, keys[0]!, 1n)).toThrow(RangeError);
  });

  it('handles a point with a small-order component as the plain walk does', () => {
    const t4 = Point.fromAffine({ x: 1n, y: 0n });
    const a = Point.fromBytes(G.multiply(7n).add(t4).toBytes());
    const [r, c] = [scalar(), scalar()];
    expect(mulAddByQuarters(r, a, c).equals(multiScalarUnsafe([G, a], [r, c]))).toBe(true);
  });
});

describe('multiScalarUnsafe with G by quarters', () => {
  it('agrees with noble for v·G − Σ tₙ·Yₙ with short tₙ (the prekey ECDH proof) and for G scalars at and above 2^448', () => {
    const ys = Array.from({ length: 5 }, () => G.multiply(scalar()));
    const t = ys.map(() => leBytesToBigint(rng(44))); // 352-bit, as the proofs' coefficients
    const v = scalar();
    const want = ys.reduce((acc, y, k) => acc.add(y.negate().multiplyUnsafe(t[k]!)), G.multiplyUnsafe(v));
    expect(multiScalarUnsafe([G, ...ys.map((y) => y.negate())], [v, ...t]).equals(want)).toBe(true);
    for (const k of [(1n << 448n) - 1n, 1n << 448n, (1n << 449n) + 5n]) {
      expect(multiScalarUnsafe([G], [k]).equals(G.multiplyUnsafe(Fn.create(k)))).toBe(true);
    }
  });
});
