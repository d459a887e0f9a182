// Client Profile (otrv4.md §"Client Profile", §"Client Profile Data Type", §"Creating a Client
// Profile", §"Establishing Versions", §"Client Profile Expiration and Renewal", §"Create a Client
// Profile Signature", §"Verify a Client Profile Signature", §"Validating a Client Profile").
//
// CLIENT-PROF = INT n ‖ n × (SHORT type ‖ field) ‖ CLIENT-EDDSA-SIG(114).
// The EdDSA signature (RFC 8032 Ed448, empty context) covers the typed fields (SHORT type ‖
// field, in order) WITHOUT the leading INT n: that is what otr4j signs, checked against the
// otr4j seed messages in vectors/otr4j-seeds (libotr-ng includes n; implementer notes §4 says
// so; we follow otr4j, docs/otrv4-decisions.md D3).
// This module's exports are used by the prekey server too: keep them stable.
import { ed448 } from '@noble/curves/ed448.js';
import { ByteReader, ByteWriter, concatBytes } from '../common/bytes';
import { invalidValue, malformed, OtrError } from '../common/errors';
import { encodePoint, type Point } from './ed448';
import { decodePoint } from './ed448';
import { encodeKeyType, PUBKEY_TYPE_ED448, PUBKEY_TYPE_FORGING, readKeyType } from './key-type';
import { type EdKeyPair, fingerprint, type ForgingKey, isValidInstanceTag } from './keys';
import { verifyEd448Signature } from './eddsa';
import { type TransitionalSigner, verifyTransitionalSignature } from './transitional';

export const EDDSA_SIG_BYTES = 114;
// key types: 2 bytes little-endian (key-type.ts); re-exported for the prekey modules and server
export { PUBKEY_TYPE_ED448, PUBKEY_TYPE_FORGING, PUBKEY_TYPE_SHARED_PREKEY } from './key-type';

export const ClientProfileField = {
  ownerTag: 0x0001,
  publicKey: 0x0002,
  forgingKey: 0x0003,
  versions: 0x0004,
  expiration: 0x0005,
  dsaPublicKey: 0x0006,
  transitionalSignature: 0x0007,
} as const;

/** §"Client Profile": "The recommended expiration time is one week." */
export const CLIENT_PROFILE_LIFETIME_SECONDS = 7 * 24 * 3600;
/** §"Client Profile": extra local validity for delayed offline messages, recommended 1 day */
export const PROFILE_LOCAL_GRACE_SECONDS = 24 * 3600;

export interface ClientProfile {
  readonly ownerTag: number;
  /** H, the long-term Ed448 public key */
  readonly publicKey: Point;
  /** F, the forging key */
  readonly forgingKey: Point;
  /** ASCII version digits, e.g. "4" or "34" */
  readonly versions: string;
  /** Unix seconds (CLIENT-PROF-EXP, signed 64-bit) */
  readonly expires: bigint;
  /** OTRv3 PUBKEY encoding (SHORT 0 ‖ MPI p,q,g,y) if present */
  readonly dsaPublicKey?: Uint8Array;
  readonly transitionalSignature?: Uint8Array;
  /** m of the transitional signature: the typed fields other than 0x0007, without INT n */
  readonly transitionalMessage?: Uint8Array;
  readonly signature: Uint8Array;
  /** the exact serialized profile, signature included (what the DAKE transcripts hash) */
  readonly encoded: Uint8Array;
}

export interface CreateClientProfileInput {
  ownerTag: number;
  keyPair: EdKeyPair;
  forgingKey: ForgingKey | Point;
  versions: string;
  /** Unix seconds */
  expires: bigint;
  /**
   * Optional OTRv3 transition (§"Create a Client Profile Signature"): the v3 PUBKEY encoding and
   * a DSA signer over m = fields 0x0001–0x0006 (returns r ‖ s, 2 × len(q) bytes).
   */
  transitional?: TransitionalSigner;
}

