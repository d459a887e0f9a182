import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { OtrError } from '../common/errors';
import { concatBytes } from '../common/bytes';
import { type ClientProfile, EDDSA_SIG_BYTES, validateClientProfile, verifyEd448 } from './client-profile';
import { legacyClientProfileToSpecOrder } from './key-type';
import {
  createIdentity,
  createNonInteractiveAuth,
  receiveAuthI,
  receiveNonInteractiveAuth,
  hashedDhValue,
  resolveSimultaneousIdentity,
  respondToAuthR,
  respondToIdentity,
} from './dake';
import {
  type AuthIMessage,
  type AuthRMessage,
  decodeDakeMessage,
  encodeDakeMessage,
  type IdentityMessage,
  type NonInteractiveAuthMessage,
} from './dake-messages';
import { DH3072_P } from './dh3072';
import { G } from './ed448';
import { nativeDh3072Engine, seededRandom } from './test-support/engines';
import { expectOnlyOtrErrors } from './test-support/fuzz';
import { makeParty, T0 } from './test-support/parties';
import { vectorPath } from '../test-support/vectors';

const dh = nativeDh3072Engine();
const SEEDS = vectorPath('otr4j-seeds/EncodedMessageParser') + '/';
const seed = (name: string) => new Uint8Array(readFileSync(SEEDS + name));

/** wire round trip, so every test also exercises the encoders and decoders */
function wire<T>(m: T): T {
  return decodeDakeMessage(encodeDakeMessage(m as never)) as T;
}

function pair(seedText: string) {
  const rng = seededRandom(seedText);
  const bob = makeParty('bob@example.org', 'alice@example.org', rng, dh);
  const alice = makeParty('alice@example.org', 'bob@example.org', rng, dh);
  return { alice, bob, rng };
}

describe('otr4j seed messages (2019: key types still big-endian, unlike the spec and otr4j since 2023)', () => {
  // The seeds carry ED448-PUBKEY / ED448-FORGING-KEY as `00 10` / `00 12`; the spec says "2 byte
  // unsigned value, little-endian" (`10 00` / `12 00`). We refuse them as they are, and check the
  // rest of their layout with the key types put in the spec's order.
  const HEADER = 2 + 1 + 4 + 4;
  function inSpecOrder(bytes: Uint8Array): Uint8Array {
    const profile = legacyClientProfileToSpecOrder(bytes.subarray(HEADER))!;
    expect(profile).toBeDefined();
    return concatBytes(bytes.subarray(0, HEADER), profile);
  }
  /** the seed's own EdDSA signature over its typed fields (without INT n), as otr4j signed them */
  function otr4jSignatureVerifies(bytes: Uint8Array, m: { profile: ClientProfile }): boolean {
    const len = m.profile.encoded.length;
    const fields = bytes.subarray(HEADER + 4, HEADER + len - EDDSA_SIG_BYTES);
    return verifyEd448(m.profile.signature, fields, m.profile.publicKey);
  }
  it('Identity', () => {
    const raw = seed('otrv4-IdentityMessage-00');
    expect(raw.subarray(HEADER + 4 + 8, HEADER + 4 + 10)).toEqual(Uint8Array.of(0x00, 0x10));
    expect(() => decodeDakeMessage(raw)).toThrow(/ED448-PUBKEY has its key type in big-endian byte order/);
    const fixed = inSpecOrder(raw);
    expect(fixed.subarray(HEADER + 4 + 8, HEADER + 4 + 10)).toEqual(Uint8Array.of(0x10, 0x00));
    const m = decodeDakeMessage(fixed) as IdentityMessage;
    expect(m.type).toBe('identity');
    expect([m.senderTag, m.receiverTag]).toEqual([0xd4d9e6af, 0x6191b22e]);
    expect(m.profile.ownerTag).toBe(0x100);
    expect(m.profile.versions).toBe('4');
    expect(m.profile.expires).toBe(1566224757n);
    // otr4j signs the typed fields (without INT n) with RFC 8032 Ed448 (D3): its signature
    // verifies over the seed's own bytes, and therefore not over the corrected ones
    expect(otr4jSignatureVerifies(raw, m)).toBe(true);
    expect(() => validateClientProfile(m.profile, { nowMs: 1566224757000 - 1000 })).toThrow(/signature is invalid/);
    expect(encodeDakeMessage(m)).toEqual(fixed);
  });
  it('Auth-R', () => {
    const raw = seed('otrv4-AuthR-00');
    expect(() => decodeDakeMessage(raw)).toThrow(/big-endian byte order/);
    const fixed = inSpecOrder(raw);
    const m = decodeDakeMessage(fixed) as AuthRMessage;
    expect(m.type).toBe('auth-r');
    expect([m.senderTag, m.receiverTag]).toEqual([0x9f84e692, 0x3739a64a]);
    expect(otr4jSignatureVerifies(raw, m)).toBe(true);
    expect(encodeDakeMessage(m)).toEqual(fixed);
  });
  it('Auth-I', () => {
    const m = decodeDakeMessage(seed('otrv4-AuthI-00')) as AuthIMessage;
    expect(m.type).toBe('auth-i');
    expect([m.senderTag, m.receiverTag]).toEqual([0x1aa22ea6, 0xf4db4cdd]);
    expect(encodeDakeMessage(m)).toEqual(seed('otrv4-AuthI-00'));
  });
  it('the decoders throw only OtrError on random and mutated input', () => {
    for (const s of ['otrv4-IdentityMessage-00', 'otrv4-AuthR-00']) expectOnlyOtrErrors(decodeDakeMessage, inSpecOrder(seed(s)), 100);
    expectOnlyOtrErrors(decodeDakeMessage, seed('otrv4-AuthI-00'), 100);
  });
});

