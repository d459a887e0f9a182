// Full-text search (search.ts, migration v7) on a real SQLCipher file.
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { openDatabase, type Store } from './store';
import { ftsQuery } from './search';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ store: Store; path: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-search-'));
  dirs.push(dir);
  const path = join(dir, 'm.db');
  const key = randomBytes(32).toString('hex');
  const store = openDatabase(path, key);
  stores.push(store);
  store.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
  store.addAccount({ id: 'a2', jid: 'other@x', host: null, port: null, resource: 'r', created_at: 2 });
  return { store, path, key };
}

let n = 0;
function add(store: Store, body: string, o: { peer?: string; accountId?: string; direction?: 'in' | 'out' } = {}): ChatMessage {
  n++;
  const m: ChatMessage = {
    id: `m${n}`,
    accountId: o.accountId ?? 'a1',
    peer: o.peer ?? 'you@x',
    direction: o.direction ?? 'in',
    body,
    timestamp: 1000 + n,
    delivery: 'delivered',
    encrypted: false,
  };
  if (m.direction === 'in') store.addIncoming(m, null);
  else store.addOutgoing(m);
  return m;
}

describe('message search (FTS5)', () => {
  it('finds messages across conversations by every word, newest first, with the match marked in the snippet', async () => {
    const { store } = await fresh();
    const old = add(store, 'Shall we meet at the station tomorrow?', { peer: 'bob@x' });
    add(store, 'the weather is fine', { peer: 'bob@x' });
    const mid = add(store, 'Station closed, meet at the café', { peer: 'carol@x', direction: 'out' });
    add(store, 'station only', { peer: 'carol@x' });
    const hits = store.search('meet station', 10);
    expect(hits.map((h) => h.messageId)).toEqual([mid.id, old.id]);
    expect(hits[0]).toMatchObject({ accountId: 'a1', peer: 'carol@x', direction: 'out', timestamp: mid.timestamp });
    const h = hits[0]!;
    expect(h.snippet).toBe('Station closed, meet at the café');
    expect(h.highlights.map(([s, e]) => h.snippet.slice(s, e))).toEqual(['Station', 'meet']);
    expect(store.search('station', 2).map((x) => x.messageId)).toHaveLength(2);
  });

  it('matches case- and accent-insensitively, and the last word as a prefix', async () => {
    const { store } = await fresh();
    const m = add(store, 'Rendez-vous au Café de Flore');
    expect(store.search('cafe', 5).map((x) => x.messageId)).toEqual([m.id]);
    expect(store.search('FLO', 5).map((x) => x.messageId)).toEqual([m.id]);
    expect(store.search('flo cafe', 5)).toEqual([]); // only the last word is a prefix
  });

  it('treats FTS5 query syntax in the input as plain text, never as an error', async () => {
    const { store } = await fresh();
    const quote = add(store, 'he said "NEAR(x y)" OR AND NOT col:value *');
    add(store, 'unrelated');
    for (const q of ['"', '""', 'NEAR(', 'NEAR(x y)', 'OR', 'AND NOT', 'col:value', '*', '^x', '-', '(', ')', 'x"y', "'"]) {
      expect(() => store.search(q, 5), q).not.toThrow();
    }
    expect(store.search('NEAR(x', 5).map((x) => x.messageId)).toEqual([quote.id]);
    expect(store.search('"NEAR(x y)"', 5).map((x) => x.messageId)).toEqual([quote.id]);
    expect(store.search('col:value', 5).map((x) => x.messageId)).toEqual([quote.id]);
    expect(store.search('OR', 5).map((x) => x.messageId)).toEqual([quote.id]);
    // punctuation only holds no word: no results, no error
    expect(store.search('" * ( )', 5)).toEqual([]);
    expect(ftsQuery('say "hi"')).toBe('"say" """hi"""*');
  });

  it('limits to one account when asked, and follows deletions (account removal)', async () => {
    const { store } = await fresh();
    const mine = add(store, 'shared word');
    const theirs = add(store, 'shared word', { accountId: 'a2' });
    expect(store.search('shared', 10).map((x) => x.messageId)).toEqual([theirs.id, mine.id]);
    expect(store.search('shared', 10, 'a1').map((x) => x.messageId)).toEqual([mine.id]);
    store.removeAccount('a2');
    expect(store.search('shared', 10).map((x) => x.messageId)).toEqual([mine.id]);
  });

  it('indexes the messages a profile already had when the migration runs, and survives reopening', async () => {
    const { store, path, key } = await fresh();
    const m = add(store, 'written before the index existed');
    // undo the index's step and those after it (v10 to v18): the profile looks like one written
    // just before the index existed, with a message in it
    const ftsStep = MIGRATIONS.findIndex((sql) => sql.includes('CREATE VIRTUAL TABLE messages_fts'));
    expect(ftsStep).toBe(SCHEMA_VERSION - 9);
    store.database.exec('ALTER TABLE messages DROP COLUMN instance_tag; ALTER TABLE messages DROP COLUMN device;');
    store.database.exec('ALTER TABLE messages DROP COLUMN elsewhere;');
    store.database.exec('DROP TABLE otr_sessions;');
    store.database.exec('ALTER TABLE accounts DROP COLUMN own_show; ALTER TABLE accounts DROP COLUMN own_status;');
    store.database.exec('DROP TABLE archive_cursor; ALTER TABLE contacts DROP COLUMN nick; ALTER TABLE accounts DROP COLUMN nick;');
    store.database.exec('DROP TABLE tls_pins; DROP TABLE otr_devices;');
    store.database.exec(
      'DROP TABLE message_request_messages; DROP TABLE message_requests; DROP TABLE message_request_blocks; ALTER TABLE messages DROP COLUMN resent;',
    );
    store.database.exec('DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update; DROP TABLE messages_fts;');
    store.database.pragma(`user_version = ${ftsStep}`);
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const again = openDatabase(path, key);
    stores.push(again);
    expect(again.search('existed', 5).map((x) => x.messageId)).toEqual([m.id]);
  });
});
