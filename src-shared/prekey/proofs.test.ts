// §"Proofs": the batch proofs verify for honest values and fail for a wrong secret, a wrong
// context m, a substituted value, or a tampered C/V. The KDF's domain separation is pinned by a
// committed vector (SHAKE-256 of "OTR-Prekey-Server" || usage || values).
import { describe, expect, it } from 'vitest';
import { ByteWriter, bytesToBigint } from '../otr/common/bytes';
import { DH3072_G, DH3072_P, DH3072_Q } from '../otr/v4/dh3072';
import { Fn, G, Point, decodeScalar } from '../otr/v4/ed448';
import { generateEcdhKeyPair, toHex } from '../otr/v4/keys';
import { PrekeyUsage, prekeyKdf } from './kdf';
import { bigintDh3072Engine } from '../otr/v4/dh3072';
import { nativeDh3072Engine } from '../node-crypto/dh-engines';
import { generateDhProof, generateEcdhProof, modInverse, proofContext, verifyDhProof, verifyEcdhProof } from './proofs';
import { random } from './test-support/device';

const engine = nativeDh3072Engine();

describe('prekey server KDF', () => {
  it('is SHAKE-256 over the "OTR-Prekey-Server" domain (committed vector)', () => {
    // computed once with @noble/hashes shake256('OTR-Prekey-Server' || 0x01 || 'abc', 32)
    expect(toHex(prekeyKdf(PrekeyUsage.sk, new TextEncoder().encode('abc'), 32))).toBe(VECTOR_SK_ABC);
    expect(prekeyKdf(0x01, new Uint8Array(0), 64)).not.toEqual(prekeyKdf(0x02, new Uint8Array(0), 64));
  });
});

describe('ECDH batch proof', () => {
  const m = proofContext(random(64));
  const pairs = Array.from({ length: 5 }, () => generateEcdhKeyPair(random));

  it('verifies for the honest values and fails otherwise', () => {
    const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, pairs, m, random);
    const pubs = pairs.map((p) => p.public);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(true);
    expect(verifyEcdhProof(PrekeyUsage.proofSharedEcdh, proof, pubs, m)).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, proofContext(random(64)))).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, [...pubs.slice(0, 4), G.multiply(12345n)], m)).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, { ...proof, v: proof.v.map((x, i) => (i === 0 ? x ^ 1 : x)) }, pubs, m)).toBe(false);
    const wrongSecret = generateEcdhProof(PrekeyUsage.proofMessageEcdh, [...pairs.slice(0, 4), { secret: 7n, public: pairs[4]!.public }], m, random);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, wrongSecret, pubs, m)).toBe(false);
  });
});

describe('ECDH batch proof, large batch (multi-scalar multiplication path)', () => {
  it('verifies 40 honest values and refuses one substitution', () => {
    const m = proofContext(random(64));
    const pairs = Array.from({ length: 40 }, () => generateEcdhKeyPair(random));
    const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, pairs, m, random);
    const pubs = pairs.map((p) => p.public);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(true);
    pubs[17] = G.multiply(4242n);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(false);
  });
});

describe('DH batch proof', () => {
  const m = proofContext(random(64));
  const pairs = Array.from({ length: 3 }, () => {
    const secret = bytesToBigint(random(80));
    return { secret, public: engine.modPow(DH3072_G, secret) };
  });

  it('verifies for the honest values and fails otherwise', () => {
    const proof = generateDhProof(pairs, m, random, engine);
    const pubs = pairs.map((p) => p.public);
    expect(verifyDhProof(proof, pubs, m, engine)).toBe(true);
    expect(verifyDhProof(proof, pubs, proofContext(random(64)), engine)).toBe(false);
    expect(verifyDhProof(proof, [pubs[0]!, pubs[1]!, engine.modPow(DH3072_G, 99n)], m, engine)).toBe(false);
    expect(verifyDhProof({ ...proof, v: proof.v + 1n }, pubs, m, engine)).toBe(false);
    expect(verifyDhProof(proof, [1n, pubs[1]!, pubs[2]!], m, engine)).toBe(false);
  });

  it("the native engine agrees with the BigInt engine, including the subgroup check by Euler's criterion", () => {
    const slow = bigintDh3072Engine();
    const x = pairs[0]!.public;
    expect(engine.modPow(x, 0x1234567890abcdefn)).toBe(slow.sharedSecret(0x1234567890abcdefn, x));
    expect(engine.sharedSecret(123n, 5n)).toBe(slow.sharedSecret(123n, 5n));
    // Euler's criterion path: x^q is 1 in the subgroup, p-1 outside it
    expect(engine.modPow(x, DH3072_Q)).toBe(1n);
    expect(engine.modPow(DH3072_P - x, DH3072_Q)).toBe(slow.sharedSecret(DH3072_Q, DH3072_P - x));
  });
});