function forgingPoint(f: ForgingKey | Point): Point {
  return 'public' in f ? f.public : f;
}

function encodeFields(fields: Array<[number, Uint8Array]>): Uint8Array {
  const w = new ByteWriter();
  for (const [type, body] of fields) w.short(type).bytes(body);
  return w.finish();
}

function checkVersionsSyntax(versions: string): void {
  // §"Establishing Versions": ASCII version identifiers; "?" is never a version.
  if (!/^[\x21-\x3e\x40-\x7e]*$/.test(versions)) throw invalidValue('versions must be printable ASCII');
  if (new Set(versions).size !== versions.length) throw invalidValue('duplicate version in versions');
}

/** §"Creating a Client Profile": fields 1,2,3,4,5,[6],[7] in that order, then the EdDSA signature. */
export function createClientProfile(input: CreateClientProfileInput): ClientProfile {
  if (!isValidInstanceTag(input.ownerTag)) throw invalidValue('owner instance tag must be ≥ 0x100');
  checkVersionsSyntax(input.versions);
  if (!input.versions.includes('4')) throw invalidValue('a client profile must offer version 4');
  if (/[12]/.test(input.versions)) throw invalidValue('versions 1 and 2 are not allowed');
  const F = forgingPoint(input.forgingKey);
  const fields: Array<[number, Uint8Array]> = [
    [ClientProfileField.ownerTag, new ByteWriter().int(input.ownerTag).finish()],
    [ClientProfileField.publicKey, new ByteWriter().bytes(encodeKeyType(PUBKEY_TYPE_ED448)).bytes(encodePoint(input.keyPair.public)).finish()],
    [ClientProfileField.forgingKey, new ByteWriter().bytes(encodeKeyType(PUBKEY_TYPE_FORGING)).bytes(encodePoint(F)).finish()],
    [ClientProfileField.versions, new ByteWriter().data(new TextEncoder().encode(input.versions)).finish()],
    [ClientProfileField.expiration, new ByteWriter().int64(input.expires).finish()],
  ];
  let transitionalSignature: Uint8Array | undefined;
  let transitionalMessage: Uint8Array | undefined;
  if (input.transitional) {
    const qLen = readDsaPublicKey(new ByteReader(input.transitional.dsaPublicKey), true);
    fields.push([ClientProfileField.dsaPublicKey, input.transitional.dsaPublicKey]);
    transitionalMessage = encodeFields(fields);
    transitionalSignature = input.transitional.sign(transitionalMessage);
    if (transitionalSignature.length !== 2 * qLen) throw invalidValue('transitional signature must be 2 × len(q) bytes');
    fields.push([ClientProfileField.transitionalSignature, transitionalSignature]);
  }
  const signed = encodeFields(fields);
  const signature = ed448.sign(signed, input.keyPair.symmetric);
  const encoded = new ByteWriter().int(fields.length).bytes(signed).bytes(signature).finish();
  return {
    ownerTag: input.ownerTag,
    publicKey: input.keyPair.public,
    forgingKey: F,
    versions: input.versions,
    expires: input.expires,
    ...(input.transitional ? { dsaPublicKey: Uint8Array.from(input.transitional.dsaPublicKey), transitionalSignature, transitionalMessage } : {}),
    signature,
    encoded,
  };
}

/** §"Client Profile Expiration and Renewal": a fresh profile with the same keys and a new expiry. */
export function renewClientProfile(
  old: ClientProfile,
  keyPair: EdKeyPair,
  expires: bigint,
  transitional?: CreateClientProfileInput['transitional'],
): ClientProfile {
  if (!keyPair.public.equals(old.publicKey)) throw invalidValue('renewal key pair does not match the profile');
  return createClientProfile({
    ownerTag: old.ownerTag,
    keyPair,
    forgingKey: old.forgingKey,
    versions: old.versions,
    expires,
    ...(transitional ? { transitional } : {}),
  });
}

