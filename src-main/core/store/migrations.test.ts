// The profile database's one migration runner (migrations.ts) on real SQLCipher files: an old
// profile is brought to the current schema with its rows kept, the OTR tables included, and rows
// of the wrong shape are refused with a typed error (rows.ts).
import { Database } from '@signalapp/sqlcipher';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessengerError } from '../../../src-shared/ipc/result';
import { OtrStore } from '../otr/otr-store';
import { MIGRATIONS, SCHEMA_VERSION, schemaVersion } from './migrations';
import { openDatabase, type Store } from './store';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function newFile(): Promise<{ path: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-migrate-'));
  dirs.push(dir);
  return { path: join(dir, 'm.db'), key: randomBytes(32).toString('hex') };
}

function rawOpen(path: string, key: string): Database {
  const db = new Database(path);
  db.pragma(`key = "x'${key}'"`);
  return db;
}

function open(path: string, key: string): Store {
  const store = openDatabase(path, key);
  stores.push(store);
  return store;
}

describe('profile database migrations', () => {
  it('brings a version-1 profile with OTR tables made by the old OTR module to the current schema, keeping every row', async () => {
    const { path, key } = await newFile();
    const old = rawOpen(path, key);
    // what a first release wrote: schema v1 ...
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.exec(`INSERT INTO accounts (id, jid, host, port, resource, created_at) VALUES ('a1', 'me@x.example', NULL, NULL, 'r', 1);
      INSERT INTO contacts (account_id, jid, subscription, in_roster) VALUES ('a1', 'you@x.example', 'both', 1);
      INSERT INTO messages (id, account_id, peer, direction, body, timestamp, delivery, remote_id) VALUES ('m1', 'a1', 'you@x.example', 'out', 'hello', 5, 'sent', 'r1');`);
    // ... and the OTR tables the OTR module created by itself then, with rows
    old.exec(`CREATE TABLE otr_fingerprints (account_id TEXT NOT NULL, peer TEXT NOT NULL, fingerprint TEXT NOT NULL, version INTEGER NOT NULL CHECK (version IN (3, 4)), verified INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (account_id, peer, fingerprint));
      CREATE TABLE otr_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, peer TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
      INSERT INTO otr_fingerprints VALUES ('a1', 'you@x.example', 'ab12', 4, 1, 2, 3);
      INSERT INTO otr_queue (message_id, account_id, peer, body, created_at) VALUES ('q1', 'a1', 'you@x.example', 'waits', 4);`);
    old.close();

    const store = open(path, key);
    expect(schemaVersion(store.database)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    // v4: the account connects at start by default
    expect(store.account('a1')).toEqual({ id: 'a1', jid: 'me@x.example', host: null, port: null, resource: 'r', created_at: 1, connect_at_start: 1 });
    expect(store.contact('a1', 'you@x.example')).toMatchObject({ subscription: 'both', in_roster: 1, pending_in: 0 });
    expect(store.message('m1')).toMatchObject({ body: 'hello', delivery: 'sent', encrypted: false });
    // v2: a carbon copy of the same sent message is stored once
    const copy = {
      id: 'm2',
      accountId: 'a1',
      peer: 'you@x.example',
      direction: 'out' as const,
      body: 'hello',
      timestamp: 5,
      delivery: 'sent' as const,
      encrypted: false,
    };
    expect(store.addOutgoingCopy(copy, 'r1')).toBe(false);
    // v5: the OTR rows are kept, and the tables the old module had not made yet exist
    const otr = new OtrStore(store.database);
    expect(otr.fingerprints('a1', 'you@x.example')).toEqual([{ fingerprint: 'ab12', version: 4, verified: true, firstSeen: 2, lastSeen: 3 }]);
    expect(otr.queued('a1', 'you@x.example')).toEqual([{ messageId: 'q1', peer: 'you@x.example', body: 'waits', createdAt: 4 }]);
    otr.setPolicy('a1', 'you@x.example', 'always');
    otr.setPrivate('a1', 'you@x.example', true);
    expect(otr.policy('a1', 'you@x.example', 'opportunistic')).toEqual({ policy: 'always', overridden: true });
    expect(otr.isPrivate('a1', 'you@x.example')).toBe(true);
  });

  it('a new profile gets every table at once; a profile from a newer version is refused', async () => {
    const { path, key } = await newFile();
    const store = open(path, key);
    const tables = store.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", { pluck: true })
      .all();
    expect(tables).toEqual([
      'accounts',
      'archive_cursor',
      'contacts',
      'groups_state',
      'groups_timeline',
      'message_request_blocks',
      'message_request_messages',
      'message_requests',
      'messages',
      'messages_fts',
      'messages_fts_config',
      'messages_fts_data',
      'messages_fts_docsize',
      'messages_fts_idx',
      'otr_devices',
      'otr_fingerprints',
      'otr_identity',
      'otr_policies',
      'otr_private',
      'otr_queue',
      'otr_sessions',
      'push_accounts',
      'push_handshakes',
      'push_records',
      'push_seen',
      'tls_pins',
    ]);
    // v18 (issue 13, several devices): an incoming message keeps its device and the mark it was shown with
    const columns = store.database.prepare("SELECT name FROM pragma_table_info('messages')", { pluck: true }).all();
    expect(columns).toEqual(expect.arrayContaining(['instance_tag', 'device']));
    store.addAccount({ id: 'a1', jid: 'me@x.example', host: null, port: null, resource: 'r', created_at: 1 });
    const reply = { id: 'i1', accountId: 'a1', peer: 'you@x.example', direction: 'in' as const, body: 'hi', timestamp: 1, delivery: 'delivered' as const };
    expect(store.addIncoming({ ...reply, encrypted: true, device: 'laptop' }, null, 0x1234)).toBe(true);
    expect(store.message('i1')).toMatchObject({ device: 'laptop' });
    expect(store.database.prepare("SELECT instance_tag FROM messages WHERE id = 'i1'", { pluck: true }).get()).toBe(0x1234);
    expect(store.addIncoming({ ...reply, id: 'i2', encrypted: false }, null)).toBe(true);
    expect(store.message('i2')).not.toHaveProperty('device');
    store.database.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    store.close();
    stores.splice(stores.indexOf(store), 1);
    expect(() => open(path, key)).toThrow(/newer version/);
  });

  it('a row of the wrong shape is a typed error naming the column, not a wrong value', async () => {
    const { path, key } = await newFile();
    const store = open(path, key);
    store.addAccount({ id: 'a1', jid: 'me@x.example', host: null, port: null, resource: 'r', created_at: 1 });
    // SQLite stores what it is given: a damaged or foreign profile may hold text where a time belongs
    store.database.exec(
      "INSERT INTO messages (id, account_id, peer, direction, body, timestamp, delivery) VALUES ('bad', 'a1', 'you@x.example', 'in', 'x', 'yesterday', 'delivered')",
    );
    let caught: unknown;
    try {
      store.message('bad');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MessengerError);
    expect(caught).toMatchObject({ code: 'internal', message: expect.stringContaining('timestamp') as string });
  });
});
