// What an OTRv4 client persists per account and device (otrv4.md §"Public keys, Shared Prekeys,
// Forging keys and Fingerprints", §"Instance Tags", §"Client Profile Expiration and Renewal",
// §"Prekey Profile Expiration and Renewal", §"Publishing Prekey Ensembles"): the instance tag,
// the long-term key (sym_h), the forging key (public, and the secret only if the user chose to
// keep it), the current client and prekey profiles plus those still inside their local grace
// period, the shared prekeys (sym_d) and the one-time prekey secrets. Explicit, serialisable,
// and secret: the serialised form belongs in the OS keychain (docs/architecture.md §4).
import { bigintToBytes, bytesToBigint, equalBytes } from '../common/bytes';
import { invalidValue, malformed, OtrError } from '../common/errors';
import type { RandomSource } from '../common/random';
import {
  CLIENT_PROFILE_LIFETIME_SECONDS,
  type ClientProfile,
  clientProfileNeedsRenewal,
  createClientProfile,
  decodeClientProfile,
  isExpired,
  PROFILE_LOCAL_GRACE_SECONDS,
} from './client-profile';
import type { DakeIdentity, PrekeyOwnerMaterial } from './dake';
import type { Dh3072Engine } from './dh3072';
import { decodeScalar, encodePoint, encodeScalar, G } from './ed448';
import {
  edKeyPairFromSymmetric,
  type EdKeyPair,
  type ForgingKey,
  fromHex,
  generateEdKeyPair,
  generateForgingKey,
  generateInstanceTag,
  isValidInstanceTag,
  toHex,
} from './keys';
import { createPrekeyMessage, type PrekeyMessage, type PrekeySecrets } from './prekey-message';
import { createPrekeyProfile, decodePrekeyProfile, PREKEY_PROFILE_LIFETIME_SECONDS, type PrekeyProfile } from './prekey-profile';
import { decodePoint } from './ed448';
import { legacyClientProfileToSpecOrder, legacyPrekeyProfileToSpecOrder } from './key-type';
import type { TransitionalSigner } from './transitional';

export interface SharedPrekeyEntry {
  keyPair: EdKeyPair;
  profile: PrekeyProfile;
}

export interface V4LocalIdentity {
  instanceTag: number;
  versions: string;
  longTerm: EdKeyPair;
  forging: ForgingKey;
  /** newest first; older ones are kept until their grace period ends */
  clientProfiles: ClientProfile[];
  sharedPrekeys: SharedPrekeyEntry[];
  /** one-time prekey secrets by prekey message id */
  prekeys: Map<number, PrekeySecrets>;
  /**
   * set by deserializeLocalIdentity when stored profiles carried their key types in the old
   * big-endian order and were re-signed in the spec's order (key-type.ts): persist the identity
   * again and publish the profiles (the prekey server refuses or has dropped the old ones)
   */
  keyTypeOrderMigrated?: true;
}

const nowSeconds = (nowMs: number): bigint => BigInt(Math.floor(nowMs / 1000));

export interface CreateLocalIdentityInput {
  random: RandomSource;
  nowMs: number;
  instanceTag?: number;
  /** "4" (OTRv4 standalone) or "34"/"43" (OTRv3-compatible mode) */
  versions?: string;
  /** §"Public keys…": ask the user; default false (the forging secret is erased) */
  keepForgingSecret?: boolean;
  /**
   * §"Client Profile Data Type": "If version 3 and 4 are supported, the OTRv3 DSA public key must
   * be included"; pass the OTRv3 key's signer (transitionalSigner of transitional.ts) whenever
   * `versions` offers 3
   */
  transitional?: TransitionalSigner;
}

