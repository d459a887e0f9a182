import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from './sqlite';
import { storageSuite } from './suite';

const dir = mkdtempSync(join(tmpdir(), 'push-sqlite-'));
let i = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
storageSuite('sqlite', async () => new SqliteStorage(join(dir, `db${++i}.sqlite`)));
