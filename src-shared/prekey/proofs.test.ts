// §"Proofs": the batch proofs verify for honest values and fail for a wrong secret, a wrong
// context m, a substituted value, or a tampered C/V. The KDF's domain separation is pinned by a
// committed vector (SHAKE-256 of "OTR-Prekey-Server" || usage || values).
import { describe, expect, it } from 'vitest';
import { bytesToBigint } from '../otr/common/bytes';
import { DH3072_G, DH3072_P, DH3072_Q } from '../otr/v4/dh3072';
import { G } from '../otr/v4/ed448';
import { generateEcdhKeyPair, toHex } from '../otr/v4/keys';
import { PrekeyUsage, prekeyKdf } from './kdf';
import { bigintDh3072Engine } from '../otr/v4/dh3072';
import { nativeDh3072Engine } from '../node-crypto/dh-engines';
import { generateDhProof, generateEcdhProof, proofContext, verifyDhProof, verifyEcdhProof } from './proofs';
import { random } from './test-support/device';

const engine = nativeDh3072Engine();

describe('prekey server KDF', () => {
  it('is SHAKE-256 over the "OTR-Prekey-Server" domain (committed vector)', () => {
    // computed once with @noble/hashes shake256('OTR-Prekey-Server' || 0x01 || 'abc', 32)
    expect(toHex(prekeyKdf(PrekeyUsage.sk, new TextEncoder().encode('abc'), 32))).toBe(VECTOR_SK_ABC);
    expect(prekeyKdf(0x01, new Uint8Array(0), 64)).not.toEqual(prekeyKdf(0x02, new Uint8Array(0), 64));
  });
});

describe('ECDH batch proof', () => {
  const m = proofContext(random(64));
  const pairs = Array.from({ length: 5 }, () => generateEcdhKeyPair(random));

  it('verifies for the honest values and fails otherwise', () => {
    const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, pairs, m, random);
    const pubs = pairs.map((p) => p.public);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(true);
    expect(verifyEcdhProof(PrekeyUsage.proofSharedEcdh, proof, pubs, m)).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, proofContext(random(64)))).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, [...pubs.slice(0, 4), G.multiply(12345n)], m)).toBe(false);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, { ...proof, v: proof.v.map((x, i) => (i === 0 ? x ^ 1 : x)) }, pubs, m)).toBe(false);
    const wrongSecret = generateEcdhProof(PrekeyUsage.proofMessageEcdh, [...pairs.slice(0, 4), { secret: 7n, public: pairs[4]!.public }], m, random);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, wrongSecret, pubs, m)).toBe(false);
  });
});

describe('ECDH batch proof, large batch (multi-scalar multiplication path)', () => {
  it('verifies 40 honest values and refuses one substitution', () => {
    const m = proofContext(random(64));
    const pairs = Array.from({ length: 40 }, () => generateEcdhKeyPair(random));
    const proof = generateEcdhProof(PrekeyUsage.proofMessageEcdh, pairs, m, random);
    const pubs = pairs.map((p) => p.public);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(true);
    pubs[17] = G.multiply(4242n);
    expect(verifyEcdhProof(PrekeyUsage.proofMessageEcdh, proof, pubs, m)).toBe(false);
  });
});

describe('DH batch proof', () => {
  const m = proofContext(random(64));
  const pairs = Array.from({ length: 3 }, () => {
    const secret = bytesToBigint(random(80));
    return { secret, public: engine.modPow(DH3072_G, secret) };
  });

  it('verifies for the honest values and fails otherwise', () => {
    const proof = generateDhProof(pairs, m, random, engine);
    const pubs = pairs.map((p) => p.public);
    expect(verifyDhProof(proof, pubs, m, engine)).toBe(true);
    expect(verifyDhProof(proof, pubs, proofContext(random(64)), engine)).toBe(false);
    expect(verifyDhProof(proof, [pubs[0]!, pubs[1]!, engine.modPow(DH3072_G, 99n)], m, engine)).toBe(false);
    expect(verifyDhProof({ ...proof, v: proof.v + 1n }, pubs, m, engine)).toBe(false);
    expect(verifyDhProof(proof, [1n, pubs[1]!, pubs[2]!], m, engine)).toBe(false);
  });

  it("the native engine agrees with the BigInt engine, including the subgroup check by Euler's criterion", () => {
    const slow = bigintDh3072Engine();
    const x = pairs[0]!.public;
    expect(engine.modPow(x, 0x1234567890abcdefn)).toBe(slow.sharedSecret(0x1234567890abcdefn, x));
    expect(engine.sharedSecret(123n, 5n)).toBe(slow.sharedSecret(123n, 5n));
    // Euler's criterion path: x^q is 1 in the subgroup, p-1 outside it
    expect(engine.modPow(x, DH3072_Q)).toBe(1n);
    expect(engine.modPow(DH3072_P - x, DH3072_Q)).toBe(slow.sharedSecret(DH3072_Q, DH3072_P - x));
  });
});

const VECTOR_SK_ABC = '8d723d7e3719901925593025444c0cecba32ccfec8fe91ac176443c6c29cd106';
