// §"Proofs": batch zero-knowledge proofs of knowledge (RME common-base Schnorr, Fiat-Shamir with
// m = KDF(usage_proof_context, SK, 64)) for the public values of a publication: the prekey
// profile's shared prekey D, the prekey messages' ECDH keys Y_i and DH keys B_i.
// λ = 352 bits (44 bytes) per coefficient t_n; ECDH chunks are read little-endian as scalars,
// DH chunks big-endian, points framed as POINT and DH values as MPI inside the hashes
// (otr-implementer-notes.md §14.7, from otrng-prekey-server proofs.go).
import { ByteWriter, bigintToMinimalBytes, bytesToBigint, equalBytes } from '../otr/common/bytes';
import { invalidValue } from '../otr/common/errors';
import type { RandomSource } from '../otr/common/random';
import { Fn, G, Point, decodeScalar, encodeScalar, leBytesToBigint } from '../otr/v4/ed448';
import { DH3072_G, DH3072_P, DH3072_Q } from '../otr/v4/dh3072';
import { multiScalarUnsafe } from '../otr/v4/msm';
import { PrekeyUsage, prekeyKdf } from './kdf';
import type { DhProof, EcdhProof } from './messages';

export const LAMBDA_BYTES = 352 / 8;

/** the modular exponentiation in the 3072-bit group (injected: native in apps, BigInt in tests) */
export interface ModPow {
  /** for secret exponents (r of a proof, DH private keys): the engine's constant-time-minded path */
  modPow(base: bigint, exp: bigint): bigint;
  /**
   * for a public base and exponent only (checking a proof): may be variable time and faster
   * (the native engine's RSA public-key path); modPow stands in where it is absent
   */
  modPowPublic?(base: bigint, exp: bigint): bigint;
}

export function proofContext(sk: Uint8Array): Uint8Array {
  return prekeyKdf(PrekeyUsage.proofContext, sk, 64);
}

function coefficients(c: Uint8Array, n: number, littleEndian: boolean): bigint[] {
  const p = prekeyKdf(PrekeyUsage.proofCLambda, c, n * LAMBDA_BYTES);
  const out: bigint[] = [];
  for (let k = 0; k < n; k++) {
    const chunk = p.subarray(k * LAMBDA_BYTES, (k + 1) * LAMBDA_BYTES);
    out.push(littleEndian ? leBytesToBigint(chunk) : bytesToBigint(chunk));
  }
  return out;
}

function ecdhChallenge(usage: number, a: Point, values: Point[], m: Uint8Array): Uint8Array {
  const w = new ByteWriter().bytes(a.toBytes());
  for (const v of values) w.bytes(v.toBytes());
  return prekeyKdf(usage, w.bytes(m).finish(), 64);
}

/** usage is proofMessageEcdh (Y_i) or proofSharedEcdh (D) */
export function generateEcdhProof(usage: number, pairs: { secret: bigint; public: Point }[], m: Uint8Array, random: RandomSource): EcdhProof {
  if (pairs.length === 0) throw invalidValue('a proof needs at least one value');
  let r = 0n;
  // "pick a random value 'r' (56 bytes) - this can't be all zeroes"
  while (r === 0n) r = Fn.create(leBytesToBigint(random(56)));
  const a = G.multiply(r);
  const c = ecdhChallenge(
    usage,
    a,
    pairs.map((p) => p.public),
    m,
  );
  const t = coefficients(c, pairs.length, true);
  let v = r;
  pairs.forEach((p, k) => (v = Fn.add(v, Fn.mul(Fn.create(t[k]!), Fn.create(p.secret)))));
  return { c, v: encodeScalar(v) };
}

export function verifyEcdhProof(usage: number, proof: EcdhProof, values: Point[], m: Uint8Array): boolean {
  if (values.length === 0 || proof.c.length !== 64) return false;
  const t = coefficients(proof.c, values.length, true);
  const v = decodeScalar(proof.v);
  // A = v·G − Σ t_n·Y_n in one variable-time Straus walk (msm.ts): every input is public (v and c
  // are in the proof, t_n come from c, Y_n are the published values), so no secret reaches the
  // variable-time code. −t_n·Y_n is written t_n·(−Y_n): negating a point is free and keeps the
  // 352-bit coefficients short (q − t_n would be a 446-bit scalar). ~0.4 ms per value instead of
  // ~1.9 ms for noble's separate multiplyUnsafe calls (docs/performance.md, Prekey server, round three).
  const a = multiScalarUnsafe([G, ...values.map((y) => y.negate())], [v, ...t.map((x) => Fn.create(x))]);
  return equalBytes(ecdhChallenge(usage, a, values, m), proof.c);
}

function dhChallenge(a: bigint, values: bigint[], m: Uint8Array): Uint8Array {
  const w = new ByteWriter().mpi(a);
  for (const b of values) w.mpi(b);
  return prekeyKdf(PrekeyUsage.proofMessageDh, w.bytes(m).finish(), 64);
}

export function generateDhProof(pairs: { secret: bigint; public: bigint }[], m: Uint8Array, random: RandomSource, engine: ModPow): DhProof {
  if (pairs.length === 0) throw invalidValue('a proof needs at least one value');
  let r = 0n;
  // "pick a random value 'r' (80 bytes) - this can't be all zeroes"
  while (r === 0n) r = bytesToBigint(random(80)) % DH3072_Q;
  const a = engine.modPow(DH3072_G, r);
  const c = dhChallenge(
    a,
    pairs.map((p) => p.public),
    m,
  );
  const t = coefficients(c, pairs.length, false);
  let v = r;
  pairs.forEach((p, k) => (v = (v + t[k]! * p.secret) % DH3072_Q));
  return { c, v };
}

export function verifyDhProof(proof: DhProof, values: bigint[], m: Uint8Array, engine: ModPow): boolean {
  if (values.length === 0 || proof.c.length !== 64) return false;
  if (proof.v < 0n || proof.v >= DH3072_Q) return false;
  for (const b of values) if (b < 2n || b > DH3072_P - 2n) return false;
  const t = coefficients(proof.c, values.length, false);
  // every input below is public (B_n published, t_n from c, v in the proof)
  const pow = engine.modPowPublic ? engine.modPowPublic.bind(engine) : engine.modPow.bind(engine);
  let prod = 1n;
  values.forEach((b, k) => (prod = (prod * pow(b, t[k]!)) % DH3072_P));
  // (Π B_n^t_n)^-1 by the extended Euclidean algorithm (~0.8 ms in BigInt) rather than by
  // Fermat, prod^(p−2), a 3071-bit exponentiation (~6.5 ms natively): the value is public
  // (a product of published B_n and public t_n), so variable time is fine; prod ≠ 0 since every
  // B_n is in [2, p−2] and p is prime
  const inv = modInverse(prod, DH3072_P);
  const a = (pow(DH3072_G, proof.v) * inv) % DH3072_P;
  return equalBytes(dhChallenge(a, values, m), proof.c);
}

/**
 * a⁻¹ mod m for a public a with gcd(a, m) = 1 (extended Euclid, variable time: public values
 * only). Throws RangeError if a is not invertible (a ≡ 0 for a prime m).
 */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 1n) throw new RangeError('modInverse needs a modulus > 1');
  // invariant: r0 ≡ s0·a and r1 ≡ s1·a (mod m)
  let r0 = m;
  let r1 = ((a % m) + m) % m;
  let s0 = 0n;
  let s1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return s0 < 0n ? s0 + m : s0;
}

export { bigintToMinimalBytes };
