// Test and bench helpers (Node only, allowed here by the lint boundaries): a deterministic random
// source, and the app's native engine re-exported for convenience.
import { shake256 } from '@noble/hashes/sha3.js';
import type { RandomSource } from '../../common/random';
import { DH3072_BYTES } from '../dh3072';

// The native engine and the OS RNG are the app's own (src-shared/node-crypto).
export { nativeDh3072Engine, systemRandom } from '../../../node-crypto/dh-engines';

export const DH_BYTES = DH3072_BYTES;

/** Deterministic RNG for reproducible tests: SHAKE-256(seed ‖ counter). */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  const s = new TextEncoder().encode(seed);
  return (n) => {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, counter++);
    return shake256(new Uint8Array([...s, ...c]), { dkLen: n });
  };
}
