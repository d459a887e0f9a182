// Pieces shared by the two OTRv4 DAKEs (otrv4.md §"Shared Session State", §"Secure Session ID",
// §"Auth-R Message", §"Auth-I Message", §"Non-Interactive-Auth Message"): the identity, context
// and result types, phi, the transcripts t, the interactive shared secret and small checks.
// dake.ts (interactive) and dake-non-interactive.ts build on them; dake.ts re-exports the public
// names, so callers import from './dake' as before.
//
// Ambiguities (docs/otrv4-decisions.md): phi = INT sender ‖ INT receiver ‖ POINT/MPI first keys
// of the sender ‖ of the receiver ‖ DATA(sender id) ‖ DATA(receiver id), "sender" being the party
// that sent the message being signed (otr4j); in the non-interactive DAKE only Alice has first
// keys. D_b in the Non-Interactive-Auth transcript is ED448-SHARED-PREKEY (libotr-ng).
import { shake256 } from '@noble/hashes/sha3.js';
import { ByteWriter } from '../common/bytes';
import { invalidValue } from '../common/errors';
import type { Clock, RandomSource } from '../common/random';
import type { ClientProfile } from './client-profile';
import { encodeKeyType, PUBKEY_TYPE_SHARED_PREKEY } from './key-type';
import type { Dh3072Engine } from './dh3072';
import { ecdh, encodePoint, type Point } from './ed448';
import { kdf, Usage } from './kdf';
import { type DhKeyPair, dhSharedSecret, type EcdhKeyPair, type EdKeyPair, isValidInstanceTag, validateDhValue } from './keys';

/** What we are: long-term keys, the profile we send, our instance tag. */
export interface DakeIdentity {
  readonly instanceTag: number;
  readonly keyPair: EdKeyPair;
  readonly clientProfile: ClientProfile;
}

/** Injected effects and the implementer-defined part of phi (phi'). */
export interface DakeContext {
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly dh: Dh3072Engine;
  /** our network identity (e.g. bare JID), part of phi' */
  readonly ourId: string;
  /** the peer's network identity, part of phi' */
  readonly theirId: string;
}

/** What the DAKE hands to the double ratchet (ratchet/README.md). */
export interface DakeResult {
  readonly mode: 'interactive' | 'non-interactive';
  readonly role: 'alice' | 'bob';
  /** K, 64 bytes */
  readonly sharedSecret: Uint8Array;
  readonly ssid: Uint8Array;
  readonly ourEcdh?: EcdhKeyPair;
  readonly ourDh?: DhKeyPair;
  readonly theirEcdh?: Point;
  readonly theirDh?: bigint;
  readonly theirProfile: ClientProfile;
  readonly theirInstanceTag: number;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** phi (§"Shared Session State"); see the header comment for the layout. */
export function sharedSessionState(p: {
  senderTag: number;
  receiverTag: number;
  senderFirst?: { ecdh: Point; dh: bigint };
  receiverFirst?: { ecdh: Point; dh: bigint };
  senderId: string;
  receiverId: string;
}): Uint8Array {
  const w = new ByteWriter().int(p.senderTag).int(p.receiverTag);
  for (const f of [p.senderFirst, p.receiverFirst]) if (f) w.bytes(encodePoint(f.ecdh)).mpi(f.dh);
  return w.data(utf8(p.senderId)).data(utf8(p.receiverId)).finish();
}

interface TranscriptInput {
  bobProfile: Uint8Array;
  aliceProfile: Uint8Array;
  y: Point;
  x: Point;
  b: bigint;
  a: bigint;
  phi: Uint8Array;
}

/** t of Auth-R (prefix 0x00) and Auth-I (prefix 0x01); X, Y as POINT, A, B as MPI */
export function interactiveTranscript(kind: 'auth-r' | 'auth-i', t: TranscriptInput): Uint8Array {
  const [prefix, ub, ua, up] =
    kind === 'auth-r'
      ? [0x00, Usage.authRBobClientProfile, Usage.authRAliceClientProfile, Usage.authRPhi]
      : [0x01, Usage.authIBobClientProfile, Usage.authIAliceClientProfile, Usage.authIPhi];
  return new ByteWriter()
    .byte(prefix)
    .bytes(kdf(ub, t.bobProfile, 64))
    .bytes(kdf(ua, t.aliceProfile, 64))
    .bytes(encodePoint(t.y))
    .bytes(encodePoint(t.x))
    .mpi(t.b)
    .mpi(t.a)
    .bytes(kdf(up, t.phi, 64))
    .finish();
}

/** t of the Non-Interactive-Auth message (no prefix byte); D_b as ED448-SHARED-PREKEY */
export function nonInteractiveTranscript(t: TranscriptInput & { sharedPrekey: Point }): Uint8Array {
  return new ByteWriter()
    .bytes(kdf(Usage.nonIntAuthBobClientProfile, t.bobProfile, 64))
    .bytes(kdf(Usage.nonIntAuthAliceClientProfile, t.aliceProfile, 64))
    .bytes(encodePoint(t.y))
    .bytes(encodePoint(t.x))
    .mpi(t.b)
    .mpi(t.a)
    .bytes(encodeKeyType(PUBKEY_TYPE_SHARED_PREKEY))
    .bytes(encodePoint(t.sharedPrekey))
    .bytes(kdf(Usage.nonIntAuthPhi, t.phi, 64))
    .finish();
}

/** K = KDF(0x03 ‖ K_ecdh ‖ KDF(0x01 ‖ k_dh, 32), 64) for the interactive DAKE */
export function interactiveSharedSecret(dh: Dh3072Engine, ourEcdh: bigint, theirEcdh: Point, ourDh: bigint, theirDh: bigint): Uint8Array {
  const kEcdh = ecdh(ourEcdh, theirEcdh);
  const kDh = dhSharedSecret(dh, ourDh, theirDh);
  const brace = kdf(Usage.thirdBraceKey, kDh, 32);
  const k = kdf(Usage.sharedSecret, [kEcdh, brace], 64);
  kEcdh.fill(0);
  kDh.fill(0);
  brace.fill(0);
  return k;
}

export function secureSessionId(k: Uint8Array): Uint8Array {
  return kdf(Usage.ssid, k, 8);
}

/**
 * The "hashed B" compared when both sides sent an Identity message (§"Receiving an Identity
 * Message", WAITING_AUTH_R: "Compare the hashed B … considered as 32-byte unsigned big-endian
 * values"). The spec names no hash; otr4j takes SHAKE-256 of the MPI encoding of B, 32 bytes,
 * without the "OTRv4" domain prefix of KDF, and so do we (docs/otrv4-decisions.md D17): both
 * sides must compute the same value or both yield, or both insist.
 */
export function hashedDhValue(b: bigint): Uint8Array {
  return shake256(new ByteWriter().mpi(b).finish(), { dkLen: 32 });
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function validateEphemerals(dh: Dh3072Engine, values: Array<[bigint, string]>): void {
  // Points were validated (curve, not identity, subgroup) when the message was decoded.
  for (const [v, what] of values) validateDhValue(v, what);
}

export function checkSenderTag(tag: number): void {
  if (!isValidInstanceTag(tag)) throw invalidValue('sender instance tag is below 0x100');
}
