import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, bytesToBigint } from '../common/bytes';
import { DH3072_P, DH3072_Q } from './dh3072';
import { OtrError } from '../common/errors';
import { createClientProfile, decodeClientProfile, clientProfileNeedsRenewal, renewClientProfile, validateClientProfile } from './client-profile';
import { encodePoint, G, Point } from './ed448';
import { decodePoint, isInPrimeOrderSubgroup } from './ed448';
import { kdf, Usage } from './kdf';
import { edKeyPairFromSymmetric, fingerprint, fingerprintHex, generateEdKeyPair, generateForgingKey, generateInstanceTag, toHex } from './keys';
import { isValidDhPublic as isValidDhValue } from './dh3072';
import {
  createPrekeyMessage,
  decodePrekeyMessage,
  encodePrekeyMessage,
  selectPrekeyEnsembles,
  validatePrekeyEnsemble,
  validatePrekeyMessage,
} from './prekey-message';
import { createPrekeyProfile, decodePrekeyProfile, validatePrekeyProfile } from './prekey-profile';
import { decodeRingSignature, encodeRingSignature, hashToScalar, Q_BYTES, ringSign, ringVerify } from './rsig';
import { nativeDh3072Engine, seededRandom } from './test-support/engines';
import { expectOnlyOtrErrors } from './test-support/fuzz';
import { readVector } from '../test-support/vectors';

const kat = JSON.parse(readVector('otrv4-kat-otr4j.json').toString('utf8')) as { vectors: Array<{ name: string; expected_hex: string }> };
const vec = (prefix: string) => kat.vectors.find((v) => v.name.startsWith(prefix))!.expected_hex;

const engine = nativeDh3072Engine();
const NOW = 1_700_000_000_000;
const WEEK = 7n * 24n * 3600n;
const expires = BigInt(NOW / 1000) + WEEK;

describe('known answers (otr4j)', () => {
  it('fingerprint(H=G, F=G)', () => {
    expect(toHex(fingerprint(G, G))).toBe(vec('fingerprint'));
    expect(fingerprintHex(G, G)).toHaveLength(112);
  });
  it('KDF, POINT(G) and SCALAR(q)', () => {
    expect(toHex(kdf(Usage.fingerprint, new TextEncoder().encode('helloworld'), 32))).toBe(vec('KDF('));
    expect(toHex(encodePoint(G))).toBe(vec('POINT(G)'));
    expect(toHex(Q_BYTES)).toBe(vec('SCALAR(q)'));
  });
});

describe('keys', () => {
  it('derives the RFC 8032 key from the symmetric key and rebuilds it', () => {
    const kp = generateEdKeyPair(seededRandom('k'));
    const again = edKeyPairFromSymmetric(kp.symmetric);
    expect(again.public.equals(kp.public)).toBe(true);
    expect(G.multiply(kp.secret).equals(kp.public)).toBe(true);
  });
  it('RFC 8032 §7.4 Ed448 blank-message vector: public key', () => {
    const sk = Uint8Array.from(
      Buffer.from('6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b', 'hex'),
    );
    expect(toHex(edKeyPairFromSymmetric(sk).publicBytes)).toBe(
      '5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180',
    );
  });
  it('forging key secret is dropped unless asked to keep it', () => {
    expect(generateForgingKey(seededRandom('f'), { keepSecret: false }).symmetric).toBeUndefined();
    expect(generateForgingKey(seededRandom('f'), { keepSecret: true }).symmetric).toHaveLength(57);
  });
  it('instance tags are ≥ 0x100', () => {
    const rng = seededRandom('t');
    for (let i = 0; i < 50; i++) expect(generateInstanceTag(rng)).toBeGreaterThanOrEqual(0x100);
  });
  it('the Jacobi-symbol DH check agrees with x^q mod p = 1 (engine) on random values', () => {
    const rng = seededRandom('jac');
    for (let i = 0; i < 12; i++) {
      const x = (bytesToBigint(rng(384)) % (DH3072_P - 3n)) + 2n;
      expect(isValidDhValue(x)).toBe(engine.sharedSecret(DH3072_Q, x) === 1n);
    }
  });
  it('point validation refuses points with a small-order component', () => {
    const T2 = Point.fromAffine({ x: 0n, y: Point.Fp.ORDER - 1n }); // order 2
    const P = G.multiply(12345n);
    expect(isInPrimeOrderSubgroup(P)).toBe(true);
    expect(isInPrimeOrderSubgroup(P.add(T2))).toBe(false);
    expect(() => decodePoint(P.add(T2).toBytes())).toThrow(OtrError);
    expect(() => decodePoint(Point.ZERO.toBytes())).toThrow(OtrError);
    expect(() => decodePoint(T2.toBytes())).toThrow(OtrError);
    expect(decodePoint(P.toBytes()).equals(P)).toBe(true);
  });
  it('DH validation refuses values outside the subgroup', () => {
    expect(isValidDhValue(engine.publicKey(77n))).toBe(true);
    expect(isValidDhValue(1n)).toBe(false);
    // p ≡ 3 (mod 4): −1 is a non-residue, so −g^77 lies outside the order-q subgroup
    expect(isValidDhValue(DH3072_P - engine.publicKey(77n))).toBe(false);
  });
});

