// The symbol of src-shared/ipc/qr.ts: function patterns, data placement, masking and format
// information of a version 2-M QR code (ISO/IEC 18004:2015 §6.3, §7.7, §7.8, §7.9).
import { MASKS, QR_DATA_CODEWORDS, QR_EC_CODEWORDS, QR_SIZE, formatBits, formatPositions, numericCodewords, reedSolomonRemainder } from './qr';

export interface QrCode {
  size: number;
  /** [row][column], true for a dark module */
  modules: boolean[][];
  /** the mask pattern chosen (§7.8.3: the lowest penalty) */
  mask: number;
}

const ALIGNMENT_CENTRE = 18; // Annex E, version 2: the one centre (18, 18) not on a finder

interface Grid {
  dark: boolean[][];
  fixed: boolean[][];
}

function emptyGrid(): Grid {
  const rows = () => Array.from({ length: QR_SIZE }, () => new Array<boolean>(QR_SIZE).fill(false));
  return { dark: rows(), fixed: rows() };
}

function setFixed(g: Grid, r: number, c: number, dark: boolean): void {
  g.dark[r]![c] = dark;
  g.fixed[r]![c] = true;
}

/** finders with their separators (§6.3.3), timing (§6.3.5), alignment (§6.3.6), dark module, and the format areas reserved */
function functionPatterns(): Grid {
  const g = emptyGrid();
  for (let i = 0; i < QR_SIZE; i++) {
    setFixed(g, 6, i, i % 2 === 0);
    setFixed(g, i, 6, i % 2 === 0);
  }
  for (const [cr, cc] of [
    [3, 3],
    [3, QR_SIZE - 4],
    [QR_SIZE - 4, 3],
  ] as const) {
    for (let dr = -4; dr <= 4; dr++)
      for (let dc = -4; dc <= 4; dc++) {
        const r = cr + dr;
        const c = cc + dc;
        if (r < 0 || c < 0 || r >= QR_SIZE || c >= QR_SIZE) continue;
        const ring = Math.max(Math.abs(dr), Math.abs(dc));
        // 3x3 dark centre, light ring, dark ring, then the light separator
        setFixed(g, r, c, ring !== 2 && ring !== 4);
      }
  }
  for (let dr = -2; dr <= 2; dr++)
    for (let dc = -2; dc <= 2; dc++) setFixed(g, ALIGNMENT_CENTRE + dr, ALIGNMENT_CENTRE + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
  const { first, second } = formatPositions(QR_SIZE);
  for (const [r, c] of [...first, ...second]) setFixed(g, r, c, false);
  // §7.9.1: the dark module beside the bottom-left finder, always dark
  setFixed(g, 4 * 2 + 9, 8, true);
  return g;
}

/**
 * The data modules in placement order (§7.7.3, Figure 16): two-module columns from the right,
 * upwards then downwards in turn, skipping the vertical timing pattern's column.
 */
export function dataModuleOrder(fixed: readonly (readonly boolean[])[]): [number, number][] {
  const order: [number, number][] = [];
  let upward = true;
  for (let right = QR_SIZE - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let step = 0; step < QR_SIZE; step++) {
      const r = upward ? QR_SIZE - 1 - step : step;
      for (const c of [right, right - 1]) if (!fixed[r]![c]) order.push([r, c]);
    }
    upward = !upward;
  }
  return order;
}

/** the function modules of the version 2 symbol (for tests and readers) */
export function functionModules(): boolean[][] {
  return functionPatterns().fixed;
}

function penalty(m: boolean[][]): number {
  const n = m.length;
  let score = 0;
  // §7.8.3.1 N1: runs of five or more of one colour, in rows and in columns
  for (let a = 0; a < n; a++)
    for (const at of [(b: number) => m[a]![b]!, (b: number) => m[b]![a]!]) {
      let run = 1;
      for (let b = 1; b <= n; b++) {
        if (b < n && at(b) === at(b - 1)) run++;
        else {
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
      }
    }
  // N2: 2x2 blocks of one colour
  for (let r = 0; r + 1 < n; r++)
    for (let c = 0; c + 1 < n; c++) {
      const v = m[r]![c];
      if (m[r]![c + 1] === v && m[r + 1]![c] === v && m[r + 1]![c + 1] === v) score += 3;
    }
  // N3: 1:1:3:1:1 finder-like pattern with four light modules on one side
  const patterns = ['10111010000', '00001011101'];
  for (let a = 0; a < n; a++)
    for (let b = 0; b + 11 <= n; b++) {
      let row = '';
      let col = '';
      for (let k = 0; k < 11; k++) {
        row += m[a]![b + k] ? '1' : '0';
        col += m[b + k]![a] ? '1' : '0';
      }
      if (patterns.includes(row)) score += 40;
      if (patterns.includes(col)) score += 40;
    }
  // N4: distance of the dark proportion from 50 %, in steps of 5 %
  const dark = m.flat().filter(Boolean).length;
  score += 10 * Math.floor(Math.abs((dark * 100) / (n * n) - 50) / 5);
  return score;
}

/** Encodes up to 63 digits as a version 2-M QR code (numeric mode). */
export function encodeNumericQr(digits: string): QrCode {
  const data = numericCodewords(digits, QR_DATA_CODEWORDS);
  const codewords = [...data, ...reedSolomonRemainder(data, QR_EC_CODEWORDS)];
  const bits = codewords.flatMap((cw) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => ((cw >>> i) & 1) === 1));
  const base = functionPatterns();
  // version 2 has 7 remainder bits after the codewords (Table 1): they stay light (zero)
  const order = dataModuleOrder(base.fixed);
  let best: QrCode | null = null;
  let bestScore = Infinity;
  for (let mask = 0; mask < MASKS.length; mask++) {
    const m = base.dark.map((row) => [...row]);
    order.forEach(([r, c], k) => {
      m[r]![c] = (bits[k] ?? false) !== MASKS[mask]!(r, c);
    });
    const f = formatBits(mask);
    const { first, second } = formatPositions(QR_SIZE);
    for (const copy of [first, second]) copy.forEach(([r, c], i) => (m[r]![c] = ((f >>> i) & 1) === 1));
    const score = penalty(m);
    if (score < bestScore) {
      bestScore = score;
      best = { size: QR_SIZE, modules: m, mask };
    }
  }
  return best!;
}
