// The behaviour every PrekeyStorage engine must have, run against SQLite (unit) and PostgreSQL
// (integration): bound to the long-term key, one ensemble per instance tag, once-only hand-out
// even for concurrent takers (several replicas for PostgreSQL), expiry, caps; dropping profiles
// stored in the old key-type byte order.
import { expect } from 'vitest';
import { createClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { G } from '../../../src-shared/otr/v4/ed448';
import { edKeyPairFromSymmetric } from '../../../src-shared/otr/v4/keys';
import { createPrekeyProfile } from '../../../src-shared/otr/v4/prekey-profile';
import type { PrekeyStorage, StorageLimits } from '../storage';

const LIMITS: StorageLimits = { maxPrekeyMessagesPerIdentity: 50, maxInstanceTagsPerIdentity: 3 };
const key = (n: number): Uint8Array => new Uint8Array(57).fill(n);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export async function storageContract(a: PrekeyStorage, b: PrekeyStorage): Promise<void> {
  const now = 1_000_000;
  const id = 'alice@example.org';
  const pms = (tag: number, n: number, from = 0) => Array.from({ length: n }, (_, k) => ({ id: from + k, encoded: bytes(`pm-${tag}-${from + k}`) }));
  expect(
    await a.storePublication(
      {
        identity: id,
        instanceTag: 0x100,
        longTermKey: key(1),
        clientProfile: { encoded: bytes('cp1'), expires: now + 100 },
        prekeyProfile: { encoded: bytes('pp1'), expires: now + 100 },
        prekeyMessages: pms(0x100, 10),
      },
      LIMITS,
      now,
    ),
  ).toEqual({ ok: true, stored: 10 });
  expect(
    await a.storePublication(
      {
        identity: id,
        instanceTag: 0x200,
        longTermKey: key(2),
        clientProfile: { encoded: bytes('cp2'), expires: now + 50 },
        prekeyProfile: { encoded: bytes('pp2'), expires: now + 50 },
        prekeyMessages: pms(0x200, 10),
      },
      LIMITS,
      now,
    ),
  ).toEqual({ ok: true, stored: 10 });
  // duplicates (same prekey id) are discarded
  expect(await a.storePublication({ identity: id, instanceTag: 0x100, longTermKey: key(1), prekeyMessages: pms(0x100, 2) }, LIMITS, now)).toEqual({
    ok: true,
    stored: 0,
  });
  expect(await a.countPrekeyMessages(id, 0x100, key(1))).toBe(10);
  expect(await a.countPrekeyMessages(id, 0x100, key(9))).toBe(0);
  // caps: count and devices; a refused publication leaves nothing behind
  expect(await a.storePublication({ identity: id, instanceTag: 0x100, longTermKey: key(1), prekeyMessages: pms(0x100, 40, 100) }, LIMITS, now)).toEqual({
    ok: false,
    reason: 'storage-full',
  });
  expect(await a.countPrekeyMessages(id, 0x100, key(1))).toBe(10);
  await a.storePublication({ identity: id, instanceTag: 0x300, longTermKey: key(3), prekeyMessages: pms(0x300, 1) }, LIMITS, now);
  expect(await a.storePublication({ identity: id, instanceTag: 0x400, longTermKey: key(4), prekeyMessages: pms(0x400, 1) }, LIMITS, now)).toEqual({
    ok: false,
    reason: 'too-many-devices',
  });

  // one ensemble per instance tag with complete values (0x300 has no profiles)
  const first = await b.takeEnsembles(id, now);
  expect(first.map((e) => [e.instanceTag, new TextDecoder().decode(e.clientProfile), new TextDecoder().decode(e.prekeyProfile)])).toEqual([
    [0x100, 'cp1', 'pp1'],
    [0x200, 'cp2', 'pp2'],
  ]);
  expect(await a.countPrekeyMessages(id, 0x100, key(1))).toBe(9);

  // concurrent takers on both handles: every prekey message handed out exactly once
  const all = await Promise.all(Array.from({ length: 24 }, (_, k) => (k % 2 ? a : b).takeEnsembles(id, now)));
  const handed = [...first, ...all.flat()].map((e) => new TextDecoder().decode(e.prekeyMessage));
  expect(handed).toHaveLength(20);
  expect(new Set(handed).size).toBe(20);

  // expiry: nothing expired is handed out; purge removes it
  await a.storePublication({ identity: id, instanceTag: 0x200, longTermKey: key(2), prekeyMessages: pms(0x200, 3, 50) }, LIMITS, now);
  expect(await a.takeEnsembles(id, now + 60)).toEqual([]);
  expect(await a.purgeExpired(now + 200, 10_000)).toBe(4);
  // a new long-term key for a device drops that device's older prekey values
  await a.storePublication(
    { identity: id, instanceTag: 0x200, longTermKey: key(5), clientProfile: { encoded: bytes('cp5'), expires: now + 500 }, prekeyMessages: [] },
    LIMITS,
    now,
  );
  expect(await a.countPrekeyMessages(id, 0x200, key(2))).toBe(0);
}

/**
 * Upgrading from the old key-type byte order: profiles stored as `00 10` / `00 12` / `00 11`
 * are dropped at start, spec-order ones (`10 00` …) stay, prekey messages stay.
 */
export async function legacyKeyTypeOrderContract(a: PrekeyStorage): Promise<void> {
  const now = 1_704_000_000;
  const keyPair = edKeyPairFromSymmetric(new Uint8Array(57).fill(9));
  const cp = createClientProfile({ ownerTag: 0x100, keyPair, forgingKey: G, versions: '4', expires: BigInt(now + 1000) }).encoded;
  const pp = createPrekeyProfile({ ownerTag: 0x100, keyPair, sharedPrekey: G.multiply(3n), expires: BigInt(now + 1000) }).encoded;
  const oldCp = Uint8Array.from(cp);
  oldCp.set([0x00, 0x10], 12);
  oldCp.set([0x00, 0x12], 12 + 59 + 2);
  const oldPp = Uint8Array.from(pp);
  oldPp.set([0x00, 0x11], 12);
  const H = keyPair.publicBytes;
  const pm = [{ id: 1, encoded: bytes('pm') }];
  await a.storePublication(
    {
      identity: 'old@example.org',
      instanceTag: 0x100,
      longTermKey: H,
      clientProfile: { encoded: oldCp, expires: now + 1000 },
      prekeyProfile: { encoded: oldPp, expires: now + 1000 },
      prekeyMessages: pm,
    },
    LIMITS,
    now,
  );
  await a.storePublication(
    {
      identity: 'new@example.org',
      instanceTag: 0x100,
      longTermKey: H,
      clientProfile: { encoded: cp, expires: now + 1000 },
      prekeyProfile: { encoded: pp, expires: now + 1000 },
      prekeyMessages: pm,
    },
    LIMITS,
    now,
  );
  expect(await a.purgeLegacyKeyTypeOrder()).toBe(2);
  expect(await a.purgeLegacyKeyTypeOrder()).toBe(0);
  expect(await a.takeEnsembles('old@example.org', now)).toEqual([]);
  expect(await a.countPrekeyMessages('old@example.org', 0x100, H)).toBe(1);
  const kept = await a.takeEnsembles('new@example.org', now);
  expect(kept.map((e) => [e.clientProfile, e.prekeyProfile])).toEqual([[cp, pp]]);
  // the client publishes its profiles again (spec order): its stored prekey message is usable again
  await a.storePublication(
    {
      identity: 'old@example.org',
      instanceTag: 0x100,
      longTermKey: H,
      clientProfile: { encoded: cp, expires: now + 1000 },
      prekeyProfile: { encoded: pp, expires: now + 1000 },
      prekeyMessages: [],
    },
    LIMITS,
    now,
  );
  expect((await a.takeEnsembles('old@example.org', now)).map((e) => e.prekeyMessage)).toEqual([bytes('pm')]);
}