function makeProfiles(seed: string, tag = 0x1234) {
  const rng = seededRandom(seed);
  const keyPair = generateEdKeyPair(rng);
  const forging = generateForgingKey(rng, { keepSecret: false });
  const client = createClientProfile({ ownerTag: tag, keyPair, forgingKey: forging, versions: '34', expires });
  const shared = generateEdKeyPair(rng);
  const prekey = createPrekeyProfile({ ownerTag: tag, expires, keyPair, sharedPrekey: shared });
  return { rng, keyPair, forging, client, shared, prekey };
}

describe('client profile', () => {
  const { keyPair, client } = makeProfiles('cp');
  it('round-trips and validates', () => {
    const d = decodeClientProfile(client.encoded);
    expect(d.encoded).toEqual(client.encoded);
    expect(d.versions).toBe('34');
    expect(d.expires).toBe(expires);
    validateClientProfile(d, { senderTag: 0x1234, nowMs: NOW });
  });
  it('refuses a wrong owner tag, expiry, and bad version sets', () => {
    expect(() => validateClientProfile(client, { senderTag: 0x1235, nowMs: NOW })).toThrow(OtrError);
    expect(() => validateClientProfile(client, { nowMs: Number(expires) * 1000 })).toThrow(/expired/);
    validateClientProfile(client, { nowMs: Number(expires) * 1000, graceSeconds: 3600 });
    expect(() => createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '3', expires })).toThrow(OtrError);
    expect(() => createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '24', expires })).toThrow(OtrError);
    expect(() => createClientProfile({ ownerTag: 0xff, keyPair, forgingKey: G, versions: '4', expires })).toThrow(OtrError);
  });
  it('detects any flipped bit (signature or structure)', () => {
    for (let i = 0; i < client.encoded.length; i += 7) {
      const bad = Uint8Array.from(client.encoded);
      bad[i]! ^= 0x04;
      expect(() => validateClientProfile(decodeClientProfile(bad), { senderTag: 0x1234, nowMs: NOW })).toThrow(OtrError);
    }
  });
  it('renews with the same keys and a later expiry', () => {
    expect(clientProfileNeedsRenewal(client, NOW)).toBe(false);
    expect(clientProfileNeedsRenewal(client, Number(expires) * 1000 - 3600_000)).toBe(true);
    const renewed = renewClientProfile(client, keyPair, expires + WEEK);
    validateClientProfile(renewed, { senderTag: 0x1234, nowMs: Number(expires) * 1000 + 1000 });
    expect(renewed.publicKey.equals(client.publicKey)).toBe(true);
  });
  it('refuses a transitional signer whose signature is not 2 × len(q) bytes (q = 5: 2 bytes)', () => {
    const dsa = Uint8Array.of(0, 0, 0, 0, 0, 1, 7, 0, 0, 0, 1, 5, 0, 0, 0, 1, 2, 0, 0, 0, 1, 3);
    expect(() =>
      createClientProfile({
        ownerTag: 0x1234,
        keyPair,
        forgingKey: G,
        versions: '43',
        expires,
        transitional: { dsaPublicKey: dsa, sign: () => new Uint8Array(3) },
      }),
    ).toThrow(OtrError);
  });
  it('decoder throws only OtrError on random and mutated input', () => {
    expectOnlyOtrErrors((b) => validateClientProfile(decodeClientProfile(b), { nowMs: NOW }), client.encoded);
  });
});

