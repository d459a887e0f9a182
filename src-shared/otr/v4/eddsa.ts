// Ed448 signature verification (RFC 8032 §5.2.7, phflag 0, empty context) for the profiles
// (otrv4.md §"Validating a Client Profile" step 5, §"Validating a Prekey Profile"), with the public
// key as the already decoded and validated Point, and [S]B − [k]A in one multi-scalar walk.
//
// Same result as noble's ed448.verify(sig, m, A.toBytes(), { zip215: false }), which is what this
// replaced (eddsa.test.ts compares them): R is decoded strictly (canonical y < p, no x = 0 with
// the sign bit set), S must be < q, A must not be of small order (it is in the prime-order
// subgroup: validatePoint), and the cofactored equation [4][S]B = [4]R + [4][k]A is checked.
// Saved per signature: decoding A again (a square root) and re-encoding it, and one of the two
// multiplications' worth of doublings (msm.ts). Everything here is public.
import { shake256 } from '@noble/hashes/sha3.js';
import { G, leBytesToBigint, Point, POINT_BYTES, Q, validatePoint } from './ed448';
import { multiScalarUnsafe } from './msm';

export const EDDSA_SIGNATURE_BYTES = 2 * POINT_BYTES;

/** dom4(0, "") of RFC 8032 §5.2: "SigEd448" ‖ octet(0) ‖ octet(0) */
const DOM4 = Uint8Array.of(...[...'SigEd448'].map((c) => c.charCodeAt(0)), 0, 0);

/** true iff `signature` is a valid Ed448 signature of `message` under `publicKey`; never throws */
export function verifyEd448Signature(signature: Uint8Array, message: Uint8Array, publicKey: Point, publicKeyBytes?: Uint8Array): boolean {
  if (signature.length !== EDDSA_SIGNATURE_BYTES) return false;
  try {
    validatePoint(publicKey); // not the identity, order q: so not of small order
  } catch {
    return false;
  }
  const rBytes = signature.subarray(0, POINT_BYTES);
  const s = leBytesToBigint(signature.subarray(POINT_BYTES));
  if (s >= Q) return false;
  let r: Point;
  try {
    r = Point.fromBytes(rBytes, false); // RFC 8032 decoding: canonical encodings only
  } catch {
    return false;
  }
  const a = publicKeyBytes ?? publicKey.toBytes();
  const h = shake256.create({ dkLen: 114 }).update(DOM4).update(rBytes).update(a).update(message).digest();
  const k = leBytesToBigint(h) % Q;
  // [S]B − [k]A − R, times the cofactor 4, must be the identity
  const sb = multiScalarUnsafe([G, publicKey], [s, k === 0n ? 0n : Q - k]);
  return sb.subtract(r).clearCofactor().is0();
}
