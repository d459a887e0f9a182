// OTRv4 key material (otrv4.md §"Public keys, Shared Prekeys, Forging keys and Fingerprints",
// §"Generating ECDH and DH keys", §"Instance Tags", §"Verifying that an integer is in the DH group").
//
// Long-term keys, shared prekeys and ECDH keys are all generated the RFC 8032 way: a 57-byte
// symmetric key, SHAKE-256(sym, 114), the first 57 bytes pruned into the secret scalar. The
// symmetric key is what EdDSA signs with, so for long-term keys and shared prekeys it is what we
// persist. DH keys are 80 random bytes; the exponentiations go through the injected engine.
import { ed448 } from '@noble/curves/ed448.js';
import { bigintToMinimalBytes, bytesToBigint } from '../common/bytes';
import { invalidValue, malformed } from '../common/errors';
import type { RandomSource } from '../common/random';
import { DH3072_P, isValidDhPublic, type Dh3072Engine } from './dh3072';
import { encodePoint, Fn, G, hashAndPruneScalar, trustPoint, type Point } from './ed448';
import { hwc, Usage } from './kdf';

export const SYMMETRIC_KEY_BYTES = 57;
export const FINGERPRINT_BYTES = 56;
export const DH_SECRET_BYTES = 80;
/** §"Instance Tags": the smallest valid instance tag */
export const MIN_INSTANCE_TAG = 0x100;

/** An Ed448 key pair derived from a 57-byte symmetric key (RFC 8032 §5.2.5). */
export interface EdKeyPair {
  /** sym_h / sym_d: the EdDSA secret key; what gets persisted */
  readonly symmetric: Uint8Array;
  /** sk: the pruned secret scalar, reduced mod q */
  readonly secret: bigint;
  readonly public: Point;
  /** POINT encoding of `public` */
  readonly publicBytes: Uint8Array;
}

/** Rebuilds a key pair from its persisted symmetric key. */
export function edKeyPairFromSymmetric(symmetric: Uint8Array): EdKeyPair {
  if (!(symmetric instanceof Uint8Array) || symmetric.length !== SYMMETRIC_KEY_BYTES) {
    throw malformed('Ed448 symmetric key must be 57 bytes');
  }
  const ext = ed448.utils.getExtendedPublicKey(symmetric);
  // noble's scalar is the pruned h[0..57] reduced mod q, which is the spec's sk (mod q).
  // k·G with 0 < k < q is in the prime-order subgroup: no need to check it again later
  return { symmetric: Uint8Array.from(symmetric), secret: Fn.create(ext.scalar), public: trustPoint(ext.point), publicBytes: ext.pointBytes };
}

/** Long-term key H (sym_h) or shared prekey D (sym_d): 57 random bytes, then RFC 8032 keygen. */
export function generateEdKeyPair(random: RandomSource): EdKeyPair {
  const sym = random(SYMMETRIC_KEY_BYTES);
  if (sym.length !== SYMMETRIC_KEY_BYTES) throw invalidValue('random source returned the wrong length');
  return edKeyPairFromSymmetric(sym);
}

/**
 * The forging key F. The spec lets the secret be kept or discarded and asks the client to offer
 * the user the choice (§"Public keys, Shared Prekeys, Forging keys and Fingerprints"); we
 * generate it like an honest key (the first method the spec lists) and return the symmetric key
 * only when the caller asked to keep it.
 */
export interface ForgingKey {
  readonly public: Point;
  /** present only if the user chose to keep the forging secret */
  readonly symmetric?: Uint8Array;
}

export function generateForgingKey(random: RandomSource, options: { keepSecret: boolean }): ForgingKey {
  const kp = generateEdKeyPair(random);
  if (options.keepSecret) return { public: kp.public, symmetric: kp.symmetric };
  kp.symmetric.fill(0);
  return { public: kp.public };
}

/** §"Public keys…": fingerprint = HWC(usage_fingerprint || byte(H) || byte(F), 56) */
export function fingerprint(h: Point, f: Point): Uint8Array {
  return hwc(Usage.fingerprint, [encodePoint(h), encodePoint(f)], FINGERPRINT_BYTES);
}

/** lowercase hex without spaces, as OtrEvent.theirFingerprint carries it */
export function fingerprintHex(h: Point, f: Point): string {
  return toHex(fingerprint(h, f));
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw malformed('not a hex string');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- ephemeral keys (§"Generating ECDH and DH keys") ----

export interface EcdhKeyPair {
  readonly secret: bigint;
  readonly public: Point;
}

/**
 * generateECDH(): r = 57 random bytes; SHAKE-256(r, 114), the lower 57 bytes pruned. The first
 * 57 bytes of a SHAKE-256 output do not depend on the requested length, so this is
 * hashAndPruneScalar of ed448.ts.
 */
export function generateEcdhKeyPair(random: RandomSource): EcdhKeyPair {
  const secret = hashAndPruneScalar(random);
  return { secret, public: trustPoint(G.multiply(secret)) };
}

export interface DhKeyPair {
  readonly secret: bigint;
  readonly public: bigint;
}

/** generateDH(): r = 80 random bytes, public = g3^r mod p (through the injected engine) */
export function generateDhKeyPair(random: RandomSource, engine: Dh3072Engine): DhKeyPair {
  const r = random(DH_SECRET_BYTES);
  if (r.length !== DH_SECRET_BYTES) throw invalidValue('random source returned the wrong length');
  const secret = bytesToBigint(r);
  r.fill(0);
  if (secret === 0n) throw invalidValue('DH secret is zero');
  return { secret, public: engine.publicKey(secret) };
}

export function validateDhValue(x: bigint, what = 'DH value'): void {
  if (!isValidDhPublic(x)) throw invalidValue(`${what} is not in the DH group`);
}

/** k_dh = DH(a, B), serialized big-endian with minimal length (otr4j; implementer notes §0). */
export function dhSharedSecret(engine: Dh3072Engine, secret: bigint, theirPublic: bigint): Uint8Array {
  const k = engine.sharedSecret(secret, theirPublic);
  if (k <= 1n || k >= DH3072_P - 1n) throw invalidValue('DH shared secret is degenerate');
  return bigintToMinimalBytes(k);
}

// ---- instance tags (§"Instance Tags") ----

export function isValidInstanceTag(tag: number): boolean {
  return Number.isInteger(tag) && tag >= MIN_INSTANCE_TAG && tag <= 0xffffffff;
}

/** a receiver tag may also be 0 ("not known yet") where the message type allows it */
export function isValidReceiverTag(tag: number): boolean {
  return tag === 0 || isValidInstanceTag(tag);
}

export function generateInstanceTag(random: RandomSource): number {
  for (;;) {
    const b = random(4);
    const tag = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (tag >= MIN_INSTANCE_TAG) return tag;
  }
}
