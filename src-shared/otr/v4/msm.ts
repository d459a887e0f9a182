// Variable-time Σ sᵢ·Pᵢ on Ed448 for PUBLIC scalars and points only: the ring-signature terms
// r·G + c·A over a point without a window table (rsig.ts), the EdDSA check [S]B − [k]A
// (eddsa.ts) and the prekey server's ECDH batch-proof check v·G − Σ tₙ·Yₙ (prekey/proofs.ts).
// Never call it with a secret scalar: the digits decide which additions are done.
//
// Why not noble's mulAddUnsafe (docs/performance.md, "OTRv4 DAKE", round four): a walk over a new
// point is ~450 doublings, and noble's doubling computes T and a·A (a = 1 on Ed448: one wasted
// multiplication) and allocates and range-checks a Point each time. Here the accumulator is four
// bigints, a doubling is 4S + 3M (+1M for T only when an addition follows), G has a larger table
// (w = 7, affine, built once), and every field product is reduced with one `%`. Intermediate values
// are any representative in (−8p, 8p); they are brought into [0, p) only at the end.
// Formulas: Hisil, Wong, Carter, Dawson, "Twisted Edwards curves revisited" (2008), extended
// coordinates, a = 1: dbl-2008-hwcd and add-2008-hwcd; both are complete on Ed448 (d is not a
// square), so the identity and equal points need no special case.
import { ed448 } from '@noble/curves/ed448.js';

type EdPoint = InstanceType<typeof ed448.Point>;
const EdPointClass = ed448.Point;
const P = EdPointClass.Fp.ORDER;
const D = EdPointClass.CURVE().d;

/** a table entry: the point, d·T, and X+Y and Y−X for the point and its negation */
interface Entry {
  readonly x: bigint;
  readonly y: bigint;
  readonly z: bigint;
  readonly dt: bigint;
  readonly sum: bigint;
  readonly diff: bigint;
}

const norm = (v: bigint): bigint => {
  const r = v % P;
  return r < 0n ? r + P : r;
};

function entry(x: bigint, y: bigint, z: bigint, t: bigint): Entry {
  return { x, y, z, dt: (D * t) % P, sum: x + y, diff: y - x };
}

// The accumulator, in module-level variables (no allocation per step).
let X = 0n;
let Y = 1n;
let Z = 1n;
let T = 0n;

function double(withT: boolean): void {
  const a = (X * X) % P;
  const b = (Y * Y) % P;
  const c = 2n * ((Z * Z) % P);
  const s = X + Y;
  const e = ((s * s) % P) - a - b;
  const g = a + b;
  const f = g - c;
  const h = a - b;
  X = (e * f) % P;
  Y = (g * h) % P;
  Z = (f * g) % P;
  T = withT ? (e * h) % P : 0n;
}

/** acc += ±entry (negation: X → −X, T → −T) */
function add(q: Entry, negative: boolean): void {
  const a = (X * (negative ? -q.x : q.x)) % P;
  const b = (Y * q.y) % P;
  const c = (T * (negative ? -q.dt : q.dt)) % P;
  const dz = q.z === 1n ? Z : (Z * q.z) % P;
  const e = (((X + Y) * (negative ? q.diff : q.sum)) % P) - a - b;
  const f = dz - c;
  const g = dz + c;
  const h = b - a;
  X = (e * f) % P;
  Y = (g * h) % P;
  Z = (f * g) % P;
  T = (e * h) % P;
}

/** odd multiples P, 3P, …, (2^(w−1) − 1)·P in extended coordinates */
function oddMultiples(p: EdPoint, w: number): Entry[] {
  const first = entry(p.X, p.Y, p.Z, p.T);
  [X, Y, Z, T] = [p.X, p.Y, p.Z, p.T];
  double(true);
  const twice = entry(X, Y, Z, T);
  const out = [first];
  [X, Y, Z, T] = [p.X, p.Y, p.Z, p.T];
  for (let i = 1; i < 1 << (w - 2); i++) {
    add(twice, false);
    out.push(entry(norm(X), norm(Y), norm(Z), norm(T)));
  }
  return out;
}

