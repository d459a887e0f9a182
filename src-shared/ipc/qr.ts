// A small QR code encoder for the safety number (ISO/IEC 18004:2015): numeric mode (§7.4.4), one
// fixed symbol, version 2 with error correction level M (25 x 25 modules, 28 data and 16 error
// correction codewords in one block, room for 63 digits; Table 7 and Table 9), so the 60 digits
// always fit and both clients draw the same symbol. Written here rather than taken from npm: the
// renderer's room may load no such package (eslint.config.js rooms), and one version needs little.
//
// Pure: no I/O. Modules are `true` for dark, indexed [row][column].

export const QR_VERSION = 2;
export const QR_SIZE = 17 + 4 * QR_VERSION; // §6.3.1: 4V + 17 modules a side
export const QR_DATA_CODEWORDS = 28; // Table 9, 2-M
export const QR_EC_CODEWORDS = 16; // Table 9, 2-M, one block
/** §7.9.1: the format information's 15 bits are XORed with this so they are never all light */
export const FORMAT_MASK = 0x5412;
/** §7.9.1: BCH(15,5) generator x^10 + x^8 + x^5 + x^4 + x^2 + x + 1 */
export const FORMAT_GENERATOR = 0x537;
/** Table 12: the two bits of level M */
export const LEVEL_M_BITS = 0b00;

export class QrInputError extends Error {
  override readonly name = 'QrInputError';
}

// ---- GF(256) with the field polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D, §7.5.2) ----------------
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

export function gfPow2(i: number): number {
  return EXP[i % 255]!;
}

/** §7.5.2: g(x) = (x - α^0)(x - α^1)…(x - α^(n-1)), coefficients highest power first */
function generator(n: number): number[] {
  let g = [1];
  for (let i = 0; i < n; i++) {
    const next = new Array<number>(g.length + 1).fill(0);
    for (let j = 0; j < g.length; j++) {
      next[j] ^= g[j]!;
      next[j + 1] ^= gfMul(g[j]!, gfPow2(i));
    }
    g = next;
  }
  return g;
}

/** The n error correction codewords: the remainder of data(x)·x^n divided by g(x) (§7.5.2). */
export function reedSolomonRemainder(data: readonly number[], n: number): number[] {
  const g = generator(n);
  const r = [...data, ...new Array<number>(n).fill(0)];
  for (let i = 0; i < data.length; i++) {
    const c = r[i]!;
    if (c !== 0) for (let j = 0; j < g.length; j++) r[i + j]! ^= gfMul(g[j]!, c);
  }
  return r.slice(data.length);
}

// ---- data codewords (§7.4) -----------------------------------------------------------------------

/** Mode indicator, count, digits, terminator, padding: the data codewords of a numeric segment. */
export function numericCodewords(digits: string, capacity: number): number[] {
  if (!/^[0-9]*$/.test(digits)) throw new QrInputError('numeric mode holds digits only');
  const bits: number[] = [];
  const put = (value: number, width: number) => {
    for (let i = width - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0001, 4); // Table 2: numeric mode
  put(digits.length, 10); // Table 3: versions 1 to 9, numeric
  // §7.4.4: groups of three digits in 10 bits; a last group of two in 7 bits, of one in 4
  for (let i = 0; i < digits.length; i += 3) {
    const group = digits.slice(i, i + 3);
    put(Number(group), [0, 4, 7, 10][group.length]!);
  }
  const room = capacity * 8;
  if (bits.length > room) throw new QrInputError(`${digits.length} digits do not fit in ${capacity} codewords`);
  put(0, Math.min(4, room - bits.length)); // §7.4.9: terminator
  while (bits.length % 8 !== 0) bits.push(0);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((v, b) => (v << 1) | b, 0));
  // §7.4.10: pad codewords 11101100 and 00010001 in turn
  for (let k = 0; out.length < capacity; k++) out.push(k % 2 === 0 ? 0xec : 0x11);
  return out;
}

// ---- format information (§7.9) -------------------------------------------------------------------

/** the 15 masked format bits for level M and a mask pattern */
export function formatBits(mask: number): number {
  const data = (LEVEL_M_BITS << 3) | mask;
  let rem = data << 10;
  for (let i = 14; i >= 10; i--) if ((rem >>> i) & 1) rem ^= FORMAT_GENERATOR << (i - 10);
  return ((data << 10) | rem) ^ FORMAT_MASK;
}

/** the modules of the two copies of the format information, bit i (0 = least significant) at [i] */
export function formatPositions(size: number): { first: [number, number][]; second: [number, number][] } {
  const first: [number, number][] = [];
  const second: [number, number][] = [];
  // §7.9.1, Figure 25: around the top-left finder...
  for (let i = 0; i <= 5; i++) first.push([i, 8]);
  first.push([7, 8], [8, 8], [8, 7]);
  for (let i = 9; i <= 14; i++) first.push([8, 14 - i]);
  // ...and split between the top-right and bottom-left finders
  for (let i = 0; i <= 7; i++) second.push([8, size - 1 - i]);
  for (let i = 8; i <= 14; i++) second.push([size - 15 + i, 8]);
  return { first, second };
}

// ---- masks (§7.8.2, Table 10) --------------------------------------------------------------------

export const MASKS: readonly ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];
