import { ed448 } from '@noble/curves/ed448.js';
import { G, Fn, hashAndPruneScalar } from '../src-shared/otr/v4/ed448';
import { randomBytes } from 'node:crypto';
const P = ed448.Point.Fp.ORDER; const D = ed448.Point.CURVE().d;
const random = (n: number) => new Uint8Array(randomBytes(n));
function time(label: string, f: () => unknown, n: number) { for (let i = 0; i < 20; i++) f(); const t = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const u = process.cpuUsage(t); console.log(label.padEnd(30), ((u.user + u.system) / n / 1000).toFixed(4), 'ms'); }
// table: for position i, entries j*2^(w i) * P for j=1..2^(w-1), affine, with x, y, dt=d*x*y, sum=x+y, diff=y-x
const W = Number(process.argv[2] ?? 8);
const POS = Math.ceil(450 / W) + 1;
type E = { x: bigint; y: bigint; dt: bigint; sum: bigint; diff: bigint };
const t0 = performance.now();
const table: E[][] = [];
let base = G;
for (let i = 0; i < POS; i++) {
  const row: E[] = []; let acc = base;
  for (let j = 1; j <= 1 << (W - 1); j++) { const a = acc.toAffine(); row.push({ x: a.x, y: a.y, dt: (D * a.x % P) * a.y % P, sum: a.x + a.y, diff: a.y - a.x }); acc = acc.add(base); }
  table.push(row);
  for (let k = 0; k < W; k++) base = base.double();
}
console.log('build', (performance.now() - t0).toFixed(0), 'ms (naive toAffine)');
let X = 0n, Y = 1n, Z = 1n, T = 0n;
function add(q: E, neg: boolean) {
  const a = (X * (neg ? -q.x : q.x)) % P; const b = (Y * q.y) % P; const c = (T * (neg ? -q.dt : q.dt)) % P;
  const e = (((X + Y) * (neg ? q.diff : q.sum)) % P) - a - b; const f = Z - c; const g = Z + c; const h = b - a;
  X = (e * f) % P; Y = (g * h) % P; Z = (f * g) % P; T = (e * h) % P;
}
function mulG(k: bigint) {
  X = 0n; Y = 1n; Z = 1n; T = 0n;
  const half = 1 << (W - 1), full = 1 << W; const mask = BigInt(full - 1); const wb = BigInt(W);
  let carry = 0;
  for (let i = 0; i < POS; i++) {
    let d = Number(k & mask) + carry; k >>= wb;
    if (d > half) { d -= full; carry = 1; } else carry = 0;
    if (d) add(table[i]![Math.abs(d) - 1]!, d < 0);
  }
  const n = (v: bigint) => ((v % P) + P) % P;
  return new ed448.Point(n(X), n(Y), n(Z), n(T));
}
const ks = Array.from({ length: 100 }, () => Fn.create(hashAndPruneScalar(random)));
for (const k of ks.slice(0, 5)) if (!mulG(k).equals(G.multiplyUnsafe(k))) throw new Error('mismatch');
let i = 0;
time('noble G.multiplyUnsafe', () => G.multiplyUnsafe(ks[i++ % 100]!), 500);
time('raw comb G', () => mulG(ks[i++ % 100]!), 500);
