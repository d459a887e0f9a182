// Checks the ratchet against the formulas of the spec written out by hand (not through keys.ts),
// so that a consistent-but-wrong derivation on both sides cannot pass.
import { describe, expect, it } from 'vitest';
import { shake256 } from '@noble/hashes/sha3.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { bigintToMinimalBytes, concatBytes } from '../../common/bytes';
import { OtrError } from '../../common/errors';
import { decodeDataMessage } from '../data-message';
import { DH3072_P } from '../dh3072';
import { G } from '../ed448';
import { generateDhKeyPair, generateEcdhKeyPair } from './keys';
import { initRatchet } from './init';
import { ALICE_TAG, BOB_TAG, dhEngine, fakeClock, seededRandom, text } from './test-support/pair';

/** SHAKE-256("OTRv4" ‖ usage ‖ values, n), spelled out */
const K = (usage: number, n: number, ...values: Uint8Array[]): Uint8Array =>
  shake256(concatBytes(new TextEncoder().encode('OTRv4'), Uint8Array.of(usage), ...values), { dkLen: n });

describe('ratchet keys follow otrv4.md formulas', () => {
  it('interactive: Alice’s first message uses prev_root = KDF(0x0B‖K) and the first keys', () => {
    const rnd = seededRandom('formulas');
    const secret = rnd(64);
    const aE = generateEcdhKeyPair(rnd);
    const aD = generateDhKeyPair(rnd, dhEngine);
    const bE = generateEcdhKeyPair(rnd);
    const bD = generateDhKeyPair(rnd, dhEngine);
    const clock = fakeClock().clock;
    const alice = initRatchet({
      mode: 'interactive',
      role: 'alice',
      sharedSecret: secret,
      ourEcdh: aE,
      ourDh: aD,
      theirEcdh: bE.public,
      theirDh: bD.public,
      ourInstanceTag: ALICE_TAG,
      theirInstanceTag: BOB_TAG,
      random: rnd,
      clock,
      dh: dhEngine,
    });
    const msg = alice.encrypt(text('hello')).message;
    const d = decodeDataMessage(msg);

    const prevRoot = K(0x0b, 64, secret);
    const kEcdh = bE.public.multiply(aE.secret).toBytes();
    const kDh = bigintToMinimalBytes(dhEngine.sharedSecret(aD.secret, bD.public));
    const brace = K(0x01, 32, kDh);
    const mixed = K(0x03, 64, kEcdh, brace);
    const chain = K(0x13, 64, prevRoot, mixed);
    const mkEnc = K(0x15, 64, chain);
    const mkMac = K(0x16, 64, mkEnc);
    expect(d.authenticator).toEqual(K(0x18, 64, mkMac, d.authenticated));
    expect(chacha20(mkEnc.subarray(0, 32), new Uint8Array(12), d.ciphertext)).toEqual(text('hello'));
    expect([d.ratchetId, d.messageId, d.previousChainLength]).toEqual([0, 0, 0]);
    expect(d.ecdh).toEqual(aE.public.toBytes());
    expect(d.dh).toBe(aD.public);

    // the second message: chain_key_s[1] = KDF(0x14 ‖ chain_key_s[0])
    const d2 = decodeDataMessage(alice.encrypt(text('again')).message);
    const mkEnc2 = K(0x15, 64, K(0x14, 64, chain));
    expect(chacha20(mkEnc2.subarray(0, 32), new Uint8Array(12), d2.ciphertext)).toEqual(text('again'));
    expect(d2.messageId).toBe(1);
  });

  it('non-interactive: the first chain is KDF(0x13‖K) and the extra key KDF(0x17‖0xFF‖chain)', () => {
    const rnd = seededRandom('formulas-ni');
    const secret = rnd(64);
    const aE = generateEcdhKeyPair(rnd);
    const aD = generateDhKeyPair(rnd, dhEngine);
    const alice = initRatchet({
      mode: 'non-interactive',
      role: 'alice',
      sharedSecret: secret,
      ourEcdh: aE,
      ourDh: aD,
      ourInstanceTag: ALICE_TAG,
      theirInstanceTag: BOB_TAG,
      random: rnd,
      clock: fakeClock().clock,
      dh: dhEngine,
    });
    const { message, extraSymmetricKey } = alice.encrypt(text('offline hello'));
    const d = decodeDataMessage(message);
    const chain = K(0x13, 64, secret);
    const mkEnc = K(0x15, 64, chain);
    expect(chacha20(mkEnc.subarray(0, 32), new Uint8Array(12), d.ciphertext)).toEqual(text('offline hello'));
    expect(extraSymmetricKey).toEqual(K(0x17, 64, Uint8Array.of(0xff), chain));
  });

  it('refuses bad initialisation input and never mutates the caller’s key objects', () => {
    const rnd = seededRandom('init');
    const aE = generateEcdhKeyPair(rnd);
    const aD = generateDhKeyPair(rnd, dhEngine);
    const bE = generateEcdhKeyPair(rnd);
    const bD = generateDhKeyPair(rnd, dhEngine);
    const base = {
      mode: 'interactive' as const,
      role: 'alice' as const,
      sharedSecret: rnd(64),
      ourEcdh: aE,
      ourDh: aD,
      theirEcdh: bE.public,
      theirDh: bD.public,
      ourInstanceTag: ALICE_TAG,
      theirInstanceTag: BOB_TAG,
      random: rnd,
      clock: fakeClock().clock,
      dh: dhEngine,
    };
    expect(() => initRatchet({ ...base, sharedSecret: new Uint8Array(32) })).toThrow(RangeError);
    expect(() => initRatchet({ ...base, theirInstanceTag: 0xff })).toThrow(RangeError);
    expect(() => initRatchet({ ...base, theirDh: 1n })).toThrow(OtrError);
    // p − 2 ≡ −2 is in range but a quadratic non-residue (−1 is one, 2 is a residue): not in the
    // prime-order subgroup, so x^q ≠ 1
    expect(() => initRatchet({ ...base, theirDh: DH3072_P - 2n })).toThrow(OtrError);
    expect(() => initRatchet({ ...base, theirDh: DH3072_P - 1n })).toThrow(OtrError);
    expect(() => initRatchet({ ...base, theirEcdh: G.subtract(G) })).toThrow(OtrError);
    const { theirEcdh: _e, ...noTheirs } = base;
    expect(() => initRatchet(noTheirs)).toThrow(RangeError);
    const r = initRatchet(base);
    r.destroy();
    expect(aE.secret).not.toBe(0n);
    expect(aD.secret).not.toBe(0n);
  });
});
