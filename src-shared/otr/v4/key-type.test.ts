// Hand-built byte vectors for every encoding that carries an Ed448 key type (otrv4.md §"Public
// keys, Shared Prekeys, Forging keys and Fingerprints": "2 byte unsigned value, little-endian"):
// ED448-PUBKEY `10 00`, ED448-SHARED-PREKEY `11 00`, ED448-FORGING-KEY `12 00`, in the client
// profile, the prekey profile, the Non-Interactive-Auth transcript, and the migration of material
// stored in the old big-endian order (the prekey server's composite identity: src-shared/prekey).
import { ed448 } from '@noble/curves/ed448.js';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../common/bytes';
import { createClientProfile, decodeClientProfile, validateClientProfile } from './client-profile';
import { nonInteractiveTranscript } from './dake';
import { encodePoint, G } from './ed448';
import { createLocalIdentity, deserializeLocalIdentity, serializeLocalIdentity } from './identity';
import { encodeKeyType, legacyClientProfileToSpecOrder, legacyPrekeyProfileToSpecOrder } from './key-type';
import { edKeyPairFromSymmetric, fromHex, toHex } from './keys';
import { createPrekeyProfile, decodePrekeyProfile, validatePrekeyProfile } from './prekey-profile';
import { seededRandom } from './test-support/engines';

// RFC 8032 §7.4 "blank message" secret key and public key
const SYM = fromHex('6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b');
const H = fromHex('5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180');
const keyPair = edKeyPairFromSymmetric(SYM);
const EXPIRES = 0x65a0bc00n; // 2024-01-12
const NOW = 1_704_000_000_000;
const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

describe('key type SHORTs are little-endian', () => {
  it('10 00, 11 00, 12 00', () => {
    expect(encodeKeyType(0x0010)).toEqual(hex('10 00'));
    expect(encodeKeyType(0x0011)).toEqual(hex('11 00'));
    expect(encodeKeyType(0x0012)).toEqual(hex('12 00'));
  });

  it('client profile: the exact bytes of the spec layout, signed over the typed fields', () => {
    const p = createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '4', expires: EXPIRES });
    const fields = concatBytes(
      hex('0001 00001234'),
      hex('0002 1000'),
      H,
      hex('0003 1200'),
      encodePoint(G),
      hex('0004 00000001 34'),
      hex('0005 0000000065a0bc00'),
    );
    const expected = concatBytes(hex('00000005'), fields, ed448.sign(fields, SYM));
    expect(toHex(p.encoded)).toBe(toHex(expected));
    const d = decodeClientProfile(expected);
    expect(d.publicKey.equals(keyPair.public)).toBe(true);
    expect(d.forgingKey.equals(G)).toBe(true);
    validateClientProfile(d, { senderTag: 0x1234, nowMs: NOW });
  });

  it('client profile with the old big-endian key types: refused by name, convertible', () => {
    const p = createClientProfile({ ownerTag: 0x1234, keyPair, forgingKey: G, versions: '4', expires: EXPIRES });
    const old = Uint8Array.from(p.encoded);
    const pub = 4 + 6 + 2; // n, field 1, field 2's type
    const forging = pub + 2 + 57 + 2;
    old.set(hex('0010'), pub);
    old.set(hex('0012'), forging);
    expect(() => decodeClientProfile(old)).toThrow(/ED448-PUBKEY has its key type in big-endian byte order/);
    const onlyForging = Uint8Array.from(p.encoded);
    onlyForging.set(hex('0012'), forging);
    expect(() => decodeClientProfile(onlyForging)).toThrow(/ED448-FORGING-KEY has its key type in big-endian byte order/);
    const other = Uint8Array.from(p.encoded);
    other.set(hex('1100'), pub);
    expect(() => decodeClientProfile(other)).toThrow(/ED448-PUBKEY has the wrong key type/);
    expect(legacyClientProfileToSpecOrder(old)).toEqual(p.encoded);
    expect(legacyClientProfileToSpecOrder(p.encoded)).toBeUndefined();
  });

  it('prekey profile: INT tag ‖ INT64 expiry ‖ 11 00 ‖ POINT D ‖ signature', () => {
    const shared = edKeyPairFromSymmetric(new Uint8Array(57).fill(7));
    const p = createPrekeyProfile({ ownerTag: 0x1234, expires: EXPIRES, keyPair, sharedPrekey: shared });
    const body = concatBytes(hex('00001234 0000000065a0bc00 1100'), shared.publicBytes);
    expect(toHex(p.encoded)).toBe(toHex(concatBytes(body, ed448.sign(body, SYM))));
    validatePrekeyProfile(decodePrekeyProfile(p.encoded), { longTermPublicKey: keyPair.public, senderTag: 0x1234, nowMs: NOW });
    const old = Uint8Array.from(p.encoded);
    old.set(hex('0011'), 12);
    expect(() => decodePrekeyProfile(old)).toThrow(/ED448-SHARED-PREKEY has its key type in big-endian byte order/);
    expect(legacyPrekeyProfileToSpecOrder(old)).toEqual(p.encoded);
    expect(legacyPrekeyProfileToSpecOrder(p.encoded)).toBeUndefined();
  });

  it('Non-Interactive-Auth t carries D_b as ED448-SHARED-PREKEY (11 00 ‖ POINT)', () => {
    const D = G.multiply(5n);
    const t = nonInteractiveTranscript({ bobProfile: hex('01'), aliceProfile: hex('02'), y: G, x: G, b: 0x0102n, a: 0x03n, phi: hex('04'), sharedPrekey: D });
    const at = 64 + 64 + 57 + 57 + (4 + 2) + (4 + 1);
    expect(t.subarray(at, at + 59)).toEqual(concatBytes(hex('1100'), encodePoint(D)));
    expect(t.length).toBe(at + 59 + 64);
  });
});

