// A Dh3072Engine on Node's native (OpenSSL) modular exponentiation for tests and benchmarks
// (the library itself stays pure; the app injects its own engine of the same shape).
import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import type { Dh3072Engine } from '../../dh3072';

const modp15 = getDiffieHellman('modp15');
const prime = modp15.getPrime();
const generator = modp15.getGenerator();

function toBuffer(x: bigint): Buffer {
  let h = x.toString(16);
  if (h.length % 2) h = '0' + h;
  return Buffer.from(h, 'hex');
}

export function nodeDh3072Engine(): Dh3072Engine {
  const sharedSecret = (secret: bigint, other: bigint): bigint => {
    const dh = createDiffieHellman(prime, generator);
    dh.setPrivateKey(toBuffer(secret));
    return BigInt('0x' + dh.computeSecret(toBuffer(other)).toString('hex'));
  };
  return { sharedSecret, publicKey: (secret) => sharedSecret(secret, 2n) };
}
