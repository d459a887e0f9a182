// History around a message and after it (history.ts) on a real SQLCipher file: the page centres on
// the message, leans back when few follow, says what lies beyond it, and never mixes conversations.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Store } from './store';
import { historyAfter, historyAround } from './history';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function withMessages(count: number): Promise<{ store: Store; ids: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-history-'));
  dirs.push(dir);
  const store = openDatabase(join(dir, 'm.db'), randomBytes(32).toString('hex'));
  stores.push(store);
  store.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `m${i}`;
    ids.push(id);
    store.addIncoming(
      { id, accountId: 'a1', peer: 'you@x', direction: 'in', body: `line ${i}`, timestamp: 1000 + i, delivery: 'delivered', encrypted: false },
      null,
    );
    // another conversation in between: never part of the pages
    store.addIncoming(
      { id: `o${i}`, accountId: 'a1', peer: 'other@x', direction: 'in', body: 'other', timestamp: 1000 + i, delivery: 'delivered', encrypted: false },
      null,
    );
  }
  return { store, ids };
}

describe('history around a message', () => {
  it('centres the page on the message and says there is more on both sides', async () => {
    const { store, ids } = await withMessages(50);
    const w = historyAround(store.database, 'a1', 'you@x', 'm25', 11);
    expect(w.messages.map((m) => m.id)).toEqual(ids.slice(20, 31));
    expect(w).toMatchObject({ hasEarlier: true, hasLater: true });
  });

  it('leans back near the newest, forward near the oldest, and fits a short conversation', async () => {
    const { store, ids } = await withMessages(20);
    expect(historyAround(store.database, 'a1', 'you@x', 'm19', 10)).toMatchObject({
      messages: ids.slice(10).map((id) => expect.objectContaining({ id })),
      hasLater: false,
    });
    const first = historyAround(store.database, 'a1', 'you@x', 'm0', 10);
    expect(first.messages[0]?.id).toBe('m0');
    expect(first.hasEarlier).toBe(false);
    const all = historyAround(store.database, 'a1', 'you@x', 'm7', 100);
    expect(all.messages.map((m) => m.id)).toEqual(ids);
    expect(all).toMatchObject({ hasEarlier: false, hasLater: false });
    expect(historyAround(store.database, 'a1', 'you@x', 'm7', 1).messages.map((m) => m.id)).toEqual(['m7']);
  });

  it('pages after a message; an id of another conversation is not-found', async () => {
    const { store, ids } = await withMessages(12);
    expect(historyAfter(store.database, 'a1', 'you@x', 'm3', 4).map((m) => m.id)).toEqual(ids.slice(4, 8));
    expect(historyAfter(store.database, 'a1', 'you@x', 'm11', 4)).toEqual([]);
    expect(() => historyAround(store.database, 'a1', 'you@x', 'o3', 10)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => historyAfter(store.database, 'a1', 'other@x', 'm3', 10)).toThrow(expect.objectContaining({ code: 'not-found' }));
  });
});
