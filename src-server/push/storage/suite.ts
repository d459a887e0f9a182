// The storage test suite, run against both engines (storage.sqlite.test.ts and
// storage.postgres.integration.test.ts): one interface, one behaviour.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxEntry, PushStorage } from './types';

let n = 0;
const id = (p: string) => `${p}${String(++n).padStart(20, '0')}`.slice(-22);

function entry(over: Partial<OutboxEntry> & Pick<OutboxEntry, 'targetId'>): OutboxEntry {
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

export function storageSuite(engine: string, open: () => Promise<PushStorage>): void {
  describe(`storage (${engine})`, () => {
    const opened: PushStorage[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    async function withAccount(s: PushStorage, name = 'alice') {
      const a = { id: `id-${name}`, pushName: name, passwordHash: 'scrypt$x', email: '', createdAt: 1 };
      expect(await s.createAccount(a)).toBe(true);
      return a;
    }
    async function withDevice(s: PushStorage, accountId: string, devId: string, kind: 'desktop' | 'apns' = 'desktop') {
      await s.createDevice({ id: devId, accountId, kind, registrationId: kind === 'apns' ? 'ab'.repeat(32) : '', channelHash: kind === 'desktop' ? `h-${devId}` : '', name: "Bob's \"laptop\"; DROP TABLE devices; --", deviceId: '', active: true, createdAt: 5 });
    }

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
      expect(await s.authTokenAccount('h1', 99)).toBe(a.id);
      expect(await s.authTokenAccount('h1', 100)).toBeNull();
      await s.deleteAuthToken('h1');
      expect(await s.authTokenAccount('h1', 50)).toBeNull();
    });

    it('stores devices verbatim, filters by kind, updates and finds desktop devices by channel hash', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      await withDevice(s, a.id, 'd1');
      await withDevice(s, a.id, 'd2', 'apns');
      expect((await s.devices(a.id)).map((d) => d.id)).toEqual(['d1', 'd2']);
      expect((await s.devices(a.id, 'apns')).map((d) => d.id)).toEqual(['d2']);
      expect((await s.device('d1'))?.name).toBe("Bob's \"laptop\"; DROP TABLE devices; --");
      expect((await s.deviceByChannelHash('h-d1'))?.id).toBe('d1');
      expect(await s.deviceByChannelHash('')).toBeNull();
      await s.updateDevice('d1', { active: false, name: 'new' });
      expect(await s.device('d1')).toMatchObject({ active: false, name: 'new', kind: 'desktop' });
    });

    it('deleting a device removes its whitelist tokens and queue entries', async () => {
      const s = await fresh();
      const a = await withAccount(s);
      await withDevice(s, a.id, 'd1');
      await s.createWhitelistToken({ id: 't1', hash: 'th1', accountId: a.id, deviceId: 'd1', name: '', createdAt: 1, expiresAt: 99 });
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
      for (const [acc, dev] of [[a, 'da'], [b, 'db']] as const) {
        await withDevice(s, acc.id, dev);
        await s.putAuthToken(`auth-${dev}`, acc.id, 1, 1e12);
        await s.createWhitelistToken({ id: `t-${dev}`, hash: `h-${dev}`, accountId: acc.id, deviceId: null, name: 'x', createdAt: 1, expiresAt: 1e12 });
        await s.enqueue([entry({ targetId: dev, accountId: acc.id })]);
      }
      await s.deleteAccount(a.id);
      expect(await s.accountById(a.id)).toBeNull();
      expect(await s.authTokenAccount('auth-da', 2)).toBeNull();
      expect(await s.device('da')).toBeNull();
      expect(await s.whitelistTokenByHash('h-da')).toBeNull();
      expect(await s.pendingForDevice('da', 0, 10)).toEqual([]);
      expect(await s.authTokenAccount('auth-db', 2)).toBe(b.id);
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
