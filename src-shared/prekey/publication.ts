// Building (publisher) and verifying (server) a Prekey Publication message
// (otrv4-prekey-server.md §"Prekey Publication Message", §"Proofs", §"Publishing Prekey Values",
// server steps of §"Key Exchange"). The publication rides in DAKE-3, so the MAC key and the proof
// context come from that DAKE's shared secret SK.
import { OtrError, invalidValue } from '../otr/common/errors';
import type { RandomSource } from '../otr/common/random';
import { type ClientProfile, validateClientProfile } from '../otr/v4/client-profile';
import type { Dh3072Engine } from '../otr/v4/dh3072';
import type { Point } from '../otr/v4/ed448';
import { type PrekeyMessage, validatePrekeyMessage } from '../otr/v4/prekey-message';
import { type PrekeyProfile, validatePrekeyProfile } from '../otr/v4/prekey-profile';
import { clientProfileOf, prekeyMessageOf, prekeyProfileOf } from './spans';
import { checkMac, publicationMac } from './dake';
import { PrekeyUsage } from './kdf';
import { MAX_PREKEY_MESSAGES_PER_PUBLICATION, PREKEY_PROTOCOL_VERSION, type PublicationMessage, encodePublicationProofs } from './messages';
import { type ModPow, generateDhProof, generateEcdhProof, proofContext, verifyDhProof, verifyEcdhProof } from './proofs';

export interface PrekeyToPublish {
  /** the encoded prekey message (otr/v4 encodePrekeyMessage) */
  encoded: Uint8Array;
  y: { secret: bigint; public: Point };
  b: { secret: bigint; public: bigint };
}

export interface PublicationInput {
  sk: Uint8Array;
  macKey: Uint8Array;
  prekeys: PrekeyToPublish[];
  clientProfile?: Uint8Array;
  prekeyProfile?: { encoded: Uint8Array; sharedPrekey: { secret: bigint; public: Point } };
  random: RandomSource;
  engine: ModPow;
}

export function buildPublication(input: PublicationInput): PublicationMessage {
  if (input.prekeys.length > MAX_PREKEY_MESSAGES_PER_PUBLICATION) throw invalidValue('at most 255 prekey messages per publication');
  const m = proofContext(input.sk);
  const prekeyMessageProofs =
    input.prekeys.length > 0
      ? {
          ecdh: generateEcdhProof(
            PrekeyUsage.proofMessageEcdh,
            input.prekeys.map((p) => p.y),
            m,
            input.random,
          ),
          dh: generateDhProof(
            input.prekeys.map((p) => p.b),
            m,
            input.random,
            input.engine,
          ),
        }
      : undefined;
  const prekeyProfileProof = input.prekeyProfile
    ? generateEcdhProof(PrekeyUsage.proofSharedEcdh, [input.prekeyProfile.sharedPrekey], m, input.random)
    : undefined;
  const proofs = encodePublicationProofs({
    ...(prekeyMessageProofs ? { prekeyMessageProofs } : {}),
    ...(prekeyProfileProof ? { prekeyProfileProof } : {}),
  });
  const prekeyMessages = input.prekeys.map((p) => p.encoded);
  const mac = publicationMac(input.macKey, {
    prekeyMessages,
    ...(input.clientProfile ? { clientProfile: input.clientProfile } : {}),
    ...(input.prekeyProfile ? { prekeyProfile: input.prekeyProfile.encoded } : {}),
    proofs,
  });
  return {
    type: 'publication',
    version: PREKEY_PROTOCOL_VERSION,
    prekeyMessages,
    ...(input.clientProfile ? { clientProfile: input.clientProfile } : {}),
    ...(input.prekeyProfile ? { prekeyProfile: input.prekeyProfile.encoded } : {}),
    ...(prekeyMessageProofs ? { prekeyMessageProofs } : {}),
    ...(prekeyProfileProof ? { prekeyProfileProof } : {}),
    mac,
  };
}

/** why a publication was refused; the server answers every one of them with a Failure message */
export type PublicationRejection =
  | 'bad-mac'
  | 'bad-proof'
  | 'invalid-client-profile'
  | 'client-profile-key-mismatch'
  | 'invalid-prekey-profile'
  | 'invalid-prekey-message'
  | 'instance-tag-mismatch'
  | 'empty';

export class PublicationRejected extends OtrError {
  constructor(
    readonly reason: PublicationRejection,
    detail: string,
  ) {
    super('invalid-value', `publication refused (${reason}): ${detail}`);
  }
}

export interface VerifiedPublication {
  clientProfile?: ClientProfile;
  prekeyProfile?: PrekeyProfile;
  /** duplicates (same prekey id) removed: "Discard any invalid or duplicated values" */
  prekeyMessages: { message: PrekeyMessage; encoded: Uint8Array }[];
}

