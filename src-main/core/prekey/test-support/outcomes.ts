// Listens to the prekey lifecycle's diagnostics channel (lifecycle.ts PREKEY_CHANNEL) for the
// integration tests: every outcome the cores in this process report, and waiting on one of them
// (already seen or future; the timeout is only a safety net).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { PREKEY_CHANNEL, type PrekeyOutcome } from '../lifecycle';

export interface PrekeyOutcomes {
  readonly all: PrekeyOutcome[];
  /** the n-th (0-based) outcome of the account that matches `match` (default: any) */
  wait(accountId: string, match?: (o: PrekeyOutcome) => boolean, n?: number, timeoutMs?: number): Promise<PrekeyOutcome>;
  stop(): void;
}

export function listenToPrekeyOutcomes(): PrekeyOutcomes {
  const all: PrekeyOutcome[] = [];
  const waiters = new Set<() => void>();
  const onOutcome = (o: unknown): void => {
    all.push(o as PrekeyOutcome);
    for (const w of [...waiters]) w();
  };
  subscribe(PREKEY_CHANNEL, onOutcome);
  return {
    all,
    wait(accountId, match = () => true, n = 0, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = all.filter((o) => o.accountId === accountId && match(o))[n];
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(t);
          resolve(hit);
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for prekey outcome ${n} of ${accountId}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop() {
      unsubscribe(PREKEY_CHANNEL, onOutcome);
    },
  };
}
