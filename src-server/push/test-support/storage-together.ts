// More of the storage suite (storage/suite.ts), run against both engines: calls made together, in one
// turn of the event loop. PostgreSQL runs such calls as one statement (storage/postgres-batch.ts,
// issue 17 round four) and SQLite in one transaction; either way each call must get its own
// answer, as if the calls had run one after another, and a failing call must fail alone.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxEntry, PushStorage } from '../storage/types';

let n = 0;
const id = (p: string) => `${p}${String(++n).padStart(20, '0')}`.slice(-22);

function entry(targetId: string): OutboxEntry {
  return {
    id: id('t'),
    target: 'device',
    targetId,
    accountId: 'acc',
    kind: 'desktop',
    payload: '{"kind":"knock"}',
    createdAt: 1000,
    expiresAt: 10_000,
    attempts: 0,
    nextAttemptAt: 1000,
  };
}

export function storageTogetherSuite(engine: string, open: () => Promise<PushStorage>): void {
  describe(`storage (${engine}): calls made together`, () => {
    const opened: PushStorage[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('enqueueOnce calls of one turn: an id named twice is new once, a failing call fails alone', async () => {
      const s = await fresh();
      const taken = entry('dev-z');
      await s.enqueue([taken]);
      await s.rememberOnce('knock', 'old', 100);
      const woke: string[] = [];
      const off = s.onQueued((_ids, entries) => woke.push(...(entries ?? []).map((e) => e.id)));
      const a = entry('dev-a');
      const twice = entry('dev-b');
      const bad = entry('dev-c');
      const d = entry('dev-d');
      const replayed = entry('dev-e');
      const results = await Promise.allSettled([
        s.enqueueOnce({ scope: 'knock', id: 'k1', expiresAt: 100 }, [a]),
        s.enqueueOnce({ scope: 'knock', id: 'k1', expiresAt: 100 }, [twice]),
        // a queue entry id already stored: this call fails as a whole, and only this one
        s.enqueueOnce({ scope: 'knock', id: 'k2', expiresAt: 100 }, [bad, { ...taken }]),
        s.enqueueOnce({ scope: 'knock', id: 'k3', expiresAt: 100 }, [d]),
        s.enqueueOnce({ scope: 'knock', id: 'old', expiresAt: 100 }, [replayed]),
        s.enqueueOnce({ scope: 'knock-in', id: 'k1', expiresAt: 100 }, []),
      ]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([true, false, 'failed', true, false, true]);
      off();
      // the failed call wrote nothing, not even its id; the others wrote exactly theirs
      expect(await s.rememberOnce('knock', 'k2', 100)).toBe(true);
      expect(await s.rememberOnce('knock', 'k3', 100)).toBe(false);
      for (const dev of ['dev-b', 'dev-c', 'dev-e']) expect(await s.pendingForDevice(dev, 0, 10)).toEqual([]);
      expect((await s.pendingForDevice('dev-a', 0, 10)).map((e) => e.id)).toEqual([a.id]);
      expect((await s.pendingForDevice('dev-d', 0, 10)).map((e) => e.id)).toEqual([d.id]);
      expect(woke.sort()).toEqual([a.id, d.id].sort());
      expect(await s.countQueued()).toBe(3);
    });

    it('devicesByName and accountByAuthToken calls of one turn each get their own answer', async () => {
      const s = await fresh();
      const accounts = ['ann', 'ben', 'cy'].map((name) => ({ id: `id-${name}`, pushName: name, passwordHash: 'scrypt$x', email: '', createdAt: 1 }));
      for (const a of accounts) expect(await s.createAccount(a)).toBe(true);
      const device = (accountId: string, devId: string, createdAt: number) => ({
        id: devId,
        accountId,
        kind: 'desktop' as const,
        registrationId: '',
        channelHash: `h-${devId}`,
        name: '',
        deviceId: '',
        active: true,
        createdAt,
      });
      await s.createDevice(device('id-ann', 'ann-2', 20), 50);
      await s.createDevice(device('id-ann', 'ann-1', 10), 50);
      await s.createDevice(device('id-ben', 'ben-1', 10), 50);
      const lists = await Promise.all(['ann', 'nobody', 'ben', 'ann', 'cy'].map((name) => s.devicesByName(name)));
      expect(lists.map((l) => l.map((d) => d.id))).toEqual([['ann-1', 'ann-2'], [], ['ben-1'], ['ann-1', 'ann-2'], []]);
      expect(lists[0]!.every((d) => d.accountId === 'id-ann')).toBe(true);

      await s.putAuthToken('tok-ann', 'id-ann', 1, 100);
      await s.putAuthToken('tok-ben', 'id-ben', 1, 50);
      const who = await Promise.all([
        s.accountByAuthToken('tok-ann', 60),
        s.accountByAuthToken('tok-ben', 60), // expired at this call's time
        s.accountByAuthToken('tok-ben', 40),
        s.accountByAuthToken('tok-none', 40),
        s.accountByAuthToken('tok-ann', 99),
      ]);
      expect(who.map((a) => a?.pushName ?? null)).toEqual(['ann', null, 'ben', null, 'ann']);
      expect(who[0]).toEqual(accounts[0]);
    });
  });
}
