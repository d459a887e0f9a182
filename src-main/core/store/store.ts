// The profile database: SQLCipher (@signalapp/sqlcipher) keyed with a random 256-bit key from the
// OS keychain (docs/architecture.md §4). Accounts, contacts and messages live here; nothing secret or private
// is written anywhere else. Schema: docs/core.md; every table's migrations: migrations.ts; rows
// are read through the typed decoders of rows.ts.
import { Database } from '@signalapp/sqlcipher';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChatMessage, DeliveryState, SearchResult } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { migrate } from './migrations';
import { searchMessages } from './search';
import { toAccount, toContact, toMessage, type AccountRow, type ContactRow } from './records';
import { every, maybe, text } from './rows';

export type { AccountRow, ContactRow } from './records';
export { toMessage } from './records';

/** Database-side files SQLite creates next to the database (WAL mode, rollback journal). */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * The profile is its owner's alone: the directory 0700 and the database files 0600, whatever the
 * umask. The file is created here before SQLite opens it because SQLite gives its WAL and journal
 * the database file's permissions (SQLite os_unix.c, findCreateFileMode); files of a profile
 * written before this rule are tightened on open.
 */
function restrictToOwner(path: string): void {
  chmodSync(dirname(path), 0o700);
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, ...SIDE_FILES.map((s) => path + s)]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Opens (or creates) the encrypted database. `keyHex` is 64 hex digits (a raw 256-bit key). */
export function openDatabase(path: string, keyHex: string): Store {
  if (!/^[0-9a-f]{64}$/.test(keyHex)) throw new MessengerError('keychain-unavailable', 'The database key in the keychain is not a valid key.');
  let db: Database;
  try {
    restrictToOwner(path);
    // Cached statements: every query here is a handful of fixed SQL texts, and an uncached
    // prepare() keeps its native statement until the database closes (RSS grows per query).
    db = new Database(path, { cacheStatements: true });
  } catch {
    throw new MessengerError('internal', 'The profile database could not be opened.');
  }
  try {
    // SQLCipher raw key syntax: no KDF needed for a random key (SQLCipher API, PRAGMA key).
    db.pragma(`key = "x'${keyHex}'"`);
    // One instance per profile (docs/architecture.md §3): the first reader holds the lock until close, a
    // second opener gets SQLITE_BUSY (SQLite "locking_mode", WAL with EXCLUSIVE uses no -shm).
    db.pragma('locking_mode = EXCLUSIVE');
    // Temporary tables and indices in memory: SQLCipher encrypts the main file and WAL, not
    // plain temp files (SQLCipher docs, "temp_store").
    db.pragma('temp_store = MEMORY');
    // Reading the schema fails with "file is not a database" when the key is wrong.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      throw new MessengerError(
        'profile-in-use',
        'This profile is already open in another instance of the messenger. Close that one first, or start with another profile directory.',
      );
    }
    throw new MessengerError(
      'keychain-unavailable',
      'The profile database cannot be decrypted with the key from the keychain (the keychain entry is missing or belongs to another profile).',
    );
  }
  const store = new Store(db);
  store.migrate();
  return store;
}

export class Store {
  constructor(private readonly db: Database) {}

  /**
   * The open SQLCipher connection, for other core modules that keep their own tables in the same
   * encrypted database (e.g. OTR fingerprints and sessions). Only one connection per profile can
   * exist (locking_mode EXCLUSIVE), so they must share this one.
   */
  get database(): Database {
    return this.db;
  }

  /** every table of the profile database, the OTR ones included (migrations.ts) */
  migrate(): void {
    migrate(this.db);
  }

  close(): void {
    this.db.close();
  }

  // ---- accounts ----------------------------------------------------------------------------

  accounts(): AccountRow[] {
    return every(this.db.prepare('SELECT * FROM accounts ORDER BY created_at, id').all(), toAccount);
  }

  account(id: string): AccountRow | undefined {
    return maybe(this.db.prepare('SELECT * FROM accounts WHERE id = ?').get([id]), toAccount);
  }

  /** whether the account connects when the messenger starts (the user's last connect/disconnect) */
  setConnectAtStart(id: string, on: boolean): void {
    this.db.prepare('UPDATE accounts SET connect_at_start = ? WHERE id = ?').run([on ? 1 : 0, id]);
  }

  accountByJid(jid: string): AccountRow | undefined {
    return maybe(this.db.prepare('SELECT * FROM accounts WHERE jid = ?').get([jid]), toAccount);
  }

