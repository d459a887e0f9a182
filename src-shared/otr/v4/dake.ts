// The two OTRv4 DAKEs as pure steps (otrv4.md §"Interactive DAKE Overview", §"Identity Message",
// §"Auth-R Message", §"Auth-I Message", §"Non-Interactive DAKE Overview", §"Non-Interactive-Auth
// Message", §"Shared Session State", §"Secure Session ID").
//
// Names follow the spec: in the interactive DAKE Bob sends Identity and Auth-I, Alice sends
// Auth-R; in the non-interactive DAKE Bob owns the prekey ensemble and Alice sends
// Non-Interactive-Auth. Every step validates everything the spec asks for and returns either the
// next message plus a new state, or the DAKE result handed to the double ratchet
// (ratchet/README.md): the mixed shared secret K, the SSID and the *first* ECDH/DH keys.
//
// Ambiguities (docs/otrv4-decisions.md): phi = INT sender ‖ INT receiver ‖ POINT/MPI first keys
// of the sender ‖ of the receiver ‖ DATA(sender id) ‖ DATA(receiver id), "sender" being the party
// that sent the message being signed (otr4j); in the non-interactive DAKE only Alice has first
// keys. D_b in the Non-Interactive-Auth transcript is ED448-SHARED-PREKEY (libotr-ng).
import { shake256 } from '@noble/hashes/sha3.js';
import { ByteWriter, equalBytes } from '../common/bytes';
import { invalidValue, OtrError } from '../common/errors';
import type { Clock, RandomSource } from '../common/random';
import { type ClientProfile, validateClientProfile } from './client-profile';
import { encodeKeyType, PUBKEY_TYPE_SHARED_PREKEY } from './key-type';
import { type AuthIMessage, type AuthRMessage, type IdentityMessage, type NonInteractiveAuthMessage } from './dake-messages';
import type { Dh3072Engine } from './dh3072';
import { ecdh, encodePoint, type Point } from './ed448';
import { kdf, Usage } from './kdf';
import {
  type DhKeyPair,
  dhSharedSecret,
  type EcdhKeyPair,
  type EdKeyPair,
  generateDhKeyPair,
  generateEcdhKeyPair,
  isValidInstanceTag,
  isValidReceiverTag,
  validateDhValue,
} from './keys';
import type { PrekeyEnsemble, PrekeySecrets } from './prekey-message';
import { validatePrekeyEnsemble } from './prekey-message';
import type { PrekeyProfile } from './prekey-profile';
import { ringSign, ringVerify } from './rsig';

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

