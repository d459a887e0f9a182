// The store on a real SQLCipher file (no keychain needed: the key is passed in).
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { openDatabase, type Store } from './store';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fresh(key = randomBytes(32).toString('hex')) {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-store-'));
  dirs.push(dir);
  const path = join(dir, 'm.db');
  const store = openDatabase(path, key);
  stores.push(store);
  store.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
  return { store, path, key };
}

const msg = (id: string, direction: 'in' | 'out', body: string): ChatMessage => ({
  id,
  accountId: 'a1',
  peer: 'you@x',
  direction,
  body,
  timestamp: 1,
  delivery: direction === 'in' ? 'delivered' : 'pending',
  encrypted: false,
});

describe('store (SQLCipher)', () => {
  it('pages history newest-last and walks back with `before`', async () => {
    const { store } = await fresh();
    for (let i = 0; i < 5; i++) store.addOutgoing(msg(`m${i}`, 'out', `b${i}`));
    expect(store.page('a1', 'you@x', 2).map((m) => m.id)).toEqual(['m3', 'm4']);
    expect(store.page('a1', 'you@x', 2, 'm3').map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(store.page('a1', 'you@x', 10, 'm0')).toEqual([]);
    expect(() => store.page('a1', 'you@x', 10, 'nope')).toThrow(MessengerError);
  });

  it('drops incoming duplicates by remote id per peer, not across peers', async () => {
    const { store } = await fresh();
    expect(store.addIncoming(msg('i1', 'in', 'x'), 'origin-1')).toBe(true);
    expect(store.addIncoming(msg('i2', 'in', 'x'), 'origin-1')).toBe(false);
    expect(store.addIncoming({ ...msg('i3', 'in', 'x'), peer: 'other@x' }, 'origin-1')).toBe(true);
    expect(store.addIncoming(msg('i4', 'in', 'x'), null)).toBe(true);
    expect(store.addIncoming(msg('i5', 'in', 'x'), null)).toBe(true);
    expect(store.unread('a1', 'you@x')).toBe(3);
    store.markRead('a1', 'you@x');
    expect(store.unread('a1', 'you@x')).toBe(0);
  });

  it('moves delivery state forward only', async () => {
    const { store } = await fresh();
    store.addOutgoing(msg('o1', 'out', 'x'));
    expect(store.pending('a1', 'clear').map((m) => m.id)).toEqual(['o1']);
    expect(store.advanceDelivery('o1', 'sent')?.delivery).toBe('sent');
    expect(store.advanceDelivery('o1', 'sent')).toBeUndefined();
    expect(store.advanceDelivery('o1', 'delivered')?.delivery).toBe('delivered');
    expect(store.advanceDelivery('o1', 'sent')).toBeUndefined();
    expect(store.advanceDelivery('o1', 'failed')).toBeUndefined();
    expect(store.pending('a1', 'clear')).toEqual([]);
  });

  it("lists pending messages by kind: clear ones for the outbox, private ones for OTR, never our other devices' copies", async () => {
    const { store } = await fresh();
    store.addOutgoing(msg('clear-1', 'out', 'x'));
    store.addOutgoing({ ...msg('private-1', 'out', 'x'), encrypted: true });
    store.addOutgoingCopy({ ...msg('copy-1', 'out', ''), encrypted: true, elsewhere: true }, 'remote-1');
    store.addOutgoing(msg('clear-2', 'out', 'y'));
    store.addAccount({ id: 'a2', jid: 'me2@x', host: null, port: null, resource: 'r', created_at: 1 });
    store.addOutgoing({ ...msg('other-account', 'out', 'x'), accountId: 'a2' });
    expect(store.pending('a1', 'clear').map((m) => m.id)).toEqual(['clear-1', 'clear-2']);
    expect(store.pending('a1', 'private').map((m) => m.id)).toEqual(['private-1']);
    store.advanceDelivery('private-1', 'sent');
    expect(store.pending('a1', 'private')).toEqual([]);
  });

  it('writes nothing readable and refuses a wrong key with a typed error', async () => {
    const { store, path } = await fresh();
    store.addOutgoing(msg('o1', 'out', 'very-secret-text'));
    store.close();
    stores.length = 0;
    const bytes = await readFile(path);
    expect(bytes.includes(Buffer.from('very-secret-text'))).toBe(false);
    expect(bytes.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000');
    let thrown: unknown;
    try {
      openDatabase(path, randomBytes(32).toString('hex'));
    } catch (e) {
      thrown = e;
    }
    expect((thrown as MessengerError).code).toBe('keychain-unavailable');
    expect(() => openDatabase(path, 'not-hex')).toThrow(MessengerError);
  });

  it('one instance per profile: a second open is refused while the first is open', async () => {
    const { store, path, key } = await fresh();
    store.addOutgoing(msg('o1', 'out', 'x'));
    expect(() => openDatabase(path, key)).toThrow(/already open/);
    store.close();
    stores.length = 0;
    const again = openDatabase(path, key);
    stores.push(again);
    expect(again.message('o1')?.body).toBe('x');
  });

  it('removing an account removes its contacts and messages', async () => {
    const { store } = await fresh();
    store.upsertContact('a1', 'you@x', { in_roster: 1, subscription: 'both' });
    store.addOutgoing(msg('o1', 'out', 'x'));
    store.removeAccount('a1');
    expect(store.accounts()).toEqual([]);
    expect(store.contact('a1', 'you@x')).toBeUndefined();
    expect(store.message('o1')).toBeUndefined();
  });

  it('keeps the profile to its owner: database, WAL and journal files 0600, the directory 0700 (also for older profiles)', async () => {
    const modes = async (dir: string) => {
      const out: Record<string, number> = { '.': (await stat(dir)).mode & 0o777 };
      for (const f of await readdir(dir)) out[f] = (await stat(join(dir, f))).mode & 0o777;
      return out;
    };
    const { store, path, key } = await fresh();
    // a write so that the WAL exists
    store.addOutgoing(msg('m1', 'out', 'hello'));
    const dir = join(path, '..');
    const expectOwnerOnly = async () => {
      const files = await modes(dir);
      expect(Object.keys(files)).toEqual(expect.arrayContaining(['.', 'm.db', 'm.db-wal']));
      for (const [f, m] of Object.entries(files)) expect([f, m.toString(8)]).toEqual([f, f === '.' ? '700' : '600']);
    };
    await expectOwnerOnly();

    // a profile written before this rule (world-readable files) is tightened when opened
    store.close();
    stores.splice(stores.indexOf(store), 1);
    await chmod(dir, 0o755);
    for (const f of await readdir(dir)) await chmod(join(dir, f), 0o644);
    const again = openDatabase(path, key);
    stores.push(again);
    again.addOutgoing(msg('m2', 'out', 'again'));
    await expectOwnerOnly();
  });
});