export function createLocalIdentity(input: CreateLocalIdentityInput): V4LocalIdentity {
  const instanceTag = input.instanceTag ?? generateInstanceTag(input.random);
  if (!isValidInstanceTag(instanceTag)) throw invalidValue('instance tag must be ≥ 0x100');
  const longTerm = generateEdKeyPair(input.random);
  const forging = generateForgingKey(input.random, { keepSecret: input.keepForgingSecret ?? false });
  const id: V4LocalIdentity = { instanceTag, versions: input.versions ?? '34', longTerm, forging, clientProfiles: [], sharedPrekeys: [], prekeys: new Map() };
  renewProfiles(id, input.random, input.nowMs, input.transitional);
  return id;
}

/**
 * §"Client Profile Expiration and Renewal" / §"Prekey Profile Expiration and Renewal": makes a
 * new client profile and a new prekey profile (with a new shared prekey) when the current ones
 * are within a day of expiring, and forgets those past their local grace period. Returns what
 * was renewed, which the caller publishes (prekey server). With `transitional` (the OTRv3 DSA
 * key's signer), a current client profile that lacks that DSA key is replaced at once.
 */
export function renewProfiles(
  id: V4LocalIdentity,
  random: RandomSource,
  nowMs: number,
  transitional?: TransitionalSigner,
): { clientProfile?: ClientProfile; prekeyProfile?: PrekeyProfile } {
  const out: { clientProfile?: ClientProfile; prekeyProfile?: PrekeyProfile } = {};
  const now = nowSeconds(nowMs);
  const current = id.clientProfiles[0];
  const lacksDsaKey = !!transitional && !(current?.dsaPublicKey && equalBytes(current.dsaPublicKey, transitional.dsaPublicKey));
  if (!current || lacksDsaKey || clientProfileNeedsRenewal(current, nowMs)) {
    const p = createClientProfile({
      ownerTag: id.instanceTag,
      keyPair: id.longTerm,
      forgingKey: id.forging,
      versions: id.versions,
      expires: now + BigInt(CLIENT_PROFILE_LIFETIME_SECONDS),
      ...(transitional ? { transitional } : {}),
    });
    id.clientProfiles.unshift(p);
    out.clientProfile = p;
  }
  const currentPre = id.sharedPrekeys[0];
  if (!currentPre || clientProfileNeedsRenewal(currentPre.profile, nowMs)) {
    const keyPair = generateEdKeyPair(random);
    const profile = createPrekeyProfile({
      ownerTag: id.instanceTag,
      expires: now + BigInt(PREKEY_PROFILE_LIFETIME_SECONDS),
      keyPair: id.longTerm,
      sharedPrekey: keyPair,
    });
    id.sharedPrekeys.unshift({ keyPair, profile });
    out.prekeyProfile = profile;
  }
  id.clientProfiles = id.clientProfiles.filter((p, i) => i === 0 || !isExpired(p.expires, nowMs, PROFILE_LOCAL_GRACE_SECONDS));
  id.sharedPrekeys = id.sharedPrekeys.filter((e, i) => i === 0 || !isExpired(e.profile.expires, nowMs, PROFILE_LOCAL_GRACE_SECONDS));
  return out;
}

/** §"Publishing Prekey Messages": n new prekey messages to publish; their secrets are kept. */
export function generatePrekeyMessages(id: V4LocalIdentity, random: RandomSource, dh: Dh3072Engine, n: number): PrekeyMessage[] {
  const out: PrekeyMessage[] = [];
  for (let i = 0; i < n; i++) {
    const { message, secrets } = createPrekeyMessage(random, dh, id.instanceTag);
    if (id.prekeys.has(message.id)) continue; // ids are random; a collision just skips one
    id.prekeys.set(message.id, secrets);
    out.push(message);
  }
  return out;
}

export interface PrekeyRetention {
  /** a secret older than this is forgotten */
  maxAgeMs: number;
  /** at most this many secrets are kept; the oldest go first */
  maxKept: number;
}

/**
 * Forgets one-time prekey secrets that no Non-Interactive-Auth can name any more (otrv4.md
 * §"Publishing Prekey Ensembles" leaves their lifetime to the client): the prekey server drops
 * prekey messages after an age of its own (otrv4-prekey-server.md §"Prekey Server Storage"), and
 * a message handed out but never used would otherwise keep its secret forever. `maxAgeMs` should
 * cover the server's age plus the time an offline message may wait on the XMPP server. A secret
 * without a date (kept before dates were recorded) gets `nowMs` and ages from there. Erases the
 * forgotten secrets in memory and returns how many were forgotten.
 */
