// The OTRv4 interactive DAKE as pure steps (otrv4.md §"Interactive DAKE Overview",
// §"Identity Message", §"Auth-R Message", §"Auth-I Message", §"Shared Session State",
// §"Secure Session ID"), and the module callers import both DAKEs from.
//
// Names follow the spec: in the interactive DAKE Bob sends Identity and Auth-I, Alice sends
// Auth-R; in the non-interactive DAKE (dake-non-interactive.ts) Bob owns the prekey ensemble and
// Alice sends Non-Interactive-Auth. Every step validates everything the spec asks for and returns
// either the next message plus a new state, or the DAKE result handed to the double ratchet
// (ratchet/README.md): the mixed shared secret K, the SSID and the *first* ECDH/DH keys. phi, the
// transcripts and the types shared by both DAKEs are in dake-shared.ts.
import { OtrError, invalidValue } from '../common/errors';
import { type ClientProfile, validateClientProfile } from './client-profile';
import { type AuthIMessage, type AuthRMessage, type IdentityMessage } from './dake-messages';
import {
  checkSenderTag,
  compareBytes,
  type DakeContext,
  type DakeIdentity,
  type DakeResult,
  hashedDhValue,
  interactiveSharedSecret,
  interactiveTranscript,
  secureSessionId,
  sharedSessionState,
  validateEphemerals,
} from './dake-shared';
import type { Point } from './ed448';
import { type DhKeyPair, type EcdhKeyPair, generateDhKeyPair, generateEcdhKeyPair, isValidReceiverTag } from './keys';
import { ringSign, ringVerify } from './rsig';

export {
  type DakeContext,
  type DakeIdentity,
  type DakeResult,
  hashedDhValue,
  interactiveTranscript,
  nonInteractiveTranscript,
  secureSessionId,
  sharedSessionState,
} from './dake-shared';
export { createNonInteractiveAuth, type PrekeyOwnerMaterial, receiveNonInteractiveAuth } from './dake-non-interactive';

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
  /**
   * our X with its secret: the Auth-I ring holds X, and RVrf computes its term from x (rsig.ts,
   * knownSecrets; ~2 ms less). The spec has Alice delete x once K is computed; keeping it until
   * Auth-I exposes nothing more than `sharedSecret` beside it (K derives from x), the state lives
   * in memory only, and x could forge nothing Alice could not (it is her own ring member).
   */
  readonly ourX: EcdhKeyPair;
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
      ourX: x,
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
  // Y is our own ephemeral key: its term is computed from y (rsig.ts, knownSecrets)
  if (!ringVerify([ours.clientProfile.forgingKey, m.profile.publicKey, st.y.public], m.sigma, tR, { knownSecrets: [st.y] }))
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
  if (!ringVerify([st.theirProfile.publicKey, ours.clientProfile.forgingKey, st.ourX.public], m.sigma, t, { knownSecrets: [st.ourX] }))
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