describe('interactive DAKE', () => {
  it('agrees on K and SSID and hands the first keys to the ratchet crosswise', () => {
    const { alice, bob } = pair('i1');
    const id = createIdentity(bob.ctx, bob.identity);
    const r = respondToIdentity(alice.ctx, alice.identity, wire(id.message));
    const i = respondToAuthR(bob.ctx, bob.identity, id.state, wire(r.message));
    const aliceResult = receiveAuthI(alice.ctx, alice.identity, r.state, wire(i.message));
    const bobResult = i.result;
    expect(aliceResult.sharedSecret).toEqual(bobResult.sharedSecret);
    expect(aliceResult.ssid).toEqual(bobResult.ssid);
    expect(aliceResult.role).toBe('alice');
    expect(bobResult.role).toBe('bob');
    expect(aliceResult.ourEcdh!.public.equals(bobResult.theirEcdh!)).toBe(true);
    expect(bobResult.ourDh!.public).toBe(aliceResult.theirDh);
    expect(aliceResult.theirInstanceTag).toBe(bob.identity.instanceTag);
    expect(bobResult.theirProfile.publicKey.equals(alice.identity.keyPair.public)).toBe(true);
  });

  it('rejects an Auth-R signed for another context (phi) or tampered', () => {
    const { alice, bob } = pair('i2');
    const id = createIdentity(bob.ctx, bob.identity);
    const r = respondToIdentity({ ...alice.ctx, ourId: 'mallory@example.org' }, alice.identity, id.message);
    expect(() => respondToAuthR(bob.ctx, bob.identity, id.state, r.message)).toThrow(OtrError);
    const good = respondToIdentity(alice.ctx, alice.identity, id.message);
    const bytes = encodeDakeMessage(good.message);
    let rejected = 0;
    for (let k = 11; k < bytes.length; k += 97) {
      const bad = Uint8Array.from(bytes);
      bad[k]! ^= 1;
      try {
        respondToAuthR(bob.ctx, bob.identity, id.state, decodeDakeMessage(bad) as AuthRMessage);
      } catch (e) {
        expect(e).toBeInstanceOf(OtrError);
        rejected++;
      }
    }
    expect(rejected).toBe(Math.ceil((bytes.length - 11) / 97));
  });

  it('rejects a tampered Auth-I and a wrong receiver tag', () => {
    const { alice, bob } = pair('i3');
    const id = createIdentity(bob.ctx, bob.identity);
    const r = respondToIdentity(alice.ctx, alice.identity, id.message);
    const i = respondToAuthR(bob.ctx, bob.identity, id.state, r.message);
    expect(() => receiveAuthI(alice.ctx, alice.identity, r.state, { ...i.message, sigma: { ...i.message.sigma, r2: i.message.sigma.r2 + 1n } })).toThrow(
      OtrError,
    );
    expect(() => receiveAuthI(alice.ctx, alice.identity, r.state, { ...i.message, receiverTag: alice.identity.instanceTag + 1 })).toThrow(OtrError);
  });

  it('refuses invalid Identity messages: bad DH value, foreign receiver tag, expired or mismatched profile', () => {
    const { alice, bob } = pair('i4');
    const id = createIdentity(bob.ctx, bob.identity);
    expect(() => respondToIdentity(alice.ctx, alice.identity, { ...id.message, b: 1n })).toThrow(OtrError);
    expect(() => respondToIdentity(alice.ctx, alice.identity, { ...id.message, dhFirst: DH3072_P - dh.publicKey(5n) })).toThrow(OtrError);
    expect(() => respondToIdentity(alice.ctx, alice.identity, { ...id.message, receiverTag: 0x777 })).toThrow(OtrError);
    expect(() => respondToIdentity(alice.ctx, alice.identity, { ...id.message, senderTag: (id.message.senderTag ^ 1) >>> 0 })).toThrow(/owner tag/);
    expect(() => respondToIdentity({ ...alice.ctx, clock: () => T0 + 8 * 86400_000 }, alice.identity, id.message)).toThrow(/expired/);
    expect(() => respondToIdentity(alice.ctx, alice.identity, { ...id.message, senderTag: 0x10 })).toThrow(OtrError);
  });

  it('simultaneous Identity messages: exactly one side responds', () => {
    const { alice, bob } = pair('i5');
    const a = createIdentity(alice.ctx, alice.identity);
    const b = createIdentity(bob.ctx, bob.identity);
    const aDecision = resolveSimultaneousIdentity(a.state, b.message);
    const bDecision = resolveSimultaneousIdentity(b.state, a.message);
    expect([aDecision, bDecision].sort()).toEqual(['keep-ours', 'respond']);
    // the lower side answers the other's Identity; the DAKE completes
    const [initiator, responder, idState, idMsg] = aDecision === 'keep-ours' ? [alice, bob, a.state, a.message] : [bob, alice, b.state, b.message];
    const r = respondToIdentity(responder.ctx, responder.identity, idMsg);
    const i = respondToAuthR(initiator.ctx, initiator.identity, idState, r.message);
    expect(receiveAuthI(responder.ctx, responder.identity, r.state, i.message).sharedSecret).toEqual(i.result.sharedSecret);
  });
});

