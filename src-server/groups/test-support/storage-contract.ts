// The contract every group-service store keeps (SQLite, PostgreSQL, memory): groups with their
// creator and members, the log in order, per-member entries kept private, expiry honoured.
import { expect } from 'vitest';
import type { ServiceStore } from '../../../src-shared/groups/service-store';
import { testIdentity } from '../../../src-shared/groups/test-support/harness';

export async function storeContract(a: ServiceStore, b: ServiceStore = a): Promise<void> {
  const alice = testIdentity('alice');
  const bob = testIdentity('bob');
  const g = `g-${Math.random().toString(16).slice(2, 10)}`;
  expect(await a.getGroup(g)).toBeNull();
  expect(await a.createGroup(g, alice.fingerprint, alice.bundle, 1000)).toBe(true);
  expect(await b.createGroup(g, bob.fingerprint, bob.bundle, 1000)).toBe(false);
  await b.addMember(g, bob.fingerprint, bob.bundle);
  const got = await a.getGroup(g);
  expect(got?.creator).toBe(alice.fingerprint);
  expect(got?.admins).toEqual([alice.fingerprint]);
  expect(got?.adminVer).toBe(0);
  expect(got?.epoch).toBe(1);
  await a.setAdmins(g, [alice.fingerprint, bob.fingerprint], 1, 3);
  expect(await b.getGroup(g)).toMatchObject({ admins: [alice.fingerprint, bob.fingerprint], adminVer: 1, epoch: 3 });
  expect(got?.members.get(bob.fingerprint)).toEqual(bob.bundle);
  expect(got?.members.size).toBe(2);

  const s1 = await a.append(g, null, '{"n":1}', 1000, 5000);
  const s2 = await b.append(g, bob.fingerprint, '{"n":2}', 1000, 5000);
  const s3 = await a.append(g, null, '{"n":3}', 1000, 2000);
  expect(s1 < s2 && s2 < s3).toBe(true);
  expect(await a.head(g)).toBe(s3);
  expect((await b.since(g, bob.fingerprint, 0, 1500, 10)).map((e) => e.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  expect((await a.since(g, alice.fingerprint, 0, 1500, 10)).map((e) => e.body)).toEqual(['{"n":1}', '{"n":3}']);
  expect((await a.since(g, alice.fingerprint, s1, 1500, 10)).map((e) => e.seq)).toEqual([s3]);
  expect((await a.since(g, bob.fingerprint, 0, 1500, 1)).length).toBe(1);
  // expired entries are neither replayed nor kept
  expect((await a.since(g, bob.fingerprint, 0, 2500, 10)).map((e) => e.seq)).toEqual([s1, s2]);
  expect(await b.purgeExpired(2500)).toBeGreaterThanOrEqual(1);
  await a.removeMember(g, bob.fingerprint);
  expect((await b.getGroup(g))?.members.has(bob.fingerprint)).toBe(false);
}