// G's table, w = 7 (32 odd multiples), made affine (Z = 1) once: an addition then saves Z1·Z2.
const G_WINDOW = 7;
let gTable: Entry[] | undefined;
function baseTable(): Entry[] {
  gTable ??= affineOddMultiples(EdPointClass.BASE, G_WINDOW);
  return gTable;
}

/** oddMultiples made affine (Z = 1), for fixed points whose tables are built once */
function affineOddMultiples(p: EdPoint, w: number): Entry[] {
  return oddMultiples(p, w).map((q) => {
    const zi = EdPointClass.Fp.inv(q.z);
    const x = (q.x * zi) % P;
    const y = (q.y * zi) % P;
    return entry(x, y, 1n, (x * y) % P);
  });
}

/** signed odd digits of k in width-w NAF, least significant first (0 ≤ k < 2^460) */
export function wnafDigits(k: bigint, w: number): Int8Array {
  const binary = k.toString(2);
  const n = binary.length;
  const bits = new Uint8Array(n + w + 2);
  for (let i = 0; i < n; i++) bits[i] = binary.charCodeAt(n - 1 - i) - 48;
  const full = 1 << w;
  const half = full >> 1;
  const out = new Int8Array(n + 1);
  for (let i = 0; i <= n; i++) {
    if (bits[i] === 0) continue;
    let v = 0;
    for (let j = 0; j < w; j++) v |= bits[i + j]! << j;
    const d = v >= half ? v - full : v;
    out[i] = d;
    // k −= d·2^i: the window becomes zero; a negative digit carries one into bit i + w
    for (let j = 0; j < w; j++) bits[i + j] = 0;
    if (d < 0) {
      let j = i + w;
      while (bits[j] === 1) bits[j++] = 0;
      bits[j] = 1;
    }
  }
  return out;
}

/**
 * Σ scalars[i]·points[i] (0 ≤ scalar < 2^450, public), variable time. The point equal to
 * ed448.Point.BASE (by identity) uses the fixed affine table of G.
 */
export function multiScalarUnsafe(points: readonly EdPoint[], scalars: readonly bigint[]): EdPoint {
  if (points.length !== scalars.length) throw new Error('msm: points and scalars differ in number');
  const tables: Entry[][] = [];
  const digits: Int8Array[] = [];
  for (let i = 0; i < points.length; i++) {
    const s = scalars[i]!;
    if (s < 0n || s >= 1n << 450n) throw new RangeError('msm: scalar out of range');
    if (s === 0n) continue;
    const isBase = points[i] === EdPointClass.BASE;
    if (isBase && s < 1n << 448n) {
      // G by quarters (below): a walk is as long as its longest digit stream, and the prekey
      // proof's other scalars are 352-bit, so G's 446-bit one would add ~96 doublings
      splitIntoQuarters(s, gQuarters(), G_WINDOW, tables, digits);
      continue;
    }
    tables.push(isBase ? baseTable() : oddMultiples(points[i]!, 5));
    digits.push(wnafDigits(s, isBase ? G_WINDOW : 5));
  }
  return walk(tables, digits);
}

/** k (< 2^448) as four 112-bit digit streams over the tables of the quarters */
function splitIntoQuarters(k: bigint, quarters: readonly Entry[][], w: number, tables: Entry[][], digits: Int8Array[]): void {
  for (let j = 0; j < 4; j++) {
    const part = (k >> BigInt(QUARTER_BITS * j)) & QUARTER_MASK;
    if (part === 0n) continue;
    tables.push(quarters[j]!);
    digits.push(wnafDigits(part, w));
  }
}

