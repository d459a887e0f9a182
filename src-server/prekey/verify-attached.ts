// The expensive, pure part of answering a DAKE-3 (otrv4-prekey-server.md §"Key Exchange", Prekey
// Server receives DAKE-3, step 2; §"Publishing Prekey Values"): decoding the attached message
// (every point of every prekey message is decoded and checked to be on Ed448 and in its
// prime-order subgroup) and verifying a publication (MAC, proofs, profiles, prekey messages).
// Plain data in and out, so that it can run on a worker thread (verify-pool.ts) as well as inline.
import { OtrError } from '../../src-shared/otr/common/errors';
import type { Dh3072Engine } from '../../src-shared/otr/v4/dh3072';
import { prekeyMacKey } from '../../src-shared/prekey/dake';
import { decodeAttached } from '../../src-shared/prekey/messages';
import type { ModPow } from '../../src-shared/prekey/proofs';
import { PublicationRejected, verifyPublication } from '../../src-shared/prekey/publication';
import { clientProfileOf } from '../../src-shared/prekey/spans';

export interface VerifyJob {
  /** DAKE-3's attached message, encoded */
  message: Uint8Array;
  /** the DAKE's shared secret (the job's copy is zeroed when it is done) */
  sk: Uint8Array;
  /** DAKE-1's client profile, encoded (validated at DAKE-1; its H authenticated the DAKE) */
  dakeClientProfile: Uint8Array;
  instanceTag: number;
  nowMs: number;
}

export type VerifyOutcome =
  | { type: 'storage-info-request'; mac: Uint8Array }
  | {
      type: 'publication';
      clientProfile?: { encoded: Uint8Array; expires: bigint };
      prekeyProfile?: { encoded: Uint8Array; expires: bigint };
      prekeyMessages: { id: number; encoded: Uint8Array }[];
    }
  | { type: 'failure'; reason: string };

export function verifyAttached(job: VerifyJob, engine: ModPow & Dh3072Engine): VerifyOutcome {
  const macKey = prekeyMacKey(job.sk);
  try {
    let attached;
    try {
      attached = decodeAttached(job.message);
    } catch (e) {
      return { type: 'failure', reason: e instanceof Error ? `malformed attached message: ${e.message}` : 'malformed attached message' };
    }
    // the MAC of a Storage Information Request is checked by the caller (it holds the key too)
    if (attached.type === 'storage-info-request') return { type: 'storage-info-request', mac: attached.mac };
    try {
      const v = verifyPublication(attached, {
        sk: job.sk,
        macKey,
        dakeClientProfile: clientProfileOf(job.dakeClientProfile),
        instanceTag: job.instanceTag,
        nowMs: job.nowMs,
        engine,
      });
      return {
        type: 'publication',
        ...(v.clientProfile ? { clientProfile: { encoded: v.clientProfile.encoded, expires: v.clientProfile.expires } } : {}),
        ...(v.prekeyProfile ? { prekeyProfile: { encoded: v.prekeyProfile.encoded, expires: v.prekeyProfile.expires } } : {}),
        prekeyMessages: v.prekeyMessages.map((x) => ({ id: x.message.id, encoded: x.encoded })),
      };
    } catch (e) {
      if (e instanceof PublicationRejected) return { type: 'failure', reason: e.reason };
      if (e instanceof OtrError) return { type: 'failure', reason: e.message };
      throw e;
    }
  } finally {
    macKey.fill(0);
  }
}