export function forgetStalePrekeys(id: V4LocalIdentity, nowMs: number, retention: PrekeyRetention): number {
  for (const s of id.prekeys.values()) s.madeAt ??= nowMs;
  const byAge = [...id.prekeys.values()].sort((a, b) => (b.madeAt ?? nowMs) - (a.madeAt ?? nowMs));
  let forgotten = 0;
  byAge.forEach((s, i) => {
    if (i < retention.maxKept && nowMs - (s.madeAt ?? nowMs) <= retention.maxAgeMs) return;
    (s.ecdh as { secret: bigint }).secret = 0n;
    (s.dh as { secret: bigint }).secret = 0n;
    id.prekeys.delete(s.id);
    forgotten++;
  });
  return forgotten;
}

/** what the DAKE needs: the current client profile */
export function dakeIdentity(id: V4LocalIdentity): DakeIdentity {
  const clientProfile = id.clientProfiles[0];
  if (!clientProfile) throw new OtrError('not-allowed', 'no client profile');
  return { instanceTag: id.instanceTag, keyPair: id.longTerm, clientProfile };
}

/**
 * Bob's side of the non-interactive DAKE, backed by the identity; `consume` deletes a used prekey
 * and tells `onConsumed`, so that the caller persists the identity at once: a one-time prekey
 * must never be usable again, not even after a restart (otrv4.md §"Receiving a Non-Interactive-
 * Auth message": the prekey's secrets are deleted once used).
 */
export function prekeyOwner(
  id: V4LocalIdentity,
  nowMs: () => number,
  onConsumed?: (prekeyId: number) => void,
): PrekeyOwnerMaterial & { consume(prekeyId: number): void } {
  return {
    prekey: (pid) => id.prekeys.get(pid),
    profiles: () => {
      const t = nowMs();
      const cps = id.clientProfiles.filter((p) => !isExpired(p.expires, t, PROFILE_LOCAL_GRACE_SECONDS));
      const pps = id.sharedPrekeys.filter((e) => !isExpired(e.profile.expires, t, PROFILE_LOCAL_GRACE_SECONDS));
      return cps.flatMap((clientProfile) => pps.map((e) => ({ clientProfile, prekeyProfile: e.profile, sharedPrekey: e.keyPair })));
    },
    consume: (pid) => {
      const s = id.prekeys.get(pid);
      if (s) {
        (s.ecdh as { secret: bigint }).secret = 0n;
        (s.dh as { secret: bigint }).secret = 0n;
      }
      if (id.prekeys.delete(pid)) onConsumed?.(pid);
    },
  };
}

// ---- serialisation (JSON; hex for bytes) ----

interface Serialized {
  v: 1;
  instanceTag: number;
  versions: string;
  symH: string;
  forgingPublic: string;
  forgingSym?: string;
  clientProfiles: string[];
  sharedPrekeys: Array<{ symD: string; profile: string }>;
  prekeys: Array<{ id: number; ownerTag: number; y: string; b: string; bPublic: string; madeAt?: number }>;
}

export function serializeLocalIdentity(id: V4LocalIdentity): string {
  const s: Serialized = {
    v: 1,
    instanceTag: id.instanceTag,
    versions: id.versions,
    symH: toHex(id.longTerm.symmetric),
    forgingPublic: toHex(encodePoint(id.forging.public)),
    ...(id.forging.symmetric ? { forgingSym: toHex(id.forging.symmetric) } : {}),
    clientProfiles: id.clientProfiles.map((p) => toHex(p.encoded)),
    sharedPrekeys: id.sharedPrekeys.map((e) => ({ symD: toHex(e.keyPair.symmetric), profile: toHex(e.profile.encoded) })),
    prekeys: [...id.prekeys.values()].map((p) => ({
      id: p.id,
      ownerTag: p.ownerTag,
      y: toHex(encodeScalar(p.ecdh.secret)),
      b: toHex(bigintToBytes(p.dh.secret, 80)),
      bPublic: p.dh.public.toString(16),
      ...(p.madeAt !== undefined ? { madeAt: p.madeAt } : {}),
    })),
  };
  return JSON.stringify(s);
}

