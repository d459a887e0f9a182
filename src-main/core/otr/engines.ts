// Native modular exponentiation for the OTR libraries (DESIGN.md 6: the libraries are pure and
// take their big-number engine injected; the core may use Node). Both wrap OpenSSL through
// node:crypto's Diffie-Hellman objects: "computing the shared secret" of a DH object whose
// private key is e with the "public key" x yields x^e mod p.
// - OTRv4 §"3072-bit Diffie-Hellman Parameters": RFC 3526 group 15 (getDiffieHellman('modp15')).
// - OTRv3 §"Encoded messages" (and DSA arithmetic): RFC 3526 group 5 (getDiffieHellman('modp5')),
//   plus any other modulus (a DSA key's p) for modPowAny.
import { createDiffieHellman, getDiffieHellman, randomBytes, type DiffieHellman } from 'node:crypto';
import { bigintToBytes, bytesToBigint } from '../../../src-shared/otr/common/bytes';
import type { RandomSource } from '../../../src-shared/otr/common/random';
import { DH3072_P, DH3072_Q, type Dh3072Engine } from '../../../src-shared/otr/v4/dh3072';
import { DH1536_P, type Dh1536Engine } from '../../../src-shared/otr/v3/group';

/** The OS CSPRNG (node:crypto randomBytes) as the libraries' RandomSource. */
export const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

function toBuf(v: bigint): Buffer {
  const hex = v.toString(16);
  return Buffer.from(bigintToBytes(v, Math.max(1, Math.ceil(hex.length / 2))));
}

/**
 * base^exp mod p through one reusable DH object. OpenSSL refuses "public keys" ≤ 1 or ≥ p−1 and a
 * zero private key; those results are trivial and computed here.
 */
function powWith(dh: DiffieHellman, p: bigint, base: bigint, exp: bigint): bigint {
  if (exp < 0n) throw new RangeError('negative exponent');
  const b = ((base % p) + p) % p;
  if (exp === 0n) return 1n;
  if (b <= 1n) return b;
  if (b === p - 1n) return exp % 2n === 0n ? 1n : b;
  dh.setPrivateKey(toBuf(exp));
  return bytesToBigint(new Uint8Array(dh.computeSecret(toBuf(b))));
}

/** The OTRv4 engine on group 15 ('modp15'), the RFC 3526 3072-bit group of OTRv4. */
export function nativeDh3072Engine(): Dh3072Engine {
  const prime = getDiffieHellman('modp15').getPrime();
  if (bytesToBigint(new Uint8Array(prime)) !== DH3072_P) throw new Error('modp15 is not the OTRv4 group');
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  // OpenSSL knows group 15 and refuses private exponents ≥ q: the subgroup check
  // (dh3072.ts isValidDhPublic raises to q−1) stays below it, larger ones are split here.
  const pow = (base: bigint, exp: bigint): bigint => (exp >= DH3072_Q ? (pow(base, exp - 1n) * (base % DH3072_P)) % DH3072_P : powWith(dh, DH3072_P, base, exp));
  return {
    publicKey: (secret) => pow(2n, secret),
    sharedSecret: (secret, other) => {
      // §"Verifying that an integer is in the DH group" runs before; out-of-range values give 0
      if (other <= 1n || other >= DH3072_P - 1n) return 0n;
      return pow(other, secret);
    },
  };
}

/** The OTRv3 engine on group 5 ('modp5') and, for DSA, on the key's own modulus. */
export function nativeDh1536Engine(): Dh1536Engine {
  const prime = getDiffieHellman('modp5').getPrime();
  if (bytesToBigint(new Uint8Array(prime)) !== DH1536_P) throw new Error('modp5 is not the OTRv3 group');
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  const others = new Map<bigint, DiffieHellman>();
  return {
    modPow: (base, exp) => powWith(dh, DH1536_P, base, exp),
    modPowAny(base, exp, mod) {
      if (mod === DH1536_P) return powWith(dh, mod, base, exp);
      let d = others.get(mod);
      if (!d) {
        // a DSA modulus: few per process (ours and our contacts'); bounded anyway
        if (others.size > 64) others.clear();
        d = createDiffieHellman(toBuf(mod), Buffer.from([2]));
        others.set(mod, d);
      }
      return powWith(d, mod, base, exp);
    },
  };
}