describe('hashed B for simultaneous Identity messages (D17: as otr4j, SHAKE-256(MPI(B), 32))', () => {
  it('hashes the MPI encoding, 32 bytes, no domain prefix', () => {
    // MPI(0x0102) = INT length 2 ‖ 01 02
    expect(hashedDhValue(0x0102n)).toEqual(shake256(Uint8Array.of(0, 0, 0, 2, 1, 2), { dkLen: 32 }));
    expect(hashedDhValue(0x0102n)).not.toEqual(sha256(Uint8Array.of(0, 0, 0, 2, 1, 2)));
    const big = DH3072_P - 2n;
    const mpi = new Uint8Array(4 + 384);
    mpi.set([0, 0, 0x01, 0x80]);
    for (let i = 0; i < 384; i++) mpi[4 + i] = Number((big >> BigInt(8 * (383 - i))) & 0xffn);
    expect(hashedDhValue(big)).toEqual(shake256(mpi, { dkLen: 32 }));
  });
});

describe('non-interactive DAKE', () => {
  it('agrees on K and SSID; the prekey message is single-use', () => {
    const { alice, bob } = pair('n1');
    const ensemble = bob.publishEnsemble();
    const n = createNonInteractiveAuth(alice.ctx, alice.identity, ensemble);
    const m = wire(n.message);
    const got = receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, m);
    expect(got.result.sharedSecret).toEqual(n.result.sharedSecret);
    expect(got.result.ssid).toEqual(n.result.ssid);
    expect(got.result.theirEcdh!.equals(n.result.ourEcdh!.public)).toBe(true);
    expect(got.result.role).toBe('bob');
    bob.prekeys.delete(got.prekeyId);
    expect(() => receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, m)).toThrow(/unknown prekey/);
  });

  it('detects tampering with the MAC, the signature, the keys and the phi context', () => {
    const { alice, bob } = pair('n2');
    const ensemble = bob.publishEnsemble();
    const n = createNonInteractiveAuth(alice.ctx, alice.identity, ensemble);
    const m = n.message;
    const mac = Uint8Array.from(m.authMac);
    mac[5]! ^= 1;
    const variants: NonInteractiveAuthMessage[] = [
      { ...m, authMac: mac },
      { ...m, sigma: { ...m.sigma, c1: m.sigma.c1 + 1n } },
      { ...m, x: G },
      { ...m, a: dh.publicKey(99n) },
      { ...m, dhFirst: 1n },
    ];
    for (const v of variants) expect(() => receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, v)).toThrow(OtrError);
    expect(() => receiveNonInteractiveAuth({ ...bob.ctx, theirId: 'eve@example.org' }, bob.identity, bob.owner, m)).toThrow(OtrError);
    // the untouched message still works
    receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, m);
  });

  it('refuses an invalid ensemble (expired prekey profile, mixed instance tags)', () => {
    const { alice, bob } = pair('n3');
    const e = bob.publishEnsemble();
    expect(() => createNonInteractiveAuth({ ...alice.ctx, clock: () => T0 + 8 * 86400_000 }, alice.identity, e)).toThrow(OtrError);
    expect(() => createNonInteractiveAuth(alice.ctx, alice.identity, { ...e, prekeyMessage: { ...e.prekeyMessage, ownerTag: 0x4444 } })).toThrow(OtrError);
  });

  it('decoder throws only OtrError on mutated Non-Interactive-Auth messages', () => {
    const { alice, bob } = pair('n4');
    const n = createNonInteractiveAuth(alice.ctx, alice.identity, bob.publishEnsemble());
    expectOnlyOtrErrors(decodeDakeMessage, encodeDakeMessage(n.message), 100);
  });
});

