// A delivery's fan-out to an account's devices (api/services.ts; "Server-to-Client
// Communication"): one queue entry per active device of a kind this server can deliver to. One
// definition for the API and for the storage engines that build a relayed knock's fan-out
// themselves (enqueueFanOutOnce; PostgreSQL does it in SQL, postgres-batch.ts, with the same rules).
import { randomId } from '../secrets';
import type { DeviceRow, FanOutShape, OutboxEntry } from './types';

/** when an entry is first due: desktop ones at once (the desktop channel sends them), adapter
 * ones after the lease, since the worker is handed them at once (WorkerDeps.leaseMs) */
export function firstAttempt(kind: string, shape: FanOutShape): number {
  return kind === 'desktop' ? shape.createdAt : shape.createdAt + shape.leaseMs;
}

/** the entries for `devices` (nothing written), and how many active devices were left out because
 * their kind is not deliverable here */
export function fanOutEntries(devices: ReadonlyArray<DeviceRow>, payload: string, shape: FanOutShape): { entries: OutboxEntry[]; skipped: number } {
  const active = devices.filter((d) => d.active);
  const devs = active.filter((d) => shape.kinds.includes(d.kind));
  const entries = devs.map((dev): OutboxEntry => ({
    id: randomId(),
    target: 'device',
    targetId: dev.id,
    accountId: dev.accountId,
    kind: dev.kind,
    payload,
    createdAt: shape.createdAt,
    expiresAt: shape.expiresAt,
    attempts: 0,
    nextAttemptAt: firstAttempt(dev.kind, shape),
  }));
  return { entries, skipped: active.length - devs.length };
}
