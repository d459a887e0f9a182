// The OTRv4 non-interactive DAKE as pure steps (otrv4.md §"Non-Interactive DAKE Overview",
// §"Non-Interactive-Auth Message", §"Validating Prekey Ensembles"). Bob owns the prekey ensemble,
// Alice sends Non-Interactive-Auth. The shared pieces are in dake-shared.ts; dake.ts re-exports
// this module's API.
import { equalBytes } from '../common/bytes';
import { OtrError } from '../common/errors';
import type { ClientProfile } from './client-profile';
import { validateClientProfile } from './client-profile';
import type { NonInteractiveAuthMessage } from './dake-messages';
import {
  checkSenderTag,
  type DakeContext,
  type DakeIdentity,
  type DakeResult,
  nonInteractiveTranscript,
  secureSessionId,
  sharedSessionState,
  validateEphemerals,
} from './dake-shared';
import { ecdh } from './ed448';
import { kdf, Usage } from './kdf';
import { dhSharedSecret, type EdKeyPair, generateDhKeyPair, generateEcdhKeyPair } from './keys';
import type { PrekeyEnsemble, PrekeySecrets } from './prekey-message';
import { validatePrekeyEnsemble } from './prekey-message';
import type { PrekeyProfile } from './prekey-profile';
import { ringSign, ringVerify } from './rsig';

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
    // D and H come back with every ensemble of Bob's: they get window tables (ed448.ts)
    ecdh(x.secret, ensemble.prekeyProfile.sharedPrekey, true),
    ecdh(x.secret, bobCp.publicKey, true),
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
    // Y is our prekey message's key: its term is computed from y (rsig.ts, knownSecrets)
    if (!ringVerify([c.clientProfile.forgingKey, m.profile.publicKey, secrets.ecdh.public], m.sigma, t, { knownSecrets: [secrets.ecdh] })) continue;
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
