// The behaviour every PrekeyStorage engine must have, run against SQLite (unit) and PostgreSQL
// (integration): bound to the long-term key, one ensemble per instance tag, once-only hand-out
// even for concurrent takers (several replicas for PostgreSQL), expiry, caps.
import { expect } from 'vitest';
import type { PrekeyStorage, StorageLimits } from '../storage';

const LIMITS: StorageLimits = { maxPrekeyMessagesPerIdentity: 50, maxInstanceTagsPerIdentity: 3 };
const key = (n: number): Uint8Array => new Uint8Array(57).fill(n);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export async function storageContract(a: PrekeyStorage, b: PrekeyStorage): Promise<void> {
  const now = 1_000_000;
  const id = 'alice@example.org';
  const pms = (tag: number, n: number, from = 0) => Array.from({ length: n }, (_, k) => ({ id: from + k, encoded: bytes(`pm-${tag}-${from + k}`) }));
  expect(await a.storePublication({ identity: id, instanceTag: 0x100, longTermKey: key(1), clientProfile: { encoded: bytes('cp1'), expires: now + 100 }, prekeyProfile: { encoded: bytes('pp1'), expires: now + 100 }, prekeyMessages: pms(0x100, 10) }, LIMITS, now)).toEqual({ ok: true, stored: 10 });
  expect(await a.storePublication({ identity: id, instanceTag: 0x200, longTermKey: key(2), clientProfile: { encoded: bytes('cp2'), expires: now + 50 }, prekeyProfile: { encoded: bytes('pp2'), expires: now + 50 }, prekeyMessages: pms(0x200, 10) }, LIMITS, now)).toEqual({ ok: true, stored: 10 });
  // duplicates (same prekey id) are discarded
  expect(await a.storePublication({ identity: id, instanceTag: 0x100, longTermKey: key(1), prekeyMessages: pms(0x100, 2) }, LIMITS, now)).toEqual({ ok: true, stored: 0 });
  expect(await a.countPrekeyMessages(id, 0x100, key(1))).toBe(10);
  expect(await a.countPrekeyMessages(id, 0x100, key(9))).toBe(0);
  // caps: count and devices; a refused publication leaves nothing behind
  expect(await a.storePublication({ identity: id, instanceTag: 0x100, longTermKey: key(1), prekeyMessages: pms(0x100, 40, 100) }, LIMITS, now)).toEqual({ ok: false, reason: 'storage-full' });
  expect(await a.countPrekeyMessages(id, 0x100, key(1))).toBe(10);
  await a.storePublication({ identity: id, instanceTag: 0x300, longTermKey: key(3), prekeyMessages: pms(0x300, 1) }, LIMITS, now);
  expect(await a.storePublication({ identity: id, instanceTag: 0x400, longTermKey: key(4), prekeyMessages: pms(0x400, 1) }, LIMITS, now)).toEqual({ ok: false, reason: 'too-many-devices' });

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
  await a.storePublication({ identity: id, instanceTag: 0x200, longTermKey: key(5), clientProfile: { encoded: bytes('cp5'), expires: now + 500 }, prekeyMessages: [] }, LIMITS, now);
  expect(await a.countPrekeyMessages(id, 0x200, key(2))).toBe(0);
}