// ---------------------------------------------------------------------------------------------
// shared pieces

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
function interactiveSharedSecret(dh: Dh3072Engine, ourEcdh: bigint, theirEcdh: Point, ourDh: bigint, theirDh: bigint): Uint8Array {
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

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function validateEphemerals(dh: Dh3072Engine, values: Array<[bigint, string]>): void {
  // Points were validated (curve, not identity, subgroup) when the message was decoded.
  for (const [v, what] of values) validateDhValue(v, what);
}

function checkSenderTag(tag: number): void {
  if (!isValidInstanceTag(tag)) throw invalidValue('sender instance tag is below 0x100');
}

// ---------------------------------------------------------------------------------------------
// interactive DAKE

/** Bob after sending Identity: waiting for Auth-R. */
export interface WaitingAuthR {
  readonly state: 'waiting-auth-r';
  readonly y: EcdhKeyPair;
  readonly b: DhKeyPair;
  readonly ecdhFirst: EcdhKeyPair;
  readonly dhFirst: DhKeyPair;
  readonly identity: IdentityMessage;
}

/** Alice after sending Auth-R: waiting for Auth-I. */
export interface WaitingAuthI {
  readonly state: 'waiting-auth-i';
  readonly theirTag: number;
  readonly theirProfile: ClientProfile;
  readonly y: Point;
  readonly b: bigint;
  readonly x: Point;
  readonly a: bigint;
  readonly ecdhFirst: EcdhKeyPair;
  readonly dhFirst: DhKeyPair;
  readonly theirEcdhFirst: Point;
  readonly theirDhFirst: bigint;
  readonly sharedSecret: Uint8Array;
  readonly authR: AuthRMessage;
}

/** Bob: §"Identity Message" "A valid Identity message is generated as follows". */
export function createIdentity(ctx: DakeContext, ours: DakeIdentity, receiverTag = 0): { message: IdentityMessage; state: WaitingAuthR } {
  if (!isValidReceiverTag(receiverTag)) throw invalidValue('receiver instance tag must be 0 or ≥ 0x100');
  const y = generateEcdhKeyPair(ctx.random);
  const b = generateDhKeyPair(ctx.random, ctx.dh);
  const ecdhFirst = generateEcdhKeyPair(ctx.random);
  const dhFirst = generateDhKeyPair(ctx.random, ctx.dh);
  const message: IdentityMessage = {
    type: 'identity',
    senderTag: ours.instanceTag,
    receiverTag,
    profile: ours.clientProfile,
    y: y.public,
    b: b.public,
    ecdhFirst: ecdhFirst.public,
    dhFirst: dhFirst.public,
  };
  return { message, state: { state: 'waiting-auth-r', y, b, ecdhFirst, dhFirst, identity: message } };
}

/** §"Identity Message" "To verify an Identity message" (plus the instance tag rules). */
export function validateIdentity(ctx: DakeContext, ours: DakeIdentity, m: IdentityMessage): void {
  checkSenderTag(m.senderTag);
  if (m.receiverTag !== 0 && m.receiverTag !== ours.instanceTag) throw new OtrError('unexpected', 'Identity message for another instance');
  validateClientProfile(m.profile, { senderTag: m.senderTag, nowMs: ctx.clock() });
  validateEphemerals(ctx.dh, [
    [m.b, 'B'],
    [m.dhFirst, 'dh_first'],
  ]);
}

/**
 * Alice: validates an Identity message and answers with Auth-R (§"Auth-R Message"), computing K
 * and the SSID. The caller sends `message` and keeps `state` until Auth-I arrives.
 */
export function respondToIdentity(ctx: DakeContext, ours: DakeIdentity, m: IdentityMessage): { message: AuthRMessage; state: WaitingAuthI } {
  validateIdentity(ctx, ours, m);
  const x = generateEcdhKeyPair(ctx.random);
  const a = generateDhKeyPair(ctx.random, ctx.dh);
  const ecdhFirst = generateEcdhKeyPair(ctx.random);
  const dhFirst = generateDhKeyPair(ctx.random, ctx.dh);
  const phi = sharedSessionState({
    senderTag: ours.instanceTag,
    receiverTag: m.senderTag,
    senderFirst: { ecdh: ecdhFirst.public, dh: dhFirst.public },
    receiverFirst: { ecdh: m.ecdhFirst, dh: m.dhFirst },
    senderId: ctx.ourId,
    receiverId: ctx.theirId,
  });
  const t = interactiveTranscript('auth-r', {
    bobProfile: m.profile.encoded,
    aliceProfile: ours.clientProfile.encoded,
    y: m.y,
    x: x.public,
    b: m.b,
    a: a.public,
    phi,
  });
  const sigma = ringSign(ctx.random, ours.keyPair.secret, [m.profile.forgingKey, ours.keyPair.public, m.y], t, { signerPublic: ours.keyPair.public });
  const sharedSecret = interactiveSharedSecret(ctx.dh, x.secret, m.y, a.secret, m.b);
  const message: AuthRMessage = {
    type: 'auth-r',
    senderTag: ours.instanceTag,
    receiverTag: m.senderTag,
    profile: ours.clientProfile,
    x: x.public,
    a: a.public,
    sigma,
    ecdhFirst: ecdhFirst.public,
    dhFirst: dhFirst.public,
  };
  return {
    message,
    state: {
      state: 'waiting-auth-i',
      theirTag: m.senderTag,
      theirProfile: m.profile,
      y: m.y,
      b: m.b,
      x: x.public,
      a: a.public,
      ecdhFirst,
      dhFirst,
      theirEcdhFirst: m.ecdhFirst,
      theirDhFirst: m.dhFirst,
      sharedSecret,
      authR: message,
    },
  };
}

/**
 * Bob in WAITING_AUTH_R receives an Identity message (§"Receiving an Identity Message"): the
 * higher hashed B keeps its own Identity message (and resends it), the lower one answers.
 */
export function resolveSimultaneousIdentity(ours: WaitingAuthR, theirs: IdentityMessage): 'keep-ours' | 'respond' {
  return compareBytes(hashedDhValue(ours.b.public), hashedDhValue(theirs.b)) > 0 ? 'keep-ours' : 'respond';
}

/**
 * Bob: verifies Auth-R (§"Auth-R Message" "To verify") and answers with Auth-I. Returns the DAKE
 * result for the ratchet (role 'bob').
 */
export function respondToAuthR(ctx: DakeContext, ours: DakeIdentity, st: WaitingAuthR, m: AuthRMessage): { message: AuthIMessage; result: DakeResult } {
  checkSenderTag(m.senderTag);
  if (m.receiverTag !== ours.instanceTag) throw new OtrError('unexpected', 'Auth-R message for another instance');
  validateClientProfile(m.profile, { senderTag: m.senderTag, nowMs: ctx.clock() });
  validateEphemerals(ctx.dh, [
    [m.a, 'A'],
    [m.dhFirst, 'dh_first'],
  ]);
  const phiR = sharedSessionState({
    senderTag: m.senderTag,
    receiverTag: ours.instanceTag,
    senderFirst: { ecdh: m.ecdhFirst, dh: m.dhFirst },
    receiverFirst: { ecdh: st.ecdhFirst.public, dh: st.dhFirst.public },
    senderId: ctx.theirId,
    receiverId: ctx.ourId,
  });
  const transcript = { bobProfile: ours.clientProfile.encoded, aliceProfile: m.profile.encoded, y: st.y.public, x: m.x, b: st.b.public, a: m.a };
  const tR = interactiveTranscript('auth-r', { ...transcript, phi: phiR });
  if (!ringVerify([ours.clientProfile.forgingKey, m.profile.publicKey, st.y.public], m.sigma, tR))
    throw new OtrError('unreadable', 'Auth-R ring signature does not verify');
  const sharedSecret = interactiveSharedSecret(ctx.dh, st.y.secret, m.x, st.b.secret, m.a);
  const phiI = sharedSessionState({
    senderTag: ours.instanceTag,
    receiverTag: m.senderTag,
    senderFirst: { ecdh: st.ecdhFirst.public, dh: st.dhFirst.public },
    receiverFirst: { ecdh: m.ecdhFirst, dh: m.dhFirst },
    senderId: ctx.ourId,
    receiverId: ctx.theirId,
  });
  const tI = interactiveTranscript('auth-i', { ...transcript, phi: phiI });
  const sigma = ringSign(ctx.random, ours.keyPair.secret, [ours.keyPair.public, m.profile.forgingKey, m.x], tI, { signerPublic: ours.keyPair.public });
  return {
    message: { type: 'auth-i', senderTag: ours.instanceTag, receiverTag: m.senderTag, sigma },
    result: {
      mode: 'interactive',
      role: 'bob',
      sharedSecret,
      ssid: secureSessionId(sharedSecret),
      ourEcdh: st.ecdhFirst,
      ourDh: st.dhFirst,
      theirEcdh: m.ecdhFirst,
      theirDh: m.dhFirst,
      theirProfile: m.profile,
      theirInstanceTag: m.senderTag,
    },
  };
}

/** Alice: verifies Auth-I (§"Auth-I Message" "To verify"); the DAKE is complete (role 'alice'). */
export function receiveAuthI(ctx: DakeContext, ours: DakeIdentity, st: WaitingAuthI, m: AuthIMessage): DakeResult {
  if (m.receiverTag !== ours.instanceTag) throw new OtrError('unexpected', 'Auth-I message for another instance');
  if (m.senderTag !== st.theirTag) throw new OtrError('unexpected', 'Auth-I message from another instance');
  const phi = sharedSessionState({
    senderTag: m.senderTag,
    receiverTag: ours.instanceTag,
    senderFirst: { ecdh: st.theirEcdhFirst, dh: st.theirDhFirst },
    receiverFirst: { ecdh: st.ecdhFirst.public, dh: st.dhFirst.public },
    senderId: ctx.theirId,
    receiverId: ctx.ourId,
  });
  const t = interactiveTranscript('auth-i', {
    bobProfile: st.theirProfile.encoded,
    aliceProfile: ours.clientProfile.encoded,
    y: st.y,
    x: st.x,
    b: st.b,
    a: st.a,
    phi,
  });
  if (!ringVerify([st.theirProfile.publicKey, ours.clientProfile.forgingKey, st.x], m.sigma, t))
    throw new OtrError('unreadable', 'Auth-I ring signature does not verify');
  return {
    mode: 'interactive',
    role: 'alice',
    sharedSecret: st.sharedSecret,
    ssid: secureSessionId(st.sharedSecret),
    ourEcdh: st.ecdhFirst,
    ourDh: st.dhFirst,
    theirEcdh: st.theirEcdhFirst,
    theirDh: st.theirDhFirst,
    theirProfile: st.theirProfile,
    theirInstanceTag: st.theirTag,
  };
}

// ---------------------------------------------------------------------------------------------
// non-interactive DAKE

function nonInteractiveKeys(
  kEcdh: Uint8Array,
  kShared: Uint8Array,
  kLongTerm: Uint8Array,
  kDh: Uint8Array,
): { tmpK: Uint8Array; authMacKey: Uint8Array; sharedSecret: Uint8Array } {
  const brace = kdf(Usage.thirdBraceKey, kDh, 32);
  const tmpK = kdf(Usage.tmpKey, [kEcdh, kShared, kLongTerm, brace], 64);
  const authMacKey = kdf(Usage.authMacKey, tmpK, 64);
  const sharedSecret = kdf(Usage.sharedSecret, tmpK, 64);
  for (const b of [kEcdh, kShared, kLongTerm, kDh, brace]) b.fill(0);
  return { tmpK, authMacKey, sharedSecret };
}

/**
 * Alice: builds the Non-Interactive-Auth message from a prekey ensemble of Bob's
 * (§"Non-Interactive DAKE Overview", §"Non-Interactive-Auth Message"). The ensemble is validated
 * first (§"Validating Prekey Ensembles"). Returns the message and the DAKE result (role 'alice').
 */
export function createNonInteractiveAuth(
  ctx: DakeContext,
  ours: DakeIdentity,
  ensemble: PrekeyEnsemble,
): { message: NonInteractiveAuthMessage; result: DakeResult } {
  validatePrekeyEnsemble(ensemble, { nowMs: ctx.clock(), engine: ctx.dh });
  const bobCp = ensemble.clientProfile;
  const pm = ensemble.prekeyMessage;
  const theirTag = bobCp.ownerTag;
  const x = generateEcdhKeyPair(ctx.random);
  const a = generateDhKeyPair(ctx.random, ctx.dh);
  const ecdhFirst = generateEcdhKeyPair(ctx.random);
  const dhFirst = generateDhKeyPair(ctx.random, ctx.dh);
  const keys = nonInteractiveKeys(
    ecdh(x.secret, pm.y),
    ecdh(x.secret, ensemble.prekeyProfile.sharedPrekey),
    ecdh(x.secret, bobCp.publicKey),
    dhSharedSecret(ctx.dh, a.secret, pm.b),
  );
  const phi = sharedSessionState({
    senderTag: ours.instanceTag,
    receiverTag: theirTag,
    senderFirst: { ecdh: ecdhFirst.public, dh: dhFirst.public },
    senderId: ctx.ourId,
    receiverId: ctx.theirId,
  });
  const t = nonInteractiveTranscript({
    bobProfile: bobCp.encoded,
    aliceProfile: ours.clientProfile.encoded,
    y: pm.y,
    x: x.public,
    b: pm.b,
    a: a.public,
    sharedPrekey: ensemble.prekeyProfile.sharedPrekey,
    phi,
  });
  const sigma = ringSign(ctx.random, ours.keyPair.secret, [bobCp.forgingKey, ours.keyPair.public, pm.y], t, { signerPublic: ours.keyPair.public });
  const authMac = kdf(Usage.authMac, [keys.authMacKey, t], 64);
  keys.authMacKey.fill(0);
  keys.tmpK.fill(0);
  return {
    message: {
      type: 'non-interactive-auth',
      senderTag: ours.instanceTag,
      receiverTag: theirTag,
      profile: ours.clientProfile,
      x: x.public,
      a: a.public,
      sigma,
      prekeyId: pm.id,
      authMac,
      ecdhFirst: ecdhFirst.public,
      dhFirst: dhFirst.public,
    },
    result: {
      mode: 'non-interactive',
      role: 'alice',
      sharedSecret: keys.sharedSecret,
      ssid: secureSessionId(keys.sharedSecret),
      ourEcdh: ecdhFirst,
      ourDh: dhFirst,
      theirProfile: bobCp,
      theirInstanceTag: theirTag,
    },
  };
}

/** Bob's local material for receiving Non-Interactive-Auth messages. */
export interface PrekeyOwnerMaterial {
  /** secrets of a published prekey message, by id; undefined if unknown (already used …) */
  prekey(id: number): PrekeySecrets | undefined;
  /**
   * our client profiles and prekey profiles still usable locally (current first, then the
   * recently expired ones kept for delayed offline messages), with the shared prekey secrets
   */
  profiles(): ReadonlyArray<{ clientProfile: ClientProfile; prekeyProfile: PrekeyProfile; sharedPrekey: EdKeyPair }>;
}

/**
 * Bob: validates a Non-Interactive-Auth message (§"Non-Interactive DAKE Overview", Bob's steps),
 * trying each locally kept profile pair as the spec allows. Returns the DAKE result (role 'bob')
 * and the id of the prekey message used, which the caller must delete.
 */
export function receiveNonInteractiveAuth(
  ctx: DakeContext,
  ours: DakeIdentity,
  owner: PrekeyOwnerMaterial,
  m: NonInteractiveAuthMessage,
): { result: DakeResult; prekeyId: number } {
  if (m.receiverTag !== ours.instanceTag) throw new OtrError('unexpected', 'Non-Interactive-Auth message for another instance');
  checkSenderTag(m.senderTag);
  validateEphemerals(ctx.dh, [
    [m.a, 'A'],
    [m.dhFirst, 'dh_first'],
  ]);
  validateClientProfile(m.profile, { senderTag: m.senderTag, nowMs: ctx.clock() });
  const secrets = owner.prekey(m.prekeyId);
  if (!secrets) throw new OtrError('unexpected', 'unknown prekey message identifier');
  if (secrets.ownerTag !== ours.instanceTag) throw new OtrError('unexpected', 'prekey message of another instance');
  const phi = sharedSessionState({
    senderTag: m.senderTag,
    receiverTag: ours.instanceTag,
    senderFirst: { ecdh: m.ecdhFirst, dh: m.dhFirst },
    senderId: ctx.theirId,
    receiverId: ctx.ourId,
  });
  const kEcdh = ecdh(secrets.ecdh.secret, m.x);
  const kDh = dhSharedSecret(ctx.dh, secrets.dh.secret, m.a);
  const kLongTerm = ecdh(ours.keyPair.secret, m.x);
  let candidates = owner.profiles();
  if (candidates.length === 0) throw new OtrError('not-allowed', 'no local client/prekey profile to receive offline messages');
  candidates = candidates.filter((c) => c.clientProfile.publicKey.equals(ours.keyPair.public) && c.prekeyProfile.ownerTag === ours.instanceTag);
  for (const c of candidates) {
    const t = nonInteractiveTranscript({
      bobProfile: c.clientProfile.encoded,
      aliceProfile: m.profile.encoded,
      y: secrets.ecdh.public,
      x: m.x,
      b: secrets.dh.public,
      a: m.a,
      sharedPrekey: c.prekeyProfile.sharedPrekey,
      phi,
    });
    if (!ringVerify([c.clientProfile.forgingKey, m.profile.publicKey, secrets.ecdh.public], m.sigma, t)) continue;
    const keys = nonInteractiveKeys(Uint8Array.from(kEcdh), ecdh(c.sharedPrekey.secret, m.x), Uint8Array.from(kLongTerm), Uint8Array.from(kDh));
    const mac = kdf(Usage.authMac, [keys.authMacKey, t], 64);
    keys.authMacKey.fill(0);
    keys.tmpK.fill(0);
    if (!equalBytes(mac, m.authMac)) {
      keys.sharedSecret.fill(0);
      throw new OtrError('unreadable', 'Non-Interactive-Auth MAC does not verify');
    }
    kEcdh.fill(0);
    kDh.fill(0);
    kLongTerm.fill(0);
    return {
      prekeyId: m.prekeyId,
      result: {
        mode: 'non-interactive',
        role: 'bob',
        sharedSecret: keys.sharedSecret,
        ssid: secureSessionId(keys.sharedSecret),
        theirEcdh: m.ecdhFirst,
        theirDh: m.dhFirst,
        theirProfile: m.profile,
        theirInstanceTag: m.senderTag,
      },
    };
  }
  throw new OtrError('unreadable', 'Non-Interactive-Auth ring signature does not verify');
}
