// The account's own client profile (identity.ts): versions "34" carry the OTRv3 DSA key and a
// transitional signature that verifies with it (otrv4.md §"Client Profile Data Type", §"Create a
// Client Profile Signature"), for a new identity, after a renewal, and for an older identity
// whose profile lacked them; an identity read in the old key-type byte order is stored again.
import { beforeAll, describe, expect, it } from 'vitest';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { dsaVerify, encodePublicKey, generateDsaKeyAsync, type DsaPrivateKey } from '../../../src-shared/otr/v3/dsa';
import { CLIENT_PROFILE_LIFETIME_SECONDS, decodeClientProfile, validateClientProfile, type ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { createLocalIdentity } from '../../../src-shared/otr/v4/identity';
import { renewIdentityProfiles, type OtrAccountIdentity } from './identity';

let dsa: DsaPrivateKey;
beforeAll(async () => {
  dsa = await generateDsaKeyAsync(systemRandom, () => new Promise((r) => setImmediate(r)));
}, 60_000);

const NOW = Date.UTC(2026, 11, 7);
const DAY = 86400_000;

/** an identity as made before profiles were transitional (no DSA key in the client profile) */
function identity(nowMs: number, versions: string): OtrAccountIdentity {
  const v4 = createLocalIdentity({ random: systemRandom, nowMs, versions });
  return { instanceTag: v4.instanceTag, v3: { instanceTag: v4.instanceTag, dsaKey: dsa }, v4 };
}

function expectTransitional(p: ClientProfile, nowMs: number): void {
  const back = decodeClientProfile(p.encoded);
  expect(() => validateClientProfile(back, { nowMs })).not.toThrow();
  expect(back.dsaPublicKey).toEqual(encodePublicKey(dsa));
  // m = fields 0x0001–0x0006: after INT n, before field 0x0007 (SHORT + 40 bytes) and the Ed448 signature
  const m = back.encoded.subarray(4, back.encoded.length - 114 - 2 - 40);
  expect(dsaVerify(dsa, m, back.transitionalSignature!)).toBe(true);
}

describe('own client profile', () => {
  it('renews a transitional profile as a transitional one, and leaves one not yet due alone', () => {
    const id = identity(NOW, '34');
    expect(renewIdentityProfiles(id, systemRandom, NOW)).toBe(true); // no DSA key yet: successor at once
    const current = id.v4.clientProfiles[0]!;
    expectTransitional(current, NOW);
    expect(renewIdentityProfiles(id, systemRandom, NOW + DAY)).toBe(false);
    expect(id.v4.clientProfiles[0]).toBe(current);
    const later = NOW + 6.5 * DAY;
    expect(renewIdentityProfiles(id, systemRandom, later)).toBe(true);
    expect(id.v4.clientProfiles[0]).not.toBe(current);
    expectTransitional(id.v4.clientProfiles[0]!, later);
  });

  it('gives an older identity without the signature a transitional successor with a full lifetime', () => {
    const id = identity(NOW - 2 * DAY, '34');
    const old = id.v4.clientProfiles[0]!;
    expect(old.transitionalSignature).toBeUndefined();
    expect(renewIdentityProfiles(id, systemRandom, NOW)).toBe(true);
    expect(id.v4.clientProfiles[0]).not.toBe(old);
    expect(id.v4.clientProfiles[0]!.expires).toBe(BigInt(NOW / 1000 + CLIENT_PROFILE_LIFETIME_SECONDS));
    expectTransitional(id.v4.clientProfiles[0]!, NOW);
  });

  it('adds nothing to a version-4-only profile (the spec forbids the DSA key there)', () => {
    const id = identity(NOW, '4');
    expect(renewIdentityProfiles(id, systemRandom, NOW)).toBe(false);
    expect(id.v4.clientProfiles[0]!.transitionalSignature).toBeUndefined();
  });

  it('stores again an identity that was re-signed on load (old key-type byte order), once', () => {
    const id = identity(NOW, '4');
    id.v4.keyTypeOrderMigrated = true;
    expect(renewIdentityProfiles(id, systemRandom, NOW)).toBe(true);
    expect(renewIdentityProfiles(id, systemRandom, NOW)).toBe(false);
  });
});
