// Prekey Profile (otrv4.md §"Prekey Profile", §"Prekey Profile Data Type", §"Creating a Prekey
// Profile", §"Prekey Profile Expiration and Renewal", §"Create a Prekey Profile Signature",
// §"Verify a Prekey Profile Signature", §"Validating a Prekey Profile").
//
// PREKEY-PROF = INT owner tag ‖ PREKEY-PROF-EXP (INT64) ‖ ED448-SHARED-PREKEY (type 0x0011 as
// little-endian `11 00` ‖ POINT D) ‖ PREKEY-EDDSA-SIG(114), signed with the long-term sym_h over the first three fields.
// This module's exports are used by the prekey server too: keep them stable.
import { ed448 } from '@noble/curves/ed448.js';
import { ByteReader, ByteWriter } from '../common/bytes';
import { invalidValue } from '../common/errors';
import { EDDSA_SIG_BYTES, isExpired, verifyEd448 } from './client-profile';
import { encodeKeyType, PUBKEY_TYPE_SHARED_PREKEY, readKeyType } from './key-type';
import { encodePoint, type Point } from './ed448';
import { decodePoint } from './ed448';
import { type EdKeyPair, isValidInstanceTag } from './keys';

export const PREKEY_PROFILE_BYTES = 4 + 8 + 2 + 57 + EDDSA_SIG_BYTES;
export const PREKEY_PROFILE_LIFETIME_SECONDS = 7 * 24 * 3600;

export interface PrekeyProfile {
  readonly ownerTag: number;
  /** Unix seconds */
  readonly expires: bigint;
  /** D, the shared prekey */
  readonly sharedPrekey: Point;
  readonly signature: Uint8Array;
  readonly encoded: Uint8Array;
}

export interface CreatePrekeyProfileInput {
  ownerTag: number;
  expires: bigint;
  /** the long-term key pair (sym_h signs) */
  keyPair: EdKeyPair;
  /** the shared prekey pair (sym_d); only its public part goes into the profile */
  sharedPrekey: EdKeyPair | Point;
}

export function createPrekeyProfile(input: CreatePrekeyProfileInput): PrekeyProfile {
  if (!isValidInstanceTag(input.ownerTag)) throw invalidValue('owner instance tag must be ≥ 0x100');
  const D = 'public' in input.sharedPrekey ? input.sharedPrekey.public : input.sharedPrekey;
  const body = new ByteWriter().int(input.ownerTag).int64(input.expires).bytes(encodeKeyType(PUBKEY_TYPE_SHARED_PREKEY)).bytes(encodePoint(D)).finish();
  const signature = ed448.sign(body, input.keyPair.symmetric);
  return { ownerTag: input.ownerTag, expires: input.expires, sharedPrekey: D, signature, encoded: new ByteWriter().bytes(body).bytes(signature).finish() };
}

export function encodePrekeyProfile(p: PrekeyProfile): Uint8Array {
  return p.encoded;
}

export function readPrekeyProfile(r: ByteReader, source: Uint8Array): PrekeyProfile {
  const start = r.position;
  const ownerTag = r.int('prekey profile owner tag');
  const expires = r.int64('prekey profile expiration');
  readKeyType(r, PUBKEY_TYPE_SHARED_PREKEY, 'ED448-SHARED-PREKEY');
  const sharedPrekey = decodePoint(r.fixed(57, 'shared prekey'));
  const signature = r.fixed(EDDSA_SIG_BYTES, 'prekey profile signature');
  return { ownerTag, expires, sharedPrekey, signature, encoded: source.slice(start, r.position) };
}

export function decodePrekeyProfile(bytes: Uint8Array): PrekeyProfile {
  const r = new ByteReader(bytes);
  const p = readPrekeyProfile(r, bytes);
  r.end('prekey profile');
  return p;
}

export interface PrekeyProfileValidation {
  /** H from the client profile of the same ensemble (or our own H) */
  longTermPublicKey: Point;
  /** the instance tag the profile must belong to */
  senderTag?: number;
  nowMs: number;
  graceSeconds?: number;
}

// (H, encoded prekey profile) pairs whose EdDSA signature verified: a contact's prekey profile
// comes with every ensemble for a week, and its signature (~3.5 ms) is then checked once. The
// key holds H and the signature as well as the signed bytes, since the signature is valid only under that H;
// owner tag and expiry are still checked every time. Bounded.
const signatureVerified = new Set<string>();

/** §"Validating a Prekey Profile", in the spec's order. Throws OtrError('invalid-value'). */
export function validatePrekeyProfile(p: PrekeyProfile, v: PrekeyProfileValidation): void {
  const body = p.encoded.subarray(0, p.encoded.length - EDDSA_SIG_BYTES);
  const key = String.fromCharCode(...encodePoint(v.longTermPublicKey), ...p.encoded, ...p.signature);
  if (!signatureVerified.has(key)) {
    if (!verifyEd448(p.signature, body, v.longTermPublicKey)) throw invalidValue('prekey profile signature is invalid');
    if (signatureVerified.size >= 256) signatureVerified.clear();
    signatureVerified.add(key);
  }
  if (v.senderTag !== undefined && p.ownerTag !== v.senderTag) throw invalidValue('prekey profile owner tag differs from the sender tag');
  if (!isValidInstanceTag(p.ownerTag)) throw invalidValue('prekey profile owner tag is below 0x100');
  if (isExpired(p.expires, v.nowMs, v.graceSeconds)) throw invalidValue('prekey profile has expired');
  // D was checked (curve, identity, subgroup) when decoded.
}

export function renewPrekeyProfile(old: PrekeyProfile, keyPair: EdKeyPair, sharedPrekey: EdKeyPair | Point, expires: bigint): PrekeyProfile {
  return createPrekeyProfile({ ownerTag: old.ownerTag, expires, keyPair, sharedPrekey });
}