/** Renew when less than `marginSeconds` of validity remains (default: a day before expiry). */
export function clientProfileNeedsRenewal(p: { expires: bigint }, nowMs: number, marginSeconds = 24 * 3600): boolean {
  return p.expires - BigInt(marginSeconds) <= BigInt(Math.floor(nowMs / 1000));
}

export function encodeClientProfile(p: ClientProfile): Uint8Array {
  return p.encoded;
}

/** PUBKEY (v3 DSA): SHORT 0x0000 ‖ MPI p ‖ MPI q ‖ MPI g ‖ MPI y; returns len(q) in bytes */
function readDsaPublicKey(r: ByteReader, wholeInput = false): number {
  if (r.short('PUBKEY type') !== 0x0000) throw malformed('OTRv3 PUBKEY type must be 0x0000');
  r.mpi('DSA p');
  const q = r.mpi('DSA q');
  r.mpi('DSA g');
  r.mpi('DSA y');
  if (wholeInput) r.end('PUBKEY');
  const qLen = Math.ceil(q.toString(16).length / 2);
  if (q === 0n || qLen > 64) throw malformed('DSA q out of range');
  return qLen;
}

function readTypedPoint(r: ByteReader, type: number, what: string): Point {
  readKeyType(r, type, what);
  return decodePoint(r.fixed(57, what));
}

/**
 * Reads a CLIENT-PROF from `r` (which reads `source`). Structure only: unknown or duplicate
 * fields and missing mandatory fields are malformed. Points are decoded and checked (curve,
 * identity, subgroup). The signature and expiry are checked by validateClientProfile.
 */
export function readClientProfile(r: ByteReader, source: Uint8Array): ClientProfile {
  const start = r.position;
  const n = r.int('client profile field count');
  if (n > 7) throw malformed('too many client profile fields');
  const seen = new Set<number>();
  let ownerTag: number | undefined;
  let publicKey: Point | undefined;
  let forgingKey: Point | undefined;
  let versions: string | undefined;
  let expires: bigint | undefined;
  let dsaPublicKey: Uint8Array | undefined;
  let transitionalSignature: Uint8Array | undefined;
  let qLen = 20;
  let sigField: [number, number] | undefined;
  for (let i = 0; i < n; i++) {
    const fieldStart = r.position;
    const type = r.short('client profile field type');
    if (seen.has(type)) throw malformed('duplicate client profile field');
    seen.add(type);
    switch (type) {
      case ClientProfileField.ownerTag:
        ownerTag = r.int('owner instance tag');
        break;
      case ClientProfileField.publicKey:
        publicKey = readTypedPoint(r, PUBKEY_TYPE_ED448, 'ED448-PUBKEY');
        break;
      case ClientProfileField.forgingKey:
        forgingKey = readTypedPoint(r, PUBKEY_TYPE_FORGING, 'ED448-FORGING-KEY');
        break;
      case ClientProfileField.versions: {
        const v = r.data('versions');
        if (v.length > 16) throw malformed('versions field too long');
        versions = String.fromCharCode(...v);
        break;
      }
      case ClientProfileField.expiration:
        expires = r.int64('client profile expiration');
        break;
      case ClientProfileField.dsaPublicKey: {
        if (transitionalSignature) throw malformed('DSA key must precede the transitional signature');
        const s = r.position;
        qLen = readDsaPublicKey(r);
        dsaPublicKey = source.slice(s, r.position);
        break;
      }
      case ClientProfileField.transitionalSignature:
        transitionalSignature = r.fixed(2 * qLen, 'transitional signature');
        sigField = [fieldStart, r.position];
        break;
      default:
        throw malformed('unknown client profile field type');
    }
  }
  const fieldsEnd = r.position;
  const signature = r.fixed(EDDSA_SIG_BYTES, 'client profile signature');
  if (ownerTag === undefined || !publicKey || !forgingKey || versions === undefined || expires === undefined) {
    throw malformed('client profile lacks a mandatory field');
  }
  if (dsaPublicKey && !transitionalSignature) throw malformed('a DSA key requires the transitional signature');
  return {
    ownerTag,
    publicKey,
    forgingKey,
    versions,
    expires,
    ...(dsaPublicKey ? { dsaPublicKey } : {}),
    ...(transitionalSignature && sigField
      ? { transitionalSignature, transitionalMessage: concatBytes(source.subarray(start + 4, sigField[0]), source.subarray(sigField[1], fieldsEnd)) }
      : {}),
    signature,
    encoded: source.slice(start, r.position),
  };
}

