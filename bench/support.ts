// What every benchmark script prints or computes the same way.
import { cpus, loadavg } from 'node:os';

/** the load average, so that every run states the conditions it ran under */
export function loadLine(): string {
  const [l1, l5, l15] = loadavg().map((x) => x.toFixed(2));
  return `loadavg ${l1} / ${l5} / ${l15} (1/5/15 min) on ${cpus().length} CPUs`;
}

/** the p-th percentile of ascending `sorted` by nearest rank; NaN when empty */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** runs a script's main and exits with its status (1 on an exception) */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/**
 * The line `npm run bench` (bench/run-all.ts) collects: one per figure, printed at the end of a
 * script. `goal` is the target as text ("<= 1.5x libotr"), `met` whether the figure meets it.
 */
export function benchResult(r: { name: string; value: number; unit: string; goal: string; met: boolean }): void {
  console.log(`BENCH-RESULT ${JSON.stringify({ ...r, value: Number(r.value.toFixed(3)) })}`);
}

/** `--short` (what `npm run bench` passes): a quick run whose figures are indicative, not of record */
export const isShort = (argv: string[] = process.argv): boolean => argv.includes('--short');
