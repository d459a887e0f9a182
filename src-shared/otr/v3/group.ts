// The 1536-bit MODP group of RFC 3526 §2 used by OTRv3 (OTRv3 §"Encoded messages": "the group is
// the one defined in RFC 3526 with 1536-bit modulus … and a generator (g) of 2"). Exponentiation
// goes through an injected engine (the app passes one built on Node's getDiffieHellman('modp5'),
// tests and the portable default use BigInt), like v4/dh3072.ts.
import { modPow } from '../common/modpow';

// square-and-multiply on BigInt for any modulus (also used for DSA's own p)
export { modPow };

export const DH1536_P = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF',
);
export const DH1536_G = 2n;
/** q = (p - 1) / 2, the order of the subgroup; SMP exponent arithmetic is mod q (§"SMP") */
export const DH1536_Q = (DH1536_P - 1n) / 2n;
/** DH private exponents: 320 bits, the minimum of §"Key Management" (libotr uses the same) */
export const DH_SECRET_BYTES = 40;

/** Modular exponentiation in the 1536-bit group: base^exp mod DH1536_P. */
export interface Dh1536Engine {
  modPow(base: bigint, exp: bigint): bigint;
  /**
   * Optional: base^exp mod `mod` for another modulus (the DSA key's own p). Without it the DSA
   * arithmetic runs on BigInt.
   */
  modPowAny?(base: bigint, exp: bigint, mod: bigint): bigint;
}

/** the exponentiation DSA should use with this engine */
export function dsaPow(engine: Dh1536Engine): (base: bigint, exp: bigint, mod: bigint) => bigint {
  return engine.modPowAny ? engine.modPowAny.bind(engine) : modPow;
}

/** modular inverse by the extended Euclidean algorithm; mod must be > 1 and a coprime to it */
export function modInverse(a: bigint, mod: bigint): bigint {
  let [oldR, r] = [((a % mod) + mod) % mod, mod];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('not invertible');
  return ((oldS % mod) + mod) % mod;
}

/** The portable engine (pure BigInt). */
export const bigintDh1536Engine: Dh1536Engine = {
  modPow: (base, exp) => modPow(base, exp, DH1536_P),
};

/** §"D-H Key Message" etc.: a received D-H value must satisfy 2 ≤ v ≤ p − 2 */
export function isValidGroupElement(v: bigint): boolean {
  return v >= 2n && v <= DH1536_P - 2n;
}
