// Ring signature of knowledge RSig / RVrf and HashToScalar (otrv4.md §"Ring Signature
// Authentication", §"HashToScalar", §"Serializing the Ring Signature Proof of Authentication").
//
// σ = (c1, r1, c2, r2, c3, r3) proves knowledge of the secret of one of A1, A2, A3. The signer
// runs the generalised form of the appendix: every Ti is computed both ways and the right one
// selected, so the work done does not depend on which ring member signs.
//
// Encoding choices where the spec is ambiguous (implementer notes §0 and §8; docs/otrv4-decisions.md):
// G is POINT(G), q is the 57-byte little-endian integer q, m enters the hash as DATA(m) (otr4j).
// The hash and the message framing are parameters so that the prekey-server DAKE
// (otrv4-prekey-server.md, KDF prefix "OTR-Prekey-Server", usage 0x11) can reuse this module.
import { ByteReader, ByteWriter } from '../common/bytes';
import { invalidValue, malformed } from '../common/errors';
import type { RandomSource } from '../common/random';
import { decodeScalar, encodePoint, encodeScalar, Fn, G, hashAndPruneScalar, leBytesToBigint, Point, Q, SCALAR_BYTES } from './ed448';
import { noteRecurringUse, validatePoint } from './ed448';
import { hwc, Usage } from './kdf';
import { mulAddByQuarters, multiScalarUnsafe } from './msm';

export const RING_SIG_BYTES = 6 * SCALAR_BYTES;

export interface RingSignature {
  c1: bigint;
  r1: bigint;
  c2: bigint;
  r2: bigint;
  c3: bigint;
  r3: bigint;
}

export type Ring = readonly [Point, Point, Point];

/** §"HashToScalar": h = HWC(usageID || d, 57) interpreted little-endian, then mod q */
export function hashToScalar(usage: number, d: Uint8Array | Uint8Array[]): bigint {
  return Fn.create(leBytesToBigint(hwc(usage, d, 57)));
}