// The verifier's fast paths (round three: one Straus walk for the ECDH proof, extended Euclid for
// the DH proof's inverse) against the plain computations they replaced, on hostile values too.
describe('ECDH batch proof verifier against the plain computation', () => {
  // the verifier as it was: noble's multiplyUnsafe per value, then the same challenge hash
  const reference = (usage: number, proof: { c: Uint8Array; v: Uint8Array }, values: Point[], m: Uint8Array): boolean => {
    const p = prekeyKdf(PrekeyUsage.proofCLambda, proof.c, values.length * 44);
    const t = values.map((_, k) => Fn.create(bytesToBigint(p.subarray(k * 44, (k + 1) * 44).reverse())));
    const sum = values.reduce((acc, y, k) => acc.add(y.multiplyUnsafe(t[k]!)), Point.ZERO);
    const v = decodeScalar(proof.v);
    const a = (v === 0n ? Point.ZERO : G.multiplyUnsafe(v)).subtract(sum);
    const w = [a, ...values].map((x) => Array.from(x.toBytes()));
    const c = prekeyKdf(usage, Uint8Array.from([...w.flat(), ...m]), 64);
    return Buffer.from(c).equals(Buffer.from(proof.c));
  };
  const T4 = Point.fromAffine({ x: 1n, y: 0n }); // order 4
  const T2 = T4.double(); // order 2

  it('agrees on values with a torsion component (the proof alone does not exclude them)', () => {
    // Y + T with the prover's secret y: the verifier recomputes A − (Σ t_n)·T, so the proof passes
    // exactly when the torsion cancels (t even for T2): both outcomes occur, and both verifiers
    // must agree on each. This is why every Y is also checked to be in the prime-order subgroup.
    const seen = new Set<boolean>();
    for (let i = 0; i < 24; i++) {
      const mi = proofContext(random(64));
      const pairs = Array.from({ length: 3 }, () => generateEcdhKeyPair(random));
      const torsion = i % 2 === 0 ? T2 : T4;
      const hostile = pairs.map((p, k) => ({ secret: p.secret, public: k === 1 ? p.public.add(torsion) : p.public }));
      const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, hostile, mi, random);
      const values = hostile.map((p) => p.public);
      const fast = verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, values, mi);
      expect(fast).toBe(reference(PrekeyUsage.proofMessageEcdh, proof, values, mi));
      seen.add(fast);
    }
    expect(seen).toEqual(new Set([true, false]));
  });

  it('agrees on small-order values, the identity, v = 0 and a tampered proof', () => {
    const mi = proofContext(random(64));
    const pairs = Array.from({ length: 4 }, () => generateEcdhKeyPair(random));
    const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, pairs, mi, random);
    const honest = pairs.map((p) => p.public);
    const cases: Array<[typeof proof, Point[]]> = [
      [proof, honest],
      [proof, [T4, ...honest.slice(1)]],
      [proof, [T2, Point.ZERO, ...honest.slice(2)]],
      [{ ...proof, v: new Uint8Array(57) }, honest],
      [{ ...proof, v: proof.v.map((x, i) => (i === 5 ? x ^ 0x10 : x)) }, honest],
    ];
    const got = cases.map(([pr, vals]) => verifyEcdhProof(PrekeyUsage.proofMessageEcdh, pr, vals, mi));
    expect(got).toEqual(cases.map(([pr, vals]) => reference(PrekeyUsage.proofMessageEcdh, pr, vals, mi)));
    expect(got).toEqual([true, false, false, false, false]);
  });
});

describe('DH batch proof verifier: the inverse by extended Euclid', () => {
  it('agrees with Fermat (a^(p−2)) on random, edge and hostile values, and refuses 0', () => {
    const values = [1n, 2n, DH3072_P - 1n, DH3072_P - 2n, DH3072_Q, DH3072_Q + 1n, ...Array.from({ length: 6 }, () => bytesToBigint(random(384)) % DH3072_P)];
    for (const a of values) {
      if (a === 0n) continue;
      const inv = modInverse(a, DH3072_P);
      expect(inv).toBe(engine.modPow(a, DH3072_P - 2n));
      expect((inv * a) % DH3072_P).toBe(1n);
    }
    expect(modInverse(-3n, 7n)).toBe(2n); // −3 ≡ 4, 4·2 = 8 ≡ 1
    expect(() => modInverse(0n, DH3072_P)).toThrow(RangeError);
    expect(() => modInverse(6n, 9n)).toThrow(RangeError);
  });

  it('gives the same verdicts as the Fermat verifier, including B outside the subgroup', () => {
    // the verifier as it was: (Π B^t)^(p−2) by exponentiation, then the same challenge hash
    const fermat = (proof: { c: Uint8Array; v: bigint }, values: bigint[], m: Uint8Array): boolean => {
      if (values.some((b) => b < 2n || b > DH3072_P - 2n)) return false;
      const p = prekeyKdf(PrekeyUsage.proofCLambda, proof.c, values.length * 44);
      const t = values.map((_, k) => bytesToBigint(p.subarray(k * 44, (k + 1) * 44)));
      const prod = values.reduce((acc, b, k) => (acc * engine.modPow(b, t[k]!)) % DH3072_P, 1n);
      const a = (engine.modPow(DH3072_G, proof.v) * engine.modPow(prod, DH3072_P - 2n)) % DH3072_P;
      const w = new ByteWriter().mpi(a);
      for (const b of values) w.mpi(b);
      return Buffer.from(prekeyKdf(PrekeyUsage.proofMessageDh, w.bytes(m).finish(), 64)).equals(Buffer.from(proof.c));
    };
    const m = proofContext(random(64));
    const pairs = Array.from({ length: 3 }, () => {
      const secret = bytesToBigint(random(80));
      return { secret, public: engine.modPow(DH3072_G, secret) };
    });
    const proof = generateDhProof(pairs, m, random, engine);
    const pubs = pairs.map((p) => p.public);
    // p − B is a non-residue (p ≡ 3 mod 4): outside the subgroup, the DH proof must not pass it
    const variants: bigint[][] = [pubs, [DH3072_P - pubs[0]!, pubs[1]!, pubs[2]!], [pubs[0]!, 2n, pubs[2]!]];
    const verdicts = variants.map((vals) => verifyDhProof(proof, vals, m, engine));
    expect(verdicts).toEqual([true, false, false]);
    expect(variants.map((vals) => fermat(proof, vals, m))).toEqual(verdicts);
  });
});

const VECTOR_SK_ABC = '8d723d7e3719901925593025444c0cecba32ccfec8fe91ac176443c6c29cd106';
