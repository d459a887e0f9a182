// The SQLite store and the in-memory one keep the same contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MemoryServiceStore } from '../../src-shared/groups/service-store';
import { adminsText, parseAdmins, SqliteGroupStore } from './storage';
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

it('reads the admins column written before admins could be named (a bare array) as version 0', () => {
  expect(parseAdmins('["ab"]')).toEqual({ admins: ['ab'], adminVer: 0 });
  expect(parseAdmins(adminsText(['ab', 'cd'], 3))).toEqual({ admins: ['ab', 'cd'], adminVer: 3 });
  // the key epoch rides along; a stored group without it reads as unknown (learnt later)
  expect(parseAdmins(adminsText(['ab'], 1, 4))).toEqual({ admins: ['ab'], adminVer: 1, epoch: 4 });
  expect(parseAdmins('{"admins":["ab"],"ver":2,"epoch":"x"}')).toEqual({ admins: ['ab'], adminVer: 2 });
});
