// Square-and-multiply modular exponentiation on BigInt: the portable engine behind OTRv3's
// 1536-bit group and DSA (any modulus) and OTRv4's 3072-bit group. Variable time: the app
// injects a native engine (src-shared/node-crypto); this one serves tests and pure contexts.

/** base^exp mod `mod` for exp ≥ 0 */
export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  if (mod === 1n) return 0n;
  let result = 1n;
  let b = ((base % mod) + mod) % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}