  addAccount(a: AccountRow): void {
    this.db
      .prepare('INSERT INTO accounts (id, jid, host, port, resource, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run([a.id, a.jid, a.host, a.port, a.resource, a.created_at]);
  }

  removeAccount(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM messages WHERE account_id = ?').run([id]);
      this.db.prepare('DELETE FROM contacts WHERE account_id = ?').run([id]);
      // message_request_messages go with their request (ON DELETE CASCADE)
      this.db.prepare('DELETE FROM message_requests WHERE account_id = ?').run([id]);
      this.db.prepare('DELETE FROM message_request_blocks WHERE account_id = ?').run([id]);
      this.db.prepare('DELETE FROM accounts WHERE id = ?').run([id]);
    })();
  }

  // ---- contacts ----------------------------------------------------------------------------

  contacts(accountId?: string): ContactRow[] {
    const sql = `SELECT c.* FROM contacts c WHERE (c.in_roster = 1 OR c.pending_in = 1 OR EXISTS (SELECT 1 FROM messages m WHERE m.account_id = c.account_id AND m.peer = c.jid))${accountId ? ' AND c.account_id = ?' : ''} ORDER BY c.account_id, c.jid`;
    return every(this.db.prepare(sql).all(accountId ? [accountId] : []), toContact);
  }

  contact(accountId: string, jid: string): ContactRow | undefined {
    return maybe(this.db.prepare('SELECT * FROM contacts WHERE account_id = ? AND jid = ?').get([accountId, jid]), toContact);
  }

  /** Inserts or updates the given fields; returns the row after the change. */
  upsertContact(accountId: string, jid: string, fields: Partial<Omit<ContactRow, 'account_id' | 'jid'>>): ContactRow {
    this.db.prepare('INSERT INTO contacts (account_id, jid) VALUES (?, ?) ON CONFLICT DO NOTHING').run([accountId, jid]);
    const keys = Object.keys(fields) as Array<keyof typeof fields>;
    if (keys.length > 0) {
      const sets = keys.map((k) => `${k} = ?`).join(', ');
      const values = keys.map((k) => fields[k] ?? null) as Array<string | number | null>;
      this.db.prepare(`UPDATE contacts SET ${sets} WHERE account_id = ? AND jid = ?`).run([...values, accountId, jid]);
    }
    return this.contact(accountId, jid) as ContactRow;
  }

  /** After a full roster fetch: whatever the server no longer lists is out of the roster. */
  markRosterExcept(accountId: string, jids: string[]): string[] {
    const gone = every(this.db.prepare('SELECT jid FROM contacts WHERE account_id = ? AND in_roster = 1').all([accountId]), (r) => text(r, 'jid')).filter(
      (j) => !jids.includes(j),
    );
    for (const j of gone)
      this.db.prepare("UPDATE contacts SET in_roster = 0, subscription = 'none', pending_out = 0 WHERE account_id = ? AND jid = ?").run([accountId, j]);
    return gone;
  }

  deleteContact(accountId: string, jid: string): void {
    this.db.prepare('DELETE FROM contacts WHERE account_id = ? AND jid = ?').run([accountId, jid]);
  }

  unread(accountId: string, peer: string): number {
    const n = this.db
      .prepare("SELECT count(*) FROM messages WHERE account_id = ? AND peer = ? AND direction = 'in' AND read = 0", { pluck: true })
      .get([accountId, peer]);
    return Number(n ?? 0);
  }

  markRead(accountId: string, peer: string): void {
    this.db.prepare("UPDATE messages SET read = 1 WHERE account_id = ? AND peer = ? AND direction = 'in' AND read = 0").run([accountId, peer]);
  }

  // ---- messages ----------------------------------------------------------------------------

  addOutgoing(m: ChatMessage): void {
    this.db
      .prepare(
        'INSERT INTO messages (id, account_id, peer, direction, body, timestamp, delivery, encrypted, remote_id, read) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 1)',
      )
      .run([m.id, m.accountId, m.peer, 'out', m.body, m.timestamp, m.delivery, m.encrypted ? 1 : 0]);
  }

  /** Stores a copy of a message our other device sent (XEP-0280), once per remote id. */
  addOutgoingCopy(m: ChatMessage, remoteId: string | null): boolean {
    const r = this.db
      .prepare(
        'INSERT INTO messages (id, account_id, peer, direction, body, timestamp, delivery, encrypted, remote_id, read, elsewhere) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING',
      )
      .run([m.id, m.accountId, m.peer, 'out', m.body, m.timestamp, m.delivery, m.encrypted ? 1 : 0, remoteId, m.elsewhere ? 1 : 0]);
    return r.changes === 1;
  }

  /**
   * Stores an incoming message unless one with the same remote id (XEP-0359 origin-id, else the
   * stanza id) from the same peer is already stored. Returns false for a duplicate. `instanceTag`:
   * the contact's device a private message came from (issue 13, several devices).
   */
  addIncoming(m: ChatMessage, remoteId: string | null, instanceTag?: number): boolean {
    const r = this.db
      .prepare(
        'INSERT INTO messages (id, account_id, peer, direction, body, timestamp, delivery, encrypted, remote_id, read, instance_tag, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run([m.id, m.accountId, m.peer, 'in', m.body, m.timestamp, m.delivery, m.encrypted ? 1 : 0, remoteId, instanceTag ?? null, m.device ?? null]);
    return r.changes === 1;
  }

  message(id: string): ChatMessage | undefined {
    return maybe(this.db.prepare('SELECT * FROM messages WHERE id = ?').get([id]), toMessage);
  }

  outgoing(accountId: string, peer: string, id: string): ChatMessage | undefined {
    return maybe(
      this.db.prepare("SELECT * FROM messages WHERE id = ? AND account_id = ? AND peer = ? AND direction = 'out'").get([id, accountId, peer]),
      toMessage,
    );
  }

  /** Moves delivery forward only (pending -> sent -> delivered); returns the row if it changed. */
  advanceDelivery(id: string, to: DeliveryState): ChatMessage | undefined {
    const allowed: Record<DeliveryState, DeliveryState[]> = {
      pending: [],
      sent: ['pending'],
      delivered: ['pending', 'sent', 'failed'],
      failed: ['pending', 'sent'],
    };
    const from = allowed[to];
    if (from.length === 0) return undefined;
    const r = this.db
      .prepare(`UPDATE messages SET delivery = ? WHERE id = ? AND direction = 'out' AND delivery IN (${from.map(() => '?').join(', ')})`)
      .run([to, id, ...from]);
    return r.changes === 1 ? this.message(id) : undefined;
  }

  /**
   * Our messages still 'pending', of one kind:
   * - 'clear': plaintext waiting for the account to be online (account/outbox.ts);
   * - 'private': private messages waiting in the OTR queue for a session, or written and never
   *   acknowledged by the server (otr/service.ts resendUnacked tells them apart). They belong to
   *   the OTR service (src-main/core/otr) and must never be sent in clear.
   * Copies of what our other devices sent (`elsewhere`) are theirs to send, never ours.
   */
  pending(accountId: string, kind: 'clear' | 'private'): ChatMessage[] {
    return every(
      this.db
        .prepare("SELECT * FROM messages WHERE account_id = ? AND delivery = 'pending' AND direction = 'out' AND encrypted = ? AND elsewhere = 0 ORDER BY seq")
        .all([accountId, kind === 'private' ? 1 : 0]),
      toMessage,
    );
  }

  /** Whether an incoming message with this remote id from this peer is stored (a duplicate). */
  hasIncoming(accountId: string, peer: string, remoteId: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM messages WHERE account_id = ? AND peer = ? AND remote_id = ? AND direction = 'in'", { pluck: true })
        .get([accountId, peer, remoteId]) !== undefined
    );
  }

  /** The user chose to send a message that waited for a private session in clear. */
  markSentInClear(id: string): ChatMessage | undefined {
    this.db.prepare("UPDATE messages SET encrypted = 0 WHERE id = ? AND direction = 'out'").run([id]);
    return this.message(id);
  }

  /** A pending message written for clear that must now wait for a private session (the policy changed before it went out). */
  markPrivate(id: string): ChatMessage | undefined {
    this.db.prepare("UPDATE messages SET encrypted = 1 WHERE id = ? AND direction = 'out' AND delivery = 'pending'").run([id]);
    return this.message(id);
  }

  /** Marks an outgoing message as sent again in a new private session (issue 13, recovery). */
  markResent(id: string): void {
    this.db.prepare("UPDATE messages SET resent = 1 WHERE id = ? AND direction = 'out'").run([id]);
  }

  /** A page of history, oldest first, the newest `limit` messages before `before` (a message id). */
  page(accountId: string, peer: string, limit: number, before?: string): ChatMessage[] {
    let beforeSeq = Number.MAX_SAFE_INTEGER;
    if (before !== undefined) {
      const seq = this.db.prepare('SELECT seq FROM messages WHERE id = ? AND account_id = ? AND peer = ?', { pluck: true }).get([before, accountId, peer]);
      if (seq === undefined) throw new MessengerError('not-found', 'That message is not in this conversation.');
      beforeSeq = Number(seq);
    }
    const rows = every(
      this.db
        .prepare('SELECT * FROM messages WHERE account_id = ? AND peer = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all([accountId, peer, beforeSeq, limit]),
      toMessage,
    );
    return rows.reverse();
  }

  /** Full-text search (search.ts): newest `limit` messages matching the words of `query`. */
  search(query: string, limit: number, accountId?: string): SearchResult[] {
    return searchMessages(this.db, query, limit, accountId);
  }
}
