// Received-point validation for OTRv4 (otrv4.md §"Verifying that a point is on the curve"):
// a canonical encoding on Ed448, not the identity, and in the prime-order subgroup (q·X = I).
//
// Same checks as ed448.ts decodePoint, faster: noble's isTorsionFree costs ~7 ms per point, while
// q·X = (q−1)·X + X with the variable-time multiplier costs ~1.3 ms. X is public, so variable
// time is fine. Points that passed are remembered (WeakSet) so that the ring signature, which
// must check its three ring members again, does not redo the work for points we decoded.
import { invalidValue, malformed } from '../common/errors';
import { Point, POINT_BYTES, Q } from './ed448';

const validated = new WeakSet<Point>();

export function isInPrimeOrderSubgroup(p: Point): boolean {
  return p.multiplyUnsafe(Q - 1n).add(p).is0();
}

/** throws OtrError('invalid-value') unless p is a valid non-identity point of order q */
export function checkPoint(p: Point): void {
  if (validated.has(p)) return;
  if (p.is0()) throw invalidValue('point is the identity');
  if (!isInPrimeOrderSubgroup(p)) throw invalidValue('point is not in the prime-order subgroup');
  validated.add(p);
}

/** POINT decoding of a value received from the other side, validated (see the header). */
export function decodeValidPoint(bytes: Uint8Array): Point {
  if (bytes.length !== POINT_BYTES) throw malformed('POINT must be 57 bytes');
  let p: Point;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw invalidValue('point is not on Ed448');
  }
  checkPoint(p);
  return p;
}

/** marks a point we computed ourselves (k·G with 0 < k < q) as valid */
export function trustPoint(p: Point): Point {
  validated.add(p);
  return p;
}
