import { describe, expect, it } from 'vitest';
import {
  FORMAT_GENERATOR,
  FORMAT_MASK,
  MASKS,
  QR_SIZE,
  QrInputError,
  formatBits,
  formatPositions,
  gfMul,
  gfPow2,
  numericCodewords,
  reedSolomonRemainder,
} from './qr';
import { dataModuleOrder, encodeNumericQr, functionModules } from './qr-matrix';

const DIGITS = '123456789012345678901234567890123456789012345678901234567890';

/** the 15-bit word of one copy of the format information */
function readFormat(m: boolean[][], copy: 'first' | 'second'): number {
  return formatPositions(QR_SIZE)[copy].reduce((v, [r, c], i) => v | ((m[r]![c] ? 1 : 0) << i), 0);
}

function bchRemainder(word: number): number {
  let rem = word;
  for (let i = 14; i >= 10; i--) if ((rem >>> i) & 1) rem ^= FORMAT_GENERATOR << (i - 10);
  return rem;
}

/** reads the 44 codewords back out of the symbol: unmask the data modules in placement order */
function readCodewords(code: ReturnType<typeof encodeNumericQr>): number[] {
  const bits = dataModuleOrder(functionModules()).map(([r, c]) => code.modules[r]![c] !== MASKS[code.mask]!(r, c));
  const out: number[] = [];
  for (let k = 0; k < 44; k++) out.push(bits.slice(k * 8, k * 8 + 8).reduce((v, b) => (v << 1) | (b ? 1 : 0), 0));
  return out;
}

describe('QR code, version 2-M numeric (ISO/IEC 18004)', () => {
  it('matches the standard\'s worked example "01234567" (1-M data and error correction codewords)', () => {
    const data = numericCodewords('01234567', 16);
    expect(data.slice(0, 6)).toEqual([0b00010000, 0b00100000, 0b00001100, 0b01010110, 0b01100001, 0b10000000]);
    expect(data.slice(6, 10)).toEqual([0xec, 0x11, 0xec, 0x11]);
    expect(reedSolomonRemainder(data, 10)).toEqual([165, 36, 212, 193, 237, 54, 199, 135, 44, 85]);
  });

  it('has the three finder patterns with light separators, and none bottom-right', () => {
    const { modules: m, size } = encodeNumericQr(DIGITS);
    expect(size).toBe(25);
    const finder = (r0: number, c0: number) =>
      Array.from({ length: 7 }, (_, r) => Array.from({ length: 7 }, (_, c) => (m[r0 + r]![c0 + c] ? '#' : '.')).join('')).join('\n');
    const expected = ['#######', '#.....#', '#.###.#', '#.###.#', '#.###.#', '#.....#', '#######'].join('\n');
    expect(finder(0, 0)).toBe(expected);
    expect(finder(0, 18)).toBe(expected);
    expect(finder(18, 0)).toBe(expected);
    expect(finder(18, 18)).not.toBe(expected);
    for (let i = 0; i < 8; i++) {
      expect(m[7]![i]).toBe(false);
      expect(m[i]![7]).toBe(false);
      expect(m[7]![24 - i]).toBe(false);
      expect(m[17]![i]).toBe(false);
    }
  });

  it('has the timing patterns, the alignment pattern at (18, 18) and the dark module', () => {
    const { modules: m } = encodeNumericQr(DIGITS);
    for (let i = 8; i <= 16; i++) {
      expect(m[6]![i]).toBe(i % 2 === 0);
      expect(m[i]![6]).toBe(i % 2 === 0);
    }
    expect(m[18]![18]).toBe(true);
    expect(m[17]![18]).toBe(false);
    expect(m[16]![16]).toBe(true);
    expect(m[17]![8]).toBe(true);
  });

  it('carries two equal copies of valid format information: level M and the mask used', () => {
    const code = encodeNumericQr(DIGITS);
    const first = readFormat(code.modules, 'first');
    expect(readFormat(code.modules, 'second')).toBe(first);
    const word = first ^ FORMAT_MASK;
    expect(bchRemainder(word)).toBe(0);
    expect(word >>> 13).toBe(0b00); // level M
    expect((word >>> 10) & 0b111).toBe(code.mask);
    // the BCH code itself: every mask's word is a codeword
    for (let mask = 0; mask < 8; mask++) expect(bchRemainder(formatBits(mask) ^ FORMAT_MASK)).toBe(0);
  });

  it('holds codewords whose Reed–Solomon syndromes are all zero, and whose data are the digits', () => {
    const code = encodeNumericQr(DIGITS);
    const cw = readCodewords(code);
    // c(α^i) = 0 for i = 0..15: the codeword polynomial is a multiple of the generator
    for (let i = 0; i < 16; i++) {
      let s = 0;
      for (const c of cw) s = gfMul(s, gfPow2(i)) ^ c;
      expect(s, `syndrome ${i}`).toBe(0);
    }
    expect(cw.slice(0, 28)).toEqual(numericCodewords(DIGITS, 28));
    // mode 0001 and count 60 in the first 14 bits
    expect(cw[0]! >>> 4).toBe(0b0001);
    expect(((cw[0]! & 0xf) << 6) | (cw[1]! >>> 2)).toBe(60);
    // one changed digit changes the symbol
    expect(encodeNumericQr('0' + DIGITS.slice(1)).modules).not.toEqual(code.modules);
  });

  it('refuses what does not fit with a typed error', () => {
    expect(() => encodeNumericQr('1'.repeat(64))).toThrow(QrInputError);
    expect(() => encodeNumericQr('12a')).toThrow(QrInputError);
    expect(encodeNumericQr('1'.repeat(63)).size).toBe(25);
  });
});
