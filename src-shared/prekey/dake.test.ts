// The prekey DAKE's shortcuts (docs/performance.md, "Prekey server", round three) must not change
// a result: the cofactor by two doublings gives the same shared secret as noble's multiply(4n), the
// ring signature with the signer's public key passed in verifies as before, and a verifier that
// knows the secret of a ring member (its own ephemeral key) accepts and refuses exactly what the
// plain verification does.
import { describe, expect, it } from 'vitest';
import { OtrError } from '../otr/common/errors';
import { ecdh, G, Point } from '../otr/v4/ed448';
import { generateEcdhKeyPair, generateEdKeyPair } from '../otr/v4/keys';
import { PrekeyUsage, prekeyKdf } from './kdf';
import { prekeyRingSign, prekeyRingVerify, sharedSecret } from './dake';
import { random } from './test-support/device';

describe('prekey DAKE shared secret', () => {
  it('equals KDF(usage_SK, ECDH(a, 4·B)) with noble multiply(4n), on valid and mixed-torsion points', () => {
    const T4 = Point.fromAffine({ x: 1n, y: 0n }); // order 4: 4·(B + T4) = 4·B
    for (let k = 0; k < 4; k++) {
      const a = generateEcdhKeyPair(random);
      const b = generateEcdhKeyPair(random).public;
      const theirs = k % 2 === 0 ? b : b.add(T4);
      const expected = prekeyKdf(PrekeyUsage.sk, ecdh(a.secret, theirs.multiply(4n)), 64);
      expect(sharedSecret(a.secret, theirs)).toEqual(expected);
    }
  });

  it('refuses a point of small order (4·T is the identity) as before', () => {
    const T2 = Point.fromAffine({ x: 0n, y: Point.Fp.ORDER - 1n });
    expect(() => sharedSecret(generateEcdhKeyPair(random).secret, T2)).toThrow(OtrError);
  });
});

describe('prekey ring signature with the shortcuts', () => {
  const transcript = new TextEncoder().encode('DAKE transcript');
  const other = new TextEncoder().encode('another transcript');

  it('signs with signerPublic given, and knownSecrets verification agrees with the plain one', () => {
    for (let n = 0; n < 3; n++) {
      const h = generateEdKeyPair(random);
      const server = generateEdKeyPair(random);
      const eph = generateEcdhKeyPair(random);
      const ring = [h.public, server.public, eph.public] as const;
      const sig = prekeyRingSign(random, h.secret, ring, transcript, { signerPublic: h.public });
      const variants = [
        { sig, m: transcript },
        { sig, m: other },
        { sig: { ...sig, r3: sig.r3 + 1n }, m: transcript },
        { sig: { ...sig, c3: sig.c3 + 1n }, m: transcript },
        { sig: { ...sig, r1: sig.r1 + 1n }, m: transcript },
      ];
      const plain = variants.map((v) => prekeyRingVerify(ring, v.sig, v.m));
      expect(plain).toEqual([true, false, false, false, false]);
      expect(variants.map((v) => prekeyRingVerify(ring, v.sig, v.m, { knownSecrets: [eph] }))).toEqual(plain);
      // the publisher's way (its own long-term key known as well) and the server's (quarters for the
      // publisher's key, a walk for the ephemeral one)
      const publisherWay = { knownSecrets: [eph, h] };
      const serverWay = {
        memberKind: (p: Point) => (p === server.public ? ('recurring' as const) : p === h.public ? ('key' as const) : ('ephemeral' as const)),
      };
      expect(variants.map((v) => prekeyRingVerify(ring, v.sig, v.m, publisherWay))).toEqual(plain);
      expect(variants.map((v) => prekeyRingVerify(ring, v.sig, v.m, serverWay))).toEqual(plain);
      const byServer = prekeyRingSign(random, server.secret, ring, transcript, { signerPublic: server.public, ...serverWay });
      expect(prekeyRingVerify(ring, byServer, transcript)).toBe(true);
      // signed by the member whose secret the verifier knows
      const byEph = prekeyRingSign(random, eph.secret, ring, transcript);
      expect(prekeyRingVerify(ring, byEph, transcript, { knownSecrets: [eph] })).toBe(true);
      expect(prekeyRingVerify(ring, byEph, other, { knownSecrets: [eph] })).toBe(false);
    }
  });

  it('refuses to sign when the secret is no ring member, signerPublic or not', () => {
    const h = generateEdKeyPair(random);
    const ring = [generateEdKeyPair(random).public, G.multiply(5n), G.multiply(7n)] as const;
    expect(() => prekeyRingSign(random, h.secret, ring, transcript)).toThrow(OtrError);
  });
});
