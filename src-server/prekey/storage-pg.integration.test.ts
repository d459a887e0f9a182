// PostgreSQL storage against a real PostgreSQL 15: the same contract as SQLite, with two
// connection pools standing for two replicas of the prekey server.
import { afterAll, beforeAll, it } from 'vitest';
import { PostgresPrekeyStorage } from './storage-pg';
import { type Postgres, startPostgres } from './test-support/postgres';
import { storageContract } from './test-support/storage-contract';

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

it('PostgreSQL storage keeps the storage contract across two replicas', async () => {
  const a = await PostgresPrekeyStorage.connect(pg.url);
  const b = await PostgresPrekeyStorage.connect(pg.url);
  try {
    await storageContract(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});
