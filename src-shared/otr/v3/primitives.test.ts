// Known answers (vectors/otrv3-kat-coyim-otr3.json, from coyim/otr3) and the DSA/key primitives.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ByteReader } from '../common/bytes';
import { OtrError } from '../common/errors';
import { bigintDh1536Engine, DH1536_P, isValidGroupElement, modPow } from './group';
import { deriveAkeKeys, deriveDataKeys } from './kdf';
import {
  deserializePrivateKey,
  dsaSign,
  dsaVerify,
  encodePublicKey,
  fingerprint,
  fingerprintHex,
  generateDsaKey,
  readPublicKey,
  serializePrivateKey,
} from './dsa';
import { deserializeIdentity, generateInstanceTag, serializeIdentity } from './identity';
import { fixtureKey, nativeDh1536Engine, seededRng } from './test-support/keys';
import { readVector } from '../test-support/vectors';

// CoyIM's OTRv3 known answers (otrv3-kat-coyim-otr3.json), committed beside the tests
const kat = JSON.parse(readVector('otrv3-kat-coyim-otr3.json').toString('utf8')) as Record<string, unknown>;

describe('OTRv3 known answers (coyim/otr3)', () => {
  const x = BigInt('0x' + (kat.x_hex as string));
  const y = BigInt('0x' + (kat.y_hex as string));
  const gx = BigInt('0x' + (kat.gx_hex as string));
  const gy = BigInt('0x' + (kat.gy_hex as string));
  const s = BigInt('0x' + (kat.shared_secret_s_hex as string));

  it('g^x, g^y and s in the 1536-bit group, with both engines', () => {
    for (const e of [bigintDh1536Engine, nativeDh1536Engine()]) {
      expect(e.modPow(2n, x)).toBe(gx);
      expect(e.modPow(2n, y)).toBe(gy);
      expect(e.modPow(gy, x)).toBe(s);
      expect(e.modPow(gx, y)).toBe(s);
    }
  });

  it('AKE keys: ssid, c, c′, m1, m2, m1′, m2′', () => {
    const k = deriveAkeKeys(s);
    const e = kat.ake_keys as Record<string, string>;
    expect(bytesToHex(k.ssid)).toBe(e['ssid (h2(0x00)[0..8])']);
    expect(bytesToHex(k.c)).toBe(e['c (h2(0x01)[0..16])']);
    expect(bytesToHex(k.cPrime)).toBe(e['c_prime (h2(0x01)[16..32])']);
    expect(bytesToHex(k.m1)).toBe(e['m1 (h2(0x02))']);
    expect(bytesToHex(k.m2)).toBe(e['m2 (h2(0x03))']);
    expect(bytesToHex(k.m1Prime)).toBe(e['m1_prime (h2(0x04))']);
    expect(bytesToHex(k.m2Prime)).toBe(e['m2_prime (h2(0x05))']);
  });

  it('data-message keys (we are the low end) and the extra symmetric key', () => {
    const k = deriveDataKeys(gx, gy, s);
    const e = kat.data_message_session_keys as Record<string, string>;
    expect(bytesToHex(k.sendAes)).toBe(e['sending_aes_key (h1(0x02)[0..16])']);
    expect(bytesToHex(k.sendMac)).toBe(e['sending_mac_key (SHA1(sending_aes_key))']);
    expect(bytesToHex(k.recvAes)).toBe(e['receiving_aes_key (h1(0x01)[0..16])']);
    expect(bytesToHex(k.recvMac)).toBe(e['receiving_mac_key (SHA1(receiving_aes_key))']);
    expect(bytesToHex(k.extraKey)).toBe(e['extra_symmetric_key (h2(0xFF))']);
    // the other end derives the mirror image
    const o = deriveDataKeys(gy, gx, s);
    expect(o.sendAes).toEqual(k.recvAes);
    expect(o.recvMac).toEqual(k.sendMac);
    expect(o.extraKey).toEqual(k.extraKey);
  });

  it('group element range check', () => {
    expect(isValidGroupElement(1n)).toBe(false);
    expect(isValidGroupElement(2n)).toBe(true);
    expect(isValidGroupElement(DH1536_P - 2n)).toBe(true);
    expect(isValidGroupElement(DH1536_P - 1n)).toBe(false);
  });
});

describe('DSA long-term keys', () => {
  const key = fixtureKey(0);

  it('signs a 32-byte value reduced mod q and verifies; rejects other values and keys', () => {
    const rng = seededRng('dsa');
    const m = hexToBytes('ff'.repeat(32)); // larger than q: must be reduced, not truncated
    const sig = dsaSign(key, m, rng);
    expect(sig.length).toBe(40);
    expect(dsaVerify(key, m, sig)).toBe(true);
    const m2 = m.slice();
    m2[31] ^= 1;
    expect(dsaVerify(key, m2, sig)).toBe(false);
    expect(dsaVerify(fixtureKey(1), m, sig)).toBe(false);
    // H = M mod q: M and M mod q + q give the same signature check
    const h = (BigInt('0x' + bytesToHex(m)) % key.q) + key.q;
    expect(dsaVerify(key, hexToBytes(h.toString(16).padStart(64, '0')), sig)).toBe(true);
  });

  it('PUBKEY round-trips; the fingerprint hashes it without the type', () => {
    const pub = encodePublicKey(key);
    expect(pub.subarray(0, 2)).toEqual(Uint8Array.of(0, 0));
    const r = new ByteReader(pub);
    expect(readPublicKey(r)).toEqual({ p: key.p, q: key.q, g: key.g, y: key.y });
    expect(fingerprintHex(key)).toMatch(/^[0-9a-f]{40}$/);
    expect(fingerprint(key).length).toBe(20);
  });

  it('rejects bad public keys', () => {
    const bad = [
      { ...key, y: 1n },
      { ...key, g: key.p },
      { ...key, q: key.q + 2n },
      { ...key, y: key.y + 1n },
    ];
    for (const k of bad) expect(() => readPublicKey(new ByteReader(encodePublicKey(k)))).toThrow(OtrError);
  });

  it('serialises and restores the private key; refuses a mismatched one', () => {
    const s = serializePrivateKey(key);
    expect(deserializePrivateKey(s)).toEqual(key);
    const broken = serializePrivateKey({ ...key, x: key.x + 1n });
    expect(() => deserializePrivateKey(broken)).toThrow(OtrError);
    expect(() => deserializePrivateKey('garbage')).toThrow(OtrError);
    const id = { instanceTag: generateInstanceTag(seededRng('tag')), dsaKey: key };
    expect(id.instanceTag).toBeGreaterThanOrEqual(0x100);
    expect(deserializeIdentity(serializeIdentity(id))).toEqual(id);
    expect(() => deserializeIdentity('{"v":1,"instanceTag":5,"dsaKey":"x"}')).toThrow(OtrError);
  });

  it('generates a 1024/160 key whose parameters hold together', () => {
    const k = generateDsaKey(seededRng('keygen'));
    expect(k.p.toString(2).length).toBe(1024);
    expect(k.q.toString(2).length).toBe(160);
    expect((k.p - 1n) % k.q).toBe(0n);
    expect(modPow(k.g, k.q, k.p)).toBe(1n);
    expect(modPow(k.g, k.x, k.p)).toBe(k.y);
    const rng = seededRng('s');
    const m = new Uint8Array(32).fill(7);
    expect(dsaVerify(k, m, dsaSign(k, m, rng))).toBe(true);
  });
});
