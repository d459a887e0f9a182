// Native modular exponentiation and randomness for the OTR libraries and the prekey protocol, on
// node:crypto (OpenSSL). The OTR libraries are pure and take these injected (docs/architecture.md §6); the
// core, the prekey server, the benches and the tests all use the engines from this one module.
//
// Trick: "computing the shared secret" of a DH object whose private key is e, with the "public
// key" x, yields x^e mod p. OpenSSL refuses public keys ≤ 1 or ≥ p−1 (trivial results, computed
// here), refuses private keys ≥ q for the RFC 3526 groups it recognises (split below), and refuses
// some moduli outright, among them the DSA primes libgcrypt generates for libotr (fall back to
// BigInt for those).
import { constants, createDiffieHellman, createPublicKey, getDiffieHellman, publicEncrypt, randomBytes, type DiffieHellman } from 'node:crypto';
import { bigintToBytes, bytesToBigint } from '../otr/common/bytes';
import type { RandomSource } from '../otr/common/random';
import { jacobi } from '../otr/common/jacobi';
import { DH3072_P, DH3072_Q, type Dh3072Engine } from '../otr/v4/dh3072';
import { DH1536_P, modPow as bigintModPow, type Dh1536Engine } from '../otr/v3/group';

/** The OS CSPRNG as the libraries' RandomSource. */
export const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

function toBuf(v: bigint): Buffer {
  return Buffer.from(bigintToBytes(v, Math.max(1, Math.ceil(v.toString(16).length / 2))));
}

/**
 * base^exp mod p through a reusable DH object whose prime is p. Where OpenSSL declines (it throws
 * when the result would be 1, and answers 0 for small or composite moduli — which a hostile
 * contact's DSA key may carry; 0 is impossible for 1 < b < p−1 and a prime p), BigInt answers.
 */
function powWith(dh: DiffieHellman, p: bigint, base: bigint, exp: bigint): bigint {
  if (exp < 0n) throw new RangeError('negative exponent');
  const b = ((base % p) + p) % p;
  if (exp === 0n) return 1n;
  if (b <= 1n) return b;
  if (b === p - 1n) return exp % 2n === 0n ? 1n : b;
  try {
    dh.setPrivateKey(toBuf(exp));
    const r = bytesToBigint(new Uint8Array(dh.computeSecret(toBuf(b))));
    if (r !== 0n) return r;
  } catch {
    // declined: see above
  }
  return bigintModPow(b, exp, p);
}

/**
 * base^exp mod p for a PUBLIC base and exponent, through OpenSSL's RSA public-key operation on the
 * "RSA key" (n = p, e = exp) without padding: m^e mod n is exactly the power wanted. That path is
 * variable time (a sliding window; a public key needs no more), so it must never see a secret.
 * It is used for checking the prekey publications' DH proofs, where every value is public, and is
 * ≈ 5 % cheaper per 3071-bit exponent than the DH path, ≈ 0.07 ms per call cheaper for short
 * exponents, and takes exponents ≥ q without a Legendre symbol (docs/performance.md, Prekey
 * server, round four). OpenSSL takes any e < n for a modulus of at most 3072 bits
 * (OPENSSL_RSA_SMALL_MODULUS_BITS); p is exactly 3072 bits. Where it declines, `fallback` answers.
 */
function publicPowWith(p: bigint, pBytes: number, fallback: (base: bigint, exp: bigint) => bigint): (base: bigint, exp: bigint) => bigint {
  const n = Buffer.from(bigintToBytes(p, pBytes)).toString('base64url');
  return (base, exp) => {
    if (exp < 0n) throw new RangeError('negative exponent');
    const b = ((base % p) + p) % p;
    if (exp === 0n) return 1n;
    if (b <= 1n || exp >= p) return fallback(b, exp);
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n, e: toBuf(exp).toString('base64url') }, format: 'jwk' });
      const out = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(bigintToBytes(b, pBytes)));
      return bytesToBigint(new Uint8Array(out));
    } catch {
      return fallback(b, exp);
    }
  };
}

/** The OTRv4 engine on RFC 3526 group 15, with plain modPow and modPowPublic for the prekey proofs. */
export function nativeDh3072Engine(): Dh3072Engine & { modPow(base: bigint, exp: bigint): bigint; modPowPublic(base: bigint, exp: bigint): bigint } {
  const prime = getDiffieHellman('modp15').getPrime();
  if (bytesToBigint(new Uint8Array(prime)) !== DH3072_P) throw new Error('modp15 is not the OTRv4 group');
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  // OpenSSL refuses private keys ≥ q for a group it recognises. Fermat lets the exponent be
  // reduced mod p−1 = 2q; what is left at or above q splits as x^e = x^q · x^(e−q), and by
  // Euler's criterion (p = 2q + 1 is a safe prime) x^q is the Legendre symbol (x/p): a Jacobi
  // symbol instead of a 3071-bit exponentiation (also the whole cost of the subgroup check).
  const pow = (base: bigint, exp: bigint): bigint => {
    if (exp < 0n) throw new RangeError('negative exponent');
    const b = ((base % DH3072_P) + DH3072_P) % DH3072_P;
    if (b === 0n) return exp === 0n ? 1n : 0n;
    const e = exp % (DH3072_P - 1n);
    if (e < DH3072_Q) return powWith(dh, DH3072_P, b, e);
    const legendre = jacobi(b, DH3072_P) === 1 ? 1n : DH3072_P - 1n;
    return (legendre * powWith(dh, DH3072_P, b, e - DH3072_Q)) % DH3072_P;
  };
  return {
    modPow: pow,
    modPowPublic: publicPowWith(DH3072_P, 384, pow),
    publicKey: (secret) => pow(2n, secret),
    // §"Verifying that an integer is in the DH group" runs before; out-of-range values give 0
    sharedSecret: (secret, other) => (other <= 1n || other >= DH3072_P - 1n ? 0n : pow(other, secret)),
  };
}

/** The OTRv3 engine on RFC 3526 group 5 and, for DSA, on a key's own modulus. */
export function nativeDh1536Engine(): Dh1536Engine {
  const prime = getDiffieHellman('modp5').getPrime();
  if (bytesToBigint(new Uint8Array(prime)) !== DH1536_P) throw new Error('modp5 is not the OTRv3 group');
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  // one DH object per DSA modulus (ours and our contacts': few per process; bounded anyway)
  const others = new Map<bigint, DiffieHellman>();
  const refused = new Set<bigint>();
  return {
    modPow: (base, exp) => powWith(dh, DH1536_P, base, exp),
    modPowAny(base, exp, mod) {
      if (mod === DH1536_P) return powWith(dh, mod, base, exp);
      if (refused.has(mod)) return bigintModPow(base, exp, mod);
      let d = others.get(mod);
      if (!d) {
        try {
          d = createDiffieHellman(toBuf(mod), Buffer.from([2]));
        } catch {
          // OpenSSL will not take this modulus as a DH group (ERR_CRYPTO_INVALID_KEYTYPE …)
          refused.add(mod);
          return bigintModPow(base, exp, mod);
        }
        if (others.size > 64) others.clear();
        others.set(mod, d);
      }
      return powWith(d, mod, base, exp);
    },
  };
}