describe('DAKE steps on mutated wire input', () => {
  it('throw only OtrError (Identity, Auth-R, Auth-I, Non-Interactive-Auth)', () => {
    const { alice, bob } = pair('fz');
    const id = createIdentity(bob.ctx, bob.identity);
    const r = respondToIdentity(alice.ctx, alice.identity, id.message);
    const i = respondToAuthR(bob.ctx, bob.identity, id.state, r.message);
    const n = createNonInteractiveAuth(alice.ctx, alice.identity, bob.publishEnsemble());
    const steps: Array<[Uint8Array, (b: Uint8Array) => unknown]> = [
      [encodeDakeMessage(id.message), (b) => respondToIdentity(alice.ctx, alice.identity, decodeDakeMessage(b) as IdentityMessage)],
      [encodeDakeMessage(r.message), (b) => respondToAuthR(bob.ctx, bob.identity, id.state, decodeDakeMessage(b) as AuthRMessage)],
      [encodeDakeMessage(i.message), (b) => receiveAuthI(alice.ctx, alice.identity, r.state, decodeDakeMessage(b) as AuthIMessage)],
      [encodeDakeMessage(n.message), (b) => receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, decodeDakeMessage(b) as NonInteractiveAuthMessage)],
    ];
    for (const [valid, step] of steps) {
      expectOnlyOtrErrors(
        (b) => {
          const m = decodeDakeMessage(b);
          if (m.type !== decodeDakeMessage(valid).type) return; // a mutation may change the type byte
          step(b);
        },
        valid,
        40,
      );
    }
  });
});
