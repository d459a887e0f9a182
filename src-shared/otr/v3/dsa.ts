// OTRv3 long-term keys (OTRv3 §"Public keys, signatures, and fingerprints"): DSA with a 1024-bit p
// and 160-bit q (FIPS 186-2 sizes, as libotr generates them). PUBKEY = SHORT 0x0000 ‖ MPI p ‖ MPI q
// ‖ MPI g ‖ MPI y; SIG = r ‖ s, 20 bytes each; the fingerprint is SHA-1 of PUBKEY without the type.
// §"Reveal Signature Message": the signed value is the 32-byte M "taken modulo q instead of being
// truncated, and not hashed again" — so this is raw DSA on BigInt, not a hashing DSA API.
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ByteReader, ByteWriter, bigintToBytes, bytesToBigint } from '../common/bytes';
import { invalidValue, malformed } from '../common/errors';
import type { RandomSource } from '../common/random';
import { base64Decode, base64Encode } from '../common/base64';
import { modInverse, modPow } from './group';

export interface DsaPublicKey {
  p: bigint;
  q: bigint;
  g: bigint;
  y: bigint;
}
export interface DsaPrivateKey extends DsaPublicKey {
  x: bigint;
}

export const PUBKEY_TYPE_DSA = 0x0000;
export const DSA_Q_BYTES = 20;

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);

export function publicPart(k: DsaPublicKey): DsaPublicKey {
  return { p: k.p, q: k.q, g: k.g, y: k.y };
}

/** PUBKEY encoding */
export function encodePublicKey(k: DsaPublicKey): Uint8Array {
  return new ByteWriter().short(PUBKEY_TYPE_DSA).mpi(k.p).mpi(k.q).mpi(k.g).mpi(k.y).finish();
}

/**
 * Reads and validates a PUBKEY: type 0, q of 160 bits (SIG length is fixed at 20 bytes), p of
 * 1024..3072 bits (bounded so a peer cannot make us do huge exponentiations), 1 < g, y < p and
 * both of order q. Throws OtrError('malformed' | 'invalid-value').
 */
export function readPublicKey(r: ByteReader, pow: PowFn = modPow): DsaPublicKey {
  const type = r.short('PUBKEY type');
  if (type !== PUBKEY_TYPE_DSA) throw malformed('unsupported public key type');
  const p = r.mpi('DSA p');
  const q = r.mpi('DSA q');
  const g = r.mpi('DSA g');
  const y = r.mpi('DSA y');
  const k = { p, q, g, y };
  validatePublicKey(k, pow);
  return k;
}

export type PowFn = (base: bigint, exp: bigint, mod: bigint) => bigint;

// Keys that passed validation (a contact presents the same key at every AKE); bounded.
const validated = new Set<string>();

export function validatePublicKey(k: DsaPublicKey, pow: PowFn = modPow): void {
  const id = `${k.p.toString(36)}:${k.q.toString(36)}:${k.g.toString(36)}:${k.y.toString(36)}`;
  if (validated.has(id)) return;
  const pb = bitLength(k.p);
  if (pb < 1024 || pb > 3072 || (k.p & 1n) === 0n) throw invalidValue('DSA p');
  if (bitLength(k.q) !== 160 || (k.p - 1n) % k.q !== 0n) throw invalidValue('DSA q');
  if (k.g <= 1n || k.g >= k.p - 1n || pow(k.g, k.q, k.p) !== 1n) throw invalidValue('DSA g');
  if (k.y <= 1n || k.y >= k.p - 1n || pow(k.y, k.q, k.p) !== 1n) throw invalidValue('DSA y');
  if (validated.size >= 256) validated.clear();
  validated.add(id);
}

/** 20-byte fingerprint: SHA-1 of PUBKEY without the two type bytes (§"…and fingerprints") */
export function fingerprint(k: DsaPublicKey): Uint8Array {
  return sha1(encodePublicKey(k).subarray(2));
}

/** the usual 40-hex lowercase form */
export function fingerprintHex(k: DsaPublicKey): string {
  return bytesToHex(fingerprint(k));
}

/** uniform integer in [1, n-1] from the injected RNG (64 extra bits make the bias negligible) */
export function randomBelow(n: bigint, rng: RandomSource): bigint {
  const bytes = Math.ceil(bitLength(n) / 8) + 8;
  return (bytesToBigint(rng(bytes)) % (n - 1n)) + 1n;
}

/** SIG over the 32-byte value M: H = M mod q, r = (g^k mod p) mod q, s = k⁻¹(H + x·r) mod q */
export function dsaSign(key: DsaPrivateKey, m: Uint8Array, rng: RandomSource, pow: PowFn = modPow): Uint8Array {
  const h = bytesToBigint(m) % key.q;
  for (;;) {
    const k = randomBelow(key.q, rng);
    const r = pow(key.g, k, key.p) % key.q;
    if (r === 0n) continue;
    const s = (modInverse(k, key.q) * (h + key.x * r)) % key.q;
    if (s === 0n) continue;
    return new ByteWriter().bytes(bigintToBytes(r, DSA_Q_BYTES)).bytes(bigintToBytes(s, DSA_Q_BYTES)).finish();
  }
}

