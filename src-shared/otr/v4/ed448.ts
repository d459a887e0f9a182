// Ed448-Goldilocks helpers for OTRv4 (§"Elliptic Curve Operations", §"Verifying that a point is
// on the curve", §"Considerations while working with elliptic curve parameters").
// POINT = 57-byte RFC 8032 encoding; SCALAR = 57-byte little-endian, reduced mod q on decode.
import { ed448 } from '@noble/curves/ed448.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { bigintToBytes, bytesToBigint } from '../common/bytes';
import { invalidValue, malformed } from '../common/errors';
import type { RandomSource } from '../common/random';
import { isInPrimeOrderSubgroupFast } from './subgroup';

export const Point = ed448.Point;
export type Point = InstanceType<typeof ed448.Point>;
export const Fn = ed448.Point.Fn;
/** q, the order of the prime-order subgroup */
export const Q: bigint = ed448.Point.Fn.ORDER;
export const G: Point = ed448.Point.BASE;
export const POINT_BYTES = 57;
export const SCALAR_BYTES = 57;

export function encodePoint(p: Point): Uint8Array {
  return p.toBytes();
}

/**
 * Decodes and validates a point received from the other side: a valid encoding, not the
 * identity, and in the prime-order subgroup (q·X = I). Throws OtrError('invalid-value').
 */
export function decodePoint(bytes: Uint8Array): Point {
  if (bytes.length !== POINT_BYTES) throw malformed('POINT must be 57 bytes');
  const key = String.fromCharCode(...bytes);
  const known = decoded.get(key);
  if (known) {
    // most recently used last, so the oldest is evicted first
    decoded.delete(key);
    decoded.set(key, known);
    return known;
  }
  let p: Point;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw invalidValue('point is not on Ed448');
  }
  validatePoint(p);
  decoded.set(key, p);
  if (decoded.size > MAX_DECODED) decoded.delete(decoded.keys().next().value!);
  return p;
}

// Points that decoded and validated, by their encoding: a contact's H and F come with every DAKE
// (profiles live a week), and the ring signatures reuse them; decoding and the subgroup check
// (~0.8 ms) are then done once, and the same Point object comes back (so a window table built for
// it, rsig.ts, is found again). Points are public values; the map is bounded.
const decoded = new Map<string, Point>();
const MAX_DECODED = 512;

// Points that passed validation (or that we computed as k·G ourselves) are remembered, so that
// e.g. the ring signature, which must check its three ring members again, does not redo the work.
const validated = new WeakSet<Point>();

/**
 * q·X = I for X ≠ I. subgroup.ts decides it with a square root and Legendre symbols (~0.5 ms)
 * instead of multiplying by q (~2 ms); its header proves the two agree on Ed448. X is public.
 */
export function isInPrimeOrderSubgroup(p: Point): boolean {
  return isInPrimeOrderSubgroupFast(p);
}

/** q·X = I by the multiplication itself ((q−1)·X + X, variable time: X is public); for tests */
export function isInPrimeOrderSubgroupByMultiplication(p: Point): boolean {
  return p
    .multiplyUnsafe(Q - 1n)
    .add(p)
    .is0();
}

/** throws OtrError('invalid-value') unless p is a non-identity point of order q */
export function validatePoint(p: Point): void {
  if (validated.has(p)) return;
  if (p.is0()) throw invalidValue('point is the identity');
  if (!isInPrimeOrderSubgroup(p)) throw invalidValue('point is not in the prime-order subgroup');
  validated.add(p);
}

/** marks a point we computed ourselves (k·G with 0 < k < q) as valid */
export function trustPoint(p: Point): Point {
  validated.add(p);
  return p;
}

export function encodeScalar(s: bigint): Uint8Array {
  // little-endian: the big-endian bytes reversed
  return bigintToBytes(Fn.create(s), SCALAR_BYTES).reverse();
}

/** SCALAR decode: 57 bytes little-endian, reduced mod q (implementer notes §1) */
export function decodeScalar(bytes: Uint8Array): bigint {
  if (bytes.length !== SCALAR_BYTES) throw malformed('SCALAR must be 57 bytes');
  return Fn.create(leBytesToBigint(bytes));
}

export function leBytesToBigint(bytes: Uint8Array): bigint {
  return bytesToBigint(Uint8Array.from(bytes).reverse());
}

/**
 * "Hash and prune" a fresh secret scalar (§"Generating ECDH and DH keys"): h = SHAKE-256(57
 * random bytes, 57); clear the two lowest bits, clear byte 56, set the top bit of byte 55.
 * The result is reduced mod q so that it can be used with noble's multiply (1 ≤ k < q).
 */
export function hashAndPruneScalar(random: RandomSource): bigint {
  return pruneToScalar(shake256(random(57), { dkLen: 57 }));
}

export function pruneToScalar(h: Uint8Array): bigint {
  const b = Uint8Array.from(h);
  b[0]! &= 0xfc;
  b[56] = 0;
  b[55]! |= 0x80;
  return Fn.create(leBytesToBigint(b));
}

// Public points that come back get a fixed-window table (noble precompute, W = 6) on their third
// use, as G has: our long-term key and a contact's H and F in the ring signatures of every DAKE
// with them, a contact's H and shared prekey D in every non-interactive DAKE's ECDH. A
// multiplication by the point then costs ~0.7 ms instead of ~2.7 ms, and noble's constant-time
// multiply uses the same table (fixed number of additions, data-oblivious lookups), so ECDH with a
// secret scalar stays constant time. Building a table costs ~12 ms and ~0.8 MB, so an ephemeral
// key (used once or twice) never gets one; at most MAX_TABLES are kept, least recently used
// first out.
const uses = new WeakMap<Point, number>();
const tabled = new Map<Point, true>();
const MAX_TABLES = 32;

/** counts a use of a public point; true if it has a window table (built now on its third use) */
export function noteRecurringUse(p: Point): boolean {
  if (tabled.has(p)) {
    tabled.delete(p);
    tabled.set(p, true);
    return true;
  }
  const n = (uses.get(p) ?? 0) + 1;
  uses.set(p, n);
  if (n < 3 || p === G) return false;
  p.precompute(6, false);
  tabled.set(p, true);
  if (tabled.size > MAX_TABLES) {
    const oldest = tabled.keys().next().value!;
    tabled.delete(oldest);
    uses.delete(oldest);
    oldest.precompute(1); // window 1: noble drops the table
  }
  return true;
}

/**
 * secret · public point, for ECDH; refuses an all-zero result (§"ECDH"). `longTerm`: the point is
 * a contact's long-term key or shared prekey, which comes back in later DAKEs, and counts towards
 * a window table; an ephemeral point must not (Bob's three ECDHs with X would build one for it).
 */
export function ecdh(secret: bigint, publicPoint: Point, longTerm = false): Uint8Array {
  if (longTerm) noteRecurringUse(publicPoint);
  // multiply (not multiplyUnsafe): the scalar is secret; constant time with or without a table
  const shared = publicPoint.multiply(Fn.create(secret));
  if (shared.is0()) throw invalidValue('ECDH result is the identity');
  return shared.toBytes();
}