/** Throws OtrError('malformed') on anything that is not a serialised identity of ours. */
export function deserializeLocalIdentity(text: string): V4LocalIdentity {
  let o: Serialized;
  try {
    o = JSON.parse(text) as Serialized;
  } catch {
    throw malformed('identity is not JSON');
  }
  try {
    if (o.v !== 1 || !isValidInstanceTag(o.instanceTag) || typeof o.versions !== 'string') throw malformed('not a v4 identity');
    const longTerm = edKeyPairFromSymmetric(fromHex(o.symH));
    const forgingPublic = decodePoint(fromHex(o.forgingPublic));
    const forging: ForgingKey = o.forgingSym ? { public: forgingPublic, symmetric: fromHex(o.forgingSym) } : { public: forgingPublic };
    let migrated = false;
    const clientProfiles = o.clientProfiles.map((h) => {
      const bytes = fromHex(h);
      const swapped = legacyClientProfileToSpecOrder(bytes);
      if (!swapped) return decodeClientProfile(bytes);
      migrated = true;
      return resignClientProfile(decodeClientProfile(swapped), longTerm);
    });
    const sharedPrekeys = o.sharedPrekeys.map((e) => {
      const keyPair = edKeyPairFromSymmetric(fromHex(e.symD));
      const bytes = fromHex(e.profile);
      const swapped = legacyPrekeyProfileToSpecOrder(bytes);
      if (!swapped) return { keyPair, profile: decodePrekeyProfile(bytes) };
      migrated = true;
      const old = decodePrekeyProfile(swapped);
      if (!old.sharedPrekey.equals(keyPair.public)) throw malformed('stored prekey profile does not match its shared prekey');
      return { keyPair, profile: createPrekeyProfile({ ownerTag: old.ownerTag, expires: old.expires, keyPair: longTerm, sharedPrekey: keyPair }) };
    });
    const prekeys = new Map<number, PrekeySecrets>();
    for (const p of o.prekeys) {
      const y = decodeScalar(fromHex(p.y));
      const b = bytesToBigint(fromHex(p.b));
      if (y === 0n || b === 0n) throw malformed('zero prekey secret');
      const madeAt = typeof p.madeAt === 'number' && Number.isFinite(p.madeAt) ? { madeAt: p.madeAt } : {};
      prekeys.set(p.id, {
        id: p.id,
        ownerTag: p.ownerTag,
        ecdh: { secret: y, public: G.multiply(y) },
        dh: { secret: b, public: BigInt('0x' + p.bPublic) },
        ...madeAt,
      });
    }
    return {
      instanceTag: o.instanceTag,
      versions: o.versions,
      longTerm,
      forging,
      clientProfiles,
      sharedPrekeys,
      prekeys,
      ...(migrated ? { keyTypeOrderMigrated: true as const } : {}),
    };
  } catch (e) {
    if (e instanceof OtrError) throw e;
    throw malformed('identity has a bad field');
  }
}

/**
 * A stored client profile of ours from before the key-type byte order was corrected: the same
 * fields, signed again (its old signature covered the old bytes). A transitional signature cannot
 * be renewed here (no DSA key): renewProfiles with the signer replaces the profile.
 */
function resignClientProfile(old: ClientProfile, longTerm: EdKeyPair): ClientProfile {
  if (!old.publicKey.equals(longTerm.public)) throw malformed('stored client profile does not match the long-term key');
  return createClientProfile({ ownerTag: old.ownerTag, keyPair: longTerm, forgingKey: old.forgingKey, versions: old.versions, expires: old.expires });
}
