// The account's own client profile (own-profile.ts): versions "34" carry the OTRv3 DSA key and a
// transitional signature that verifies with it (otrv4.md §"Client Profile Data Type", §"Create a
// Client Profile Signature"), for a new identity, after a renewal, and for an older identity
// whose profile lacked them.
import { beforeAll, describe, expect, it } from 'vitest';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { dsaVerify, encodePublicKey, generateDsaKeyAsync, type DsaPrivateKey } from '../../../src-shared/otr/v3/dsa';
import { CLIENT_PROFILE_LIFETIME_SECONDS, decodeClientProfile, validateClientProfile, type ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { createLocalIdentity } from '../../../src-shared/otr/v4/identity';
import { makeNewProfileTransitional, renewOwnProfiles } from './own-profile';

let dsa: DsaPrivateKey;
beforeAll(async () => {
  dsa = await generateDsaKeyAsync(systemRandom, () => new Promise((r) => setImmediate(r)));
}, 60_000);

const NOW = Date.UTC(2026, 11, 7);
const DAY = 86400_000;

function expectTransitional(p: ClientProfile, nowMs: number): void {
  const back = decodeClientProfile(p.encoded);
  expect(() => validateClientProfile(back, { nowMs })).not.toThrow();
  expect(back.dsaPublicKey).toEqual(encodePublicKey(dsa));
  // m = fields 0x0001–0x0006: after INT n, before field 0x0007 (SHORT + 40 bytes) and the Ed448 signature
  const m = back.encoded.subarray(4, back.encoded.length - 114 - 2 - 40);
  expect(dsaVerify(dsa, m, back.transitionalSignature!)).toBe(true);
}

describe('own client profile', () => {
  it("makes a new identity's profile transitional in place, with the same expiry", () => {
    const v4 = createLocalIdentity({ random: systemRandom, nowMs: NOW, versions: '34' });
    const plain = v4.clientProfiles[0]!;
    expect(plain.transitionalSignature).toBeUndefined();
    makeNewProfileTransitional(v4, dsa, systemRandom);
    expect(v4.clientProfiles[0]!.expires).toBe(plain.expires);
    // the plain one never left this device: it is gone, not kept
    expect(v4.clientProfiles).toHaveLength(1);
    expectTransitional(v4.clientProfiles[0]!, NOW);
    // and the renewal finds nothing to do
    expect(renewOwnProfiles(v4, dsa, systemRandom, NOW)).toEqual({});
  });

  it('renews a transitional profile as a transitional one, and leaves one not yet due alone', () => {
    const v4 = createLocalIdentity({ random: systemRandom, nowMs: NOW, versions: '34' });
    makeNewProfileTransitional(v4, dsa, systemRandom);
    const current = v4.clientProfiles[0]!;
    expect(renewOwnProfiles(v4, dsa, systemRandom, NOW + DAY)).toEqual({});
    expect(v4.clientProfiles[0]).toBe(current);
    const later = NOW + 6.5 * DAY;
    const r = renewOwnProfiles(v4, dsa, systemRandom, later);
    expect(r.clientProfile).toBeDefined();
    expect(v4.clientProfiles[0]).not.toBe(current);
    expectTransitional(v4.clientProfiles[0]!, later);
  });

  it('gives an older identity without the signature a transitional successor with a full lifetime', () => {
    const v4 = createLocalIdentity({ random: systemRandom, nowMs: NOW - 2 * DAY, versions: '34' });
    const old = v4.clientProfiles[0]!;
    const r = renewOwnProfiles(v4, dsa, systemRandom, NOW);
    expect(r.clientProfile).toBe(v4.clientProfiles[0]);
    expect(v4.clientProfiles[1]).toBe(old);
    expect(v4.clientProfiles[0]!.expires).toBe(BigInt(NOW / 1000 + CLIENT_PROFILE_LIFETIME_SECONDS));
    expectTransitional(v4.clientProfiles[0]!, NOW);
  });

  it('adds nothing to a version-4-only profile (the spec forbids the DSA key there)', () => {
    const v4 = createLocalIdentity({ random: systemRandom, nowMs: NOW, versions: '4' });
    const r = renewOwnProfiles(v4, dsa, systemRandom, NOW);
    expect(r).toEqual({});
    expect(v4.clientProfiles[0]!.transitionalSignature).toBeUndefined();
  });
});