// r·G + c·A by quarters. With A's multiples A·2^112, A·2^224, A·2^336 at hand (and G's, fixed), a
// 448-bit scalar becomes four 112-bit ones, and the walk needs 112 doublings instead of 448: the
// additions stay as many, the doublings (~3/4 of a walk's time) fall by three quarters. The
// quarters of a point cost 336 doublings, once; they are 3 points (≈ 1 KB), where a window table
// is ≈ 0.8 MB, so they are kept for many points (QUARTERS_KEPT, least recently used out; each use
// makes their small odd-multiple tables again, ≈ 0.15 ms, rather than keep ≈ 20 KB a point). The
// prekey server uses them for its publishers' keys: each comes twice per publication (σ of DAKE-2
// and of DAKE-3), so even a publisher seen once gains (docs/performance.md, Prekey server, round four).
const QUARTER_BITS = 112;
const QUARTER_MASK = (1n << BigInt(QUARTER_BITS)) - 1n;
const QUARTERS_KEPT = 4096;
const quarterCache = new Map<EdPoint, readonly EdPoint[]>();
let gQuarterTables: readonly Entry[][] | undefined;

/** p·2^(112·j) for j = 0..3, in extended coordinates */
function quarterPoints(p: EdPoint): [bigint, bigint, bigint, bigint][] {
  const out: [bigint, bigint, bigint, bigint][] = [[p.X, p.Y, p.Z, p.T]];
  [X, Y, Z, T] = [p.X, p.Y, p.Z, p.T];
  for (let j = 1; j < 4; j++) {
    for (let i = 0; i < QUARTER_BITS; i++) double(i === QUARTER_BITS - 1);
    out.push([norm(X), norm(Y), norm(Z), norm(T)]);
  }
  return out;
}

function quarterTables(p: EdPoint): readonly Entry[][] {
  let quarters = quarterCache.get(p);
  if (quarters) {
    quarterCache.delete(p);
  } else {
    quarters = quarterPoints(p).map(([x, y, z, t]) => new EdPointClass(x, y, z, t));
    if (quarterCache.size >= QUARTERS_KEPT) quarterCache.delete(quarterCache.keys().next().value!);
  }
  quarterCache.set(p, quarters);
  return quarters.map((q) => oddMultiples(q, 5));
}

function gQuarters(): readonly Entry[][] {
  gQuarterTables ??= quarterPoints(EdPointClass.BASE).map(([x, y, z, t]) => affineOddMultiples(new EdPointClass(x, y, z, t), G_WINDOW));
  return gQuarterTables;
}

/**
 * r·G + c·A for public r, c (0 ≤ r, c < 2^448), variable time, by quarters (above). A's quarters
 * are made on its first use and kept; pass only points that come back (a key, not an ephemeral
 * point, which would evict keys for nothing).
 */
export function mulAddByQuarters(r: bigint, a: EdPoint, c: bigint): EdPoint {
  if (r < 0n || r >= 1n << 448n || c < 0n || c >= 1n << 448n) throw new RangeError('msm: scalar out of range');
  const tables: Entry[][] = [];
  const digits: Int8Array[] = [];
  splitIntoQuarters(r, gQuarters(), G_WINDOW, tables, digits);
  splitIntoQuarters(c, quarterTables(a), 5, tables, digits);
  return walk(tables, digits);
}

/** the shared walk: Σ digits·table entries, most significant digit first, from the identity */
function walk(tables: readonly Entry[][], digits: readonly Int8Array[]): EdPoint {
  let top = 0;
  for (const d of digits) top = Math.max(top, d.length);
  [X, Y, Z, T] = [0n, 1n, 1n, 0n];
  for (let i = top - 1; i >= 0; i--) {
    let adds = false;
    for (const d of digits) if (d[i]) adds = true;
    if (i !== top - 1) double(adds || i === 0);
    for (let j = 0; j < digits.length; j++) {
      const d = digits[j]![i]; // undefined past a shorter scalar's top digit
      if (d) add(tables[j]![Math.abs(d) >> 1]!, d < 0);
    }
  }
  const out = new EdPointClass(norm(X), norm(Y), norm(Z), norm(T));
  if (out.is0()) return EdPointClass.ZERO;
  out.assertValidity(); // cheap (a few products) and catches any arithmetic slip
  return out;
}
