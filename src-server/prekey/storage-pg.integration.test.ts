// PostgreSQL storage against a real PostgreSQL 15: the same contract as SQLite, with two
// connection pools standing for two replicas of the prekey server.
import { afterAll, beforeAll, it } from 'vitest';
import { PostgresPrekeyStorage } from './storage-pg';
import { type PgCluster, startPostgres } from '../../scripts/test-support/postgres';
import { storageContract } from './test-support/storage-contract';

let pg: PgCluster;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

it('PostgreSQL storage keeps the storage contract across two replicas', async () => {
  const url = await pg.createDatabase('prekeys');
  const a = await PostgresPrekeyStorage.connect(url);
  const b = await PostgresPrekeyStorage.connect(url);
  try {
    await storageContract(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});
