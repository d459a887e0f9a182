// The account's OTR identity (docs/architecture.md §4): the OTRv4 long-term Ed448 key, forging key and
// profiles (otrv4.md §"Public keys, Shared Prekeys, Forging keys and Fingerprints"), the OTRv3
// DSA key (otrv3 §"Authenticated Key Exchange": long-term DSA keys) and the one instance tag both
// versions share (OTRv4 §"Instance Tags": "the same instance tag … for OTRv3 and OTRv4" is what
// conversation.ts requires). Generated on first use and kept in the profile's SQLCipher database,
// sealed with the profile's data key from the keychain (keychain/sealed.ts, keychain/data-key.ts):
// with its 100 one-time prekey secrets it is about 117 KB, far over what a keychain entry holds
// on Windows (2,560 bytes). Profiles that kept it in one keychain entry are moved on first load.
// Never written to disk in clear and never sent to the renderer.
import { MessengerError } from '../../../src-shared/ipc/result';
import type { RandomSource } from '../../../src-shared/otr/common/random';
import { fingerprintHex as v3FingerprintHex, generateDsaKeyAsync } from '../../../src-shared/otr/v3/dsa';
import { deserializeIdentity, serializeIdentity, type V3Identity } from '../../../src-shared/otr/v3/identity';
import { clientProfileFingerprint } from '../../../src-shared/otr/v4/client-profile';
import {
  createLocalIdentity,
  deserializeLocalIdentity,
  renewProfiles,
  serializeLocalIdentity,
  type V4LocalIdentity,
} from '../../../src-shared/otr/v4/identity';
import { toHex } from '../../../src-shared/otr/v4/keys';
import { transitionalSigner } from '../../../src-shared/otr/v4/transitional';
import { dataKey } from '../keychain/data-key';
import type { KeyStore } from '../keychain/keychain';
import { seal, unseal } from '../keychain/sealed';
import type { OtrStore } from './otr-store';

export interface OtrAccountIdentity {
  instanceTag: number;
  v3: V3Identity;
  v4: V4LocalIdentity;
}

/** Where an identity is kept: the profile database (sealed) with the data key from the keychain. */
export interface IdentityVault {
  keys: KeyStore;
  store: OtrStore;
}

/**
 * The keychain entry that held an account's OTR identity before it moved to the database. Only
 * read (and then deleted) to migrate a profile; never written.
 */
export const otrIdentityEntry = (accountId: string): string => `otr-identity:${accountId}`;

/** the additional authenticated data of an account's sealed identity (sealed.ts) */
const sealName = (accountId: string): string => `otr-identity:${accountId}`;

const damaged = (): MessengerError => new MessengerError('keychain-unavailable', 'The OTR keys of this account are damaged.');

/** A fresh identity: one instance tag for both versions (OTRv4 §"OTRv3-compatible mode"). */
export async function generateIdentity(random: RandomSource, nowMs: number): Promise<OtrAccountIdentity> {
  // DSA parameter generation takes about a second on BigInt: yield so the event loop keeps going
  const dsaKey = await generateDsaKeyAsync(random, () => new Promise((r) => setImmediate(r)));
  // versions "34": the client profile carries the OTRv3 DSA key and the transitional signature
  // (OTRv4 §"Client Profile Data Type"; otr4j refuses a "34" profile without them)
  const v4 = createLocalIdentity({ random, nowMs, versions: '34', transitional: transitionalSigner(dsaKey, random) });
  return { instanceTag: v4.instanceTag, v3: { instanceTag: v4.instanceTag, dsaKey }, v4 };
}

/**
 * Renews what is due (OTRv4 §"Client Profile Expiration and Renewal", §"Prekey Profile Expiration
 * and Renewal") and keeps the client profile transitional: a profile made before it carried the
 * DSA key gets a transitional successor at once. True when the identity changed and must be
 * stored again — also when it was read in the old key-type byte order and re-signed on load
 * (docs/prekey-server.md "Upgrading: key-type byte order"); it is published at the next login.
 */
export function renewIdentityProfiles(id: OtrAccountIdentity, random: RandomSource, nowMs: number): boolean {
  const transitional = id.v4.versions.includes('3') ? transitionalSigner(id.v3.dsaKey, random) : undefined;
  const r = renewProfiles(id.v4, random, nowMs, transitional);
  const migrated = id.v4.keyTypeOrderMigrated === true;
  delete id.v4.keyTypeOrderMigrated;
  return !!(r.clientProfile || r.prekeyProfile) || migrated;
}

export function serializeAccountIdentity(id: OtrAccountIdentity): string {
  return JSON.stringify({ v: 1, v3: serializeIdentity(id.v3), v4: serializeLocalIdentity(id.v4) });
}

