// Test and bench helpers (Node only, allowed here by the lint boundaries): a native DH-3072
// engine on node:crypto and a deterministic random source.
import { createDiffieHellman, getDiffieHellman, randomBytes } from 'node:crypto';
import { shake256 } from '@noble/hashes/sha3.js';
import { bigintToBytes, bytesToBigint } from '../../common/bytes';
import type { RandomSource } from '../../common/random';
import { DH3072_BYTES, DH3072_P, DH3072_Q, type Dh3072Engine } from '../dh3072';

const PRIME = Buffer.from(getDiffieHellman('modp15').getPrime());

function toBuf(x: bigint): Buffer {
  const len = Math.max(1, Math.ceil(x.toString(16).length / 2));
  return Buffer.from(bigintToBytes(x, len));
}

/**
 * x^e mod p with OpenSSL: a DH object whose private key is e, "computing the secret" with x.
 * OpenSSL recognises RFC 3526 group 15 and refuses private keys ≥ q, so an exponent of q (the
 * subgroup check) is computed as x^(q−1)·x.
 */
function modPow(base: bigint, exp: bigint): bigint {
  if (exp >= DH3072_Q) return (modPow(base, exp - 1n) * base) % DH3072_P;
  const dh = createDiffieHellman(PRIME, Buffer.from([2]));
  dh.setPrivateKey(toBuf(exp));
  return bytesToBigint(dh.computeSecret(toBuf(base)));
}

/** The engine the app would inject (native modexp). Values ≤ 1 or ≥ p−1 never reach it. */
export function nodeDh3072Engine(): Dh3072Engine {
  return {
    publicKey: (secret) => modPow(2n, secret),
    sharedSecret: (secret, other) => {
      if (other <= 1n || other >= DH3072_P - 1n) return 0n;
      return modPow(other, secret);
    },
  };
}

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

export const cryptoRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));
