// The SQLite store and the in-memory one keep the same contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { MemoryServiceStore } from '../../src-shared/groups/service-store';
import { SqliteGroupStore } from './storage';
import { storeContract } from './test-support/storage-contract';

it('SQLite keeps the store contract, across two connections to one file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'groups-store-'));
  const a = new SqliteGroupStore(join(dir, 'groups.sqlite'));
  const b = new SqliteGroupStore(join(dir, 'groups.sqlite'));
  try {
    await storeContract(a, b);
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('the in-memory store keeps it too', async () => {
  await storeContract(new MemoryServiceStore());
});
