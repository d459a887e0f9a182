// What the prekey server does with the message attached to a verified DAKE-3
// (otrv4-prekey-server.md §"Key Exchange", Prekey Server receives DAKE-3, step 2; §"Publishing
// Prekey Values"; §"Query the Prekey Server for its Storage Status"). Split from protocol.ts,
// which runs the DAKE itself; the decoding and verification are verify-attached.ts (inline or on
// a worker thread, verify-pool.ts).
//
// A publication is validated here, once: MAC, proofs, every client profile, prekey profile and
// prekey message (points on the curve and in the prime-order subgroup, signatures, B in the DH
// group, instance tags, binding to the DAKE's long-term key). What passes is stored in the form
// it was received, so that a retrieval serves those bytes without validating them again (only
// expiry is compared then): the server never hands out a value it did not validate, and the
// retrieving client validates everything anyway (§"Receiving Prekey Ensembles").
import type { ClientProfile } from '../../src-shared/otr/v4/client-profile';
import { checkMac, prekeyMacKey, resultMac, storageInfoMac, storageStatusMac } from '../../src-shared/prekey/dake';
import { encodeBody } from '../../src-shared/prekey/framing';
import { PREKEY_PROTOCOL_VERSION, encodeMessage } from '../../src-shared/prekey/messages';
import type { ProtocolLimits, Reply, ServerEvent } from './protocol-types';
import { type PrekeyStorage, clampExpiry } from './storage';
import type { VerifyJob, VerifyOutcome } from './verify-attached';

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
  /** decodes and verifies the attached message: inline, or on a worker thread (verify-pool.ts) */
  verify(job: VerifyJob): Promise<VerifyOutcome>;
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
  try {
    const outcome = await ctx.verify({
      message,
      sk: ctx.sk,
      dakeClientProfile: ctx.clientProfile.encoded,
      instanceTag: tag,
      nowMs: ctx.nowMs,
    });
    if (outcome.type === 'failure') return failure(outcome.reason);
    const longTermKey = ctx.clientProfile.publicKey.toBytes();
    if (outcome.type === 'storage-info-request') {
      try {
        checkMac(storageInfoMac(macKey), outcome.mac, 'Storage Information MAC');
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
    const result = await ctx.storage.storePublication(
      {
        identity: ctx.bareJid,
        instanceTag: tag,
        longTermKey,
        ...(outcome.clientProfile ? { clientProfile: { encoded: outcome.clientProfile.encoded, expires: clampExpiry(outcome.clientProfile.expires) } } : {}),
        ...(outcome.prekeyProfile ? { prekeyProfile: { encoded: outcome.prekeyProfile.encoded, expires: clampExpiry(outcome.prekeyProfile.expires) } } : {}),
        prekeyMessages: outcome.prekeyMessages,
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
      clientProfile: outcome.clientProfile !== undefined,
      prekeyProfile: outcome.prekeyProfile !== undefined,
    });
    return reply({ type: 'success', version: PREKEY_PROTOCOL_VERSION, receiverInstanceTag: tag, mac: resultMac(macKey, 'success', tag) });
  } finally {
    macKey.fill(0);
  }
}
