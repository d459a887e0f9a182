// OTRv4 Socialist Millionaires' Protocol on Ed448 (otrv4.md §"Socialist Millionaires Protocol
// (SMP)", §"Secret Information", §"SMP Hash Function", §"SMP Message 1" … §"SMP Message 4"): the
// four messages as pure functions, every zero-knowledge proof checked. The state machine that
// drives them is in state.ts.
//
// Secret scalars (our a2, a3, b2, b3, r2…r7 and x/y) are multiplied with the constant-time
// `multiply`; values chosen by the other side (c, d) with `multiplyUnsafe`, which also accepts 0.
import { ByteReader, ByteWriter } from '../../common/bytes';
import { OtrError, invalidValue } from '../../common/errors';
import type { RandomSource } from '../../common/random';
import { G, Fn, type Point, decodePoint, decodeScalar, encodePoint, encodeScalar, hashAndPruneScalar, leBytesToBigint, pruneToScalar } from '../ed448';
import { Usage, hwc, kdf } from '../kdf';

export const FINGERPRINT_BYTES = 56;
export const SSID_BYTES = 8;
const SMP_VERSION = 1;

/**
 * §"Secret Information": HWC(usage_SMP_secret ‖ version ‖ initiator fp ‖ responder fp ‖ SSID ‖
 * DATA(UTF-8 secret), 57), pruned, as a scalar.
 */
export function smpSecret(initiatorFp: Uint8Array, responderFp: Uint8Array, ssid: Uint8Array, secret: string): bigint {
  if (initiatorFp.length !== FINGERPRINT_BYTES || responderFp.length !== FINGERPRINT_BYTES) throw new RangeError('fingerprints are 56 bytes');
  if (ssid.length !== SSID_BYTES) throw new RangeError('the SSID is 8 bytes');
  const data = new ByteWriter().byte(SMP_VERSION).bytes(initiatorFp).bytes(responderFp).bytes(ssid).data(new TextEncoder().encode(secret)).finish();
  return pruneToScalar(hwc(Usage.smpSecret, data, 57));
}

/** §"SMP Hash Function": HashToScalar(n ‖ points) = LE(SHAKE-256("OTRv4" ‖ n ‖ POINTs, 57)) mod q */
export function hashToScalar(n: number, ...points: Point[]): bigint {
  return Fn.create(leBytesToBigint(kdf(n, points.map(encodePoint), 57)));
}

const mul = (p: Point, k: bigint): Point => p.multiply(Fn.create(k));
/** for scalars the other side chose (may be 0) */
const mulPub = (p: Point, k: bigint): Point => p.multiplyUnsafe(Fn.create(k));
const sub = (a: bigint, b: bigint): bigint => Fn.sub(a, b);
const times = (a: bigint, b: bigint): bigint => Fn.mul(a, b);

/** a computed point must be a valid, non-identity point (§"Verifying that a point is on the curve") */
function checked(p: Point, what: string): Point {
  if (p.is0()) throw invalidValue(`${what} is the identity`);
  return p;
}

// ------------------------------------------------------------------------------ wire formats

export interface Smp1 {
  question: Uint8Array;
  g2a: Point;
  c2: bigint;
  d2: bigint;
  g3a: Point;
  c3: bigint;
  d3: bigint;
}
export interface Smp2 {
  g2b: Point;
  c2: bigint;
  d2: bigint;
  g3b: Point;
  c3: bigint;
  d3: bigint;
  pb: Point;
  qb: Point;
  cp: bigint;
  d5: bigint;
  d6: bigint;
}
export interface Smp3 {
  pa: Point;
  qa: Point;
  cp: bigint;
  d5: bigint;
  d6: bigint;
  ra: Point;
  cr: bigint;
  d7: bigint;
}
export interface Smp4 {
  rb: Point;
  cr: bigint;
  d7: bigint;
}

type Field = ['P', string] | ['S', string];
const SMP1_FIELDS: Field[] = [
  ['P', 'g2a'],
  ['S', 'c2'],
  ['S', 'd2'],
  ['P', 'g3a'],
  ['S', 'c3'],
  ['S', 'd3'],
];
const SMP2_FIELDS: Field[] = [
  ['P', 'g2b'],
  ['S', 'c2'],
  ['S', 'd2'],
  ['P', 'g3b'],
  ['S', 'c3'],
  ['S', 'd3'],
  ['P', 'pb'],
  ['P', 'qb'],
  ['S', 'cp'],
  ['S', 'd5'],
  ['S', 'd6'],
];
const SMP3_FIELDS: Field[] = [
  ['P', 'pa'],
  ['P', 'qa'],
  ['S', 'cp'],
  ['S', 'd5'],
  ['S', 'd6'],
  ['P', 'ra'],
  ['S', 'cr'],
  ['S', 'd7'],
];
const SMP4_FIELDS: Field[] = [
  ['P', 'rb'],
  ['S', 'cr'],
  ['S', 'd7'],
];

