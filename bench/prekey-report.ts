// For bench/prekey.ts: the table it prints.
import { percentile } from './support';

export interface Phase {
  name: string;
  ops: number;
  concurrency: number;
  seconds: number;
  /** ascending, ms */
  lat: number[];
  /** CPU seconds during the phase; serverLoop: the server's main thread (its event loop) */
  cpu: { server: number; serverLoop: number; prosody: number; bench: number };
  /** 1-minute load average when the phase started */
  load: number;
}

export function prekeyRows(phases: Phase[], prekeysPerPublication: number): string[][] {
  const rows = [['operation', 'count', 'conc.', 'per second', 'p50 ms', 'p99 ms', 'CPU ms/op server (its event loop) · prosody · bench', 'load']];
  for (const p of phases) {
    const perOp = (s: number) => ((1000 * s) / p.ops).toFixed(2);
    rows.push([
      p.name,
      String(p.ops),
      String(p.concurrency),
      (p.ops / p.seconds).toFixed(1),
      percentile(p.lat, 50).toFixed(1),
      percentile(p.lat, 99).toFixed(1),
      `${perOp(p.cpu.server)} (${perOp(p.cpu.serverLoop)}) · ${perOp(p.cpu.prosody)} · ${perOp(p.cpu.bench)}`,
      p.load.toFixed(2),
    ]);
    if (p.name.startsWith('publication')) {
      rows.push([
        `  = prekey messages stored`,
        String(p.ops * prekeysPerPublication),
        '',
        ((p.ops * prekeysPerPublication) / p.seconds).toFixed(1),
        '',
        '',
        '',
        '',
      ]);
    }
  }
  return rows;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
}
