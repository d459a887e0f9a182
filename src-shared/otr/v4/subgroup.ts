// The prime-order subgroup check of otrv4.md §"Verifying that a point is on the curve" (q·X = I)
// without the multiplication by q: a square root and a few Legendre symbols, ~0.5 ms instead of
// ~2 ms. X is a public point, so nothing here needs to be constant time.
//
// Why this is the same check (docs/performance.md, "OTRv4 DAKE", round three):
//
// 1. E = Ed448 over F_p (x² + y² = 1 + d·x²·y², d = −39081, p = 2^448 − 2^224 − 1) has 4q points,
//    q prime. Its rational 2-torsion is {I, (0, −1)} (a point of order 2 has x = 0; d is not a
//    square, so there are no points at infinity), hence E(F_p) ≅ Z/4 ⊕ Z/q and q·X = I exactly
//    when X lies in E[q], the unique subgroup of order q.
// 2. u = (1 + y)/(1 − y), v = u/x maps E to the Montgomery curve B·v² = u³ + A·u² + u with
//    A = 2(1 + d)/(1 − d), B = 4/(1 − d) (Bernstein, Birkner, Joye, Lange, Peters, "Twisted
//    Edwards curves", thm 3.2), a group isomorphism taking (0, −1) to (0, 0). With X = B·u and
//    Y = B²·v this is W: Y² = X(X² + a·X + b), a = A·B, b = B², where b is a square.
// 3. W has the 2-isogeny φ: W → W', W': Y² = X(X² − 2a·X + a² − 4b), with dual φ̂: W' → W,
//    x(φ̂(X', Y')) = Y'²/(4X'²) (Silverman, "The Arithmetic of Elliptic Curves", III.4.5).
//    X² − 2aX + a² − 4b = (X − a)² − (2B)², so W' has all three 2-torsion points rational
//    (X' = 0, e₂ = a + 2B, e₃ = a − 2B): W'(F_p) ≅ Z/2 ⊕ Z/2 ⊕ Z/q, and 2·W'(F_p) = W'[q].
//    φ̂ has a kernel of order 2, so φ̂(W'[q]) has order q: it is E[q].
// 4. Hence the point is in E[q] exactly when it is φ̂(R) for some R ∈ 2·W'(F_p). With (X, Y) its
//    coordinates on W, solving x(φ̂(R)) = X for X' gives X'² − (2a + 4X)·X' + a² − 4b = 0, whose
//    roots are X' = a + 2X ± 2Y/√X (and then Y'² = (2·√X·X')²): a rational R exists only if X is
//    a square, and the two roots are the x-coordinates of all the preimages of ± the point
//    (R, R + (0,0) and their negatives).
// 5. On a curve y² = (x − e₁)(x − e₂)(x − e₃) with e₁, e₂, e₃ in the field, a point (x', y') is
//    twice a rational point exactly when x' − e₁, x' − e₂ and x' − e₃ are all squares
//    (Washington, "Elliptic Curves: Number Theory and Cryptography", thm 8.14).
//
// So: X = (x, y) with x ≠ 0 is in E[q] iff B·u is a square and, for one of the two roots X',
// X', X' − e₂ and X' − e₃ are all non-zero squares. fast-paths.test.ts checks it against q·X on
// points of all four cosets of E[q].
//
// Why the prekey server does not batch this check over a publication's points (docs/performance.md,
// "Prekey server", round three). A random linear combination, q·(Σ rᵢ·Yᵢ) = I, is not sound on
// Ed448: Yᵢ = Pᵢ + Tᵢ with Tᵢ in the torsion Z/4, and q·Σ rᵢ·Yᵢ = Σ (q·rᵢ)·Tᵢ, which is I whenever
// the rᵢ of the bad points are ≡ 0 mod 4 (or mod 2 for a point of order 2): a hostile point passes
// with probability 1/4 to 1/2 per try. Multiplying the sum by the cofactor first hides the
// torsion entirely. Nor does the proof of knowledge catch it (proofs.test.ts shows a Y with
// torsion passing the ECDH batch proof). So each point is checked alone. A variable-time q·Y by
// a wNAF walk (msm.ts) costs ~1.9 ms against ~0.4 ms here, so this check stays.
import { ed448 } from '@noble/curves/ed448.js';
import { jacobi } from '../common/jacobi';

