// The Jacobi symbol (a/n) for odd n > 0, for PUBLIC values only (variable time). It is the whole
// cost of checking that a DH value is in the 3072-bit group (dh_p is a safe prime, so x^q = 1
// exactly when (x/p) = 1) and the Legendre symbols of the Ed448 subgroup check (v4/subgroup.ts).
// A prekey publication of 10 prekey messages needs 10 of the first and ~30 of the second.
//
// The algorithm is the classic one, Euclid's with the factors of two removed, sped up as Lehmer
// sped up Euclid's gcd:
//
// 1. Exact step. For odd x > y ≥ 1 we want (y/x). Reciprocity gives (y/x) = ε·(x/y), with ε = −1
//    exactly when x ≡ y ≡ 3 (mod 4). With r = x mod y = 2^e·r' (r' odd), (x/y) = (2/y)^e·(r'/y),
//    where (2/y) = −1 exactly when y ≡ 3 or 5 (mod 8). The pair becomes (y, r'); r = 0 means
//    y | x, and the symbol is 0 unless y = 1.
// 2. Batches. A run of steps is linear in the starting (x, y) up to powers of two: each of x, y is
//    (α·x₀ + β·y₀) / 2^E with small integers α, β. A batch runs the steps in Number arithmetic on
//    what is known of x and y: integer bounds on their top ~50 bits (same shift s; a step's bounds
//    come from the previous ones, so they only widen) and their low 26 bits exactly. A step is
//    taken only when it is certain: both ends of the bounds give the same quotient q, the low bits
//    of r = x − q·y are not all zero (they give e), and enough low bits remain for the signs (y mod
//    8). So the batch takes exactly the exact algorithm's steps. Then the two rows are applied to
//    the BigInts once: 4 products by small numbers per ~27 bits of progress (~10 steps), where
//    the binary algorithm made ~16 BigInt divisions and shifts.
// 3. Once x fits in 50 bits, the rest runs exactly in Numbers.
//
// 3072-bit: 0.15 ms against 0.36 ms for the binary algorithm; 448-bit: 0.019 against 0.029 ms
// (docs/performance.md, Prekey server, round four). jacobi.test.ts checks it against the binary
// algorithm and Euler's criterion.

const FITS = 2 ** 50;
/** the batch's row entries stay far inside exact Number range */
const ENTRY_LIMIT = 2 ** 48;
const EXACT = 2 ** 52;
const LOW_BITS = 26;
const LOW_MASK = (1n << BigInt(LOW_BITS)) - 1n;
// `2 ** k` with a variable k, in the batch loop, cost as much as the BigInt work saved: a table
const POW2 = Array.from({ length: 64 }, (_, k) => 2 ** k);

/** floor(num / den) for integers |num| < 2^52 and 0 < den, exactly */
function floorDiv(num: number, den: number): number {
  let q = Math.floor(num / den);
  let r = num - q * den;
  if (r < 0) {
    q -= 1;
    r += den;
  }
  if (r >= den) q += 1;
  return q;
}

/** number of trailing zero bits of a positive integer below 2^31 */
function trailingZeros(v: number): number {
  return 31 - Math.clz32(v & -v);
}

/** bit length of a positive integer below 2^53 */
function bitLength(v: number): number {
  return v >= 2 ** 32 ? 32 + (32 - Math.clz32(Math.floor(v / 2 ** 32))) : 32 - Math.clz32(v);
}

const flipIf2 = (e: number, y8: number): boolean => (e & 1) === 1 && (y8 === 3 || y8 === 5);

/** the exact algorithm of step 1 on Numbers (x, y odd, x > y ≥ 1, x < 2^50) */
function jacobiSmall(x0: number, y0: number, sign: -1 | 1): -1 | 0 | 1 {
  let x = x0;
  let y = y0;
  let t = sign;
  while (y !== 1) {
    if (x % 4 === 3 && y % 4 === 3) t = t === 1 ? -1 : 1;
    let r = x % y;
    if (r === 0) return 0;
    let e = 0;
    while (r % 2 === 0) {
      r /= 2;
      e++;
    }
    if (flipIf2(e, y % 8)) t = t === 1 ? -1 : 1;
    x = y;
    y = r;
  }
  return t;
}

