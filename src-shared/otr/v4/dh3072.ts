// The 3072-bit MODP group of RFC 3526 §4 used for the OTRv4 brace key (§"3072-bit Diffie-Hellman
// Parameters"). The library stays pure: the modular exponentiation engine is injected (the app
// passes Node's getDiffieHellman('modp15'), tests may pass a BigInt implementation).
import { jacobi } from '../common/jacobi';
import { modPow } from '../common/modpow';

export const DH3072_P = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
);
export const DH3072_G = 2n;
/** dh_q = (dh_p - 1) / 2 */
export const DH3072_Q = (DH3072_P - 1n) / 2n;
export const DH3072_BYTES = 384;

/** The injected engine: modular exponentiation in the group, on big-endian bigints. */
export interface Dh3072Engine {
  /** g^secret mod p */
  publicKey(secret: bigint): bigint;
  /** other^secret mod p */
  sharedSecret(secret: bigint, other: bigint): bigint;
}

/**
 * §"Verifying that an integer is in the DH group": 2 ≤ x ≤ p−2 and x^q mod p = 1.
 * dh_p is a safe prime (p = 2q + 1), so by Euler's criterion x^q mod p = 1 exactly when x is a
 * quadratic residue mod p, i.e. when the Jacobi symbol (x/p) is 1: ~0.15 ms (common/jacobi.ts)
 * instead of a 3071-bit exponentiation (~6 ms natively). primitives.test.ts checks both agree.
 */
export function isValidDhPublic(x: bigint): boolean {
  if (typeof x !== 'bigint' || x < 2n || x > DH3072_P - 2n) return false;
  return jacobi(x, DH3072_P) === 1;
}

/** A portable engine on BigInt (slow but pure); the app uses a native one with the same shape. */
export function bigintDh3072Engine(): Dh3072Engine {
  return {
    publicKey: (secret) => modPow(DH3072_G, secret, DH3072_P),
    sharedSecret: (secret, other) => modPow(other, secret, DH3072_P),
  };
}