export function deserializeAccountIdentity(text: string): OtrAccountIdentity {
  let o: { v?: unknown; v3?: unknown; v4?: unknown };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    throw damaged();
  }
  if (o?.v !== 1 || typeof o.v3 !== 'string' || typeof o.v4 !== 'string') throw damaged();
  try {
    const v3 = deserializeIdentity(o.v3);
    const v4 = deserializeLocalIdentity(o.v4);
    if (v3.instanceTag !== v4.instanceTag) throw new Error('instance tags differ');
    return { instanceTag: v4.instanceTag, v3, v4 };
  } catch {
    throw damaged();
  }
}

/** our fingerprints, lowercase hex (v4: 56 bytes, v3: 20 bytes) */
export function ourFingerprints(id: OtrAccountIdentity): { v3: string; v4: string } {
  const cp = id.v4.clientProfiles[0];
  if (!cp) throw new MessengerError('internal', 'the OTRv4 identity has no client profile');
  return { v3: v3FingerprintHex(id.v3.dsaKey), v4: toHex(clientProfileFingerprint(cp)) };
}

/**
 * Writes the identity as it is when the data key is at hand. Calls made in order write in order
 * (the key is one shared promise, so their continuations run in call order).
 */
export async function saveIdentity(vault: IdentityVault, accountId: string, id: OtrAccountIdentity): Promise<void> {
  const key = await dataKey(vault.keys, !vault.store.hasSealedIdentities());
  vault.store.setSealedIdentity(accountId, seal(key, serializeAccountIdentity(id), sealName(accountId)), Date.now());
}

/** The stored identity, or null when the account has none in the database (no generation). */
export async function storedIdentity(vault: IdentityVault, accountId: string): Promise<OtrAccountIdentity | null> {
  const sealed = vault.store.sealedIdentity(accountId);
  if (sealed === undefined) return null;
  const key = await dataKey(vault.keys, false);
  let text: string;
  try {
    text = unseal(key, sealed, sealName(accountId));
  } catch {
    throw new MessengerError(
      'keychain-unavailable',
      'The OTR keys of this account cannot be opened with the data key in the keychain (damaged, or the key belongs to another profile).',
    );
  }
  return deserializeAccountIdentity(text);
}

/**
 * Loads the account's identity from the database, or moves it there from the keychain entry of
 * an older profile (written to the database first, the entry deleted after: an interruption
 * leaves a copy, never none), or generates and stores one on first use. Client and prekey
 * profiles are renewed when close to expiry (§"Client Profile Expiration and Renewal") and the
 * renewed identity written back. Concurrent calls for one account share one generation (a
 * second key would silently replace the first).
 */
const inflight = new Map<string, Promise<OtrAccountIdentity>>();

export function loadOrCreateIdentity(vault: IdentityVault, accountId: string, random: RandomSource, nowMs: () => number): Promise<OtrAccountIdentity> {
  const k = `${vault.keys.service}\u0000${accountId}`;
  const running = inflight.get(k);
  if (running) return running;
  const p = (async () => {
    const entry = otrIdentityEntry(accountId);
    const legacy = await vault.keys.get(entry);
    let id = await storedIdentity(vault, accountId);
    if (id === null && legacy !== null) {
      id = deserializeAccountIdentity(legacy);
      await saveIdentity(vault, accountId, id);
    }
    // the database copy is the newer one once it exists (every write goes there)
    if (legacy !== null) await vault.keys.delete(entry);
    if (id === null) {
      id = await generateIdentity(random, nowMs());
      await saveIdentity(vault, accountId, id);
      return id;
    }
    if (renewIdentityProfiles(id, random, nowMs())) await saveIdentity(vault, accountId, id);
    return id;
  })().finally(() => inflight.delete(k));
  inflight.set(k, p);
  return p;
}

/**
 * Deletes the account's OTR keys (account removal): the database row when `store` is given (the
 * caller may also remove it with the account's other OTR rows), a keychain entry left from
 * before the move, and the pinned prekey servers.
 */
export async function deleteIdentity(keys: KeyStore, accountId: string, store?: OtrStore): Promise<void> {
  // a generation still running would write the identity back after the delete
  await inflight.get(`${keys.service}\u0000${accountId}`)?.catch(() => undefined);
  store?.deleteSealedIdentity(accountId);
  await keys.delete(otrIdentityEntry(accountId)).catch(() => false);
  // the prekey server fingerprints pinned for the account (src-main/core/prekey/lifecycle.ts)
  await keys.delete(`otr-prekey-pins:${accountId}`).catch(() => false);
}

/**
 * The vault of each running core (index.ts registers it), so that integration tests can look at
 * what was stored while the core holds the database. Nothing reaches it over IPC.
 */
export const identityVaults = new WeakMap<object, IdentityVault>();
