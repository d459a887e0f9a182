// The storage suite against a real PostgreSQL 15 started for this file.
import { afterAll, beforeAll } from 'vitest';
import { PostgresStorage } from './postgres';
import { storageSuite } from './suite';
import { storageTogetherSuite } from '../test-support/storage-together';
import { startPostgres, type PgCluster } from '../../../scripts/test-support/postgres';

let cluster: PgCluster;
let i = 0;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});
storageSuite('postgres', async () => PostgresStorage.open(await cluster.createDatabase(`suite_${++i}`)));
storageTogetherSuite('postgres', async () => PostgresStorage.open(await cluster.createDatabase(`suite_${++i}`)));