export interface VerifyContext {
  sk: Uint8Array;
  macKey: Uint8Array;
  /** the client profile of DAKE-1: its H authenticated the DAKE */
  dakeClientProfile: ClientProfile;
  /** the DAKE's sender instance tag */
  instanceTag: number;
  nowMs: number;
  engine: ModPow & Dh3072Engine;
}

/**
 * Server side, in the order of §"Key Exchange" (Prekey Server, DAKE-3 step 2): MAC, counters
 * (structural, done by the decoder), proofs, then validation of each value (§"Publishing Prekey
 * Values" step 7). Everything must be bound to the long-term key that authenticated the DAKE.
 */
export function verifyPublication(p: PublicationMessage, ctx: VerifyContext): VerifiedPublication {
  const proofs = encodePublicationProofs(p);
  const expected = publicationMac(ctx.macKey, {
    prekeyMessages: p.prekeyMessages,
    ...(p.clientProfile ? { clientProfile: p.clientProfile } : {}),
    ...(p.prekeyProfile ? { prekeyProfile: p.prekeyProfile } : {}),
    proofs,
  });
  try {
    checkMac(expected, p.mac, 'Prekey MAC');
  } catch {
    throw new PublicationRejected('bad-mac', 'Prekey MAC does not verify');
  }
  if (p.prekeyMessages.length === 0 && !p.clientProfile && !p.prekeyProfile) throw new PublicationRejected('empty', 'nothing to publish');

  const decodeOr = <T>(f: () => T, reason: PublicationRejection, what: string): T => {
    try {
      return f();
    } catch (e) {
      throw new PublicationRejected(reason, `${what}: ${e instanceof Error ? e.message : 'invalid'}`);
    }
  };
  const messages = p.prekeyMessages.map((encoded) => ({
    message: decodeOr(() => prekeyMessageOf(encoded), 'invalid-prekey-message', 'prekey message'),
    encoded,
  }));
  const prekeyProfile = p.prekeyProfile ? decodeOr(() => prekeyProfileOf(p.prekeyProfile!), 'invalid-prekey-profile', 'prekey profile') : undefined;
  const clientProfile = p.clientProfile ? decodeOr(() => clientProfileOf(p.clientProfile!), 'invalid-client-profile', 'client profile') : undefined;

  // §"Proofs": zero-knowledge proofs of the secrets of every public value submitted
  const m = proofContext(ctx.sk);
  if (p.prekeyMessageProofs) {
    const ys = messages.map((x) => x.message.y);
    const bs = messages.map((x) => x.message.b);
    if (!verifyEcdhProof(PrekeyUsage.proofMessageEcdh, p.prekeyMessageProofs.ecdh, ys, m)) {
      throw new PublicationRejected('bad-proof', 'prekey message ECDH proof');
    }
    // verifyDhProof refuses B outside [2, p-2]; the subgroup check is validatePrekeyMessage's below
    if (!verifyDhProof(p.prekeyMessageProofs.dh, bs, m, ctx.engine)) throw new PublicationRejected('bad-proof', 'prekey message DH proof');
  }
  if (prekeyProfile && p.prekeyProfileProof) {
    if (!verifyEcdhProof(PrekeyUsage.proofSharedEcdh, p.prekeyProfileProof, [prekeyProfile.sharedPrekey], m)) {
      throw new PublicationRejected('bad-proof', 'prekey profile proof');
    }
  }

  const H = ctx.dakeClientProfile.publicKey;
  if (clientProfile) {
    decodeOr(() => validateClientProfile(clientProfile, { senderTag: ctx.instanceTag, nowMs: ctx.nowMs }), 'invalid-client-profile', 'client profile');
    // the published profile must belong to the key that just authenticated the DAKE
    if (!clientProfile.publicKey.equals(H))
      throw new PublicationRejected('client-profile-key-mismatch', 'client profile is signed by another key than the DAKE');
  }
  if (prekeyProfile) {
    decodeOr(
      () => validatePrekeyProfile(prekeyProfile, { longTermPublicKey: H, senderTag: ctx.instanceTag, nowMs: ctx.nowMs }),
      'invalid-prekey-profile',
      'prekey profile',
    );
  }
  const seen = new Set<number>();
  const prekeyMessages: VerifiedPublication['prekeyMessages'] = [];
  for (const x of messages) {
    // "All Prekey Messages … must have the same instance tag … as the one stated in the profiles"
    if (x.message.ownerTag !== ctx.instanceTag) throw new PublicationRejected('instance-tag-mismatch', 'prekey message of another instance');
    decodeOr(() => validatePrekeyMessage(x.message), 'invalid-prekey-message', 'prekey message');
    if (seen.has(x.message.id)) continue;
    seen.add(x.message.id);
    prekeyMessages.push(x);
  }
  return {
    ...(clientProfile ? { clientProfile } : {}),
    ...(prekeyProfile ? { prekeyProfile } : {}),
    prekeyMessages,
  };
}