describe('our stored identity from before the correction', () => {
  it('is re-signed in the spec order on load, and flagged for persisting and publishing again', () => {
    const id = createLocalIdentity({ random: seededRandom('migrate'), nowMs: NOW, versions: '4' });
    const text = serializeLocalIdentity(id);
    const stored = JSON.parse(text) as { clientProfiles: string[]; sharedPrekeys: Array<{ profile: string }> };
    // what the previous version persisted: the same profiles with 00 10 / 00 12 / 00 11
    const oldCp = fromHex(stored.clientProfiles[0]!);
    oldCp.set(hex('0010'), 12);
    oldCp.set(hex('0012'), 12 + 59 + 2);
    const oldPp = fromHex(stored.sharedPrekeys[0]!.profile);
    oldPp.set(hex('0011'), 12);
    stored.clientProfiles[0] = toHex(oldCp);
    stored.sharedPrekeys[0]!.profile = toHex(oldPp);
    expect(deserializeLocalIdentity(text).keyTypeOrderMigrated).toBeUndefined();
    const loaded = deserializeLocalIdentity(JSON.stringify(stored));
    expect(loaded.keyTypeOrderMigrated).toBe(true);
    const cp = loaded.clientProfiles[0]!;
    expect(cp.encoded.subarray(12, 14)).toEqual(hex('1000'));
    expect(cp.expires).toBe(id.clientProfiles[0]!.expires);
    expect(cp.forgingKey.equals(id.forging.public)).toBe(true);
    validateClientProfile(cp, { senderTag: id.instanceTag, nowMs: NOW });
    const pp = loaded.sharedPrekeys[0]!.profile;
    expect(pp.encoded.subarray(12, 14)).toEqual(hex('1100'));
    validatePrekeyProfile(pp, { longTermPublicKey: id.longTerm.public, senderTag: id.instanceTag, nowMs: NOW });
    // saved again, it loads without migration
    expect(deserializeLocalIdentity(serializeLocalIdentity(loaded)).keyTypeOrderMigrated).toBeUndefined();
  });
});
