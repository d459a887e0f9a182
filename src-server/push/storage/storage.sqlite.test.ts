import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from './sqlite';
import { storageSuite } from './suite';
import { storageTogetherSuite } from '../test-support/storage-together';

const dir = mkdtempSync(join(tmpdir(), 'push-sqlite-'));
let i = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
storageSuite('sqlite', async () => new SqliteStorage(join(dir, `db${++i}.sqlite`)));
storageTogetherSuite('sqlite', async () => new SqliteStorage(join(dir, `db${++i}.sqlite`)));

describe('storage (sqlite): checkpoints', () => {
  it('copies the WAL into the database off the event loop, then starts the WAL over; loses nothing', async () => {
    const file = join(dir, 'wal.sqlite');
    let s = new SqliteStorage(file);
    const payload = 'x'.repeat(1000);
    const total = 6000;
    for (let n = 0; n < total; n += 50) {
      await s.enqueue(
        Array.from({ length: 50 }, (_, j) => ({
          id: `e${String(n + j).padStart(21, '0')}`,
          target: 'device' as const,
          targetId: `dev-${(n + j) % 7}`,
          accountId: 'acc',
          kind: 'desktop' as const,
          payload,
          createdAt: n + j,
          expiresAt: 1e15,
          attempts: 0,
          nextAttemptAt: 0,
        })),
      );
    }
    await s.checkpoint();
    // the rows are in the database file itself now, not only in the WAL
    expect(statSync(file).size).toBeGreaterThan(total * payload.length);
    // a checkpointed WAL is started over by the next write, instead of growing
    const wal = statSync(`${file}-wal`).size;
    await s.enqueue([
      {
        id: 'e-after-checkpoint-000',
        target: 'device',
        targetId: 'dev-0',
        accountId: 'acc',
        kind: 'desktop',
        payload,
        createdAt: total,
        expiresAt: 1e15,
        attempts: 0,
        nextAttemptAt: 0,
      },
    ]);
    expect(statSync(`${file}-wal`).size).toBe(wal);
    await s.close();
    s = new SqliteStorage(file);
    expect(await s.countQueued()).toBe(total + 1);
    await s.close();
  });
});

describe('storage (sqlite): multi-row statements', () => {
  it('inserts, acknowledges and removes more rows than one statement holds (chunks of 32), each only once', async () => {
    const s = new SqliteStorage(join(dir, 'chunks.sqlite'));
    const mk = (k: number, target: 'device' | 'peer') => ({
      id: `c${target[0]}${String(k).padStart(20, '0')}`,
      target,
      targetId: target === 'device' ? `dev-${k % 3}` : 'https://p.example/api/v1/',
      accountId: target === 'device' ? 'acc' : '',
      kind: target === 'device' ? ('desktop' as const) : ('peer' as const),
      payload: '{}',
      createdAt: k,
      expiresAt: 1e15,
      attempts: 0,
      nextAttemptAt: 0,
    });
    const dev = Array.from({ length: 70 }, (_, k) => mk(k, 'device'));
    const peer = Array.from({ length: 70 }, (_, k) => mk(k, 'peer'));
    await s.enqueue([...dev, ...peer]);
    expect(await s.countQueued()).toBe(140);
    // every entry acked by its device, the first one twice and one by the wrong device
    const acks = [...dev.map((e) => ({ deviceId: e.targetId, entryId: e.id })), { deviceId: dev[0]!.targetId, entryId: dev[0]!.id }];
    acks[5] = { deviceId: 'dev-other', entryId: dev[5]!.id };
    const res = await s.ackDeliveries(acks);
    expect(res.filter(Boolean)).toHaveLength(69);
    expect(res[5]).toBe(false);
    expect(res.at(-1)).toBe(false);
    await s.removeEntries(peer.slice(0, 65).map((e) => e.id));
    expect(await s.countQueued()).toBe(1 + 5);
    await s.close();
  });
});
