// A native ModPow for the 3072-bit group through OpenSSL's DH (node:crypto), used by the prekey
// server and the client in Node/Electron; the BigInt engine of otr/v4/dh3072 is ~50x slower.
// computeSecret(base) = base^priv mod p. OpenSSL only accepts 1 < base < p-1 and refuses a result
// of 1 — exactly the answer of the subgroup check x^q (§"Verifying that an integer is in the DH
// group") — so when it refuses, x^e is computed as x · x^(e-1) (x^(e-1) = x^-1 ≠ 1 then).
import { createDiffieHellman } from 'node:crypto';
import { bigintToBytes, bigintToMinimalBytes, bytesToBigint } from '../otr/common/bytes';
import { DH3072_BYTES, DH3072_G, DH3072_P, DH3072_Q, type Dh3072Engine, bigintDh3072Engine, jacobi } from '../otr/v4/dh3072';
import type { ModPow } from './proofs';

export function nodeModPow(): ModPow {
  const prime = bigintToBytes(DH3072_P, DH3072_BYTES);
  const slow = bigintDh3072Engine();
  const native = (b: bigint, exp: bigint): bigint => {
    const dh = createDiffieHellman(prime, 2);
    dh.setPrivateKey(bigintToMinimalBytes(exp));
    return bytesToBigint(dh.computeSecret(bigintToBytes(b, DH3072_BYTES)));
  };
  return {
    modPow(base: bigint, exp: bigint): bigint {
      const b = ((base % DH3072_P) + DH3072_P) % DH3072_P;
      // Euler's criterion: for the safe prime p = 2q + 1, x^q mod p is the Legendre symbol (x/p),
      // so the subgroup check costs a Jacobi-symbol computation instead of a 3071-bit exponentiation.
      if (exp === DH3072_Q && b !== 0n) return jacobi(b, DH3072_P) === 1 ? 1n : DH3072_P - 1n;
      if (exp <= 1n || b < 2n || b > DH3072_P - 2n) return slow.sharedSecret(exp, b);
      try {
        return native(b, exp);
      } catch {
        try {
          return (b * native(b, exp - 1n)) % DH3072_P;
        } catch {
          return slow.sharedSecret(exp, b);
        }
      }
    },
  };
}

/** the same native engine in the shape of the OTRv4 library's Dh3072Engine */
export function nodeDhEngine(): ModPow & Dh3072Engine {
  const m = nodeModPow();
  return {
    modPow: (b, e) => m.modPow(b, e),
    publicKey: (secret) => m.modPow(DH3072_G, secret),
    sharedSecret: (secret, other) => m.modPow(other, secret),
  };
}
