// The account's OTR identity (DESIGN.md 4): the OTRv4 long-term Ed448 key, forging key and
// profiles (otrv4.md §"Public keys, Shared Prekeys, Forging keys and Fingerprints"), the OTRv3
// DSA key (otrv3 §"Authenticated Key Exchange": long-term DSA keys) and the one instance tag both
// versions share (OTRv4 §"Instance Tags": "the same instance tag … for OTRv3 and OTRv4" is what
// conversation.ts requires). Generated on first use and kept ONLY in the OS keychain, one entry
// per account; never written to disk in clear and never sent to the renderer.
import { MessengerError } from '../../../src-shared/ipc/result';
import type { RandomSource } from '../../../src-shared/otr/common/random';
import { generateDsaKeyAsync } from '../../../src-shared/otr/v3/dsa';
import { deserializeIdentity, serializeIdentity, type V3Identity } from '../../../src-shared/otr/v3/identity';
import { fingerprintHex as v3FingerprintHex } from '../../../src-shared/otr/v3/dsa';
import { clientProfileFingerprint } from '../../../src-shared/otr/v4/client-profile';
import { createLocalIdentity, deserializeLocalIdentity, renewProfiles, serializeLocalIdentity, type V4LocalIdentity } from '../../../src-shared/otr/v4/identity';
import { toHex } from '../../../src-shared/otr/v4/keys';
import type { KeyStore } from '../keychain/keychain';

export interface OtrAccountIdentity {
  instanceTag: number;
  v3: V3Identity;
  v4: V4LocalIdentity;
}

/** the keychain entry of an account's OTR identity */
export const otrIdentityEntry = (accountId: string): string => `otr-identity:${accountId}`;

/** A fresh identity: one instance tag for both versions (OTRv4 §"OTRv3-compatible mode"). */
export async function generateIdentity(random: RandomSource, nowMs: number): Promise<OtrAccountIdentity> {
  const v4 = createLocalIdentity({ random, nowMs, versions: '34' });
  // DSA parameter generation takes about a second on BigInt: yield so the event loop keeps going
  const dsaKey = await generateDsaKeyAsync(random, () => new Promise((r) => setImmediate(r)));
  return { instanceTag: v4.instanceTag, v3: { instanceTag: v4.instanceTag, dsaKey }, v4 };
}

export function serializeAccountIdentity(id: OtrAccountIdentity): string {
  return JSON.stringify({ v: 1, v3: serializeIdentity(id.v3), v4: serializeLocalIdentity(id.v4) });
}

export function deserializeAccountIdentity(text: string): OtrAccountIdentity {
  let o: { v?: unknown; v3?: unknown; v4?: unknown };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    throw new MessengerError('keychain-unavailable', 'The OTR keys in the keychain are damaged.');
  }
  if (o?.v !== 1 || typeof o.v3 !== 'string' || typeof o.v4 !== 'string') throw new MessengerError('keychain-unavailable', 'The OTR keys in the keychain are damaged.');
  try {
    const v3 = deserializeIdentity(o.v3);
    const v4 = deserializeLocalIdentity(o.v4);
    if (v3.instanceTag !== v4.instanceTag) throw new Error('instance tags differ');
    return { instanceTag: v4.instanceTag, v3, v4 };
  } catch {
    throw new MessengerError('keychain-unavailable', 'The OTR keys in the keychain are damaged.');
  }
}

/** our fingerprints, lowercase hex (v4: 56 bytes, v3: 20 bytes) */
export function ourFingerprints(id: OtrAccountIdentity): { v3: string; v4: string } {
  const cp = id.v4.clientProfiles[0];
  if (!cp) throw new MessengerError('internal', 'the OTRv4 identity has no client profile');
  return { v3: v3FingerprintHex(id.v3.dsaKey), v4: toHex(clientProfileFingerprint(cp)) };
}

/**
 * Loads the account's identity from the keychain, or generates and stores one on first use.
 * Client and prekey profiles are renewed when close to expiry (§"Client Profile Expiration and
 * Renewal") and the renewed identity written back. Concurrent calls for one account share one
 * generation (a second key would silently replace the first).
 */
const inflight = new Map<string, Promise<OtrAccountIdentity>>();

export function loadOrCreateIdentity(keys: KeyStore, accountId: string, random: RandomSource, nowMs: () => number): Promise<OtrAccountIdentity> {
  const k = `${keys.service}\u0000${accountId}`;
  const running = inflight.get(k);
  if (running) return running;
  const p = (async () => {
    const entry = otrIdentityEntry(accountId);
    const stored = await keys.get(entry);
    if (stored !== null) {
      const id = deserializeAccountIdentity(stored);
      const renewed = renewProfiles(id.v4, random, nowMs());
      if (renewed.clientProfile || renewed.prekeyProfile) await keys.set(entry, serializeAccountIdentity(id));
      return id;
    }
    const id = await generateIdentity(random, nowMs());
    await keys.set(entry, serializeAccountIdentity(id));
    return id;
  })().finally(() => inflight.delete(k));
  inflight.set(k, p);
  return p;
}

/** Deletes the account's OTR keys from the keychain (account removal). */
export async function deleteIdentity(keys: KeyStore, accountId: string): Promise<void> {
  // a generation still running would write the entry back after the delete
  await inflight.get(`${keys.service}\u0000${accountId}`)?.catch(() => undefined);
  await keys.delete(otrIdentityEntry(accountId)).catch(() => false);
  // the prekey server fingerprints pinned for the account (src-main/core/prekey/lifecycle.ts)
  await keys.delete(`otr-prekey-pins:${accountId}`).catch(() => false);
}