function writeFields(w: ByteWriter, fields: Field[], v: Record<string, unknown>): Uint8Array {
  for (const [kind, name] of fields) {
    w.bytes(kind === 'P' ? encodePoint(v[name] as Point) : encodeScalar(v[name] as bigint));
  }
  return w.finish();
}

/** Reads POINTs (validated: on the curve, not the identity, in the subgroup) and SCALARs (mod q). */
function readFields(r: ByteReader, fields: Field[]): Record<string, Point | bigint> {
  const out: Record<string, Point | bigint> = {};
  for (const [kind, name] of fields) {
    out[name] = kind === 'P' ? decodePoint(r.fixed(57, name)) : decodeScalar(r.fixed(57, name));
  }
  r.end('SMP message');
  return out;
}

export const encodeSmp1 = (m: Smp1): Uint8Array => writeFields(new ByteWriter().data(m.question), SMP1_FIELDS, { ...m });
export const encodeSmp2 = (m: Smp2): Uint8Array => writeFields(new ByteWriter(), SMP2_FIELDS, { ...m });
export const encodeSmp3 = (m: Smp3): Uint8Array => writeFields(new ByteWriter(), SMP3_FIELDS, { ...m });
export const encodeSmp4 = (m: Smp4): Uint8Array => writeFields(new ByteWriter(), SMP4_FIELDS, { ...m });

/** TLV 2 value; throws OtrError only ('malformed' / 'invalid-value') */
export function decodeSmp1(b: Uint8Array): Smp1 {
  const r = new ByteReader(b);
  const question = r.data('question');
  return { question, ...readFields(r, SMP1_FIELDS) } as unknown as Smp1;
}
export const decodeSmp2 = (b: Uint8Array): Smp2 => readFields(new ByteReader(b), SMP2_FIELDS) as unknown as Smp2;
export const decodeSmp3 = (b: Uint8Array): Smp3 => readFields(new ByteReader(b), SMP3_FIELDS) as unknown as Smp3;
export const decodeSmp4 = (b: Uint8Array): Smp4 => readFields(new ByteReader(b), SMP4_FIELDS) as unknown as Smp4;

// ------------------------------------------------------------------------------ the protocol

/** the ZK proofs failed: the other side cheated or the message was corrupted */
export class SmpCheated extends OtrError {
  constructor(what: string) {
    super('invalid-value', `SMP proof failed: ${what}`);
  }
}

const random = (rnd: RandomSource): bigint => hashAndPruneScalar(rnd);

/** Alice's values kept after SMP message 1 */
export interface AliceAfter1 {
  x: bigint;
  a2: bigint;
  a3: bigint;
}

/** §"SMP Message 1" */
export function createSmp1(x: bigint, question: Uint8Array, rnd: RandomSource): { msg: Smp1; keep: AliceAfter1 } {
  const a2 = random(rnd);
  const a3 = random(rnd);
  const r2 = random(rnd);
  const r3 = random(rnd);
  const g2a = checked(mul(G, a2), 'G2a');
  const g3a = checked(mul(G, a3), 'G3a');
  const c2 = hashToScalar(1, mul(G, r2));
  const d2 = sub(r2, times(a2, c2));
  const c3 = hashToScalar(2, mul(G, r3));
  const d3 = sub(r3, times(a3, c3));
  return { msg: { question, g2a, c2, d2, g3a, c3, d3 }, keep: { x, a2, a3 } };
}

/** §"Receiving a SMP Message 1": the proofs for G2a and G3a */
export function verifySmp1(m: Smp1): void {
  if (m.c2 !== hashToScalar(1, mulPub(G, m.d2).add(mulPub(m.g2a, m.c2)))) throw new SmpCheated('c2 of message 1');
  if (m.c3 !== hashToScalar(2, mulPub(G, m.d3).add(mulPub(m.g3a, m.c3)))) throw new SmpCheated('c3 of message 1');
}

/** Bob's values kept after SMP message 2 */
export interface BobAfter2 {
  g3a: Point;
  g2: Point;
  g3: Point;
  b3: bigint;
  pb: Point;
  qb: Point;
}

/** §"SMP Message 2" (m1 already verified) */
export function createSmp2(y: bigint, m1: Smp1, rnd: RandomSource): { msg: Smp2; keep: BobAfter2 } {
  const b2 = random(rnd);
  const b3 = random(rnd);
  const r2 = random(rnd);
  const r3 = random(rnd);
  const r4 = random(rnd);
  const r5 = random(rnd);
  const r6 = random(rnd);
  const g2b = checked(mul(G, b2), 'G2b');
  const g3b = checked(mul(G, b3), 'G3b');
  const c2 = hashToScalar(3, mul(G, r2));
  const d2 = sub(r2, times(b2, c2));
  const c3 = hashToScalar(4, mul(G, r3));
  const d3 = sub(r3, times(b3, c3));
  const g2 = checked(mul(m1.g2a, b2), 'G2');
  const g3 = checked(mul(m1.g3a, b3), 'G3');
  const pb = checked(mul(g3, r4), 'Pb');
  const qb = checked(mul(G, r4).add(mul(g2, y)), 'Qb');
  const cp = hashToScalar(5, mul(g3, r5), mul(G, r5).add(mul(g2, r6)));
  const d5 = sub(r5, times(r4, cp));
  const d6 = sub(r6, times(y, cp));
  return { msg: { g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6 }, keep: { g3a: m1.g3a, g2, g3, b3, pb, qb } };
}

