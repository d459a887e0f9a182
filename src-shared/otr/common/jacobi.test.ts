import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jacobi } from './jacobi';
import { modPow } from './modpow';
import { DH3072_P } from '../v4/dh3072';

/** the textbook binary algorithm (one factor of two at a time): the reference */
function referenceJacobi(a0: bigint, n0: bigint): -1 | 0 | 1 {
  let a = ((a0 % n0) + n0) % n0;
  let n = n0;
  let t: -1 | 1 = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      if ((n & 7n) === 3n || (n & 7n) === 5n) t = t === 1 ? -1 : 1;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = t === 1 ? -1 : 1;
    a %= n;
  }
  return n === 1n ? t : 0;
}

const ED448_P = (1n << 448n) - (1n << 224n) - 1n;
const oddModulus = (bits: number) => fc.bigInt({ min: 1n, max: (1n << BigInt(bits)) - 1n }).map((n) => n | 1n);

describe('Jacobi symbol', () => {
  it('agrees with the binary algorithm for odd moduli of every size, any numerator', () => {
    for (const bits of [8, 40, 52, 64, 130, 448, 1000, 3072]) {
      fc.assert(
        fc.property(fc.bigInt({ min: -(1n << BigInt(bits + 4)), max: 1n << BigInt(bits + 4) }), oddModulus(bits), (a, n) => {
          expect(jacobi(a, n)).toBe(referenceJacobi(a, n));
        }),
        { numRuns: bits >= 1000 ? 60 : 300 },
      );
    }
  });

  it('agrees on the shapes that stop a batch: large quotients, long runs of twos, Fibonacci pairs', () => {
    fc.assert(
      fc.property(oddModulus(3072), fc.integer({ min: 0, max: 3000 }), fc.bigInt({ min: 1n, max: 1n << 64n }), (n, k, small) => {
        const two = 1n << BigInt(k);
        for (const a of [two, n - two, small, n - small, n / 3n, two * small, n - two * small, (n >> BigInt(k)) | 1n]) {
          expect(jacobi(a, n)).toBe(referenceJacobi(a, n));
        }
      }),
      { numRuns: 40 },
    );
    // consecutive Fibonacci numbers: every quotient is 1, the longest Euclid runs there are
    let [f0, f1] = [1n, 1n];
    for (let i = 0; i < 4000; i++) {
      [f0, f1] = [f1, f0 + f1];
      if (i % 97 === 0 && (f1 & 1n) === 1n) expect(jacobi(f0, f1)).toBe(referenceJacobi(f0, f1));
    }
  });

  it('gives 0 exactly when gcd(a, n) > 1, also for large shared factors', () => {
    fc.assert(
      fc.property(oddModulus(900), oddModulus(900), fc.bigInt({ min: 1n, max: 1n << 900n }), (f, m, k) => {
        const common = f | 3n; // odd, > 1
        expect(jacobi(common * k, common * m)).toBe(0);
      }),
      { numRuns: 80 },
    );
  });

  it('is the Legendre symbol (Euler criterion) modulo the primes it is used with', () => {
    for (const p of [DH3072_P, ED448_P]) {
      const half = (p - 1n) / 2n;
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: p - 1n }), (x) => {
          const euler = modPow(x, half, p);
          expect(jacobi(x, p)).toBe(euler === 1n ? 1 : -1);
          expect(jacobi((x * x) % p, p)).toBe(1);
        }),
        { numRuns: p === DH3072_P ? 6 : 40 },
      );
    }
  });

  it('handles the edge values', () => {
    const n = DH3072_P;
    expect(jacobi(0n, n)).toBe(0);
    expect(jacobi(n, n)).toBe(0);
    expect(jacobi(1n, n)).toBe(1);
    expect(jacobi(n + 1n, n)).toBe(1);
    expect(jacobi(n - 1n, n)).toBe(referenceJacobi(n - 1n, n));
    expect(jacobi(2n, n)).toBe(referenceJacobi(2n, n));
    expect(jacobi(5n, 1n)).toBe(1);
    expect(jacobi(0n, 1n)).toBe(1);
    expect(jacobi(2n, 3n)).toBe(-1);
    expect(jacobi(1001n, 9907n)).toBe(-1); // the textbook example
    expect(() => jacobi(3n, 10n)).toThrow(RangeError);
    expect(() => jacobi(3n, 0n)).toThrow(RangeError);
    expect(() => jacobi(3n, -7n)).toThrow(RangeError);
  });
});
