// The PostgreSQL storage work of relayed knocks alone, without sockets or TLS (issue 17, round
// four): what bench/push.ts's servers ask of their databases for each knock, made by one process
// against a throwaway cluster, one knock after another (as at a steady rate, where batches hold
// a knock or two). It prints, per knock: the wall time of the calls on a knock's way (the
// round trips in a row: sending server, then receiving server), this process's CPU and the
// backends' CPU. It runs against any tree that has the storage: an older one (before
// enqueueFanOutOnce) reads the devices and then writes, as its relay handler did.
// Run: npx tsx bench/push-pg-storage.ts [--knocks N] [--batch K]
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { PostgresStorage } from '../src-server/push/storage/postgres';
import type { OutboxEntry, PushStorage } from '../src-server/push/storage/types';
import { startPostgres } from '../scripts/test-support/postgres';
import { pgCpuBetween, pgSnapshot } from './push-pg';

const { values } = parseArgs({ options: { knocks: { type: 'string', default: '3000' }, batch: { type: 'string', default: '1' } } });
const KNOCKS = Number(values.knocks);
/** knocks per relay request (and per turn on the sending server) */
const BATCH = Number(values.batch);
const id = () => randomBytes(16).toString('base64url');

interface FanOut {
  enqueueFanOutOnce?(gate: unknown, items: unknown[], shape: unknown): Promise<Array<{ fresh: boolean; entries: OutboxEntry[] }> | null>;
}

interface KnockOnce {
  enqueueKnockOnce?(login: { tokenHash: string; now: number }, seen: unknown, entries: OutboxEntry[]): Promise<string>;
}

async function main(): Promise<void> {
  const load = loadavg()[0]!.toFixed(1);
  const cluster = await startPostgres();
  const s1: PushStorage = await PostgresStorage.open(await cluster.createDatabase('bench_push_1'));
  const s2: PushStorage = await PostgresStorage.open(await cluster.createDatabase('bench_push_2'));
  const t = Date.now();
  const names: string[] = [];
  await s1.createAccount({ id: 'sender', pushName: 'sender', passwordHash: 'x', email: '', createdAt: t });
  await s1.putAuthToken('tok', 'sender', t, t + 3_600_000);
  for (let a = 0; a < 50; a++) {
    names.push(`r${a}`);
    await s2.createAccount({ id: `acc${a}`, pushName: `r${a}`, passwordHash: 'x', email: '', createdAt: t });
    for (let d = 0; d < 4; d++)
      await s2.createDevice(
        { id: id(), accountId: `acc${a}`, kind: 'desktop', registrationId: '', channelHash: id(), name: '', deviceId: '', active: true, createdAt: t + d },
        50,
      );
  }
  const payload = JSON.stringify({ kind: 'knock', knock: { id: id(), pad: 'x'.repeat(300) } });
  const entry = (target: 'peer' | 'device', targetId: string): OutboxEntry => ({
    id: id(),
    target,
    targetId,
    accountId: '',
    kind: target === 'peer' ? 'peer' : 'desktop',
    payload,
    createdAt: t,
    expiresAt: t + 3_600_000,
    attempts: 0,
    nextAttemptAt: t,
  });
  const shape = { kinds: ['desktop'], createdAt: t, expiresAt: t + 3_600_000, leaseMs: 30_000 };
  const fanOut = (s2 as unknown as FanOut).enqueueFanOutOnce?.bind(s2);
  const knockOnce = (s1 as unknown as KnockOnce).enqueueKnockOnce?.bind(s1);

  /** one relay of BATCH knocks: what both servers' storage does for it; returns the wall time on the knocks' way */
  async function relay(n: number): Promise<number> {
    const t0 = performance.now();
    // sending server: the knock POSTs of one turn (token check, then the knock with its replay
    // id; with enqueueKnockOnce, the login is remembered and checked inside the write)
    const sent = Array.from({ length: BATCH }, () => entry('peer', 'https://peer.example/'));
    if (knockOnce) await Promise.all(sent.map((e) => knockOnce({ tokenHash: 'tok', now: t }, { scope: 'knock', id: id(), expiresAt: t + 3_600_000 }, [e])));
    else {
      await Promise.all(Array.from({ length: BATCH }, () => s1.accountByAuthToken('tok', t)));
      await Promise.all(sent.map((e) => s1.enqueueOnce({ scope: 'knock', id: id(), expiresAt: t + 3_600_000 }, [e])));
    }
    // receiving server: the relay
    const knocks = Array.from({ length: BATCH }, (_, i) => ({
      seen: { scope: 'knock-in', id: id(), expiresAt: t + 3_600_000 },
      pushName: names[(n + i) % names.length]!,
    }));
    const gate = { scope: 'relay', id: id(), expiresAt: t + 3_600_000 };
    let delivered: OutboxEntry[];
    if (fanOut) {
      const r = await fanOut(
        gate,
        knocks.map((k) => ({ ...k, payload })),
        shape,
      );
      delivered = r!.flatMap((x) => x.entries);
    } else {
      const items = await Promise.all(
        knocks.map(async (k) => ({
          seen: k.seen,
          entries: (await s2.devicesByName(k.pushName)).map((d) => ({ ...entry('device', d.id), accountId: d.accountId })),
        })),
      );
      await s2.enqueueBatchOnce(gate, items);
      delivered = items.flatMap((x) => x.entries);
    }
    const wall = performance.now() - t0;
    // off the knocks' way: the sender removes what it relayed, the devices acknowledge
    await Promise.all([s1.removeEntries(sent.map((e) => e.id)), s2.ackDeliveries(delivered.map((e) => ({ deviceId: e.targetId, entryId: e.id })))]);
    return wall;
  }

  for (let i = 0; i < 200; i++) await relay(i); // warm-up
  const pgBefore = pgSnapshot(cluster.port);
  const cpuBefore = process.cpuUsage();
  const walls: number[] = [];
  for (let i = 0; i < KNOCKS / BATCH; i++) walls.push(await relay(i));
  const cpu = process.cpuUsage(cpuBefore);
  const pg = pgCpuBetween(pgBefore, pgSnapshot(cluster.port));
  walls.sort((a, b) => a - b);
  const per = (x: number) => ((x * 1000) / KNOCKS).toFixed(3);
  console.log(
    `${knockOnce ? 'enqueueKnockOnce, ' : 'accountByAuthToken + enqueueOnce, '}${fanOut ? 'enqueueFanOutOnce' : 'devicesByName + enqueueBatchOnce'}, ${BATCH} knock(s) per relay, ${KNOCKS} knocks, load ${load}: ` +
      `wall per relay p50 ${walls[Math.floor(walls.length / 2)]!.toFixed(2)} ms, p99 ${walls[Math.floor(walls.length * 0.99)]!.toFixed(2)} ms; ` +
      `CPU per knock ms: node ${per((cpu.user + cpu.system) / 1e6)}, pg s1 ${per(pg.s1)}, pg s2 ${per(pg.s2)}, pg other ${per(pg.other)}`,
  );
  await s1.close();
  await s2.close();
  await cluster.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