export function dsaVerify(key: DsaPublicKey, m: Uint8Array, sig: Uint8Array, pow: PowFn = modPow): boolean {
  if (sig.length !== 2 * DSA_Q_BYTES) return false;
  const r = bytesToBigint(sig.subarray(0, DSA_Q_BYTES));
  const s = bytesToBigint(sig.subarray(DSA_Q_BYTES));
  if (r <= 0n || r >= key.q || s <= 0n || s >= key.q) return false;
  const h = bytesToBigint(m) % key.q;
  const w = modInverse(s, key.q);
  const u1 = (h * w) % key.q;
  const u2 = (r * w) % key.q;
  const v = ((pow(key.g, u1, key.p) * pow(key.y, u2, key.p)) % key.p) % key.q;
  return v === r;
}

// ---- key generation (FIPS 186-2 sizes; probabilistic primes on BigInt) ----

const SMALL_PRIMES: bigint[] = (() => {
  const out: bigint[] = [];
  for (let n = 3; out.length < 400; n += 2) {
    let prime = true;
    for (let d = 3; d * d <= n; d += 2) if (n % d === 0) prime = false;
    if (prime) out.push(BigInt(n));
  }
  return out;
})();

/** Miller–Rabin with `rounds` random bases after trial division by small primes */
export function isProbablePrime(n: bigint, rng: RandomSource, rounds = 40): boolean {
  if (n < 2n) return false;
  for (const sp of SMALL_PRIMES) {
    if (n === sp || n === 2n) return true;
    if (n % sp === 0n) return false;
  }
  if ((n & 1n) === 0n) return false;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (let i = 0; i < rounds; i++) {
    const a = randomBelow(n - 2n, rng) + 1n; // in [2, n-2]
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let j = 1; j < s; j++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

function randomBits(bits: number, rng: RandomSource): bigint {
  const v = bytesToBigint(rng(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n);
  return v | (1n << BigInt(bits - 1)); // top bit set: exactly `bits` long
}

/**
 * Generates a DSA key with a 1024-bit p and 160-bit q. Pure BigInt: takes from a fraction of a
 * second to a few seconds; the app runs it once per account, off the UI path.
 */
export function generateDsaKey(rng: RandomSource, pBits = 1024): DsaPrivateKey {
  const it = dsaKeySteps(rng, pBits);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/**
 * The same generation, giving control back between prime candidates: `yieldNow` is awaited every
 * few candidates (the app passes `() => new Promise((r) => setImmediate(r))` so that the event
 * loop keeps running; the library itself stays free of timers).
 */
export async function generateDsaKeyAsync(rng: RandomSource, yieldNow: () => Promise<void>, pBits = 1024): Promise<DsaPrivateKey> {
  const it = dsaKeySteps(rng, pBits);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await yieldNow();
  }
}

function* dsaKeySteps(rng: RandomSource, pBits: number): Generator<void, DsaPrivateKey, void> {
  if (pBits < 1024 || pBits > 3072) throw new RangeError('DSA p must have 1024..3072 bits');
  let q: bigint;
  do q = randomBits(160, rng) | 1n;
  while (!isProbablePrime(q, rng));
  const twoQ = 2n * q;
  let p: bigint;
  for (let n = 1; ; n++) {
    const x = randomBits(pBits, rng);
    p = x - ((x % twoQ) - 1n); // p ≡ 1 (mod 2q)
    if (bitLength(p) === pBits && isProbablePrime(p, rng)) break;
    if (n % 16 === 0) yield;
  }
  const e = (p - 1n) / q;
  let g = 1n;
  for (let h = 2n; g === 1n; h++) g = modPow(h, e, p);
  const x = randomBelow(q, rng);
  return { p, q, g, y: modPow(g, x, p), x };
}

// ---- persistence (the app keeps this string in the OS keychain, docs/architecture.md §4) ----

const SERIAL_PREFIX = 'otr3-dsa-v1:';

/** `otr3-dsa-v1:` ‖ base64(MPI p ‖ MPI q ‖ MPI g ‖ MPI y ‖ MPI x) */
export function serializePrivateKey(k: DsaPrivateKey): string {
  return SERIAL_PREFIX + base64Encode(new ByteWriter().mpi(k.p).mpi(k.q).mpi(k.g).mpi(k.y).mpi(k.x).finish());
}

/** Inverse of serializePrivateKey; validates the key (y = g^x). Throws OtrError. */
export function deserializePrivateKey(s: string): DsaPrivateKey {
  if (!s.startsWith(SERIAL_PREFIX)) throw malformed('not a serialised OTRv3 DSA key');
  const r = new ByteReader(base64Decode(s.slice(SERIAL_PREFIX.length)));
  const k = { p: r.mpi('p'), q: r.mpi('q'), g: r.mpi('g'), y: r.mpi('y'), x: r.mpi('x') };
  r.end('DSA private key');
  validatePublicKey(k);
  if (k.x <= 0n || k.x >= k.q || modPow(k.g, k.x, k.p) !== k.y) throw invalidValue('DSA private key does not match its public key');
  return k;
}
