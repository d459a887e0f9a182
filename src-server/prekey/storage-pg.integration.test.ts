// PostgreSQL storage against a real PostgreSQL 15: the same contract as SQLite, with two
// connection pools standing for two replicas of the prekey server.
import { afterAll, beforeAll, it } from 'vitest';
import { PostgresPrekeyStorage } from './storage-pg';
import { type PgCluster, startPostgres } from '../../scripts/test-support/postgres';
import { legacyKeyTypeOrderContract, storageContract } from './test-support/storage-contract';

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

it('PostgreSQL storage drops profiles stored with the old key-type byte order', async () => {
  const url = await pg.createDatabase('prekeys_legacy');
  const a = await PostgresPrekeyStorage.connect(url);
  try {
    await legacyKeyTypeOrderContract(a);
  } finally {
    await a.close();
  }
});
