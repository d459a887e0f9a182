// The transitional signature (otrv4.md §"Client Profile Data Type" fields 0x0006/0x0007,
// §"Create a Client Profile Signature", §"Validating a Client Profile" step 8): built with the
// OTRv3 DSA key over the typed fields 0x0001–0x0006 (m used as an integer mod q, as OTRv3 signs),
// verified on every profile we receive that carries it.
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../common/bytes';
import { OtrError } from '../common/errors';
import { dsaSign, dsaVerify, encodePublicKey } from '../v3/dsa';
import { fixtureKey, seededRng } from '../v3/test-support/keys';
import { createClientProfile, decodeClientProfile, validateClientProfile } from './client-profile';
import { encodePoint, G } from './ed448';
import { createLocalIdentity, renewProfiles } from './identity';
import { edKeyPairFromSymmetric, fromHex } from './keys';
import { transitionalSigner } from './transitional';

const keyPair = edKeyPairFromSymmetric(new Uint8Array(57).fill(3));
const dsa = fixtureKey(0);
const EXPIRES = 0x65a0bc00n;
const NOW = 1_704_000_000_000;
const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

describe('transitional signature', () => {
  it('signs the typed fields 0x0001–0x0006 (hand-built) with the DSA key; we verify what we receive', () => {
    const p = createClientProfile({
      ownerTag: 0x1234,
      keyPair,
      forgingKey: G,
      versions: '34',
      expires: EXPIRES,
      transitional: transitionalSigner(dsa, seededRng('t')),
    });
    const m = concatBytes(
      hex('0001 00001234'),
      hex('0002 1000'),
      keyPair.publicBytes,
      hex('0003 1200'),
      encodePoint(G),
      hex('0004 00000002 3334'),
      hex('0005 0000000065a0bc00'),
      hex('0006'),
      encodePublicKey(dsa),
    );
    expect(p.encoded.subarray(4, 4 + m.length)).toEqual(m);
    // field 7 follows: SHORT 7 ‖ r ‖ s (20 bytes each: len(q) of a 160-bit q)
    expect(p.encoded.subarray(4 + m.length, 4 + m.length + 2)).toEqual(hex('0007'));
    const sig = p.encoded.subarray(4 + m.length + 2, 4 + m.length + 42);
    expect(dsaVerify(dsa, m, sig)).toBe(true);
    const received = decodeClientProfile(p.encoded);
    expect(received.transitionalMessage).toEqual(m);
    validateClientProfile(received, { senderTag: 0x1234, nowMs: NOW });
  });

  it('a profile whose transitional signature does not verify is invalid', () => {
    const rng = seededRng('bad');
    // a valid DSA signature, but over another message
    const wrong = { dsaPublicKey: encodePublicKey(dsa), sign: (m: Uint8Array) => dsaSign(dsa, concatBytes(m, hex('00')), rng) };
    const p = decodeClientProfile(
      createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '34', expires: EXPIRES, transitional: wrong }).encoded,
    );
    expect(() => validateClientProfile(p, { senderTag: 0x1234, nowMs: NOW })).toThrow(/transitional signature is invalid/);
    // signed by another DSA key than the one in field 6
    const other = fixtureKey(1);
    const foreign = { dsaPublicKey: encodePublicKey(dsa), sign: (m: Uint8Array) => dsaSign(other, m, rng) };
    const q = decodeClientProfile(
      createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '34', expires: EXPIRES, transitional: foreign }).encoded,
    );
    expect(() => validateClientProfile(q, { senderTag: 0x1234, nowMs: NOW })).toThrow(OtrError);
  });

  it('a DSA key that is no OTRv3 key (toy parameters) makes the profile invalid', () => {
    const toy = Uint8Array.of(0, 0, 0, 0, 0, 1, 7, 0, 0, 0, 1, 5, 0, 0, 0, 1, 2, 0, 0, 0, 1, 3);
    const p = createClientProfile({
      ownerTag: 0x1234,
      keyPair,
      forgingKey: G,
      versions: '34',
      expires: EXPIRES,
      transitional: { dsaPublicKey: toy, sign: () => new Uint8Array(2).fill(1) },
    });
    expect(() => validateClientProfile(decodeClientProfile(p.encoded), { senderTag: 0x1234, nowMs: NOW })).toThrow(/DSA key is not usable/);
  });

  it('the local identity includes the DSA key once a signer is passed, and keeps it on renewal', () => {
    const random = seededRng('id');
    const signer = transitionalSigner(dsa, random);
    const id = createLocalIdentity({ random, nowMs: NOW, versions: '34' });
    expect(id.clientProfiles[0]!.dsaPublicKey).toBeUndefined();
    // the app passes the signer from now on: the profile without it is replaced at once
    const renewed = renewProfiles(id, random, NOW, signer);
    expect(renewed.clientProfile?.dsaPublicKey).toEqual(encodePublicKey(dsa));
    validateClientProfile(decodeClientProfile(id.clientProfiles[0]!.encoded), { senderTag: id.instanceTag, nowMs: NOW });
    // and not again while it is current
    expect(renewProfiles(id, random, NOW + 1000, signer).clientProfile).toBeUndefined();
    const fresh = createLocalIdentity({ random, nowMs: NOW, versions: '34', transitional: signer });
    expect(fresh.clientProfiles[0]!.transitionalSignature).toHaveLength(40);
  });
});