export function decodeClientProfile(bytes: Uint8Array): ClientProfile {
  const r = new ByteReader(bytes);
  const p = readClientProfile(r, bytes);
  r.end('client profile');
  return p;
}

export interface ClientProfileValidation {
  /** the sender instance tag of the DAKE message that carried the profile (§ step 3) */
  senderTag?: number;
  nowMs: number;
  /** extra seconds an expired profile stays acceptable (our own profiles, offline messages) */
  graceSeconds?: number;
}

/** RFC 8032 §5.2.7 with f = 0 and an empty context; S out of range and bad R fail. */
export function verifyEd448(signature: Uint8Array, message: Uint8Array, publicKey: Point): boolean {
  return verifyEd448Signature(signature, message, publicKey);
}

/** encoded profiles (signature included) whose EdDSA signature verified; bounded */
const signatureVerified = new Set<string>();

/** a Map/Set key for bytes of any length (one char per byte; built in slices, no huge spread) */
function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** §"Validating a Client Profile", in the spec's order. Throws OtrError('invalid-value'). */
export function validateClientProfile(p: ClientProfile, v: ClientProfileValidation): void {
  if (p.signature.length !== EDDSA_SIG_BYTES) throw invalidValue('client profile signature is missing');
  // signed part: the typed fields, i.e. everything between INT n and the signature (otr4j)
  // a contact's profile comes with every DAKE for a week: its signature is checked once (~8 ms)
  const key = bytesKey(p.encoded);
  if (!signatureVerified.has(key)) {
    const signed = p.encoded.subarray(4, p.encoded.length - EDDSA_SIG_BYTES);
    if (!verifyEd448(p.signature, signed, p.publicKey)) throw invalidValue('client profile signature is invalid');
    if (signatureVerified.size >= 256) signatureVerified.clear();
    signatureVerified.add(key);
  }
  if (v.senderTag !== undefined && p.ownerTag !== v.senderTag) throw invalidValue('client profile owner tag differs from the sender tag');
  if (!isValidInstanceTag(p.ownerTag)) throw invalidValue('client profile owner tag is below 0x100');
  if (isExpired(p.expires, v.nowMs, v.graceSeconds)) throw invalidValue('client profile has expired');
  if (!p.versions.includes('4')) throw invalidValue('client profile does not offer version 4');
  if (/[12]/.test(p.versions)) throw invalidValue('client profile offers version 1 or 2');
  // H and F were checked on the curve, not the identity and in the subgroup when decoded; a
  // profile built locally got them from our own key generation.
  // Step 8 ("optional"): we verify it whenever both are present, as otr4j does; a transitional
  // signature without the DSA key cannot be checked and is carried as it is (docs D4).
  if (p.dsaPublicKey && p.transitionalSignature && p.transitionalMessage) {
    verifyTransitionalSignature(p.dsaPublicKey, p.transitionalMessage, p.transitionalSignature);
  }
}

export function isExpired(expires: bigint, nowMs: number, graceSeconds = 0): boolean {
  return expires + BigInt(graceSeconds) <= BigInt(Math.floor(nowMs / 1000));
}

/** the fingerprint of the profile's (H, F) */
export function clientProfileFingerprint(p: ClientProfile): Uint8Array {
  return fingerprint(p.publicKey, p.forgingKey);
}

/** True iff the error is the kind validation throws (for callers that try several profiles). */
export function isValidationError(e: unknown): e is OtrError {
  return e instanceof OtrError && (e.code === 'invalid-value' || e.code === 'malformed');
}
