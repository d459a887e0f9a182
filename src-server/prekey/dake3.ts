// What the prekey server does with the message attached to a verified DAKE-3
// (otrv4-prekey-server.md §"Key Exchange", Prekey Server receives DAKE-3, step 2; §"Publishing
// Prekey Values"; §"Query the Prekey Server for its Storage Status"). Split from protocol.ts,
// which runs the DAKE itself.
//
// A publication is validated here, once: MAC, proofs, every client profile, prekey profile and
// prekey message (points on the curve and in the prime-order subgroup, signatures, B in the DH
// group, instance tags, binding to the DAKE's long-term key). What passes is stored in the form
// it was received, so that a retrieval serves those bytes without validating them again (only
// expiry is compared then): the server never hands out a value it did not validate, and the
// retrieving client validates everything anyway (§"Receiving Prekey Ensembles").
import { OtrError } from '../../src-shared/otr/common/errors';
import type { ClientProfile } from '../../src-shared/otr/v4/client-profile';
import type { Dh3072Engine } from '../../src-shared/otr/v4/dh3072';
import { checkMac, prekeyMacKey, resultMac, storageInfoMac, storageStatusMac } from '../../src-shared/prekey/dake';
import { encodeBody } from '../../src-shared/prekey/framing';
import { PREKEY_PROTOCOL_VERSION, decodeAttached, encodeMessage } from '../../src-shared/prekey/messages';
import type { ModPow } from '../../src-shared/prekey/proofs';
import { PublicationRejected, verifyPublication } from '../../src-shared/prekey/publication';
import type { ProtocolLimits, Reply, ServerEvent } from './protocol-types';
import { type PrekeyStorage, clampExpiry } from './storage';

export interface AttachedContext {
  /** the publisher's bare JID: the identity the values are stored under */
  bareJid: string;
  instanceTag: number;
  /** the client profile of DAKE-1, already validated; its H authenticated the DAKE */
  clientProfile: ClientProfile;
  /** the DAKE's shared secret (the caller zeroes it afterwards) */
  sk: Uint8Array;
  storage: PrekeyStorage;
  limits: ProtocolLimits;
  nowMs: number;
  engine: ModPow & Dh3072Engine;
  emit(e: ServerEvent): void;
}

/** answers the attached Storage Information Request or Prekey Publication (bytes of DAKE-3's message) */
export async function answerAttached(ctx: AttachedContext, message: Uint8Array): Promise<Reply[]> {
  const macKey = prekeyMacKey(ctx.sk);
  const tag = ctx.instanceTag;
  const reply = (m: Parameters<typeof encodeMessage>[0]): Reply[] => [{ body: encodeBody(encodeMessage(m)) }];
  const failure = (reason: string): Reply[] => {
    ctx.emit({ type: 'publication-refused', identity: ctx.bareJid, reason });
    return reply({ type: 'failure', version: PREKEY_PROTOCOL_VERSION, receiverInstanceTag: tag, mac: resultMac(macKey, 'failure', tag) });
  };
  let attached;
  try {
    attached = decodeAttached(message);
  } catch (e) {
    return failure(e instanceof Error ? `malformed attached message: ${e.message}` : 'malformed attached message');
  }
  const longTermKey = ctx.clientProfile.publicKey.toBytes();
  if (attached.type === 'storage-info-request') {
    try {
      checkMac(storageInfoMac(macKey), attached.mac, 'Storage Information MAC');
    } catch {
      return failure('bad storage information MAC');
    }
    const stored = await ctx.storage.countPrekeyMessages(ctx.bareJid, tag, longTermKey);
    ctx.emit({ type: 'storage-status', identity: ctx.bareJid, instanceTag: tag, stored });
    return reply({
      type: 'storage-status',
      version: PREKEY_PROTOCOL_VERSION,
      receiverInstanceTag: tag,
      storedPrekeyMessages: stored,
      mac: storageStatusMac(macKey, tag, stored),
    });
  }
  let verified;
  try {
    verified = verifyPublication(attached, {
      sk: ctx.sk,
      macKey,
      dakeClientProfile: ctx.clientProfile,
      instanceTag: tag,
      nowMs: ctx.nowMs,
      engine: ctx.engine,
    });
  } catch (e) {
    if (e instanceof PublicationRejected) return failure(e.reason);
    if (e instanceof OtrError) return failure(e.message);
    throw e;
  }
  const result = await ctx.storage.storePublication(
    {
      identity: ctx.bareJid,
      instanceTag: tag,
      longTermKey,
      ...(verified.clientProfile ? { clientProfile: { encoded: verified.clientProfile.encoded, expires: clampExpiry(verified.clientProfile.expires) } } : {}),
      ...(verified.prekeyProfile ? { prekeyProfile: { encoded: verified.prekeyProfile.encoded, expires: clampExpiry(verified.prekeyProfile.expires) } } : {}),
      prekeyMessages: verified.prekeyMessages.map((x) => ({ id: x.message.id, encoded: x.encoded })),
    },
    ctx.limits,
    Math.floor(ctx.nowMs / 1000),
  );
  if (!result.ok) return failure(result.reason);
  ctx.emit({
    type: 'published',
    identity: ctx.bareJid,
    instanceTag: tag,
    prekeyMessages: result.stored,
    clientProfile: verified.clientProfile !== undefined,
    prekeyProfile: verified.prekeyProfile !== undefined,
  });
  return reply({ type: 'success', version: PREKEY_PROTOCOL_VERSION, receiverInstanceTag: tag, mac: resultMac(macKey, 'success', tag) });
}