describe('prekey profile and prekey message', () => {
  const { keyPair, client, prekey, rng } = makeProfiles('pp');
  const { message, secrets } = createPrekeyMessage(rng, engine, 0x1234);
  it('round-trip and validate', () => {
    const d = decodePrekeyProfile(prekey.encoded);
    validatePrekeyProfile(d, { longTermPublicKey: keyPair.public, senderTag: 0x1234, nowMs: NOW });
    expect(() => validatePrekeyProfile(d, { longTermPublicKey: G, nowMs: NOW })).toThrow(OtrError);
    const m = decodePrekeyMessage(encodePrekeyMessage(message));
    expect(m).toEqual(message);
    validatePrekeyMessage(m);
    expect(secrets.ecdh.public.equals(m.y)).toBe(true);
  });
  it('validates an ensemble and refuses mixed instance tags', () => {
    validatePrekeyEnsemble({ clientProfile: client, prekeyProfile: prekey, prekeyMessage: message }, { nowMs: NOW, engine });
    const other = createPrekeyMessage(rng, engine, 0x9999).message;
    expect(() => validatePrekeyEnsemble({ clientProfile: client, prekeyProfile: prekey, prekeyMessage: other }, { nowMs: NOW, engine })).toThrow(OtrError);
    const sel = selectPrekeyEnsembles(
      [
        { clientProfile: client, prekeyProfile: prekey, prekeyMessage: message },
        { clientProfile: client, prekeyProfile: prekey, prekeyMessage: message },
        { clientProfile: client, prekeyProfile: prekey, prekeyMessage: other },
      ],
      { nowMs: NOW, engine },
    );
    expect([...sel.keys()]).toEqual([0x1234]);
    expect(sel.get(0x1234)).toHaveLength(1);
  });
  it('refuses a prekey message whose B is not in the group', () => {
    expect(() => validatePrekeyMessage({ ...message, b: 1n })).toThrow(OtrError);
  });
  it('decoders throw only OtrError', () => {
    expectOnlyOtrErrors((b) => validatePrekeyProfile(decodePrekeyProfile(b), { longTermPublicKey: keyPair.public, nowMs: NOW }), prekey.encoded);
    expectOnlyOtrErrors((b) => validatePrekeyMessage(decodePrekeyMessage(b)), encodePrekeyMessage(message), 60);
  });
});

describe('ring signature', () => {
  const rng = seededRandom('rsig');
  const a = generateEdKeyPair(rng);
  const b = generateEdKeyPair(rng).public;
  const c = generateEdKeyPair(rng).public;
  const m = new TextEncoder().encode('transcript');
  it('verifies for the signer in any ring position and encodes to 342 bytes', () => {
    for (const ring of [
      [a.public, b, c],
      [b, a.public, c],
      [b, c, a.public],
    ] as const) {
      const sig = ringSign(rng, a.secret, ring, m);
      expect(ringVerify(ring, sig, m)).toBe(true);
      const enc = encodeRingSignature(sig);
      expect(enc).toHaveLength(342);
      expect(ringVerify(ring, decodeRingSignature(enc), m)).toBe(true);
    }
  });
  it('fails for another message, another ring, or a tampered scalar', () => {
    const ring = [a.public, b, c] as const;
    const sig = ringSign(rng, a.secret, ring, m);
    expect(ringVerify(ring, sig, new TextEncoder().encode('transcripT'))).toBe(false);
    expect(ringVerify([a.public, c, b], sig, m)).toBe(false);
    for (const k of ['c1', 'r1', 'c2', 'r2', 'c3', 'r3'] as const) expect(ringVerify(ring, { ...sig, [k]: sig[k] + 1n }, m)).toBe(false);
    expect(ringVerify(ring, { c1: 0n, r1: 0n, c2: 0n, r2: 0n, c3: 0n, r3: 0n }, m)).toBe(false);
  });
  it('refuses to sign when the key is not in the ring', () => {
    expect(() => ringSign(rng, a.secret, [b, c, G], m)).toThrow(OtrError);
  });
  it('HashToScalar is HWC(usage || d, 57) little-endian mod q', () => {
    const h = hashToScalar(0x1a, m);
    expect(h).toBeLessThan(2n ** 446n);
  });
  it('decoder throws only OtrError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (buf) => {
        try {
          decodeRingSignature(buf);
        } catch (e) {
          expect(e).toBeInstanceOf(OtrError);
        }
      }),
    );
    void new ByteReader(new Uint8Array(0));
  });
});
