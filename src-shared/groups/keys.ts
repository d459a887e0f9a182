// Group identities (docs/groups.md §"Identity"): the account's OTRv4 long-term Ed448 key H and
// forging key F, whose fingerprint (OTRv4 §"Public keys, Shared Prekeys, Forging keys and
// Fingerprints": HWC(usage_fingerprint || H || F, 56)) is the identity the notes' `identity`
// message carries, plus an X448 key for the pairwise `encrypted(pub, …)` messages.
//
// The X448 secret is DERIVED from the long-term symmetric key sym_h with a domain-separated
// SHAKE-256 (so nothing new needs storing, and the Ed448 scalar itself is never used for ECDH),
// and the X448 public key is BOUND to H by an Ed448 signature: a bundle is accepted only if its
// fingerprint is the one claimed and H signed its X448 key (RFC 8032 §5.2 Ed448; RFC 7748 §5 X448).
import { ed448, x448 } from '@noble/curves/ed448.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { decodePoint } from '../otr/v4/ed448';
import { fingerprintHex } from '../otr/v4/keys';
import { concat, utf8 } from './bytes';
import { groupError } from './errors';

export const ED448_PUBLIC_BYTES = 57;
export const ED448_SECRET_BYTES = 57;
export const ED448_SIG_BYTES = 114;
export const X448_BYTES = 56;
/** 56-byte fingerprint, lowercase hex */
export const FINGERPRINT_RE = /^[0-9a-f]{112}$/;

const X448_DERIVE_LABEL = utf8('messenger-groups/v1/x448-from-long-term');
const BINDING_LABEL = utf8('messenger-groups/v1/x448-binding');

/** The public part of a member's identity, as it travels in `identity`, `new_user`, `add_user`. */
export interface KeyBundle {
  /** H, Ed448 POINT encoding */
  h: Uint8Array;
  /** F, the OTRv4 forging key */
  f: Uint8Array;
  /** X448 public key for pairwise encryption */
  x: Uint8Array;
  /** Ed448 signature by H over (label ‖ x) */
  sig: Uint8Array;
}

/** Our own identity: the bundle, its fingerprint and the secrets (never leave the core). */
export interface LocalGroupIdentity {
  fingerprint: string;
  bundle: KeyBundle;
  /** sym_h, the RFC 8032 secret key of H */
  signingSecret: Uint8Array;
  xSecret: Uint8Array;
}

export interface LongTermKeys {
  /** sym_h: the 57-byte Ed448 secret key */
  symmetric: Uint8Array;
  /** H, encoded */
  publicKey: Uint8Array;
  /** F, encoded */
  forgingKey: Uint8Array;
}

export function localGroupIdentity(k: LongTermKeys): LocalGroupIdentity {
  if (k.symmetric.length !== ED448_SECRET_BYTES) throw groupError('bad-identity', 'the long-term secret must be 57 bytes');
  const xSecret = shake256(concat(X448_DERIVE_LABEL, k.symmetric), { dkLen: X448_BYTES });
  const x = x448.getPublicKey(xSecret);
  const h = ed448.getPublicKey(k.symmetric);
  if (!sameBytes(h, k.publicKey)) throw groupError('bad-identity', 'the long-term secret does not match its public key');
  const sig = ed448.sign(concat(BINDING_LABEL, x), k.symmetric);
  const bundle: KeyBundle = { h: Uint8Array.from(k.publicKey), f: Uint8Array.from(k.forgingKey), x, sig };
  return { fingerprint: bundleFingerprint(bundle), bundle, signingSecret: Uint8Array.from(k.symmetric), xSecret };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** the OTRv4 fingerprint of the bundle's H and F; throws 'bad-identity' for invalid points */
export function bundleFingerprint(b: KeyBundle): string {
  try {
    return fingerprintHex(decodePoint(b.h), decodePoint(b.f));
  } catch {
    throw groupError('bad-identity', 'the identity keys are not valid Ed448 points');
  }
}

/**
 * Checks that the bundle belongs to the claimed fingerprint and that H signed its X448 key: only
 * then is `encrypted(pub, …)` to this bundle readable by the holder of that identity alone.
 */
export function verifyBundle(b: KeyBundle, claimedFingerprint: string): void {
  if (bundleFingerprint(b) !== claimedFingerprint) throw groupError('bad-identity', 'the keys do not have the claimed fingerprint');
  let ok = false;
  try {
    ok = ed448.verify(b.sig, concat(BINDING_LABEL, b.x), b.h);
  } catch {
    ok = false;
  }
  if (!ok) throw groupError('bad-identity', 'the X448 key is not signed by the identity key');
}

/** Ed448 signature by our long-term key (RFC 8032 §5.2.6) */
export const signWith = (secret: Uint8Array, message: Uint8Array): Uint8Array => ed448.sign(message, secret);

/** Ed448 verification (RFC 8032 §5.2.7); false for any malformed input */
export function verifyWith(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    return sig.length === ED448_SIG_BYTES && ed448.verify(sig, message, publicKey);
  } catch {
    return false;
  }
}
