// The account's own OTRv4 client profile in OTRv3-compatible mode (versions "34"): it carries the
// OTRv3 DSA public key and the transitional signature. otrv4.md §"Client Profile Data Type": the
// DSA key "should be included if version 3 and 4 are supported", and "The presence of OTRv3
// public authentication DSA key means that the Transitional signature is mandatory"; otr4j
// refuses a "34" profile without it ("A transitional signature is required, but not provided").
// §"Create a Client Profile Signature": m = the fields 0x0001–0x0006, signed with the OTRv3 DSA
// key (the same key as the account's OTRv3 sessions), then m ‖ signature signed with Ed448.
// The DSA input is the field bytes as an integer mod q (dsa.ts dsaSign, as otr4j's signRS does);
// the spec leaves open whether it is hashed first.
import type { RandomSource } from '../../../src-shared/otr/common/random';
import { dsaSign, encodePublicKey, type DsaPrivateKey } from '../../../src-shared/otr/v3/dsa';
import { CLIENT_PROFILE_LIFETIME_SECONDS, createClientProfile, type ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { renewProfiles, type V4LocalIdentity } from '../../../src-shared/otr/v4/identity';
import type { PrekeyProfile } from '../../../src-shared/otr/v4/prekey-profile';

/** whether a profile of ours must carry the transitional signature (it offers version 3) */
const offersV3 = (versions: string): boolean => versions.includes('3');

export function transitionalProfile(v4: V4LocalIdentity, dsaKey: DsaPrivateKey, random: RandomSource, expires: bigint): ClientProfile {
  return createClientProfile({
    ownerTag: v4.instanceTag,
    keyPair: v4.longTerm,
    forgingKey: v4.forging,
    versions: v4.versions,
    expires,
    transitional: { dsaPublicKey: encodePublicKey(dsaKey), sign: (m) => dsaSign(dsaKey, m, random) },
  });
}

/**
 * A new identity's client profile (never published yet) replaced in place by the transitional
 * one with the same expiry.
 */
export function makeNewProfileTransitional(v4: V4LocalIdentity, dsaKey: DsaPrivateKey, random: RandomSource): void {
  const current = v4.clientProfiles[0];
  if (!current || !offersV3(v4.versions) || current.transitionalSignature) return;
  v4.clientProfiles[0] = transitionalProfile(v4, dsaKey, random, current.expires);
}

/**
 * The library's renewal (§"Client Profile Expiration and Renewal", §"Prekey Profile Expiration
 * and Renewal"), then the current client profile made transitional when it is not: a profile just
 * renewed is replaced before anyone saw it; an older one without the signature (made before this
 * rule) is followed by a new one with a full lifetime, published at the next login like any
 * renewal. Returns what is new, for the caller to store and publish.
 */
export function renewOwnProfiles(v4: V4LocalIdentity, dsaKey: DsaPrivateKey, random: RandomSource, nowMs: number): { clientProfile?: ClientProfile; prekeyProfile?: PrekeyProfile } {
  const renewed = renewProfiles(v4, random, nowMs);
  const current = v4.clientProfiles[0];
  if (!current || !offersV3(v4.versions) || current.transitionalSignature) return renewed;
  if (renewed.clientProfile === current) {
    const p = transitionalProfile(v4, dsaKey, random, current.expires);
    v4.clientProfiles[0] = p;
    return { ...renewed, clientProfile: p };
  }
  const p = transitionalProfile(v4, dsaKey, random, BigInt(Math.floor(nowMs / 1000)) + BigInt(CLIENT_PROFILE_LIFETIME_SECONDS));
  v4.clientProfiles.unshift(p);
  return { ...renewed, clientProfile: p };
}
