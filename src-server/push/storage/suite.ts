// The storage test suite, run against both engines (storage.sqlite.test.ts and
// storage.postgres.integration.test.ts): one interface, one behaviour.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxEntry, PushStorage } from './types';

let n = 0;
/** a fresh id of the queue's shape (22 characters), prefixed for reading failures */
export const id = (p: string) => `${p}${String(++n).padStart(20, '0')}`.slice(-22);

/** an outbox entry for a desktop device, due now */
export function entry(over: Partial<OutboxEntry> & Pick<OutboxEntry, 'targetId'>): OutboxEntry {
  return {
    id: id('e'),
    target: 'device',
    accountId: 'acc',
    kind: 'desktop',
    payload: '{"kind":"knock"}',
    createdAt: 1000,
    expiresAt: 10_000,
    attempts: 0,
    nextAttemptAt: 1000,
    ...over,
  };
}

/** inside a describe: opens a new storage per call, and closes every one after each test */
export function freshStorages(open: () => Promise<PushStorage>): () => Promise<PushStorage> {
  const opened: PushStorage[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  return async () => {
    const s = await open();
    opened.push(s);
    return s;
  };
}

export function storageSuite(engine: string, open: () => Promise<PushStorage>): void {
  describe(`storage (${engine})`, () => {
    const fresh = freshStorages(open);

    async function withAccount(s: PushStorage, name = 'alice') {
      const a = { id: `id-${name}`, pushName: name, passwordHash: 'scrypt$x', email: '', createdAt: 1 };
      expect(await s.createAccount(a)).toBe(true);
      return a;
    }
    async function withDevice(s: PushStorage, accountId: string, devId: string, kind: 'desktop' | 'apns' = 'desktop') {
      await s.createDevice(
        {
          id: devId,
          accountId,
          kind,
          registrationId: kind === 'apns' ? 'ab'.repeat(32) : '',
          channelHash: kind === 'desktop' ? `h-${devId}` : '',
          name: 'Bob\'s "laptop"; DROP TABLE devices; --',
          deviceId: '',
          active: true,
          createdAt: 5,
        },
        50,
      );
    }

    it('caps devices and whitelist tokens inside the write, also for calls made together (finding 6)', async () => {
      const s = await fresh();
      const a = await withAccount(s, 'capped');
      const dev = (i: number) => ({
        id: `cap-${i}`,
        accountId: a.id,
        kind: 'desktop' as const,
        registrationId: '',
        channelHash: `hc-${i}`,
        name: '',
        deviceId: '',
        active: true,
        createdAt: i,
      });
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => s.createDevice(dev(i), 5)));
      expect(made.filter(Boolean)).toHaveLength(5);
      expect(await s.devices(a.id)).toHaveLength(5);
      const tok = (i: number) => ({ id: `tc-${i}`, hash: `thc-${i}`, accountId: a.id, deviceId: null, name: '', createdAt: i, expiresAt: 1e12 });
      const issued = await Promise.all(Array.from({ length: 9 }, (_, i) => s.createWhitelistToken(tok(i), 3)));
      expect(issued.filter(Boolean)).toHaveLength(3);
      expect(await s.whitelistTokens(a.id)).toHaveLength(3);
    });

    it('creates accounts once per push_name and finds them by name and id', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      expect(await s.createAccount({ ...a, id: 'other' })).toBe(false);
      expect(await s.accountByName('alice')).toEqual(a);
      expect(await s.accountById(a.id)).toEqual(a);
      expect(await s.accountByName('ALICE')).toBeNull();
      expect(await s.accountById('nope')).toBeNull();
    });

    it('auth tokens are valid until they expire and can be deleted', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      await s.putAuthToken('h1', a.id, 10, 100);
      expect(await s.accountByAuthToken('h1', 99)).toEqual(a);
      expect(await s.accountByAuthToken('h1', 100)).toBeNull();
      await s.deleteAuthToken('h1');
      expect(await s.accountByAuthToken('h1', 50)).toBeNull();
    });

    it('stores devices verbatim, filters by kind, updates and finds desktop devices by channel hash', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      await withDevice(s, a.id, 'd1');
      await withDevice(s, a.id, 'd2', 'apns');
      expect((await s.devices(a.id)).map((d) => d.id)).toEqual(['d1', 'd2']);
      expect((await s.devices(a.id, 'apns')).map((d) => d.id)).toEqual(['d2']);
      expect((await s.device('d1'))?.name).toBe('Bob\'s "laptop"; DROP TABLE devices; --');
      expect((await s.deviceByChannelHash('h-d1'))?.id).toBe('d1');
      expect(await s.deviceByChannelHash('')).toBeNull();
      await s.updateDevice('d1', { active: false, name: 'new' });
      expect(await s.device('d1')).toMatchObject({ active: false, name: 'new', kind: 'desktop' });
    });

    it("devicesByName: a push_name's devices, read again after every device or account change (issue 17 cache)", async () => {
      const s = await fresh();
      const ids = async (name: string) => (await s.devicesByName(name)).map((d) => `${d.id}:${d.active}`);
      expect(await ids('alice')).toEqual([]);
      const a = await withAccount(s);
      expect(await ids('alice')).toEqual([]);
      await withDevice(s, a.id, 'd1');
      expect(await ids('alice')).toEqual(['d1:true']);
      // a second read (a cache hit on SQLite) and a device added after it
      expect(await ids('alice')).toEqual(['d1:true']);
      await withDevice(s, a.id, 'd2', 'apns');
      expect(await ids('alice')).toEqual(['d1:true', 'd2:true']);
      await s.updateDevice('d1', { active: false });
      expect(await ids('alice')).toEqual(['d1:false', 'd2:true']);
      await s.deleteDevice('d2');
      expect(await ids('alice')).toEqual(['d1:false']);
      // another account's devices are not the name's
      const b = await withAccount(s, 'bob');
      await withDevice(s, b.id, 'd3');
      expect(await ids('alice')).toEqual(['d1:false']);
      await s.deleteAccount(a.id);
      expect(await ids('alice')).toEqual([]);
      // the same name registered again starts with no devices
      const again = { id: 'id-alice-2', pushName: 'alice', passwordHash: 'scrypt$x', email: '', createdAt: 2 };
      expect(await s.createAccount(again)).toBe(true);
      expect(await ids('alice')).toEqual([]);
      expect(await ids('bob')).toEqual(['d3:true']);
    });

    it('deleting a device removes its whitelist tokens and queue entries', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      await withDevice(s, a.id, 'd1');
      await s.createWhitelistToken({ id: 't1', hash: 'th1', accountId: a.id, deviceId: 'd1', name: '', createdAt: 1, expiresAt: 99 }, 500);
      await s.enqueue([entry({ targetId: 'd1', accountId: a.id })]);
      await s.deleteDevice('d1');
      expect(await s.whitelistTokenByHash('th1')).toBeNull();
      expect(await s.pendingForDevice('d1', 0, 10)).toEqual([]);
      expect(await s.countQueued()).toBe(0);
    });

    it('deleting an account removes everything it owns and nothing else', async () => {
      const s = await fresh();
      const a = await withAccount(s, 'alice');
      const b = await withAccount(s, 'bob');
      for (const [acc, dev] of [
        [a, 'da'],
        [b, 'db'],
      ] as const) {
        await withDevice(s, acc.id, dev);
        await s.putAuthToken(`auth-${dev}`, acc.id, 1, 1e12);
        await s.createWhitelistToken({ id: `t-${dev}`, hash: `h-${dev}`, accountId: acc.id, deviceId: null, name: 'x', createdAt: 1, expiresAt: 1e12 }, 500);
        await s.enqueue([entry({ targetId: dev, accountId: acc.id })]);
      }
      await s.deleteAccount(a.id);
      expect(await s.accountById(a.id)).toBeNull();
      expect(await s.accountByAuthToken('auth-da', 2)).toBeNull();
      expect(await s.device('da')).toBeNull();
      expect(await s.whitelistTokenByHash('h-da')).toBeNull();
      expect(await s.pendingForDevice('da', 0, 10)).toEqual([]);
      expect((await s.accountByAuthToken('auth-db', 2))?.id).toBe(b.id);
      expect(await s.device('db')).not.toBeNull();
      expect(await s.whitelistTokenByHash('h-db')).not.toBeNull();
      expect(await s.countQueued()).toBe(1);
    });

    it('queues entries per device in order, hides expired ones and deletes on ack by the right device only', async () => {
      const s = await fresh();
      const woke: string[][] = [];
      const off = s.onQueued((ids) => woke.push(ids));
      const e1 = entry({ targetId: 'dev-a', createdAt: 1 });
      const e2 = entry({ targetId: 'dev-a', createdAt: 2, expiresAt: 50 });
      const e3 = entry({ targetId: 'dev-b', createdAt: 3 });
      await s.enqueue([e1, e2, e3]);
      expect((await s.pendingForDevice('dev-a', 10, 10)).map((e) => e.id)).toEqual([e1.id, e2.id]);
      expect((await s.pendingForDevice('dev-a', 60, 10)).map((e) => e.id)).toEqual([e1.id]);
      expect(await s.pendingForDevice('dev-a', 10, 1)).toEqual([e1]);
      expect(await s.ackDelivery('dev-b', e1.id)).toBe(false);
      expect(await s.ackDelivery('dev-a', e1.id)).toBe(true);
      expect(await s.ackDelivery('dev-a', e1.id)).toBe(false);
      // wake-ups may arrive asynchronously (PostgreSQL NOTIFY): wait for them
      await expect.poll(() => woke.flat().sort(), { timeout: 10_000 }).toEqual(['dev-a', 'dev-b']);
      off();
      expect(await s.purgeExpired(60)).toBe(1);
      expect(await s.countQueued()).toBe(1);
    });

    it('claims due entries of the given kinds with a lease, never twice concurrently', async () => {
      const s = await fresh();
      const push = Array.from({ length: 20 }, () => entry({ targetId: 'd', kind: 'apns', nextAttemptAt: 100 }));
      const peer = entry({ target: 'peer', targetId: 'https://peer.example/api/v1/', kind: 'peer', accountId: '', nextAttemptAt: 100 });
      const desk = entry({ targetId: 'd', kind: 'desktop', nextAttemptAt: 0 });
      const later = entry({ targetId: 'd', kind: 'apns', nextAttemptAt: 500 });
      await s.enqueue([...push, peer, desk, later]);
      const [x, y] = await Promise.all([s.claimDue(['apns', 'peer'], 200, 1000, 15), s.claimDue(['apns', 'peer'], 200, 1000, 15)]);
      const ids = [...x, ...y].map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual([...push, peer].map((e) => e.id).sort());
      expect(await s.claimDue(['apns', 'peer'], 300, 1000, 50)).toEqual([]);
      // the lease runs out: due again (with `later`)
      expect((await s.claimDue(['apns'], 1200, 1000, 50)).length).toBe(21);
      await s.reschedule(later.id, 3, 5000);
      const again = await s.claimDue(['apns'], 5000, 1000, 50);
      expect(again.find((e) => e.id === later.id)?.attempts).toBe(3);
      await s.removeEntry(later.id);
      expect(await s.countQueued()).toBe(22);
    });

    it('enqueueOnce stores the id and the entries together, and nothing for a replay', async () => {
      const s = await fresh();
      const woke: Array<{ ids: string[]; entries: string[] | undefined }> = [];
      const off = s.onQueued((ids, entries) => woke.push({ ids, entries: entries?.map((e) => e.id) }));
      const first = [entry({ targetId: 'dev-a' }), entry({ targetId: 'dev-b' })];
      expect(await s.enqueueOnce({ scope: 'knock', id: 'k1', expiresAt: 100 }, first)).toBe(true);
      // the in-process announcement carries the entries themselves, once committed
      expect(woke).toContainEqual({ ids: ['dev-a', 'dev-b'], entries: first.map((e) => e.id) });
      const replay = [entry({ targetId: 'dev-a' })];
      expect(await s.enqueueOnce({ scope: 'knock', id: 'k1', expiresAt: 100 }, replay)).toBe(false);
      expect((await s.pendingForDevice('dev-a', 0, 10)).map((e) => e.id)).toEqual([first[0]!.id]);
      // the id is remembered even with no entries (a recipient without devices), in its scope only
      expect(await s.enqueueOnce({ scope: 'knock', id: 'k2', expiresAt: 100 }, [])).toBe(true);
      expect(await s.rememberOnce('knock', 'k2', 100)).toBe(false);
      expect(await s.enqueueOnce({ scope: 'knock-in', id: 'k1', expiresAt: 100 }, [])).toBe(true);
      off();
      expect(await s.countQueued()).toBe(2);
    });

    it('enqueueBatchOnce: the gate id guards the whole batch, each item id its own entries', async () => {
      const s = await fresh();
      const woke: string[] = [];
      const off = s.onQueued((_ids, entries) => woke.push(...(entries ?? []).map((e) => e.id)));
      await s.rememberOnce('knock-in', 'old', 100);
      const items = [
        { seen: { scope: 'knock-in', id: 'k1', expiresAt: 100 }, entries: [entry({ targetId: 'dev-a' }), entry({ targetId: 'dev-b' })] },
        { seen: { scope: 'knock-in', id: 'old', expiresAt: 100 }, entries: [entry({ targetId: 'dev-a' })] },
        { seen: { scope: 'knock-in', id: 'k2', expiresAt: 100 }, entries: [] },
        { seen: { scope: 'knock-in', id: 'k1', expiresAt: 100 }, entries: [entry({ targetId: 'dev-c' })] },
      ];
      expect(await s.enqueueBatchOnce({ scope: 'relay', id: 'r1', expiresAt: 100 }, items)).toEqual([true, false, true, false]);
      expect(woke.sort()).toEqual(items[0]!.entries.map((e) => e.id).sort());
      expect(await s.countQueued()).toBe(2);
      expect(await s.rememberOnce('knock-in', 'k2', 100)).toBe(false);
      // the gate replayed: nothing is written, not even the new item
      const again = [{ seen: { scope: 'knock-in', id: 'k3', expiresAt: 100 }, entries: [entry({ targetId: 'dev-a' })] }];
      expect(await s.enqueueBatchOnce({ scope: 'relay', id: 'r1', expiresAt: 100 }, again)).toBeNull();
      expect(await s.rememberOnce('knock-in', 'k3', 100)).toBe(true);
      expect(await s.countQueued()).toBe(2);
      off();
    });

    it('acknowledges and removes entries in batches, each only once and only by its device', async () => {
      const s = await fresh();
      const a = [entry({ targetId: 'dev-a' }), entry({ targetId: 'dev-a' }), entry({ targetId: 'dev-a' })];
      const b = entry({ targetId: 'dev-b' });
      const peer = [1, 2, 3].map(() => entry({ target: 'peer', targetId: 'https://p.example/api/v1/', kind: 'peer', accountId: '' }));
      await s.enqueue([...a, b, ...peer]);
      const acks = [
        { deviceId: 'dev-a', entryId: a[0]!.id },
        { deviceId: 'dev-b', entryId: a[1]!.id }, // another device's entry
        { deviceId: 'dev-a', entryId: a[0]!.id }, // twice in one batch
        { deviceId: 'dev-b', entryId: b.id },
        { deviceId: 'dev-a', entryId: 'e-unknown-00000000000' },
      ];
      expect(await s.ackDeliveries(acks)).toEqual([true, false, false, true, false]);
      expect(await s.ackDeliveries([])).toEqual([]);
      expect((await s.pendingForDevice('dev-a', 0, 10)).map((e) => e.id)).toEqual([a[1]!.id, a[2]!.id]);
      await s.removeEntries([peer[0]!.id, peer[2]!.id, 'e-unknown-00000000000']);
      await s.removeEntries([]);
      expect(await s.countQueued()).toBe(3);
      expect((await s.claimDue(['peer'], 2000, 1000, 10)).map((e) => e.id)).toEqual([peer[1]!.id]);
    });

    it('writes issued together all commit; one failing write fails alone', async () => {
      const s = await fresh();
      const dup = entry({ targetId: 'dev-a' });
      const kept = entry({ targetId: 'dev-d' });
      await s.enqueue([dup, kept]);
      const ok1 = entry({ targetId: 'dev-a', createdAt: 2 });
      const ok2 = entry({ targetId: 'dev-b' });
      // issued in the same turn of the event loop (one group commit where the engine has one)
      const results = await Promise.allSettled([
        s.enqueue([ok1]),
        s.enqueue([entry({ targetId: 'dev-c' }), { ...kept }]), // duplicate primary key: fails whole
        s.rememberOnce('relay', 'r1', 100),
        s.enqueueOnce({ scope: 'knock', id: 'k9', expiresAt: 100 }, [ok2]),
        s.ackDeliveries([{ deviceId: 'dev-a', entryId: dup.id }]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([undefined, 'failed', true, true, [true]]);
      expect((await s.pendingForDevice('dev-a', 0, 10)).map((e) => e.id)).toEqual([ok1.id]);
      expect(await s.pendingForDevice('dev-c', 0, 10)).toEqual([]);
      expect((await s.pendingForDevice('dev-d', 0, 10)).map((e) => e.id)).toEqual([kept.id]);
      expect((await s.pendingForDevice('dev-b', 0, 10)).map((e) => e.id)).toEqual([ok2.id]);
      expect(await s.rememberOnce('relay', 'r1', 100)).toBe(false);
    });

    it('remembers ids once until they expire', async () => {
      const s = await fresh();
      expect(await s.rememberOnce('relay', 'x', 100)).toBe(true);
      expect(await s.rememberOnce('relay', 'x', 100)).toBe(false);
      expect(await s.rememberOnce('knock', 'x', 100)).toBe(true);
      await s.purgeExpired(100);
      expect(await s.rememberOnce('relay', 'x', 200)).toBe(true);
    });

    it('merges peer flags and keeps the newest key; meta is set once', async () => {
      const s = await fresh();
      await s.upsertPeer({ endpoint: 'https://p/api/v1/', publicKey: 'k1', inbound: true, now: 1 });
      await s.upsertPeer({ endpoint: 'https://p/api/v1/', publicKey: 'k2', outbound: true, now: 2 });
      expect(await s.peer('https://p/api/v1/')).toEqual({ endpoint: 'https://p/api/v1/', publicKey: 'k2', inbound: true, outbound: true, updatedAt: 2 });
      expect(await s.peer('https://q/api/v1/')).toBeNull();
      expect(await s.getMeta('k')).toBeNull();
      expect(await s.setMetaOnce('k', 'first')).toBe('first');
      expect(await s.setMetaOnce('k', 'second')).toBe('first');
    });
  });
}
