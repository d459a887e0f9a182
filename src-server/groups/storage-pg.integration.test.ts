// PostgreSQL store against a real PostgreSQL: the same contract, two pools standing for two replicas.
import { afterAll, beforeAll, it } from 'vitest';
import { type PgCluster, startPostgres } from '../../scripts/test-support/postgres';
import { PostgresGroupStore } from './storage-pg';
import { storeContract } from './test-support/storage-contract';

let pg: PgCluster;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

it('PostgreSQL keeps the store contract across two replicas', async () => {
  const url = await pg.createDatabase('groups');
  const a = await PostgresGroupStore.connect(url);
  const b = await PostgresGroupStore.connect(url);
  try {
    await storeContract(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});