/** Jacobi symbol (a/n) for odd n > 0; public inputs only, not constant time */
export function jacobi(a0: bigint, n0: bigint): -1 | 0 | 1 {
  if (n0 <= 0n || (n0 & 1n) === 0n) throw new RangeError('the Jacobi symbol needs an odd positive modulus');
  if (n0 === 1n) return 1;
  let a = ((a0 % n0) + n0) % n0;
  if (a === 0n) return 0;
  let t: -1 | 1 = 1;
  // an odd numerator to start from: (a/n) = (−1/n)·((n − a)/n)
  if ((a & 1n) === 0n) {
    a = n0 - a;
    if ((n0 & 3n) === 3n) t = -1;
  }
  let x = n0;
  let y = a;
  // the shift that brings x to ≤ 50 bits; found once, lowered as x shrinks
  let s = Math.max(0, x.toString(16).length * 4 - 50);
  for (;;) {
    if (y === 1n) return t;
    if (x < FITS) return jacobiSmall(Number(x), Number(y), t);
    let xTop = Number(x >> BigInt(s));
    while (xTop < FITS / 2 && s > 0) {
      s = Math.max(0, s - (50 - bitLength(Math.max(1, xTop))));
      xTop = Number(x >> BigInt(s));
    }
    // the batch (step 2). x_now = (ax·x + bx·y) / 2^ex, y_now = (ay·x + by·y) / 2^ey, ex ≤ ey;
    // x_now / 2^s lies in [xLo, xHi] (likewise y); lx, ly are x_now, y_now mod 2^low
    let ax = 1;
    let bx = 0;
    let ex = 0;
    let ay = 0;
    let by = 1;
    let ey = 0;
    let xLo = xTop;
    let xHi = xTop + 1;
    let yLo = Number(y >> BigInt(s));
    let yHi = yLo + 1;
    let low = LOW_BITS;
    let lx = Number(x & LOW_MASK);
    let ly = Number(y & LOW_MASK);
    let steps = 0;
    for (;;) {
      if (yLo <= 0) break;
      const q = floorDiv(xLo, yHi);
      if (q !== floorDiv(xHi, yLo)) break;
      const m = POW2[low]!;
      const rl = (((lx - (q % m) * ly) % m) + m) % m;
      if (rl === 0) break;
      const e = trailingZeros(rl);
      if (low - e < 3) break;
      const scale = POW2[ey - ex]!;
      if (Math.abs(ax * scale) > EXACT || Math.abs(q * ay) > EXACT || Math.abs(bx * scale) > EXACT || Math.abs(q * by) > EXACT) break;
      const ra = ax * scale - q * ay;
      const rb = bx * scale - q * by;
      if (Math.abs(ra) > ENTRY_LIMIT || Math.abs(rb) > ENTRY_LIMIT) break;
      // the step is certain: signs, then (x, y) ← (y, r / 2^e)
      if ((lx & 3) === 3 && (ly & 3) === 3) t = t === 1 ? -1 : 1;
      if (flipIf2(e, ly & 7)) t = t === 1 ? -1 : 1;
      const rLo = Math.max(0, xLo - q * yHi);
      const rHi = xHi - q * yLo;
      ax = ay;
      bx = by;
      ex = ey;
      ay = ra;
      by = rb;
      ey += e;
      xLo = yLo;
      xHi = yHi;
      const d = POW2[e]!;
      yLo = Math.floor(rLo / d);
      yHi = Math.ceil(rHi / d);
      low -= e;
      lx = ly % POW2[low]!;
      ly = rl / d;
      steps++;
    }
    if (steps > 0) {
      const nx = (BigInt(ax) * x + BigInt(bx) * y) >> BigInt(ex);
      y = (BigInt(ay) * x + BigInt(by) * y) >> BigInt(ey);
      x = nx;
      continue;
    }
    // no certain step from what the batch knows (a large quotient, many factors of two, or y
    // nearly dividing x): one exact step
    if ((x & 3n) === 3n && (y & 3n) === 3n) t = t === 1 ? -1 : 1;
    let r = x % y;
    if (r === 0n) return 0;
    let e = 0;
    while ((r & 1n) === 0n) {
      r >>= 1n;
      e++;
    }
    if (flipIf2(e, Number(y & 7n))) t = t === 1 ? -1 : 1;
    x = y;
    y = r;
  }
}