/** Alice's values kept after SMP message 3 */
export interface AliceAfter3 {
  g3b: Point;
  paMinusPb: Point;
  qaMinusQb: Point;
  a3: bigint;
}

/** §"Receiving a SMP Message 2" (all proofs) and §"SMP Message 3" */
export function verifySmp2AndCreateSmp3(a: AliceAfter1, m: Smp2, rnd: RandomSource): { msg: Smp3; keep: AliceAfter3 } {
  if (m.c2 !== hashToScalar(3, mulPub(G, m.d2).add(mulPub(m.g2b, m.c2)))) throw new SmpCheated('c2 of message 2');
  if (m.c3 !== hashToScalar(4, mulPub(G, m.d3).add(mulPub(m.g3b, m.c3)))) throw new SmpCheated('c3 of message 2');
  const g2 = checked(mul(m.g2b, a.a2), 'G2');
  const g3 = checked(mul(m.g3b, a.a3), 'G3');
  const cp = hashToScalar(5, mulPub(g3, m.d5).add(mulPub(m.pb, m.cp)), mulPub(G, m.d5).add(mulPub(g2, m.d6)).add(mulPub(m.qb, m.cp)));
  if (m.cp !== cp) throw new SmpCheated('cp of message 2');

  const r4 = random(rnd);
  const r5 = random(rnd);
  const r6 = random(rnd);
  const r7 = random(rnd);
  const pa = checked(mul(g3, r4), 'Pa');
  const qa = checked(mul(G, r4).add(mul(g2, a.x)), 'Qa');
  const cp3 = hashToScalar(6, mul(g3, r5), mul(G, r5).add(mul(g2, r6)));
  const d5 = sub(r5, times(r4, cp3));
  const d6 = sub(r6, times(a.x, cp3));
  const qaMinusQb = checked(qa.subtract(m.qb), 'Qa − Qb');
  const ra = checked(mul(qaMinusQb, a.a3), 'Ra');
  const cr = hashToScalar(7, mul(G, r7), mul(qaMinusQb, r7));
  const d7 = sub(r7, times(a.a3, cr));
  return {
    msg: { pa, qa, cp: cp3, d5, d6, ra, cr, d7 },
    keep: { g3b: m.g3b, paMinusPb: pa.subtract(m.pb), qaMinusQb, a3: a.a3 },
  };
}

/** §"Receiving a SMP Message 3" (proofs), §"SMP Message 4", and Bob's comparison */
export function verifySmp3AndCreateSmp4(b: BobAfter2, m: Smp3, rnd: RandomSource): { msg: Smp4; success: boolean } {
  const cp = hashToScalar(6, mulPub(b.g3, m.d5).add(mulPub(m.pa, m.cp)), mulPub(G, m.d5).add(mulPub(b.g2, m.d6)).add(mulPub(m.qa, m.cp)));
  if (m.cp !== cp) throw new SmpCheated('cp of message 3');
  const qaMinusQb = checked(m.qa.subtract(b.qb), 'Qa − Qb');
  const cr = hashToScalar(7, mulPub(G, m.d7).add(mulPub(b.g3a, m.cr)), mulPub(qaMinusQb, m.d7).add(mulPub(m.ra, m.cr)));
  if (m.cr !== cr) throw new SmpCheated('cr of message 3');

  const r7 = random(rnd);
  const rb = checked(mul(qaMinusQb, b.b3), 'Rb');
  const cr4 = hashToScalar(8, mul(G, r7), mul(qaMinusQb, r7));
  const d7 = sub(r7, times(b.b3, cr4));
  const rab = mul(m.ra, b.b3);
  const success = m.pa.subtract(b.pb).equals(rab);
  return { msg: { rb, cr: cr4, d7 }, success };
}

/** §"Receiving a SMP Message 4": Bob's proof and Alice's comparison */
export function verifySmp4(a: AliceAfter3, m: Smp4): boolean {
  const cr = hashToScalar(8, mulPub(G, m.d7).add(mulPub(a.g3b, m.cr)), mulPub(a.qaMinusQb, m.d7).add(mulPub(m.rb, m.cr)));
  if (m.cr !== cr) throw new SmpCheated('cr of message 4');
  const rab = mul(m.rb, a.a3);
  return a.paMinusPb.equals(rab);
}
