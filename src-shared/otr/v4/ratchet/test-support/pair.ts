// Test harness: a seeded RNG, a settable clock and two ratchets initialised as after a DAKE.
import { shake256 } from '@noble/hashes/sha3.js';
import type { RandomSource } from '../../../common/random';
import { generateDhKeyPair, generateEcdhKeyPair } from '../keys';
import { initRatchet } from '../init';
import type { DoubleRatchet } from '../ratchet';
import type { RatchetOptions } from '../state';
import { nativeDh3072Engine } from '../../../../node-crypto/dh-engines';

export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  const s = new TextEncoder().encode(seed);
  return (n: number) => {
    const input = new Uint8Array(s.length + 4);
    input.set(s);
    new DataView(input.buffer).setUint32(s.length, counter++);
    return shake256(input, { dkLen: n });
  };
}

export interface FakeClock {
  now: number;
  clock: () => number;
}

export function fakeClock(start = 1_700_000_000_000): FakeClock {
  const c: FakeClock = { now: start, clock: () => c.now };
  return c;
}

export const dhEngine = nativeDh3072Engine();
export const ALICE_TAG = 0x1000;
export const BOB_TAG = 0x2000;

export interface Pair {
  alice: DoubleRatchet;
  bob: DoubleRatchet;
  clock: FakeClock;
}

type Extra = Partial<Omit<RatchetOptions, 'random' | 'clock' | 'dh' | 'ourInstanceTag' | 'theirInstanceTag'>>;

/** Two ratchets as the DAKE leaves them (the DAKE itself is simulated: K and first keys). */
export function makePair(mode: 'interactive' | 'non-interactive', seed = 'pair', extra: Extra = {}): Pair {
  const rnd = seededRandom(seed);
  const clock = fakeClock();
  const K = rnd(64);
  const aEcdh = generateEcdhKeyPair(rnd);
  const aDh = generateDhKeyPair(rnd, dhEngine);
  const bEcdh = generateEcdhKeyPair(rnd);
  const bDh = generateDhKeyPair(rnd, dhEngine);
  const common = { sharedSecret: K, dh: dhEngine, clock: clock.clock, mode, ...extra };
  // interactive: both pass both sides' first keys; non-interactive: Alice (the sender) only her
  // own, Bob (the prekey owner) only hers (README.md "Creating a ratchet after the DAKE")
  const interactive = mode === 'interactive';
  const alice = initRatchet({
    ...common,
    role: 'alice',
    random: seededRandom(seed + 'A'),
    ourEcdh: aEcdh,
    ourDh: aDh,
    ...(interactive ? { theirEcdh: bEcdh.public, theirDh: bDh.public } : {}),
    ourInstanceTag: ALICE_TAG,
    theirInstanceTag: BOB_TAG,
  });
  const bob = initRatchet({
    ...common,
    role: 'bob',
    random: seededRandom(seed + 'B'),
    ...(interactive ? { ourEcdh: bEcdh, ourDh: bDh } : {}),
    theirEcdh: aEcdh.public,
    theirDh: aDh.public,
    ourInstanceTag: BOB_TAG,
    theirInstanceTag: ALICE_TAG,
  });
  return { alice, bob, clock };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const text = (s: string): Uint8Array => enc.encode(s);
export const str = (b: Uint8Array): string => dec.decode(b);