type EdPoint = InstanceType<typeof ed448.Point>;

const Fp = ed448.Point.Fp;
const P = Fp.ORDER;
const D = ed448.Point.CURVE().d;
const ONE_MINUS_D = Fp.sub(1n, D);
const MONT_A = Fp.div(Fp.mul(2n, Fp.add(1n, D)), ONE_MINUS_D);
const MONT_B = Fp.div(4n, ONE_MINUS_D);
const W_A = Fp.mul(MONT_A, MONT_B);
const B_SQUARED = Fp.sqr(MONT_B);
const E2 = Fp.add(W_A, Fp.mul(2n, MONT_B));
const E3 = Fp.sub(W_A, Fp.mul(2n, MONT_B));
const isSquare = (z: bigint): boolean => jacobi(z, P) === 1;

const mul = (a: bigint, b: bigint): bigint => (a * b) % P;
function sqrN(a: bigint, n: number): bigint {
  let r = a;
  for (let i = 0; i < n; i++) r = (r * r) % P;
  return r;
}
/** z^(2^k − 1) with k squarings and ~2·log₂k products (an addition chain on the all-ones exponent) */
function powOnes(z: bigint, k: number): bigint {
  if (k === 1) return z;
  if (k % 2 === 1) return mul(sqrN(powOnes(z, k - 1), 1), z);
  const h = powOnes(z, k / 2);
  return mul(sqrN(h, k / 2), h);
}
/**
 * z^((p−3)/4), (p−3)/4 = 2^446 − 2^222 − 1 = (2^223 − 1)·2^223 + (2^222 − 1). For a non-zero square
 * z, t = z^((p−3)/4) gives both √z = t·z and 1/√z = t (t·√z = z^((p−1)/2) = 1): no inversion.
 */
function powPMinus3Over4(z: bigint): bigint {
  const a = powOnes(z, 222);
  const b = mul(sqrN(a, 1), z); // z^(2^223 − 1)
  return mul(sqrN(b, 223), a);
}

/** true iff X ≠ I and q·X = I (see the header for why) */
export function isInPrimeOrderSubgroupFast(point: EdPoint): boolean {
  // projective (X : Y : Z), x = X/Z, y = Y/Z; all values reduced into [0, p) at the end
  const norm = (v: bigint): bigint => ((v % P) + P) % P;
  const { X, Y, Z } = point;
  // x = 0: the identity (0, 1) or the point of order 2 (0, −1), neither of order q
  if (norm(X) === 0n) return false;
  // u = (1 + y)/(1 − y) = (Z + Y)/(Z − Y) and u/x = (Z + Y)·Z/((Z − Y)·X), with one inversion;
  // Z − Y ≠ 0 since y = 1 only for x = 0
  const inv = Fp.inv(norm(mul(Z - Y, X)));
  const u = norm(mul(mul(Z + Y, X), inv));
  const uOverX = norm(mul(mul(Z + Y, Z), inv));
  const wx = mul(MONT_B, u);
  const wy = mul(B_SQUARED, uOverX);
  if (wx === 0n) return false; // u = 0 means y = −1, i.e. x = 0: excluded above
  const t = powPMinus3Over4(wx);
  const s = mul(t, wx);
  if (mul(s, s) !== wx) return false; // not a square: no rational preimage under φ̂
  const base = Fp.add(W_A, Fp.mul(2n, wx));
  const w = mul(2n * wy, t); // 2·wy/√wx, with 1/√wx = t
  for (const root of [Fp.add(base, w), Fp.sub(base, w)]) {
    if (isSquare(root) && isSquare(Fp.sub(root, E2)) && isSquare(Fp.sub(root, E3))) return true;
  }
  return false;
}
