// More of the storage suite (storage/suite.ts), run against both engines: calls made together, in one
// turn of the event loop. PostgreSQL runs such calls as one statement (storage/postgres-batch.ts,
// issue 17 round four) and SQLite in one transaction; either way each call must get its own
// answer, as if the calls had run one after another, and a failing call must fail alone.
import { describe, expect, it } from 'vitest';
import { entry as outboxEntry, freshStorages, id } from '../storage/suite';
import type { PushStorage } from '../storage/types';

const entry = (targetId: string) => outboxEntry({ id: id('t'), targetId });

export function storageTogetherSuite(engine: string, open: () => Promise<PushStorage>): void {
  describe(`storage (${engine}): calls made together`, () => {
    const fresh = freshStorages(open);

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

    it('enqueueFanOutOnce: each new knock gets an entry per active deliverable device of its push name, made by the storage', async () => {
      const s = await fresh();
      for (const name of ['ann', 'ben'])
        expect(await s.createAccount({ id: `id-${name}`, pushName: name, passwordHash: 'scrypt$x', email: '', createdAt: 1 })).toBe(true);
      const device = (accountId: string, devId: string, createdAt: number, kind: 'desktop' | 'apns' = 'desktop', active = true) => ({
        id: devId,
        accountId,
        kind,
        registrationId: kind === 'apns' ? 'ab'.repeat(32) : '',
        channelHash: kind === 'desktop' ? `h-${devId}` : '',
        name: '',
        deviceId: '',
        active,
        createdAt,
      });
      for (const d of [
        device('id-ann', 'ann-2', 20),
        device('id-ann', 'ann-1', 10),
        device('id-ann', 'ann-3', 30, 'apns'),
        device('id-ann', 'ann-4', 40, 'desktop', false),
        device('id-ben', 'ben-1', 10),
      ])
        expect(await s.createDevice(d, 50)).toBe(true);
      await s.rememberOnce('knock-in', 'old', 100);
      const woke: string[] = [];
      const off = s.onQueued((_ids, entries) => woke.push(...(entries ?? []).map((e) => e.id)));
      const shape = { kinds: ['desktop' as const], createdAt: 1000, expiresAt: 9000, leaseMs: 30 };
      const item = (id: string, pushName: string) => ({ seen: { scope: 'knock-in', id, expiresAt: 100 }, pushName, payload: `{"knock":"${id}"}` });
      const items = [item('k1', 'ann'), item('k2', 'nobody'), item('k1', 'ben'), item('old', 'ben'), item('k3', 'ben')];
      const r = await s.enqueueFanOutOnce({ scope: 'relay', id: 'r1', expiresAt: 100 }, items, shape);
      off();
      expect(r?.map((x) => [x.fresh, x.entries.map((e) => e.targetId), x.skipped])).toEqual([
        [true, ['ann-1', 'ann-2'], 1],
        [true, [], 0],
        [false, [], 0],
        [false, [], 0],
        [true, ['ben-1'], 0],
      ]);
      const made = r!.flatMap((x) => x.entries);
      expect(made[0]).toMatchObject({
        target: 'device',
        accountId: 'id-ann',
        kind: 'desktop',
        payload: '{"knock":"k1"}',
        createdAt: 1000,
        expiresAt: 9000,
        attempts: 0,
        nextAttemptAt: 1000,
      });
      expect(made[2]).toMatchObject({ accountId: 'id-ben', payload: '{"knock":"k3"}' });
      expect(made.every((e) => /^[A-Za-z0-9_-]{22}$/.test(e.id))).toBe(true);
      expect(new Set(made.map((e) => e.id)).size).toBe(3);
      // what was stored is what was answered and announced
      expect(await s.pendingForDevice('ann-1', 0, 10)).toEqual([made[0]]);
      expect(woke.sort()).toEqual(made.map((e) => e.id).sort());
      expect(await s.countQueued()).toBe(3);
      expect(await s.rememberOnce('knock-in', 'k2', 100)).toBe(false);

      // an adapter device is delivered to when its kind is, due after the lease
      const both = await s.enqueueFanOutOnce({ scope: 'relay', id: 'r2', expiresAt: 100 }, [item('k4', 'ann')], { ...shape, kinds: ['desktop', 'apns'] });
      expect(both?.[0]?.entries.map((e) => [e.targetId, e.nextAttemptAt])).toEqual([
        ['ann-1', 1000],
        ['ann-2', 1000],
        ['ann-3', 1030],
      ]);
      // the gate replayed: nothing written, not even a new item's id
      expect(await s.enqueueFanOutOnce({ scope: 'relay', id: 'r1', expiresAt: 100 }, [item('k5', 'ben')], shape)).toBeNull();
      expect(await s.rememberOnce('knock-in', 'k5', 100)).toBe(true);
      expect(await s.countQueued()).toBe(6);
    });

    it('enqueueKnockOnce: a knock is written only under a login valid at its time, also for calls of one turn', async () => {
      const s = await fresh();
      expect(await s.createAccount({ id: 'id-kim', pushName: 'kim', passwordHash: 'scrypt$x', email: '', createdAt: 1 })).toBe(true);
      await s.putAuthToken('tok-kim', 'id-kim', 1, 100);
      await s.putAuthToken('tok-gone', 'id-kim', 1, 100);
      await s.deleteAuthToken('tok-gone');
      await s.rememberOnce('knock', 'old', 100);
      const kim = { tokenHash: 'tok-kim', now: 50 };
      const e = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6'].map(entry);
      const results = await Promise.all([
        s.enqueueKnockOnce(kim, { scope: 'knock', id: 'k1', expiresAt: 100 }, [e[0]!]),
        s.enqueueKnockOnce({ tokenHash: 'tok-kim', now: 100 }, { scope: 'knock', id: 'k2', expiresAt: 100 }, [e[1]!]), // expired then
        s.enqueueKnockOnce({ tokenHash: 'tok-gone', now: 50 }, { scope: 'knock', id: 'k3', expiresAt: 100 }, [e[2]!]), // logged out
        s.enqueueKnockOnce(kim, { scope: 'knock', id: 'old', expiresAt: 100 }, [e[3]!]),
        s.enqueueKnockOnce({ tokenHash: 'tok-none', now: 50 }, { scope: 'knock', id: 'old', expiresAt: 100 }, [e[4]!]),
      ]);
      expect(results).toEqual(['stored', 'unauthorized', 'unauthorized', 'replay', 'unauthorized']);
      // a refused knock records nothing: its id is free for a valid login
      expect(await s.enqueueKnockOnce(kim, { scope: 'knock', id: 'k3', expiresAt: 100 }, [e[5]!])).toBe('stored');
      expect(await s.rememberOnce('knock', 'k2', 100)).toBe(true);
      // the same id twice in one turn: stored once
      expect(
        await Promise.all([
          s.enqueueKnockOnce(kim, { scope: 'knock', id: 'k4', expiresAt: 100 }, []),
          s.enqueueKnockOnce(kim, { scope: 'knock', id: 'k4', expiresAt: 100 }, []),
        ]),
      ).toEqual(['stored', 'replay']);
      const queued = (await Promise.all(e.map((x) => s.pendingForDevice(x.targetId, 0, 10)))).map((l) => l.length);
      expect(queued).toEqual([1, 0, 0, 0, 0, 1]);
    });
  });
}
