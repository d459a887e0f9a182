import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SqlitePrekeyStorage, clampExpiry } from './storage';
import { legacyKeyTypeOrderContract, storageContract } from './test-support/storage-contract';

it('SQLite storage keeps the storage contract (two handles on one file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prekey-sqlite-'));
  const a = new SqlitePrekeyStorage(join(dir, 'db.sqlite'));
  const b = new SqlitePrekeyStorage(join(dir, 'db.sqlite'));
  try {
    await storageContract(a, b);
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('SQLite storage drops profiles stored with the old key-type byte order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prekey-sqlite-'));
  const a = new SqlitePrekeyStorage(join(dir, 'db.sqlite'));
  try {
    await legacyKeyTypeOrderContract(a);
  } finally {
    await a.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('clamps 64-bit expiries to exact integers', () => {
  expect(clampExpiry(2n ** 62n)).toBe(Number.MAX_SAFE_INTEGER);
  expect(clampExpiry(-(2n ** 62n))).toBe(-Number.MAX_SAFE_INTEGER);
  expect(clampExpiry(1700000000n)).toBe(1700000000);
});
