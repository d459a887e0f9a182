// Sealing and opening of knocks (docs/architecture.md §7; ChatSecure Push Protocol v3 draft, "Sending Knock
// to Offline Contact": "Encrypted with shared_key: protocol, Alice's account_name, Bob's
// buddy_name").
//
// Primitive: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2) with a random 24-byte nonce; a
// 192-bit nonce makes random nonces safe for the lifetime of a shared_key. The public To and From
// addresses and the envelope id are the associated data (RFC 8439 §2.8), so a server that
// rewrites the addressing or swaps ids makes the knock fail to open.
//
// sealed = base64url(nonce(24) ‖ ciphertext ‖ tag(16)); plaintext = UTF-8 JSON of KnockSecret.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { framed } from '../encoding/framed';
import { b64urlDecode, b64urlEncode } from './b64url';
import { knockEnvelopeSchema, knockSecretSchema, MAX_SEALED_BYTES, type KnockEnvelope, type KnockSecret, type PushAddress } from './wire';

export const SHARED_KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
const AD_LABEL = 'chatsecure-push/knock/v1';

export class KnockSealError extends Error {
  override readonly name = 'KnockSealError';
  constructor(
    readonly code: 'invalid-key' | 'invalid-input' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

const enc = new TextEncoder();

/** The associated data: label, envelope id, To and From (all public, all authenticated). */
export function knockAssociatedData(id: string, to: PushAddress, from: PushAddress): Uint8Array {
  return framed([AD_LABEL, id, to.endpoint, to.push_name, from.endpoint, from.push_name]);
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SHARED_KEY_BYTES) {
    throw new KnockSealError('invalid-key', `shared_key must be ${SHARED_KEY_BYTES} bytes`);
  }
}

export interface SealInput {
  sharedKey: Uint8Array;
  to: PushAddress;
  from: PushAddress;
  secret: KnockSecret;
  /** injected randomness (docs/architecture.md: RNG injected): returns n random bytes */
  random: (n: number) => Uint8Array;
}

/** Builds a sealed knock envelope. The envelope id is the secret's id (one id per knock). */
export function sealKnock(input: SealInput): KnockEnvelope {
  checkKey(input.sharedKey);
  const secret = knockSecretSchema.safeParse(input.secret);
  if (!secret.success) throw new KnockSealError('invalid-input', 'invalid knock secret');
  const nonce = input.random(NONCE_BYTES);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) throw new KnockSealError('invalid-input', 'random source returned a bad nonce');
  const id = secret.data.id;
  const candidate = { v: 1 as const, id, to: input.to, from: input.from, sealed: 'A' };
  // Validate (and normalise) the addresses before they enter the associated data.
  const parsed = knockEnvelopeSchema.safeParse(candidate);
  if (!parsed.success) throw new KnockSealError('invalid-input', 'invalid knock addresses');
  const ad = knockAssociatedData(id, parsed.data.to, parsed.data.from);
  const ct = xchacha20poly1305(input.sharedKey, nonce, ad).encrypt(enc.encode(JSON.stringify(secret.data)));
  const blob = new Uint8Array(NONCE_BYTES + ct.length);
  blob.set(nonce, 0);
  blob.set(ct, NONCE_BYTES);
  if (blob.length > MAX_SEALED_BYTES) throw new KnockSealError('invalid-input', 'knock secret too large');
  return { ...parsed.data, sealed: b64urlEncode(blob) };
}

/**
 * Opens a knock. Throws KnockSealError('unreadable') if the tag does not verify (wrong key,
 * tampered addressing or blob) or if the plaintext is not a valid KnockSecret whose id matches
 * the envelope id. Replay checking of `secret.id`/`secret.time` is the caller's job (it owns the
 * store of seen ids).
 */
export function openKnock(sharedKey: Uint8Array, envelope: KnockEnvelope): KnockSecret {
  checkKey(sharedKey);
  const env = knockEnvelopeSchema.safeParse(envelope);
  if (!env.success) throw new KnockSealError('invalid-input', 'invalid knock envelope');
  let blob: Uint8Array;
  try {
    blob = b64urlDecode(env.data.sealed);
  } catch {
    throw new KnockSealError('unreadable', 'sealed blob is not base64url');
  }
  if (blob.length < NONCE_BYTES + TAG_BYTES) throw new KnockSealError('unreadable', 'sealed blob too short');
  const ad = knockAssociatedData(env.data.id, env.data.to, env.data.from);
  let pt: Uint8Array;
  try {
    pt = xchacha20poly1305(sharedKey, blob.subarray(0, NONCE_BYTES), ad).decrypt(blob.subarray(NONCE_BYTES));
  } catch {
    throw new KnockSealError('unreadable', 'knock does not open with this key');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(pt));
  } catch {
    throw new KnockSealError('unreadable', 'knock plaintext is not JSON');
  }
  const secret = knockSecretSchema.safeParse(json);
  if (!secret.success || secret.data.id !== env.data.id) throw new KnockSealError('unreadable', 'knock plaintext is invalid');
  return secret.data;
}