/** q as the 57-byte little-endian integer (not Fn.toBytes(q), which would reduce to zero) */
export const Q_BYTES: Uint8Array = (() => {
  const out = new Uint8Array(SCALAR_BYTES);
  let x = Q;
  for (let i = 0; i < SCALAR_BYTES; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
})();

export interface RingSignatureOptions {
  /** c = hash(G || q || A1 || A2 || A3 || T1 || T2 || T3 || framed m); default HashToScalar(usage_auth, …) */
  hash?: (data: Uint8Array) => bigint;
  /** how m enters the hash: 'data' = DATA(m) (otr4j, default), 'raw' = m as is */
  messageFraming?: 'data' | 'raw';
  /** the signer's public key when the caller holds it with the secret (saves one multiplication) */
  signerPublic?: Point;
  /**
   * RVrf only: ring members whose secrets the verifier holds (its own ephemeral key, which is in
   * the ring it verifies; a prekey publisher's own long-term key). T_i = r_i·G + c_i·A_i is then
   * computed as (r_i + c_i·a_i)·G with the constant-time base multiplication (~0.8 ms) instead of
   * a walk over the point A_i (~2.4 ms) or a window table. `public` must be the very ring member
   * object and equal secret·G.
   */
  knownSecrets?: readonly KnownSecret[];
  /**
   * What each ring member is, for how its term r·G + c·A is computed (default: 'recurring' for
   * every member):
   * - 'recurring': its uses are counted and its third earns a window table (ed448.ts
   *   noteRecurringUse; ~0.8 ms a term after, a table is ~0.8 MB and at most 32 are kept);
   * - 'key': a long-term key that comes back now and then, among many (a prekey server's
   *   publishers): kept as quarters (msm.ts mulAddByQuarters; ~1.2 ms a term, ~1 KB a key);
   * - 'ephemeral': used once or twice: a plain walk (~2.2 ms), nothing kept.
   * The prekey server sees each publisher's key twice per publication; with 'recurring' a table
   * was built on a publisher's second publication and, with more publishers than tables, evicted
   * before it paid off (docs/performance.md, Prekey server, round four).
   */
  memberKind?: (member: Point) => MemberKind;
}

export type MemberKind = 'recurring' | 'key' | 'ephemeral';

export interface KnownSecret {
  readonly public: Point;
  readonly secret: bigint;
}

function challenge(ring: Ring, t: readonly [Point, Point, Point], m: Uint8Array, options: RingSignatureOptions): bigint {
  const w = new ByteWriter().bytes(encodePoint(G)).bytes(Q_BYTES);
  for (const a of ring) w.bytes(encodePoint(a));
  for (const x of t) w.bytes(encodePoint(x));
  if ((options.messageFraming ?? 'data') === 'data') w.data(m);
  else w.bytes(m);
  const d = w.finish();
  return options.hash ? Fn.create(options.hash(d)) : hashToScalar(Usage.auth, d);
}

/** k·G for a public k, any value mod q (noble's multiply refuses 0) */
function mulBase(k: bigint): Point {
  const s = Fn.create(k);
  return s === 0n ? Point.ZERO : G.multiplyUnsafe(s);
}

/**
 * r·G + c·A for public r, c: two table lookups when A has a table, by quarters for a 'key', else
 * one shared walk (msm.ts)
 */
function mulAddBase(r: bigint, a: Point, c: bigint, kind: MemberKind): Point {
  const rs = Fn.create(r);
  const cs = Fn.create(c);
  if (kind === 'recurring' && noteRecurringUse(a)) return mulBase(rs).add(cs === 0n ? Point.ZERO : a.multiplyUnsafe(cs));
  if (kind === 'key') return mulAddByQuarters(rs, a, cs);
  return multiScalarUnsafe([G, a], [rs, cs]);
}

const everyMemberRecurring = (): MemberKind => 'recurring';

/**
 * RSig(A_i, a_i, {A1, A2, A3}, m). `secret`·G must equal exactly one ring member.
 * Throws OtrError('invalid-value') if a ring member is not a valid point or the secret matches
 * none (or several) of them.
 */
export function ringSign(random: RandomSource, secret: bigint, ring: Ring, m: Uint8Array, options: RingSignatureOptions = {}): RingSignature {
  for (const a of ring) validatePoint(a);
  const a = Fn.create(secret);
  if (a === 0n) throw invalidValue('ring signature secret is zero');
  const p = options.signerPublic ?? G.multiply(a);
  const eq = ring.map((x) => x.equals(p));
  if (eq.filter(Boolean).length !== 1) throw invalidValue('signing key must be exactly one member of the ring');
  const k = eq.indexOf(true);
  // T_k = t·G for the signer, T_i = r_i·G + c_i·A_i for the others (public values, so the
  // variable-time multiplier is used for them). JavaScript gives no constant-time guarantee, so
  // the spec's constant-time selection over all three is not attempted (docs/otrv4-decisions.md).
  const t = hashAndPruneScalar(random);
  const cs = [hashAndPruneScalar(random), hashAndPruneScalar(random), hashAndPruneScalar(random)];
  const rs = [hashAndPruneScalar(random), hashAndPruneScalar(random), hashAndPruneScalar(random)];
  const kind = options.memberKind ?? everyMemberRecurring;
  const T = [0, 1, 2].map((i) => (i === k ? G.multiply(t) : mulAddBase(rs[i]!, ring[i]!, cs[i]!, kind(ring[i]!)))) as [Point, Point, Point];
  const c = challenge(ring, T, m, options);
  const others = [0, 1, 2].filter((i) => i !== k);
  cs[k] = Fn.sub(Fn.sub(c, cs[others[0]!]!), cs[others[1]!]!);
  rs[k] = Fn.sub(t, Fn.mul(cs[k]!, a));
  return { c1: cs[0]!, r1: rs[0]!, c2: cs[1]!, r2: rs[1]!, c3: cs[2]!, r3: rs[2]! };
}

/**
 * r·G + c·A where the verifier knows a with A = a·G: (r + c·a)·G. The scalar depends on the
 * secret a, so it goes through noble's constant-time (blinded) multiply, never multiplyUnsafe;
 * r and c are public (they are in σ).
 */
function mulAddKnown(r: bigint, c: bigint, a: bigint): Point {
  const s = Fn.add(Fn.create(r), Fn.mul(Fn.create(c), a));
  // s = 0 only if r = −c·a (mod q): T is then the identity, as r·G + c·A would be
  return s === 0n ? Point.ZERO : G.multiply(s);
}

/** RVrf({A1, A2, A3}, σ, m): true iff c1 + c2 + c3 = c (mod q). Never throws for a bad σ. */
export function ringVerify(ring: Ring, sig: RingSignature, m: Uint8Array, options: RingSignatureOptions = {}): boolean {
  try {
    for (const a of ring) validatePoint(a);
  } catch {
    return false;
  }
  const kind = options.memberKind ?? everyMemberRecurring;
  const term = (r: bigint, a: Point, c: bigint): Point => {
    const known = options.knownSecrets?.find((x) => x.public === a);
    return known ? mulAddKnown(r, c, known.secret) : mulAddBase(r, a, c, kind(a));
  };
  const T: [Point, Point, Point] = [term(sig.r1, ring[0], sig.c1), term(sig.r2, ring[1], sig.c2), term(sig.r3, ring[2], sig.c3)];
  const c = challenge(ring, T, m, options);
  return Fn.create(sig.c1 + sig.c2 + sig.c3) === c;
}

/** RING-SIG: c1 ‖ r1 ‖ c2 ‖ r2 ‖ c3 ‖ r3, each a 57-byte SCALAR */
export function encodeRingSignature(sig: RingSignature): Uint8Array {
  return new ByteWriter()
    .bytes(encodeScalar(sig.c1))
    .bytes(encodeScalar(sig.r1))
    .bytes(encodeScalar(sig.c2))
    .bytes(encodeScalar(sig.r2))
    .bytes(encodeScalar(sig.c3))
    .bytes(encodeScalar(sig.r3))
    .finish();
}

export function readRingSignature(r: ByteReader): RingSignature {
  const s = () => decodeScalar(r.fixed(SCALAR_BYTES, 'RING-SIG scalar'));
  return { c1: s(), r1: s(), c2: s(), r2: s(), c3: s(), r3: s() };
}

export function decodeRingSignature(bytes: Uint8Array): RingSignature {
  if (bytes.length !== RING_SIG_BYTES) throw malformed('RING-SIG must be 342 bytes');
  const r = new ByteReader(bytes);
  const sig = readRingSignature(r);
  r.end('RING-SIG');
  return sig;
}
