// The pairwise construction and the group cipher: readable only by the addressee, authenticated
// by the sender, bound to its addressing; per-sender signatures inside the group encryption.
import { describe, expect, it } from 'vitest';
import { GroupProtocolError } from './errors';
import { openGroup, sealGroup } from './group-cipher';
import { verifyBundle } from './keys';
import { openPairwise, sealPairwise } from './pairwise';
import { seededRandom, testIdentity } from './test-support/harness';

const alice = testIdentity('alice');
const bob = testIdentity('bob');
const carol = testIdentity('carol');
const random = seededRandom('crypto');
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof GroupProtocolError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('key bundles', () => {
  it('bind the X448 key to the fingerprint of H and F', () => {
    expect(() => verifyBundle(alice.bundle, alice.fingerprint)).not.toThrow();
    expect(code(() => verifyBundle(alice.bundle, bob.fingerprint))).toBe('bad-identity');
    expect(code(() => verifyBundle({ ...alice.bundle, x: bob.bundle.x }, alice.fingerprint))).toBe('bad-identity');
  });
});

describe('encrypted(pub, …)', () => {
  const sealed = sealPairwise(alice, 'g-1', { fp: bob.fingerprint, key: bob.bundle }, { k: 'challenge', nonce: new Uint8Array(32).fill(9) }, random);

  it('opens for the addressee with the payload intact', () => {
    expect(openPairwise(bob, sealed)).toEqual({ k: 'challenge', nonce: new Uint8Array(32).fill(9) });
  });
  it('is refused by anyone else, even if readdressed', () => {
    expect(code(() => openPairwise(carol, sealed))).toBe('out-of-order');
    expect(code(() => openPairwise(carol, { ...sealed, to: carol.fingerprint }))).toBe('bad-signature');
  });
  it('is refused when any byte changes or the sender is impersonated', () => {
    const ct = Uint8Array.from(sealed.ct);
    ct[0]! ^= 1;
    expect(code(() => openPairwise(bob, { ...sealed, ct }))).toBe('bad-signature');
    expect(code(() => openPairwise(bob, { ...sealed, from: carol.fingerprint }))).toBe('bad-identity');
    expect(code(() => openPairwise(bob, { ...sealed, key: carol.bundle, from: carol.fingerprint }))).toBe('bad-signature');
    expect(code(() => openPairwise(bob, { ...sealed, group: 'g-2' }))).toBe('bad-signature');
  });
  it('is refused when the sender uses other keys than the ones we hold for it', () => {
    expect(code(() => openPairwise(bob, sealed, carol.bundle))).toBe('bad-identity');
  });
  it('is refused for a small-order ephemeral key', () => {
    expect(code(() => openPairwise(bob, { ...sealed, e: new Uint8Array(56) }))).not.toBe('no error');
  });
});

describe('group messages', () => {
  const key = new Uint8Array(32).fill(5);
  const m = sealGroup(alice, 'g-1', key, 3, 0, { k: 'text', text: 'hi', ts: 1 }, random);
  it('decrypt with the session key and the sender key', () => {
    expect(openGroup(m, key, alice.bundle.h)).toEqual({ k: 'text', text: 'hi', ts: 1 });
  });
  it("a member cannot post as another member: the signature is the sender's", () => {
    // bob holds the session key too: he re-labels alice's message, or seals his own as alice
    expect(code(() => openGroup({ ...m, from: bob.fingerprint }, key, bob.bundle.h))).toBe('bad-signature');
    const forged = sealGroup(bob, 'g-1', key, 3, 1, { k: 'text', text: 'I am alice', ts: 1 }, random);
    expect(code(() => openGroup({ ...forged, from: alice.fingerprint }, key, alice.bundle.h))).toBe('bad-signature');
  });
  it('other epochs, counters or keys do not open it', () => {
    expect(code(() => openGroup({ ...m, epoch: 4 }, key, alice.bundle.h))).toBe('bad-signature');
    expect(code(() => openGroup({ ...m, ctr: 1 }, key, alice.bundle.h))).toBe('bad-signature');
    expect(code(() => openGroup(m, new Uint8Array(32), alice.bundle.h))).toBe('undecryptable');
  });
});
